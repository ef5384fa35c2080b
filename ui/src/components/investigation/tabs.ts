// The investigation page's tabs, which of them shows a node of the graph, and how a row
// names the node it shows.
import type { GraphNode, InvestigationDetails } from "../../backend";
import type { InvestigationTab } from "../../route";

export const TABS: { id: InvestigationTab; label: (d: InvestigationDetails) => string }[] = [
  { id: "graph", label: () => "Graph" },
  { id: "findings", label: (d) => `Key findings (${d.key_findings.length})` },
  { id: "pending", label: (d) => `Pending actions (${d.pending_actions.length})` },
  { id: "alerts", label: (d) => `Alerts (${d.alerts.length})` },
  { id: "machines", label: (d) => `Machines (${d.machines.length})` },
  { id: "users", label: (d) => `Users (${d.users.length})` },
  { id: "entities", label: (d) => `Entities (${d.entities.length})` },
  { id: "log", label: (d) => `Log (${d.log.length})` },
];

/**
 * The graph's id of an entity's node (an account is drawn as its user's node instead): a
 * row carries its node's id in `data-node`, and the graph points at the row by it.
 */
export const entityNode = (id: number) => `entity:${id}`;
/** The graph's id of a machine's node (machine names are matched without case). */
export const machineNode = (name: string) => `machine:${name.toLowerCase()}`;
/** The graph's id of a user's node. */
export const userNode = (name: string) => `user:${name}`;

/** A row's class, with `focus` added when it is the row the graph pointed at. */
export function focusClass(focused: boolean, base?: string): string | undefined {
  if (!focused) return base;
  return base ? `${base} focus` : "focus";
}

/** Which tab shows a graph node, and the row to point at. */
export function tabOf(node: GraphNode, d: InvestigationDetails): { tab: InvestigationTab; focus: string } {
  switch (node.group) {
    case "alert":
      return { tab: "alerts", focus: node.id };
    case "machine":
      return { tab: "machines", focus: node.id };
    case "user":
      return { tab: "users", focus: node.id };
    case "finding":
      return { tab: "findings", focus: node.id };
    case "cluster": {
      // A cluster is shown where its members are: its first member opens its group there.
      const first = d.graph.nodes.find((n) => n.cluster === node.id);
      return first ? tabOf(first, d) : { tab: "entities", focus: node.id };
    }
    case "action": {
      const id = Number(node.id.split(":")[1]);
      const pending = d.pending_actions.some((a) => a.id === id);
      return { tab: pending ? "pending" : "entities", focus: node.id };
    }
    default:
      return { tab: "entities", focus: node.id };
  }
}
