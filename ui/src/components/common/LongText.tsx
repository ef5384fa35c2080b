import { useState } from "react";
import { revealing } from "./Untrusted";

/**
 * Text from the telemetry (a command line, a 64 KiB script), always rendered as text, never
 * as HTML; past `limit` characters it is cut, with a button to show it all. Hidden and
 * look-alike characters are written out and flagged (see lib/reveal).
 */
export function LongText({ text: raw, limit = 300, className }: { text: string; limit?: number; className?: string }) {
  const [all, setAll] = useState(false);
  const { text, flag, mark } = revealing(raw);
  if (text.length <= limit)
    return (
      <span className={className} data-revealed={mark}>
        {text}
        {flag}
      </span>
    );
  return (
    <span className={className} data-long-text={all ? "all" : "cut"} data-revealed={mark}>
      {flag}
      {all ? text : `${text.slice(0, limit)}…`}{" "}
      <button type="button" className="link small" onClick={() => setAll(!all)}>
        {all ? "show less" : `show all (${text.length.toLocaleString()} characters)`}
      </button>
    </span>
  );
}
