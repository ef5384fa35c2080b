// Who or what started an investigation, in words.
import type { InvestigationSummary } from "../backend";

/**
 * Who started an investigation that names no alert title: "Started by admin from ws01"
 * (an analyst, from a machine), or "Alert #12" (an alert whose title is not known).
 */
export function startedBy(i: Pick<InvestigationSummary, "trigger" | "started_by" | "machine_names" | "trigger_alert_id">): string {
  const who = i.started_by || "an analyst";
  if (i.trigger_alert_id !== null) return `Alert #${i.trigger_alert_id}`;
  const machine = i.machine_names[0];
  return machine ? `Started by ${who} from ${machine}` : `Started by ${who}`;
}

/**
 * Who started an investigation from an alert, when a person did ("started by admin"); null
 * when an alert policy started it or the alert's title is not there to go with it.
 */
export function startedFromAlertBy(i: Pick<InvestigationSummary, "trigger" | "started_by" | "trigger_alert_title">): string | null {
  if (i.trigger === "alert_policy" || i.trigger_alert_title === null) return null;
  return `started by ${i.started_by || "an analyst"}`;
}
