// Layout of a 1,000-node investigation graph with cytoscape, headless (no drawing):
// run with `npx vitest bench --run`.
import cytoscape from "cytoscape";
import { bench, describe } from "vitest";
import type { GraphEdge, GraphNode } from "../../backend";
import { elements, layout } from "./InvestigationGraph";

const nodes: GraphNode[] = [{ id: "alert:1", group: "alert", kind: "high", label: "Alert", verdict: null, remediation_status: null, cluster: null, size: 1 }];
const edges: GraphEdge[] = [];
for (let i = 1; i < 1000; i++) {
  nodes.push({ id: `entity:${i}`, group: "entity", kind: i % 3 === 0 ? "file" : "process", label: `entity ${i}`, verdict: "suspicious", remediation_status: "none", cluster: null, size: 1 });
  const parent = i < 10 ? "alert:1" : `entity:${Math.floor(i / 10)}`;
  edges.push({ source: parent, target: `entity:${i}`, label: "spawned" });
}

describe("investigation graph, 1,000 nodes", () => {
  bench("build and lay out (breadthfirst)", () => {
    const cy = cytoscape({ headless: true, styleEnabled: true, elements: elements(nodes, edges) });
    layout(cy);
    cy.destroy();
  });
});
