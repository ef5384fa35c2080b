import type { Backend } from "../backend";
import type { Go } from "../route";
import { Badge } from "../components/common/Badge";
import { Empty, LoadError, Loading } from "../components/common/States";
import { StartInvestigation } from "../components/investigation/StartInvestigation";
import { AlertTable } from "./Alerts";
import { useLive } from "../lib/useLive";
import { formatDuration, formatTime } from "../lib/format";
import { reachOf } from "../lib/connector";

async function loadMachine(backend: Backend, name: string) {
  const [machines, alerts, investigations, levels] = await Promise.all([
    backend.machines(),
    backend.alerts(name),
    backend.investigations(null, name),
    backend.automationLevels(),
  ]);
  return { machine: machines.find((m) => m.name === name) ?? null, alerts, investigations, levels };
}

export function MachinePage({ backend, go, name }: { backend: Backend; go: Go; name: string }) {
  const live = useLive(backend, () => loadMachine(backend, name), [name]);
  const d = live.data;
  return (
    <section>
      <header className="page-header">
        <p className="crumbs">
          <button type="button" className="link" onClick={() => go({ view: "machines" })}>
            Machines
          </button>{" "}
          /
        </p>
        <h1 data-testid="machine-title">{name}</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="the machine" />}
      {d && !d.machine && <Empty>Vigil knows no machine named {name}.</Empty>}
      {d && d.machine && (
        <>
          <div className="card">
            <dl className="facts">
              <dt>Risk</dt>
              <dd>
                <Badge value={d.machine.risk} /> · {d.machine.active_alerts} active alert{d.machine.active_alerts === 1 ? "" : "s"}
              </dd>
              <dt>Group</dt>
              <dd data-testid="machine-group">{d.machine.group}</dd>
              <dt>Automation level</dt>
              <dd>
                <span data-level={d.machine.automation_level}>
                  {d.levels.find((l) => l.level === d.machine?.automation_level)?.label ?? d.machine.automation_level}
                </span>{" "}
                <button type="button" className="link" onClick={() => go({ view: "settings" })}>
                  change in Settings
                </button>
              </dd>
              <dt>Operating system</dt>
              <dd>{d.machine.os}</dd>
              <dt>Role</dt>
              <dd>{d.machine.role || "—"}</dd>
              <dt>Domain</dt>
              <dd>{d.machine.domain || "—"}</dd>
              <dt>IP address</dt>
              <dd className="mono">{d.machine.ip || "—"}</dd>
              <dt>Tags</dt>
              <dd>{d.machine.tags.length ? d.machine.tags.join(", ") : "—"}</dd>
              <dt>Reached through</dt>
              <dd data-testid="machine-reach">{reachOf(d.machine).long}</dd>
              <dt>Last seen</dt>
              <dd>{formatTime(d.machine.last_seen)}</dd>
            </dl>
            <StartInvestigation
              backend={backend}
              go={go}
              label="Initiate automated investigation"
              start={() => backend.investigateMachine(name)}
              disabledReason={
                d.machine.automation_level === "not_protected"
                  ? "This machine's group is Not protected: no automated investigation runs on it."
                  : undefined
              }
            />
          </div>
          <h2>Alerts</h2>
          {d.alerts.length === 0 ? <Empty>No alerts on this machine.</Empty> : <AlertTable alerts={d.alerts} go={go} showMachine={false} />}
          <h2>Investigations</h2>
          {d.investigations.length === 0 ? (
            <Empty>No investigation has run on this machine.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>Status</th>
                  <th>Title</th>
                  <th>Started</th>
                  <th>Duration</th>
                </tr>
              </thead>
              <tbody>
                {d.investigations.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <button type="button" className="link" onClick={() => go({ view: "investigation", id: i.id })}>
                        #{i.id}
                      </button>
                    </td>
                    <td>
                      <Badge value={i.status} />
                    </td>
                    <td>{i.title}</td>
                    <td className="nowrap">{formatTime(i.started_at ?? i.created_at)}</td>
                    <td>{formatDuration(i.duration_s)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

