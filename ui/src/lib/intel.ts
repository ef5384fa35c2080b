import type { IntelSummary } from "../backend";
import { count } from "./format";

/** Files dropped on the window that are IOC lists rather than telemetry (by their name). */
export function isIocList(path: string): boolean {
  return /\.(csv|txt)$/i.test(path);
}

/** What an IOC list brought, and where its new indicators had already been seen. */
export function intelMessage(s: IntelSummary, path: string): string {
  const head = `${count(s.indicators, "indicator")} in ${path}, ${s.added.toLocaleString()} new.`;
  const skipped =
    s.skipped > 0
      ? ` ${count(s.skipped, "row was", "rows were")} passed over${s.skip_reasons.length > 0 ? ` (${s.skip_reasons[0]}${s.skipped > 1 ? ", …" : ""})` : ""}.`
      : "";
  if (s.seen_on.length === 0) {
    return (s.added > 0 ? `${head} None of the new ones shows in the telemetry already imported.` : head) + skipped;
  }
  return (
    `${head} Already seen on ${s.seen_on.join(", ")}: ${count(s.alerts, "alert")} raised, ` +
    `${count(s.investigations_started, "investigation")} started.${skipped}`
  );
}
