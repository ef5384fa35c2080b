import { lazy, Suspense, useState } from "react";
import type { InvestigationDetails } from "../../backend";
import type { InvestigationTab } from "../../route";
import { humanize } from "../../lib/format";
import { Badge } from "../common/Badge";
import { Loading } from "../common/States";
import { tabOf } from "./tabs";

// Cytoscape is most of the window's code: it loads when a graph is first shown, not at start.
const InvestigationGraph = lazy(() => import("./InvestigationGraph").then((m) => ({ default: m.InvestigationGraph })));

/** The investigation graph, its legend, and what the selected node is. */
export function GraphTab({
  d,
  selected,
  onSelect,
  onShow,
}: {
  d: InvestigationDetails;
  selected: string | null;
  onSelect: (id: string | null) => void;
  /** Opens the tab that shows a node. */
  onShow: (tab: InvestigationTab, focus: string) => void;
}) {
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const toggle = (id: string) => {
    const next = new Set(expanded);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setExpanded(next);
  };
  const node = d.graph.nodes.find((n) => n.id === selected) ?? null;
  const isCluster = node?.group === "cluster";
  return (
    <div className="graph-wrap">
      <Suspense fallback={<Loading what="the graph" />}>
        <InvestigationGraph nodes={d.graph.nodes} edges={d.graph.edges} selected={selected} onSelect={onSelect} expanded={expanded} onToggle={toggle} />
      </Suspense>
      <aside className="graph-side">
        <GraphLegend />
        {node ? (
          <div className="node-detail" data-testid="node-detail">
            <h3 className="break">{node.label}</h3>
            <p className="muted">{isCluster ? `${node.size.toLocaleString()} alike, drawn as one` : `${humanize(node.group)} · ${humanize(node.kind)}`}</p>
            {node.verdict && (
              <p>
                Verdict: <Badge value={node.verdict} />
              </p>
            )}
            {node.remediation_status && (
              <p>
                Remediation: <Badge value={node.remediation_status} />
              </p>
            )}
            <div className="button-row">
              {isCluster && (
                <button type="button" data-testid="toggle-cluster" onClick={() => toggle(node.id)}>
                  {expanded.has(node.id) ? "Collapse" : `Show all ${node.size.toLocaleString()}`}
                </button>
              )}
              <button
                type="button"
                onClick={() => {
                  const target = tabOf(node, d);
                  onShow(target.tab, target.focus);
                }}
              >
                Show in its tab
              </button>
            </div>
          </div>
        ) : (
          <p className="muted small">Select a node to see what it is. A node with a number stands for many alike: click it to open it.</p>
        )}
      </aside>
    </div>
  );
}

function GraphLegend() {
  const items: [string, string][] = [
    ["malicious", "Malicious"],
    ["suspicious", "Suspicious"],
    ["pending", "Waiting for approval"],
    ["remediated", "Remediated"],
    ["clean", "No threats found"],
    ["neutral", "Machine / user"],
  ];
  return (
    <ul className="legend" aria-label="Legend">
      {items.map(([tone, label]) => (
        <li key={tone}>
          <span className={`dot ${tone}`} aria-hidden="true" /> {label}
        </li>
      ))}
      <li className="muted small">◆ alert · ▭ machine · ● entity · ⬟ action · ▣ many alike</li>
    </ul>
  );
}
