// Key findings as the page shows them: ranked, like ones folded into their group, and what
// the admin can still do about each.
import type { ActionState, ActionView, EntityView, FindingGroup } from "../backend";

/** One row of the key findings: a finding alone, or a group of like ones decided as one. */
export type FindingRow =
  | { kind: "one"; entity: EntityView }
  | { kind: "group"; group: FindingGroup; members: EntityView[] };

/**
 * The rows in the engine's rank (the culprit first); a group takes the place of its
 * highest-ranked member, and its members keep their rank inside it.
 */
export function findingRows(findings: EntityView[], groups: FindingGroup[], entities: EntityView[] = []): FindingRow[] {
  const byId = new Map<number, EntityView>();
  for (const e of entities) byId.set(e.id, e);
  for (const e of findings) byId.set(e.id, e);
  const groupOf = new Map<number, FindingGroup>();
  for (const g of groups) for (const id of g.entity_ids) groupOf.set(id, g);
  const rank = new Map(findings.map((e, i) => [e.id, i]));
  const rows: FindingRow[] = [];
  const placed = new Set<string>();
  for (const e of findings) {
    const group = groupOf.get(e.id) ?? groups.find((g) => g.id === e.group);
    if (!group) {
      rows.push({ kind: "one", entity: e });
      continue;
    }
    if (placed.has(group.id)) continue;
    placed.add(group.id);
    const members = group.entity_ids
      .map((id) => byId.get(id))
      .filter((m): m is EntityView => m !== undefined)
      .sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity));
    rows.push({ kind: "group", group, members });
  }
  return rows;
}

/** Action states in which an entity is already being dealt with (Vigil proposes nothing more). */
const OPEN: ActionState[] = ["pending", "approved", "waiting_for_machine", "running", "succeeded"];

/** The actions of an investigation on one entity that are still open or done. */
export function openActionsOn(entity: number, actions: ActionView[]): ActionView[] {
  return actions.filter((a) => a.entity_id === entity && OPEN.includes(a.state));
}

/**
 * A label inside a sentence: "Service" → "service", "Run key" → "run key"; a first word
 * with capitals of its own stays ("WMI subscription", "PowerShell script", "IP address").
 */
export function lowerFirst(label: string): string {
  const first = label.split(" ")[0] ?? "";
  if (first.slice(1) !== first.slice(1).toLowerCase()) return label;
  return label.charAt(0).toLowerCase() + label.slice(1);
}

/** What remediating a finding does, in words: the verb (a button) and the whole sentence. */
export type Remediation = { verb: string; what: string };

/**
 * What Vigil would do to a finding the admin remediates by hand, or null where it has no
 * action for that kind of entity (an antivirus detection, a service ticket, a script: they
 * are dealt with through the process, file or account behind them). Mirrors the engine's
 * `propose::action_for`.
 */
export function remediationFor(e: EntityView): Remediation | null {
  const on = e.machine ? ` on ${e.machine}` : "";
  const pid = e.pid !== null && !e.name.includes(`(${e.pid})`) ? ` (${e.pid})` : "";
  const of = (verb: string, target: string, where = on): Remediation => ({ verb, what: `${verb} ${target}${where}` });
  switch (e.kind) {
    case "file":
      return of("Quarantine file", e.path ?? e.name);
    case "process":
      return of("Stop process", `${e.name}${pid}`);
    case "persistence":
      return { verb: `Remove ${lowerFirst(e.kind_label || "persistence")}`, what: `Remove ${lowerFirst(e.kind_label || "persistence")} ${e.name}${on}` };
    case "registry_value":
      return of("Delete registry value", e.name);
    case "bits_job":
      return of("Cancel BITS job", e.name);
    case "url":
      return of("Block URL", e.name, "");
    case "domain":
      return of("Block domain", e.name, "");
    case "ip":
      return of("Block IP address", e.name, "");
    case "user":
      return of("Disable user", e.name, "");
    case "email_message":
      return of("Soft-delete email", e.name, "");
    default:
      return null;
  }
}
