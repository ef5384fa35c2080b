import { reveal, revealWarning } from "../../lib/reveal";

/** The flag beside a text whose hidden or look-alike characters were written out. */
export function RevealFlag({ warning }: { warning: string }) {
  return (
    <span className="badge warn reveal-flag" role="note" title={warning} aria-label={warning} data-testid="hidden-characters">
      hidden characters
    </span>
  );
}

/**
 * Text an attacker may have written (a file, process, service or user name; an alert's title),
 * as text, with its hidden and look-alike characters written out as ⟨U+XXXX⟩ and flagged.
 */
export function Untrusted({ text, className }: { text: string; className?: string }) {
  const r = reveal(text);
  const warning = revealWarning(r);
  if (!warning) return <span className={className}>{text}</span>;
  return (
    <span className={className} data-revealed="true">
      {r.text} <RevealFlag warning={warning} />
    </span>
  );
}
