// Pending actions as lists show them: actions proposed together for like entities are one row.
import type { ActionView } from "../backend";

export type ActionRow =
  | { kind: "one"; action: ActionView }
  | { kind: "group"; id: string; label: string; members: ActionView[] };

/** The rows in the order given; a group takes the place of its first member. */
export function actionRows(actions: ActionView[]): ActionRow[] {
  const rows: ActionRow[] = [];
  const groups = new Map<string, ActionView[]>();
  for (const a of actions) {
    if (!a.group) {
      rows.push({ kind: "one", action: a });
      continue;
    }
    const members = groups.get(a.group);
    if (members) {
      members.push(a);
      continue;
    }
    const fresh = [a];
    groups.set(a.group, fresh);
    rows.push({ kind: "group", id: a.group, label: a.group_label ?? a.label, members: fresh });
  }
  // A group of one is just an action.
  return rows.map((r) => (r.kind === "group" && r.members.length === 1 ? { kind: "one", action: r.members[0] as ActionView } : r));
}
