import { useEffect, useRef } from "react";
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import type { GraphEdge, GraphNode } from "../../backend";
import { currentTheme } from "../../lib/theme";

/** Longest label drawn in full; longer ones are cut, with the full text in a tooltip and the side panel. */
export const LABEL_CHARS = 24;

/** Rings of the large-graph layout, centre first: what started it, where, what was found, who, what to do. */
const RINGS = ["alert", "machine", "finding", "entity", "user", "action"];

/** How wide a label may be drawn (longer text ends in an ellipsis). */
export const LABEL_WIDTH = 96;

/** Centre-to-centre distance that keeps two labelled nodes apart, whatever their angle. */
export const NODE_DISTANCE = Math.ceil(Math.hypot(LABEL_WIDTH, 46)) + 14;

export function shortLabel(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

/** The colour class of a node: remediation first (what happened), then the verdict. */
export function nodeTone(node: GraphNode): string {
  switch (node.remediation_status) {
    case "remediated":
      return "remediated";
    case "failed":
      return "failed";
    default:
      break;
  }
  switch (node.verdict) {
    case "malicious":
      return "malicious";
    case "suspicious":
      return "suspicious";
    case "no_threats_found":
      return "clean";
    default:
      return "neutral";
  }
}

export function elements(nodes: GraphNode[], edges: GraphEdge[]): ElementDefinition[] {
  const ids = new Set(nodes.map((n) => n.id));
  return [
    ...nodes.map((n) => ({
      group: "nodes" as const,
      data: {
        id: n.id,
        label: shortLabel(n.label),
        full: n.label,
        kind: n.group,
        tone: nodeTone(n),
        waiting: n.remediation_status === "pending_approval" ? "yes" : "no",
      },
    })),
    ...edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ group: "edges" as const, data: { id: `${e.source}->${e.target}`, source: e.source, target: e.target, label: e.label } })),
  ];
}

function palette() {
  return currentTheme() === "dark"
    ? { text: "#e6e9ee", edge: "#4b5563", bg: "#171c23", malicious: "#f87171", suspicious: "#f59e0b", remediated: "#4ade80", pending: "#f59e0b", failed: "#f87171", clean: "#64748b", neutral: "#6d93ff" }
    : { text: "#1b1f24", edge: "#9aa4b2", bg: "#ffffff", malicious: "#dc2626", suspicious: "#d97706", remediated: "#16a34a", pending: "#d97706", failed: "#dc2626", clean: "#94a3b8", neutral: "#1f4fd1" };
}

export function style(): cytoscape.StylesheetJson {
  const p = palette();
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        color: p.text,
        "font-size": 13,
        "min-zoomed-font-size": 5,
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-wrap": "ellipsis",
        "text-max-width": `${LABEL_WIDTH}px`,
        "background-color": p.neutral,
        width: 26,
        height: 26,
        "border-width": 2,
        "border-color": p.bg,
      },
    },
    { selector: 'node[kind = "alert"]', style: { shape: "diamond", width: 34, height: 34, "background-color": p.malicious } },
    { selector: 'node[kind = "machine"]', style: { shape: "round-rectangle", width: 40, height: 26, "background-color": p.neutral } },
    { selector: 'node[kind = "user"]', style: { shape: "ellipse", "background-color": p.neutral } },
    { selector: 'node[kind = "action"]', style: { shape: "tag", width: 20, height: 20 } },
    { selector: 'node[tone = "malicious"]', style: { "background-color": p.malicious } },
    { selector: 'node[tone = "suspicious"]', style: { "background-color": p.suspicious } },
    { selector: 'node[waiting = "yes"]', style: { "border-color": p.text, "border-style": "dashed", "border-width": 2 } },
    { selector: 'node[tone = "remediated"]', style: { "background-color": p.remediated } },
    { selector: 'node[tone = "failed"]', style: { "background-color": p.failed, "border-color": p.text } },
    { selector: 'node[tone = "clean"]', style: { "background-color": p.clean } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": p.text } },
    {
      selector: "edge",
      style: {
        width: 1.5,
        "line-color": p.edge,
        "target-arrow-color": p.edge,
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        "curve-style": "bezier",
      },
    },
  ];
}

function ring(kind: string): number {
  const at = RINGS.indexOf(kind);
  return RINGS.length - (at < 0 ? RINGS.length : at);
}

/**
 * Rings by kind: the alerts in the centre, then machines, findings, other evidence, users
 * and actions, each ring wide enough that no two nodes or labels overlap however many there
 * are. Spacing is computed from the label width, not measured, so it is the same wherever
 * it runs.
 */
export function layout(cy: Core) {
  const largest = Math.max(0, ...cy.nodes().map((n) => Math.max(n.width(), n.height())));
  cy.layout({
    name: "concentric",
    concentric: (node) => ring(node.data("kind") as string),
    levelWidth: () => 1,
    minNodeSpacing: Math.max(10, NODE_DISTANCE - largest),
    padding: 30,
    avoidOverlap: true,
    nodeDimensionsIncludeLabels: false,
    startAngle: (3 / 2) * Math.PI,
    animate: false,
  }).run();
}

/**
 * The investigation graph. Labels are drawn on a canvas, never parsed as HTML. A new set
 * of nodes is laid out again; a change of verdict or remediation only recolours in place.
 */
export function InvestigationGraph({
  nodes,
  edges,
  selected,
  onSelect,
}: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  selected: string | null;
  onSelect: (id: string | null) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;

  useEffect(() => {
    if (!container.current) return;
    const cy = cytoscape({
      container: container.current,
      style: style(),
      minZoom: 0.2,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
    cy.on("tap", "node", (e) => onSelectRef.current(e.target.id() as string));
    // The full label of a cut one, as the pointer's tooltip.
    cy.on("mouseover", "node", (e) => {
      if (container.current) container.current.title = e.target.data("full") as string;
    });
    cy.on("mouseout", "node", () => {
      if (container.current) container.current.title = "";
    });
    cy.on("tap", (e) => {
      if (e.target === cy) onSelectRef.current(null);
    });
    cyRef.current = cy;
    return () => {
      cy.destroy();
      cyRef.current = null;
    };
  }, []);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const next = elements(nodes, edges);
    const same =
      cy.nodes().length === nodes.length && nodes.every((n) => cy.getElementById(n.id).nonempty()) && cy.edges().length === next.length - nodes.length;
    if (same) {
      cy.batch(() => {
        for (const el of next) {
          if (el.group === "nodes") cy.getElementById(el.data.id as string).data(el.data);
        }
      });
    } else {
      cy.elements().remove();
      cy.add(next);
      layout(cy);
      cy.fit(undefined, 30);
    }
  }, [nodes, edges]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.nodes().unselect();
    if (selected) cy.getElementById(selected).select();
  }, [selected, nodes]);

  return <div ref={container} className="graph" data-testid="investigation-graph" role="img" aria-label="Investigation graph" />;
}
