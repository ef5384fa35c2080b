import type { InvestigationStatus, Severity } from "../backend";

/** Alert severities, lowest first. */
export const SEVERITIES: Severity[] = ["informational", "low", "medium", "high", "critical"];

/** Whether an investigation is still working (queued or running): a view follows it live. */
export function stillWorking(status: InvestigationStatus): boolean {
  return status === "queued" || status === "running";
}

/** Whether an investigation is open (working, or waiting for a decision or a machine): it can
 * be cancelled, and alerts join it. The engine's `InvestigationStatus::is_open`. */
export function isOpen(status: InvestigationStatus): boolean {
  return stillWorking(status) || status === "pending_action" || status === "waiting_for_machine";
}

/** Every investigation status, in the order views list them. */
export const INVESTIGATION_STATUSES: InvestigationStatus[] = [
  "queued",
  "running",
  "pending_action",
  "waiting_for_machine",
  "remediated",
  "partially_remediated",
  "no_threats_found",
  "failed",
  "partially_investigated",
  "terminated_by_system",
  "terminated_by_user",
  "not_applicable",
];
