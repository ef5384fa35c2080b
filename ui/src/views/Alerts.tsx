import { useMemo, useState } from "react";
import type { AlertView, Backend } from "../backend";
import type { Go } from "../route";
import { Badge } from "../components/common/Badge";
import { Empty, LoadError, Loading } from "../components/common/States";
import { useLive } from "../lib/useLive";
import { formatTime } from "../lib/format";
import { Untrusted } from "../components/common/Untrusted";

export function AlertTable({ alerts, go, showMachine = true }: { alerts: AlertView[]; go: Go; showMachine?: boolean }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Severity</th>
          <th>Alert</th>
          {showMachine && <th>Machine</th>}
          <th>Category</th>
          <th>Detection source</th>
          <th>Status</th>
          <th>Investigation</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id}>
            <td>
              <Badge value={a.severity} />
            </td>
            <td>
              <button type="button" className="link" data-alert={a.id} onClick={() => go({ view: "alert", id: a.id })}>
                <Untrusted text={a.title} />
              </button>
            </td>
            {showMachine && <td>{a.machine}</td>}
            <td>{a.category}</td>
            <td>{a.detection_source}</td>
            <td>
              <Badge value={a.status} />
            </td>
            <td>
              {a.investigation_id ? (
                <button type="button" className="link" onClick={() => go({ view: "investigation", id: a.investigation_id as number })}>
                  #{a.investigation_id}
                </button>
              ) : (
                "—"
              )}
            </td>
            <td className="nowrap">{formatTime(a.last_seen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Alerts({ backend, go }: { backend: Backend; go: Go }) {
  const live = useLive(backend, () => backend.alerts(null), []);
  const [showResolved, setShowResolved] = useState(false);
  const [search, setSearch] = useState("");
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (live.data ?? []).filter(
      (a) =>
        (showResolved || a.status !== "resolved") &&
        (!q || `${a.title} ${a.machine} ${a.category} ${a.user ?? ""}`.toLowerCase().includes(q)),
    );
  }, [live.data, showResolved, search]);
  return (
    <section>
      <header className="page-header">
        <h1>Alerts</h1>
      </header>
      <div className="toolbar">
        <input type="search" placeholder="Search title, machine, user…" aria-label="Search alerts" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label>
          <input type="checkbox" data-testid="show-resolved" checked={showResolved} onChange={(e) => setShowResolved(e.target.checked)} /> Show resolved
        </label>
      </div>
      {live.error && <LoadError error={live.error} />}
      {!live.data && !live.error && <Loading what="alerts" />}
      {live.data && shown.length === 0 && (
        <Empty>
          {showResolved || live.data.length === 0 ? "No alerts match." : `No active alerts. ${live.data.length} resolved alert${live.data.length === 1 ? " is" : "s are"} hidden; tick “Show resolved” to see them.`}
        </Empty>
      )}
      {shown.length > 0 && <AlertTable alerts={shown} go={go} />}
    </section>
  );
}
