import type { ReactNode } from "react";
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
 * Attacker-written text as it is shown: its hidden and look-alike characters written out as
 * ⟨U+XXXX⟩ (lib/reveal), the flag to put beside it (with its leading space), and the
 * `data-revealed` mark, both absent when nothing was hidden.
 */
export function revealing(raw: string): { text: string; flag: ReactNode; mark: "true" | undefined } {
  const revealed = reveal(raw);
  const warning = revealWarning(revealed);
  if (!warning) return { text: raw, flag: null, mark: undefined };
  return {
    text: revealed.text,
    flag: (
      <>
        {" "}
        <RevealFlag warning={warning} />
      </>
    ),
    mark: "true",
  };
}

/**
 * Text an attacker may have written (a file, process, service or user name; an alert's title),
 * as text, with its hidden and look-alike characters written out as ⟨U+XXXX⟩ and flagged.
 */
export function Untrusted({ text: raw, className }: { text: string; className?: string }) {
  const { text, flag, mark } = revealing(raw);
  return (
    <span className={className} data-revealed={mark}>
      {text}
      {flag}
    </span>
  );
}
