import { useState } from "react";

/**
 * Text from the telemetry (a command line, a 64 KiB script), always rendered as text, never
 * as HTML; past `limit` characters it is cut, with a button to show it all.
 */
export function LongText({ text, limit = 300, className }: { text: string; limit?: number; className?: string }) {
  const [all, setAll] = useState(false);
  if (text.length <= limit) return <span className={className}>{text}</span>;
  return (
    <span className={className} data-long-text={all ? "all" : "cut"}>
      {all ? text : `${text.slice(0, limit)}…`}{" "}
      <button type="button" className="link small" onClick={() => setAll(!all)}>
        {all ? "show less" : `show all (${text.length.toLocaleString()} characters)`}
      </button>
    </span>
  );
}
