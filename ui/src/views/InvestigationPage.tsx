import { lazy, Suspense, useEffect, useState } from "react";
import type { Backend, EntityView, GraphNode, InvestigationDetails } from "../backend";
import type { Go, InvestigationTab } from "../route";
import { Badge } from "../components/common/Badge";
import { Empty, LoadError, Loading } from "../components/common/States";
import { PendingActions } from "../components/actions/PendingActions";
import { AlertTable } from "./Alerts";
import { useLive } from "../lib/useLive";
import { formatDuration, formatTime, humanize } from "../lib/format";

// Cytoscape is most of the window's code: it loads when a graph is first shown, not at start.
const InvestigationGraph = lazy(() =>
  import("../components/investigation/InvestigationGraph").then((m) => ({ default: m.InvestigationGraph })),
);

const TABS: { id: InvestigationTab; label: (d: InvestigationDetails) => string }[] = [
  { id: "graph", label: () => "Investigation graph" },
  { id: "alerts", label: (d) => `Alerts (${d.alerts.length})` },
  { id: "machines", label: (d) => `Machines (${d.machines.length})` },
  { id: "users", label: (d) => `Users (${d.users.length})` },
  { id: "findings", label: (d) => `Key findings (${d.key_findings.length})` },
  { id: "entities", label: (d) => `Entities (${d.entities.length})` },
  { id: "log", label: (d) => `Log (${d.log.length})` },
  { id: "pending", label: (d) => `Pending actions (${d.pending_actions.length})` },
];

const OPEN = ["queued", "running"];

/** Which tab shows a graph node, and the row to point at. */
function tabOf(node: GraphNode, d: InvestigationDetails): { tab: InvestigationTab; focus: string } {
  switch (node.group) {
    case "alert":
      return { tab: "alerts", focus: node.id };
    case "machine":
      return { tab: "machines", focus: node.id };
    case "user":
      return { tab: "users", focus: node.id };
    case "finding":
      return { tab: "findings", focus: node.id };
    case "action": {
      const id = Number(node.id.split(":")[1]);
      const pending = d.pending_actions.some((a) => a.id === id);
      return { tab: pending ? "pending" : "entities", focus: node.id };
    }
    default:
      return { tab: "entities", focus: node.id };
  }
}

export function InvestigationPage({
  backend,
  go,
  id,
  tab: initialTab = "graph",
}: {
  backend: Backend;
  go: Go;
  id: number;
  tab?: InvestigationTab;
}) {
  const live = useLive(backend, () => backend.investigation(id), [id]);
  const [tab, setTab] = useState<InvestigationTab>(initialTab);
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const d = live.data;
  const status = d?.status;

  // Live: follow the run (event + a poll every 700 ms while queued or running).
  useEffect(() => {
    if (!status || !OPEN.includes(status)) return;
    const timer = setInterval(live.reload, 700);
    return () => clearInterval(timer);
  }, [status, live.reload]);
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    let stopped = false;
    backend
      .onInvestigationUpdated((updated) => updated === id && live.reload())
      .then((stop) => (stopped ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      unlisten?.();
    };
  }, [backend, id, live.reload]);

  useEffect(() => {
    if (!focus) return;
    const el = [...document.querySelectorAll("[data-node]")].find((n) => n.getAttribute("data-node") === focus);
    el?.scrollIntoView?.({ block: "center" });
  }, [focus, tab]);

  const selectedNode = d?.graph.nodes.find((n) => n.id === selected) ?? null;
  const [cancelling, setCancelling] = useState(false);

  return (
    <section>
      <header className="page-header">
        <p className="crumbs">
          <button type="button" className="link" onClick={() => go({ view: "investigations" })}>
            Investigations
          </button>{" "}
          / #{id}
        </p>
        <h1 data-testid="investigation-title">{d ? d.title : `Investigation #${id}`}</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="the investigation" />}
      {d && (
        <>
          <div className="card summary" data-testid="investigation-summary">
            <dl className="facts row">
              <div>
                <dt>Status</dt>
                <dd data-testid="investigation-status" data-status={d.status}>
                  {OPEN.includes(d.status) && <span className="spinner" aria-hidden="true" />}
                  <Badge value={d.status} />
                </dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{formatTime(d.started_at ?? d.created_at)}</dd>
              </div>
              <div>
                <dt>Ended</dt>
                <dd>{d.ended_at ? formatTime(d.ended_at) : "still open"}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>{formatDuration(d.duration_s)}</dd>
              </div>
              <div>
                <dt>Total pending time</dt>
                <dd>{(d.pending_s ?? 0) > 0 ? formatDuration(d.pending_s) : "—"}</dd>
              </div>
              <div>
                <dt>Started by</dt>
                <dd>{d.started_by}</dd>
              </div>
            </dl>
            {d.status_detail && <p className="muted">{d.status_detail}</p>}
            {d.status === "pending_action" && (
              <p className="notice">
                {d.pending_actions.length} action{d.pending_actions.length === 1 ? " waits" : "s wait"} for your approval.{" "}
                <button type="button" className="link" onClick={() => setTab("pending")}>
                  Review them
                </button>
              </p>
            )}
            {["queued", "running", "pending_action"].includes(d.status) && (
              <button
                type="button"
                className="quiet"
                disabled={cancelling}
                onClick={() => {
                  setCancelling(true);
                  backend.cancelInvestigation(id).finally(() => {
                    setCancelling(false);
                    live.reload();
                  });
                }}
              >
                Cancel investigation
              </button>
            )}
          </div>

          <div className="tabs" role="tablist">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                data-tab={t.id}
                aria-selected={tab === t.id}
                className={tab === t.id ? "tab active" : "tab"}
                onClick={() => setTab(t.id)}
              >
                {t.label(d)}
              </button>
            ))}
          </div>

          <div role="tabpanel" className="tabpanel">
            {tab === "graph" && (
              <div className="graph-wrap">
                <Suspense fallback={<Loading what="the graph" />}>
                  <InvestigationGraph nodes={d.graph.nodes} edges={d.graph.edges} selected={selected} onSelect={setSelected} />
                </Suspense>
                <aside className="graph-side">
                  <GraphLegend />
                  {selectedNode ? (
                    <div className="node-detail" data-testid="node-detail">
                      <h3 className="break">{selectedNode.label}</h3>
                      <p className="muted">
                        {humanize(selectedNode.group)} · {humanize(selectedNode.kind)}
                      </p>
                      {selectedNode.verdict && (
                        <p>
                          Verdict: <Badge value={selectedNode.verdict} />
                        </p>
                      )}
                      {selectedNode.remediation_status && (
                        <p>
                          Remediation: <Badge value={selectedNode.remediation_status} />
                        </p>
                      )}
                      <button
                        type="button"
                        onClick={() => {
                          const target = tabOf(selectedNode, d);
                          setTab(target.tab);
                          setFocus(target.focus);
                        }}
                      >
                        Show in its tab
                      </button>
                    </div>
                  ) : (
                    <p className="muted small">Select a node to see what it is.</p>
                  )}
                </aside>
              </div>
            )}
            {tab === "alerts" && (d.alerts.length ? <AlertTable alerts={d.alerts} go={go} /> : <Empty>No alerts.</Empty>)}
            {tab === "machines" && (
              <table className="table">
                <thead>
                  <tr>
                    <th>Machine</th>
                    <th>Group</th>
                    <th>Automation level</th>
                    <th>Why it is in scope</th>
                    <th>Joined</th>
                  </tr>
                </thead>
                <tbody>
                  {d.machines.map((m) => (
                    <tr key={m.name} data-node={`machine:${m.name.toLowerCase()}`} className={focus === `machine:${m.name.toLowerCase()}` ? "focus" : undefined}>
                      <td>
                        <button type="button" className="link" onClick={() => go({ view: "machine", name: m.name })}>
                          {m.name}
                        </button>
                      </td>
                      <td>{m.group}</td>
                      <td>{humanize(m.automation_level)}</td>
                      <td>{m.reason}</td>
                      <td className="nowrap">{formatTime(m.joined_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {tab === "users" &&
              (d.users.length ? (
                <table className="table">
                  <thead>
                    <tr>
                      <th>User</th>
                      <th>Why affected</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.users.map((u) => (
                      <tr key={u.name} data-node={`user:${u.name}`} className={focus === `user:${u.name}` ? "focus" : undefined}>
                        <td className="mono">{u.name}</td>
                        <td>{u.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <Empty>No affected users found.</Empty>
              ))}
            {tab === "findings" &&
              (d.key_findings.length ? (
                <ul className="findings">
                  {d.key_findings.map((e) => (
                    <li key={e.id} data-node={`entity:${e.id}`} className={focus === `entity:${e.id}` ? "finding focus" : "finding"}>
                      <div className="action-title">
                        <Badge value={e.verdict} /> <strong className="mono break">{e.name}</strong>{" "}
                        <span className="muted">
                          {humanize(e.kind)}
                          {e.machine ? ` on ${e.machine}` : ""}
                        </span>{" "}
                        <Badge value={e.remediation_status} />
                      </div>
                      <ul className="why-list">
                        {e.reasons.map((r, i) => (
                          <li key={i}>
                            <span className="muted small">{humanize(r.analyzer)}:</span> {r.text}
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>Nothing malicious or suspicious was found.</Empty>
              ))}
            {tab === "entities" && <EntityTable entities={d.entities} focus={focus} />}
            {tab === "log" && (
              <table className="table">
                <thead>
                  <tr>
                    <th>Started</th>
                    <th>Step</th>
                    <th>Machine</th>
                    <th>Status</th>
                    <th className="num">Duration</th>
                    <th>Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {d.log.map((l) => (
                    <tr key={l.id}>
                      <td className="nowrap">{formatTime(l.started_at)}</td>
                      <td>{l.step}</td>
                      <td>{l.machine ?? "—"}</td>
                      <td>
                        <Badge value={l.status} />
                      </td>
                      <td className="num nowrap">{formatDuration(l.duration_ms / 1000)}</td>
                      <td className="break">{l.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {tab === "pending" && <PendingActions backend={backend} actions={d.pending_actions} onDecided={live.reload} showInvestigation={false} />}
          </div>
        </>
      )}
    </section>
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
      <li className="muted small">◆ alert · ▭ machine · ● entity · ⬟ action</li>
    </ul>
  );
}

function EntityTable({ entities, focus }: { entities: EntityView[]; focus: string | null }) {
  if (entities.length === 0) return <Empty>No entities collected yet.</Empty>;
  return (
    <table className="table" data-testid="entities-table">
      <thead>
        <tr>
          <th>Entity</th>
          <th>Type</th>
          <th>Machine</th>
          <th>Verdict</th>
          <th>Remediation</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {entities.map((e) => (
          <tr
            key={e.id}
            data-node={`entity:${e.id}`}
            data-entity={e.name}
            data-remediation={e.remediation_status}
            className={focus === `entity:${e.id}` ? "focus" : undefined}
          >
            <td className="mono break">{e.name}</td>
            <td>{humanize(e.kind)}</td>
            <td>{e.machine ?? "—"}</td>
            <td>
              <Badge value={e.verdict} />
            </td>
            <td>
              <Badge value={e.remediation_status} />
            </td>
            <td className="small break">
              {e.path && <div className="mono">{e.path}</div>}
              {e.command_line && <div className="mono">{e.command_line}</div>}
              {e.sha256 && <div className="mono muted">sha256 {e.sha256}</div>}
              {e.value && e.value !== e.name && <div className="mono">{e.value}</div>}
              {e.reasons[0] && <div className="muted">{e.reasons[0].text}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
