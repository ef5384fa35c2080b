// Who or what started an investigation, in words.
import type { InvestigationSummary } from "../backend";

/**
 * "Started by admin from ws01" for an investigation an analyst started from a machine;
 * "Started by admin" when it came from an alert that no longer names its title.
 */
export function startedBy(i: Pick<InvestigationSummary, "trigger" | "started_by" | "machine_names" | "trigger_alert_id">): string {
  const who = i.started_by || "an analyst";
  if (i.trigger_alert_id !== null) return `Alert #${i.trigger_alert_id}`;
  const machine = i.machine_names[0];
  return machine ? `Started by ${who} from ${machine}` : `Started by ${who}`;
}

/** How it was started, as the second line of the list: automatically, or by whom. */
export function howStarted(i: Pick<InvestigationSummary, "trigger" | "started_by">): string {
  if (i.trigger === "alert_policy") return "automatic (alert policy)";
  return `started by ${i.started_by || "an analyst"}`;
}
