import type { Backend } from "../backend";
import type { Go } from "../route";
import { MachineRiskCells } from "../components/machines/MachineRiskCells";
import { Empty, LoadError, Loading } from "../components/common/States";
import { useLive } from "../lib/useLive";
import { formatTime } from "../lib/format";
import { reachOf } from "../lib/connector";

export function Machines({ backend, go }: { backend: Backend; go: Go }) {
  const live = useLive(backend, () => backend.machines(), []);
  return (
    <section>
      <header className="page-header">
        <h1>Machines</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!live.data && !live.error && <Loading what="machines" />}
      {live.data && live.data.length === 0 && <Empty>No machines yet. Load the demo environment from the dashboard.</Empty>}
      {live.data && live.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Machine</th>
              <th>Risk</th>
              <th className="num">Active alerts</th>
              <th>Group</th>
              <th>OS</th>
              <th>IP</th>
              <th>Reached through</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {live.data.map((m) => (
              <tr key={m.id}>
                <MachineRiskCells machine={m} go={go} />
                <td>{m.group}</td>
                <td>{m.os}</td>
                <td className="mono">{m.ip}</td>
                <td className="nowrap" data-reach={m.name} title={reachOf(m).long}>
                  <span className={reachOf(m).ok ? "" : "muted"}>{reachOf(m).short}</span>
                </td>
                <td className="nowrap">{formatTime(m.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
