import { useState } from "react";
import type { Backend } from "../backend";
import type { Go } from "../route";
import { StatCard } from "../components/dashboard/StatCard";
import { Badge } from "../components/common/Badge";
import { MachineRiskCells } from "../components/machines/MachineRiskCells";
import { LoadError, Loading } from "../components/common/States";
import { FirstStart } from "../components/dashboard/FirstStart";
import { ImportTelemetry } from "../components/dashboard/ImportTelemetry";
import { useLive } from "../lib/useLive";
import { actionRows } from "../lib/actions";
import { age, formatTime, humanize } from "../lib/format";
import { Untrusted } from "../components/common/Untrusted";

export function Dashboard({ backend, go = () => undefined }: { backend: Backend; go?: Go }) {
  const live = useLive(backend, () => backend.dashboard(), []);
  const [now] = useState(() => Date.now());
  const d = live.data;

  return (
    <section aria-labelledby="dashboard-title">
      <header className="page-header">
        <h1 id="dashboard-title">Security dashboard</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="the dashboard" />}
      {d && d.overview.machines === 0 && <FirstStart backend={backend} onLoaded={live.reload} />}
      {d && d.overview.machines > 0 && (
        <>
          <div className="stats" data-testid="stats">
            <StatCard id="machines" label="Machines" value={d.overview.machines} />
            <StatCard
              id="active-alerts"
              label="Active alerts"
              value={d.overview.active_alerts}
              tone={d.overview.active_alerts > 0 ? "warn" : undefined}
            />
            <StatCard id="investigations" label="Investigations" value={d.overview.investigations} />
            <StatCard
              id="pending-actions"
              label="Pending actions"
              value={d.overview.pending_actions}
              tone={d.overview.pending_actions > 0 ? "warn" : undefined}
            />
            <StatCard id="events" label="Events" value={d.overview.events} />
          </div>
          <div className="widgets">
            <div className="card" data-widget="machines-at-risk">
              <h2>Machines at risk</h2>
              {d.at_risk.length === 0 ? (
                <p className="muted">No machine is at risk right now.</p>
              ) : (
                <table className="table compact">
                  <thead>
                    <tr>
                      <th>Machine</th>
                      <th>Risk</th>
                      <th className="num">Active alerts</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.at_risk.map((m) => (
                      <tr key={m.id}>
                        <MachineRiskCells machine={m} go={go} />
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>

            <div className="card" data-widget="pending-actions">
              <h2>Pending actions</h2>
              {d.overview.pending_actions === 0 ? (
                <p className="muted">Nothing waits for your approval.</p>
              ) : (
                <>
                  <p>
                    <strong>{d.overview.pending_actions}</strong> action{d.overview.pending_actions === 1 ? "" : "s"} wait for
                    your approval{d.oldest_pending && `; the oldest for ${age(d.oldest_pending, now)}`}.
                  </p>
                  <ul className="plain">
                    {actionRows(d.pending)
                      .slice(0, 5)
                      .map((row) =>
                        row.kind === "one" ? (
                          <li key={row.action.id}>
                            {row.action.label}: <Untrusted className="mono break" text={row.action.entity ?? "—"} /> on {row.action.machine ?? "—"}{" "}
                            <span className="muted">({age(row.action.proposed_at, now)})</span>
                          </li>
                        ) : (
                          <li key={row.id} data-action-group={row.id}>
                            {row.label} <span className="muted">(one decision; {age(row.members[0]?.proposed_at ?? "", now)})</span>
                          </li>
                        ),
                      )}
                  </ul>
                  <button type="button" className="primary" data-testid="open-action-center" onClick={() => go({ view: "actions", tab: "pending" })}>
                    Open the action center
                  </button>
                </>
              )}
            </div>

            <div className="card" data-widget="active-alerts">
              <h2>Active alerts</h2>
              {d.active_alerts.length === 0 ? (
                <p className="muted">No active alerts.</p>
              ) : (
                <ul className="plain">
                  {d.active_alerts.slice(0, 6).map((a) => (
                      <li key={a.id}>
                        <Badge value={a.severity} />{" "}
                        <button type="button" className="link" onClick={() => go({ view: "alert", id: a.id })}>
                          <Untrusted text={a.title} />
                        </button>{" "}
                        <span className="muted">on {a.machine}</span>
                      </li>
                    ))}
                </ul>
              )}
              <button type="button" className="link" onClick={() => go({ view: "alerts" })}>
                All alerts
              </button>
            </div>

            <div className="card" data-widget="investigations">
              <h2>Automated investigations</h2>
              {d.investigations_by_status.length === 0 ? (
                <p className="muted">No investigation has run yet. Open a machine at risk to start one.</p>
              ) : (
                <ul className="plain">
                  {d.investigations_by_status.map(({ status, count }) => (
                    <li key={status} className="row-between">
                      <Badge value={status} /> <strong>{count.toLocaleString()}</strong>
                    </li>
                  ))}
                </ul>
              )}
              <button type="button" className="link" onClick={() => go({ view: "investigations" })}>
                All investigations
              </button>
            </div>

            <div className="card wide" data-widget="recent-remediations">
              <h2>Recent remediations</h2>
              {d.recent_remediations.length === 0 ? (
                <p className="muted">No remediation has run yet.</p>
              ) : (
                <table className="table compact">
                  <thead>
                    <tr>
                      <th>Action</th>
                      <th>Target</th>
                      <th>Machine</th>
                      <th>Result</th>
                      <th>Decided by</th>
                      <th>When</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.recent_remediations.slice(0, 6).map((a) => (
                      <tr key={a.id}>
                        <td>{a.label}</td>
                        <td className="mono ellipsis"><Untrusted text={a.entity ?? "—"} /></td>
                        <td>{a.machine ?? "—"}</td>
                        <td>
                          <Badge value={a.state} />
                        </td>
                        <td>{a.decided_by ?? humanize(a.source)}</td>
                        <td className="nowrap">{formatTime(a.finished_at ?? a.decided_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>

            <div className="card wide" data-widget="import">
              <h2>Import telemetry</h2>
              <p className="muted">
                Windows event logs (EVTX: Sysmon, Security, PowerShell, System), JSON lines from Winlogbeat or Elastic
                Agent, and evtx_dump JSON exports. Detections run on import; alerts start investigations by your alert
                policies.
              </p>
              <ImportTelemetry backend={backend} onImported={live.reload} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
