import { useState } from "react";
import { reveal, revealWarning } from "../../lib/reveal";
import { RevealFlag } from "./Untrusted";

/**
 * Text from the telemetry (a command line, a 64 KiB script), always rendered as text, never
 * as HTML; past `limit` characters it is cut, with a button to show it all.
 */
export function LongText({ text: raw, limit = 300, className }: { text: string; limit?: number; className?: string }) {
  const [all, setAll] = useState(false);
  // Hidden and look-alike characters written out, and flagged (see lib/reveal).
  const revealed = reveal(raw);
  const warning = revealWarning(revealed);
  const flag = warning && (
    <>
      {" "}
      <RevealFlag warning={warning} />
    </>
  );
  const text = revealed.text;
  if (text.length <= limit)
    return (
      <span className={className} data-revealed={warning ? "true" : undefined}>
        {text}
        {flag}
      </span>
    );
  return (
    <span className={className} data-long-text={all ? "all" : "cut"} data-revealed={warning ? "true" : undefined}>
      {flag}
      {all ? text : `${text.slice(0, limit)}…`}{" "}
      <button type="button" className="link small" onClick={() => setAll(!all)}>
        {all ? "show less" : `show all (${text.length.toLocaleString()} characters)`}
      </button>
    </span>
  );
}
