import { useEffect, useRef } from "react";
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import type { GraphEdge, GraphNode } from "../../backend";
import { currentTheme } from "../../lib/theme";
import { revealed } from "../../lib/reveal";

/** Longest label drawn in full; longer ones are cut, with the full text in a tooltip and the side panel. */
export const LABEL_CHARS = 28;

/** Lanes of the layout, left to right: what started it, where and who, what was found, the rest of the evidence, what to do. */
const LANES: string[][] = [["alert"], ["machine", "user"], ["finding"], ["entity"], ["action"]];

/** How wide a label may be drawn (longer text ends in an ellipsis). */
export const LABEL_WIDTH = 124;

/** A column of the layout: the widest label and a gap. */
export const COLUMN_WIDTH = LABEL_WIDTH + 34;
/** A row of the layout: the tallest node (34), its label (about 20) and a gap. */
export const ROW_HEIGHT = 66;
/** Extra room between two lanes, so that kinds read as groups. */
const LANE_GAP = 50;

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

/**
 * How a cluster reads: the number it holds first (a long label is cut at its end), unless
 * its label already says it.
 */
export function clusterLabel(n: GraphNode): string {
  return new RegExp(`(^|\\D)${n.size}(\\D|$)`).test(n.label) ? n.label : `${n.size.toLocaleString()} × ${n.label}`;
}

/**
 * What cytoscape draws. A cluster is collapsed unless `expanded` names it: one node that
 * stands for its members, which are left out, their edges drawn to it (once). An expanded
 * cluster is a compound node with its members inside.
 */
export function elements(nodes: GraphNode[], edges: GraphEdge[], expanded: ReadonlySet<string> = new Set()): ElementDefinition[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // The node drawn for a node: itself, or the outermost collapsed cluster holding it.
  const drawnAs = (id: string): string | null => {
    let n = byId.get(id);
    if (!n) return null;
    let shown = id;
    const seen = new Set<string>();
    while (n.cluster && !seen.has(n.id)) {
      seen.add(n.id);
      const cluster = byId.get(n.cluster);
      if (!cluster) break;
      if (!expanded.has(cluster.id)) shown = cluster.id;
      n = cluster;
    }
    return shown;
  };
  // A cluster sits in the lane of what it holds.
  const laneOf = (n: GraphNode): string => {
    if (n.group !== "cluster") return n.group;
    const member = nodes.find((m) => m.cluster === n.id && m.group !== "cluster");
    return member?.group ?? "entity";
  };
  const out: ElementDefinition[] = [];
  for (const n of nodes) {
    if (drawnAs(n.id) !== n.id) continue;
    const cluster = n.group === "cluster";
    const open = cluster && expanded.has(n.id);
    // A canvas cannot flag: hidden and look-alike characters are written out (lib/reveal).
    const label = revealed(cluster ? clusterLabel(n) : n.label);
    out.push({
      group: "nodes",
      data: {
        id: n.id,
        label: shortLabel(label),
        full: cluster ? `${label} — click to ${open ? "collapse" : "show them"}` : label,
        kind: n.group,
        lane: laneOf(n),
        tone: nodeTone(n),
        waiting: n.remediation_status === "pending_approval" || n.remediation_status === "waiting_for_machine" ? "yes" : "no",
        // An alert's kind is its severity.
        ...(n.group === "alert" ? { severity: n.kind } : {}),
        ...(cluster ? { expanded: open ? "yes" : "no", size: n.size } : {}),
        ...(n.cluster && byId.has(n.cluster) ? { parent: n.cluster } : {}),
      },
    });
  }
  const drawn = new Set<string>();
  for (const e of edges) {
    const source = drawnAs(e.source);
    const target = drawnAs(e.target);
    if (!source || !target || source === target) continue;
    const id = `${source}->${target}`;
    if (drawn.has(id)) continue;
    drawn.add(id);
    out.push({ group: "edges", data: { id, source, target, label: e.label } });
  }
  return out;
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
    { selector: 'node[kind = "alert"][severity = "critical"]', style: { width: 42, height: 42, "border-width": 3, "border-color": p.text } },
    { selector: 'node[kind = "machine"]', style: { shape: "round-rectangle", width: 40, height: 26, "background-color": p.neutral } },
    { selector: 'node[kind = "user"]', style: { shape: "ellipse", "background-color": p.neutral } },
    { selector: 'node[kind = "action"]', style: { shape: "tag", width: 20, height: 20 } },
    // Many alike drawn as one: a larger square with a double border.
    { selector: 'node[kind = "cluster"]', style: { shape: "round-rectangle", width: 40, height: 30, "border-width": 4, "border-style": "double", "border-color": p.text } },
    // Alerts drawn as one stay alerts: a diamond, double-bordered.
    { selector: 'node[kind = "cluster"][lane = "alert"]', style: { shape: "diamond", width: 42, height: 42, "background-color": p.malicious } },
    { selector: 'node[tone = "malicious"]', style: { "background-color": p.malicious } },
    { selector: 'node[tone = "suspicious"]', style: { "background-color": p.suspicious } },
    { selector: 'node[waiting = "yes"]', style: { "border-color": p.text, "border-style": "dashed", "border-width": 2 } },
    { selector: 'node[tone = "remediated"]', style: { "background-color": p.remediated } },
    { selector: 'node[tone = "failed"]', style: { "background-color": p.failed, "border-color": p.text } },
    { selector: 'node[tone = "clean"]', style: { "background-color": p.clean } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": p.text } },
    // An opened cluster: a dashed frame around its members, its label above.
    {
      selector: 'node[kind = "cluster"][expanded = "yes"]',
      style: {
        "background-color": p.neutral,
        "background-opacity": 0.06,
        "border-width": 1.5,
        "border-style": "dashed",
        "border-color": p.edge,
        "text-valign": "top",
        "text-margin-y": -6,
        "text-max-width": "400px",
        padding: "16px",
      },
    },
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

/**
 * Where each node goes: one lane per kind, left to right in the order of the story, each
 * lane a stack of rows that wraps into more columns when it is long. The number of rows is
 * picked so that the whole graph has about the shape of its frame (`aspect` = width /
 * height), so it fills the frame at a readable zoom. Nodes sit on a grid of cells wider and
 * taller than any node with its label: nothing overlaps, at any size.
 */
export function lanePositions(
  nodes: { id: string; kind: string; block?: string | null }[],
  aspect: number,
): Map<string, { x: number; y: number }> {
  // A block (the members of an opened cluster) is a lane of its own, right after the lane
  // of its kind, so that its frame holds nothing else.
  const blocks = new Map<string, { id: string; kind: string }[]>();
  for (const n of nodes) {
    if (!n.block) continue;
    const block = blocks.get(n.block);
    if (block) block.push(n);
    else blocks.set(n.block, [n]);
  }
  const loose = nodes.filter((n) => !n.block);
  const known = new Set(LANES.flat());
  const lanes: { id: string; kind: string }[][] = [];
  const laneKinds = [...LANES, null];
  for (const kinds of laneKinds) {
    const inLane = (kind: string) => (kinds ? kinds.includes(kind) : !known.has(kind));
    lanes.push(loose.filter((n) => inLane(n.kind)));
    for (const block of blocks.values()) if (block[0] && inLane(block[0].kind)) lanes.push(block);
  }
  const used = lanes.filter((lane) => lane.length > 0);
  const longest = Math.max(1, ...used.map((lane) => lane.length));
  const shape = (rows: number) => {
    const columns = used.reduce((sum, lane) => sum + Math.ceil(lane.length / rows), 0);
    const width = columns * COLUMN_WIDTH + (used.length - 1) * LANE_GAP;
    return width / (rows * ROW_HEIGHT);
  };
  let rows = longest;
  for (let r = 1; r <= longest; r++) {
    if (Math.abs(Math.log(shape(r) / aspect)) < Math.abs(Math.log(shape(rows) / aspect))) rows = r;
  }
  const positions = new Map<string, { x: number; y: number }>();
  let x = 0;
  for (const lane of used) {
    const columns = Math.ceil(lane.length / rows);
    const tallest = Math.ceil(lane.length / columns);
    const top = ((rows - tallest) * ROW_HEIGHT) / 2;
    lane.forEach((node, i) => {
      const column = Math.floor(i / tallest);
      positions.set(node.id, { x: x + column * COLUMN_WIDTH, y: top + (i % tallest) * ROW_HEIGHT });
    });
    x += columns * COLUMN_WIDTH + LANE_GAP;
  }
  return positions;
}

/** Lays the graph out in lanes by kind for a frame of the given shape (width / height). */
export function layout(cy: Core, aspect = 1.6) {
  // An opened cluster's frame follows its members: only nodes that hold none are placed.
  const positions = lanePositions(
    cy
      .nodes()
      .toArray()
      .filter((n) => !n.isParent())
      .map((n) => ({ id: n.id(), kind: (n.data("lane") ?? n.data("kind")) as string, block: n.isChild() ? n.parent().first().id() : null })),
    aspect,
  );
  cy.layout({ name: "preset", positions: Object.fromEntries(positions), padding: 30, animate: false }).run();
}

/**
 * The investigation graph. Labels are drawn on a canvas, never parsed as HTML. A new set
 * of nodes is laid out again; a change of verdict or remediation only recolours in place.
 * Clusters are drawn collapsed unless `expanded` names them; clicking one toggles it.
 */
export function InvestigationGraph({
  nodes,
  edges,
  selected,
  onSelect,
  expanded = NONE,
  onToggle,
}: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  selected: string | null;
  onSelect: (id: string | null) => void;
  /** The clusters drawn open. */
  expanded?: ReadonlySet<string>;
  /** A cluster was clicked: open or close it. */
  onToggle?: (id: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const onToggleRef = useRef(onToggle);
  onToggleRef.current = onToggle;
  const shownOpen = useRef<ReadonlySet<string>>(NONE);

  useEffect(() => {
    if (!container.current) return;
    const cy = cytoscape({
      container: container.current,
      style: style(),
      minZoom: 0.1,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
    // One handler on the core: a tap on a cluster's member reaches it once, as the member.
    cy.on("tap", (e) => {
      const target = e.target as Core | cytoscape.SingularElementArgument;
      if (target === cy) {
        onSelectRef.current(null);
        return;
      }
      const el = target as cytoscape.SingularElementArgument;
      if (!el.isNode()) return;
      onSelectRef.current(el.id());
      if (el.data("kind") === "cluster") {
        // Its tooltip said what a click would do: that is done now.
        if (container.current) container.current.title = "";
        onToggleRef.current?.(el.id());
      }
    });
    // The full label of a cut one, as the pointer's tooltip.
    cy.on("mouseover", "node", (e) => {
      if (container.current) container.current.title = e.target.data("full") as string;
    });
    cy.on("mouseout", "node", () => {
      if (container.current) container.current.title = "";
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
    const next = elements(nodes, edges, expanded);
    const nextNodes = next.filter((el) => el.group === "nodes");
    const same =
      cy.nodes().length === nextNodes.length &&
      nextNodes.every((el) => cy.getElementById(el.data.id as string).nonempty()) &&
      cy.edges().length === next.length - nextNodes.length;
    if (same) {
      cy.batch(() => {
        for (const el of nextNodes) cy.getElementById(el.data.id as string).data(el.data);
      });
    } else {
      cy.elements().remove();
      cy.add(next);
      const frame = container.current;
      layout(cy, frame && frame.clientHeight > 0 ? frame.clientWidth / frame.clientHeight : undefined);
      // A cluster just opened is brought into view; anything else shows the whole graph.
      const opened = [...expanded].find((id) => !shownOpen.current.has(id));
      const cluster = opened ? cy.getElementById(opened) : null;
      if (cluster && cluster.nonempty()) {
        cy.fit(cluster, 40);
        if (cy.zoom() > 1.2) cy.zoom({ level: 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
        cy.center(cluster);
      } else {
        cy.fit(undefined, 30);
      }
    }
    shownOpen.current = expanded;
  }, [nodes, edges, expanded]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.nodes().unselect();
    if (selected) cy.getElementById(selected).select();
  }, [selected, nodes, expanded]);

  return <div ref={container} className="graph" data-testid="investigation-graph" role="img" aria-label="Investigation graph" />;
}

const NONE: ReadonlySet<string> = new Set();
