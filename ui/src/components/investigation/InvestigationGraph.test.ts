// The investigation graph stays readable: laid out headless (the same layout the window
// runs), no two nodes' boxes — labels included — overlap, at 12, 40 and 100 nodes; kinds
// keep to their lanes; the graph fills its frame.
import cytoscape, { type Core } from "cytoscape";
import { afterEach, describe, expect, it } from "vitest";
import type { GraphEdge, GraphNode } from "../../backend";
import { elements, layout, LABEL_CHARS, LABEL_WIDTH, shortLabel, style } from "./InvestigationGraph";

function investigationGraph(size: number): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const node = (id: string, group: string, kind: string, label: string, verdict: GraphNode["verdict"] = null) =>
    nodes.push({ id, group, kind, label, verdict, remediation_status: verdict === "malicious" ? "pending_approval" : null, cluster: null, size: 1 });
  node("alert:1", "alert", "high", "Office application started a script host from a temp folder");
  node("alert:2", "alert", "medium", "Encoded PowerShell");
  node("machine:client4", "machine", "machine", "client4");
  node("machine:fs1", "machine", "machine", "fileserver-01.northwind.local");
  edges.push({ source: "alert:1", target: "machine:client4", label: "on" }, { source: "alert:2", target: "machine:fs1", label: "on" });
  let i = 0;
  while (nodes.length < size) {
    i += 1;
    const at = i % 10;
    if (at < 4) {
      node(`entity:f${i}`, "finding", "file", `C:\\Users\\alice\\AppData\\Local\\Temp\\dropper-${i}-with-a-long-name.exe`, "malicious");
      edges.push({ source: i % 2 ? "machine:client4" : "machine:fs1", target: `entity:f${i}`, label: "has" });
    } else if (at < 8) {
      node(`entity:p${i}`, "entity", "process", `powershell.exe -enc ${"A".repeat(40)} ${i}`, "no_threats_found");
      edges.push({ source: nodes[Math.max(4, nodes.length - 3)].id, target: `entity:p${i}`, label: "spawned" });
    } else if (at === 8) {
      node(`user:u${i}`, "user", "user", `NORTHWIND\\user${i}`);
      edges.push({ source: "machine:client4", target: `user:u${i}`, label: "logged on" });
    } else {
      node(`action:${i}`, "action", "quarantine_file", `Quarantine file ${i}`);
      edges.push({ source: nodes[4].id, target: `action:${i}`, label: "remediate" });
    }
  }
  return { nodes, edges };
}

let cy: Core | null = null;
afterEach(() => {
  cy?.destroy();
  cy = null;
});

function laidOut(size: number): Core {
  const { nodes, edges } = investigationGraph(size);
  cy = cytoscape({ headless: true, styleEnabled: true, style: style(), elements: elements(nodes, edges) });
  layout(cy);
  return cy;
}

// Headless cytoscape has no renderer to measure labels, so the box of each node is its own
// box plus its label as the window draws it: below the node (4 px margin), 13 px text at
// most 0.62 em a character (wide sans-serif), cut at LABEL_WIDTH, 1.25 lines high.
function box(n: cytoscape.NodeSingular) {
  const own = n.boundingBox({ includeLabels: false });
  const label = n.data("label") as string;
  const w = Math.min(LABEL_WIDTH, label.length * 13 * 0.62);
  const x = n.position("x");
  return { x1: Math.min(own.x1, x - w / 2), x2: Math.max(own.x2, x + w / 2), y1: own.y1, y2: own.y2 + 4 + 13 * 1.25 };
}

function overlaps(graph: Core): string[] {
  const boxes = graph.nodes().map((n) => ({ id: n.id(), box: box(n) }));
  const found: string[] = [];
  for (let a = 0; a < boxes.length; a++) {
    for (let b = a + 1; b < boxes.length; b++) {
      const p = boxes[a].box;
      const q = boxes[b].box;
      if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) found.push(`${boxes[a].id} × ${boxes[b].id}`);
    }
  }
  return found;
}

describe("investigation graph layout", () => {
  it("finds overlaps when there are some", () => {
    const graph = laidOut(12);
    const [a, b] = graph.nodes('[kind = "machine"]').toArray();
    b.position({ x: a.position("x") + LABEL_WIDTH / 2, y: a.position("y") + 10 });
    expect(overlaps(graph)).toEqual([`${a.id()} × ${b.id()}`]);
  });

  it.each([12, 40, 100])("%i nodes: no two node boxes overlap, labels included", (size) => {
    const graph = laidOut(size);
    expect(graph.nodes().length).toBe(size);
    // The boxes are real: labels make them wider than the node itself.
    const alert = box(graph.getElementById("alert:1"));
    expect(alert.x2 - alert.x1).toBe(LABEL_WIDTH);
    expect(overlaps(graph)).toEqual([]);
  });

  it("puts each kind in its own lane, in the order of the story", () => {
    const graph = laidOut(40);
    const span = (kinds: string[]) => {
      const xs = graph.nodes(kinds.map((k) => `[kind = "${k}"]`).join(", ")).map((n) => n.position("x"));
      return [Math.min(...xs), Math.max(...xs)];
    };
    const lanes = [["alert"], ["machine", "user"], ["finding"], ["entity"], ["action"]].map(span);
    for (let i = 1; i < lanes.length; i++) expect(lanes[i][0]).toBeGreaterThan(lanes[i - 1][1]);
  });

  it("has about the shape of its frame, so it fills it at a readable zoom", () => {
    for (const aspect of [1.6, 1]) {
      const { nodes } = investigationGraph(100);
      const graph = cytoscape({ headless: true, styleEnabled: true, style: style(), elements: elements(nodes, []) });
      layout(graph, aspect);
      const box = graph.nodes().boundingBox({});
      expect(box.w / box.h).toBeGreaterThan(aspect / 1.6);
      expect(box.w / box.h).toBeLessThan(aspect * 1.6);
      // In a 1,000 px wide frame, 13 px labels of 100 nodes stay readable (8.5 px or more at 1.6:1).
      const zoom = Math.min(1000 / box.w, 1000 / aspect / box.h);
      expect(13 * zoom).toBeGreaterThanOrEqual(aspect === 1.6 ? 8.5 : 9.5);
      graph.destroy();
    }
  });

  it("cuts long labels and keeps the full text", () => {
    const long = "C:\\Users\\alice\\AppData\\Local\\Temp\\dropper.exe";
    const cut = shortLabel(long);
    expect(cut.length).toBe(LABEL_CHARS);
    expect(cut.endsWith("…")).toBe(true);
    const [el] = elements([{ id: "entity:1", group: "entity", kind: "file", label: long, verdict: null, remediation_status: null, cluster: null, size: 1 }], []);
    expect(el.data.full).toBe(long);
  });
});

describe("investigation graph clusters", () => {
  // An alert, a machine, the process that wrote 200 files (a cluster) and an action per file
  // in a second cluster.
  function clustered(members: number): { nodes: GraphNode[]; edges: GraphEdge[] } {
    const node = (id: string, group: string, label: string, over: Partial<GraphNode> = {}): GraphNode => ({
      id,
      group,
      kind: group,
      label,
      verdict: null,
      remediation_status: null,
      cluster: null,
      size: 1,
      ...over,
    });
    const nodes: GraphNode[] = [
      node("alert:1", "alert", "Ransomware behaviour"),
      node("machine:ws01", "machine", "ws01"),
      node("entity:1", "finding", "evil.exe (4120)", { verdict: "malicious" }),
      node("cluster:files", "cluster", "Files written by evil.exe (4120)", { kind: "file", verdict: "malicious", size: members }),
      node("cluster:actions", "cluster", "Quarantine files", { kind: "action", size: members }),
    ];
    const edges: GraphEdge[] = [
      { source: "alert:1", target: "machine:ws01", label: "on" },
      { source: "alert:1", target: "entity:1", label: "evidence" },
    ];
    for (let i = 0; i < members; i++) {
      nodes.push(node(`entity:f${i}`, "finding", `C:\\Users\\alice\\Documents\\report-${i}.docx.locked`, { kind: "file", verdict: "malicious", cluster: "cluster:files" }));
      nodes.push(node(`action:${i}`, "action", `Quarantine file ${i}`, { kind: "quarantine_file", cluster: "cluster:actions" }));
      edges.push({ source: "entity:1", target: `entity:f${i}`, label: "wrote" }, { source: `entity:f${i}`, target: `action:${i}`, label: "remediate" });
    }
    return { nodes, edges };
  }

  function drawn(expanded: string[]): Core {
    const { nodes, edges } = clustered(200);
    cy = cytoscape({ headless: true, styleEnabled: true, style: style(), elements: elements(nodes, edges, new Set(expanded)) });
    layout(cy);
    return cy;
  }

  it("draws a cluster of 200 as one node, labelled with its count, its members' edges drawn to it once", () => {
    const graph = drawn([]);
    expect(graph.nodes().length).toBeLessThanOrEqual(150);
    expect(graph.nodes().length).toBe(5);
    const files = graph.getElementById("cluster:files");
    expect(files.data("full")).toContain("200 × Files written by evil.exe (4120)");
    expect(files.data("label")).toBe(shortLabel("200 × Files written by evil.exe (4120)"));
    // 200 "wrote" edges become one; the members' 200 "remediate" edges, one between the clusters.
    expect(graph.edges().map((e) => e.id()).sort()).toEqual(
      ["alert:1->entity:1", "alert:1->machine:ws01", "cluster:files->cluster:actions", "entity:1->cluster:files"].sort(),
    );
    // It sits in the lane of what it holds (findings), not after the actions.
    expect(files.position("x")).toBeLessThan(graph.getElementById("cluster:actions").position("x"));
  });

  it("draws all 200 members inside the cluster when it is opened, and nothing else inside its frame", () => {
    const graph = drawn(["cluster:files"]);
    const files = graph.getElementById("cluster:files");
    expect(files.isParent()).toBe(true);
    expect(files.children().length).toBe(200);
    expect(graph.nodes().length).toBe(5 + 200);
    expect(graph.edges('[source = "entity:1"]').length).toBe(200);
    // Members are laid out without overlapping each other or anything else…
    const placed = graph.nodes().toArray().filter((n) => !n.isParent());
    const boxes = placed.map((n) => ({ id: n.id(), box: box(n) }));
    for (let a = 0; a < boxes.length; a++) {
      for (let b = a + 1; b < boxes.length; b++) {
        const p = boxes[a]!.box;
        const q = boxes[b]!.box;
        expect(p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2, `${boxes[a]!.id} × ${boxes[b]!.id}`).toBe(false);
      }
    }
    // …and the cluster's frame holds no node that is not one of its members.
    const frame = files.boundingBox({ includeLabels: false });
    const outsiders = graph.nodes().filter((n) => n.id() !== "cluster:files" && !n.isChild());
    for (const n of outsiders) {
      const { x, y } = n.position();
      expect(x > frame.x1 && x < frame.x2 && y > frame.y1 && y < frame.y2, n.id()).toBe(false);
    }
  });

  it("collapses it again", () => {
    const { nodes, edges } = clustered(200);
    expect(elements(nodes, edges, new Set(["cluster:files"])).filter((e) => e.group === "nodes")).toHaveLength(205);
    expect(elements(nodes, edges, new Set()).filter((e) => e.group === "nodes")).toHaveLength(5);
  });

  it("draws alerts drawn as one as an alert, not as a machine", () => {
    const nodes: GraphNode[] = [
      { id: "machine:ws01", group: "machine", kind: "machine", label: "ws01", verdict: null, remediation_status: null, cluster: null, size: 1 },
      { id: "cluster:entity:1:alerts", group: "cluster", kind: "high", label: "3 alerts about Service Updater", verdict: null, remediation_status: null, cluster: null, size: 3 },
    ];
    for (let i = 0; i < 3; i++) {
      nodes.push({ id: `alert:${i}`, group: "alert", kind: "high", label: `Alert ${i}`, verdict: null, remediation_status: null, cluster: "cluster:entity:1:alerts", size: 1 });
    }
    const edges = [0, 1, 2].map((i) => ({ source: `alert:${i}`, target: "machine:ws01", label: "on" }));
    cy = cytoscape({ headless: true, styleEnabled: true, style: style(), elements: elements(nodes, edges, new Set()) });
    const alerts = cy.getElementById("cluster:entity:1:alerts");
    const machine = cy.getElementById("machine:ws01");
    expect(alerts.style("shape")).toBe("diamond");
    expect(alerts.style("background-color")).not.toBe(machine.style("background-color"));
    expect(cy.edges().length).toBe(1);
  });

  it("uses the label as it is when it already says how many", () => {
    const [el] = elements([{ id: "cluster:1", group: "cluster", kind: "file", label: "37 files written by evil.exe (4120)", verdict: null, remediation_status: null, cluster: null, size: 37 }], []);
    expect(el?.data.full).toMatch(/^37 files written by evil.exe \(4120\) — click/);
  });
});
