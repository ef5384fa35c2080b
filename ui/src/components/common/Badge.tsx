import { humanize } from "../../lib/format";

const TONES: Record<string, "critical" | "danger" | "warn" | "ok" | "info" | "muted"> = {
  // verdicts
  malicious: "danger",
  suspicious: "warn",
  no_threats_found: "ok",
  unknown: "muted",
  // remediation
  pending_approval: "warn",
  waiting_for_machine: "warn",
  remediated: "ok",
  declined: "muted",
  failed: "danger",
  not_found: "muted",
  undone: "muted",
  running: "info",
  none: "muted",
  // investigation status
  queued: "info",
  pending_action: "warn",
  partially_remediated: "warn",
  partially_investigated: "warn",
  terminated_by_system: "muted",
  terminated_by_user: "muted",
  not_applicable: "muted",
  // actions
  pending: "warn",
  approved: "info",
  rejected: "muted",
  expired: "muted",
  succeeded: "ok",
  // severity and risk
  critical: "critical",
  high: "danger",
  medium: "warn",
  low: "info",
  informational: "muted",
  // alerts
  new: "warn",
  in_progress: "info",
  resolved: "ok",
};

/** A coloured word for a state; colour is never the only signal (the word is there). */
export function Badge({ value, label }: { value: string; label?: string }) {
  const tone = TONES[value] ?? "muted";
  return (
    <span className={`badge ${tone}`} data-badge={value}>
      {label ?? humanize(value)}
    </span>
  );
}
