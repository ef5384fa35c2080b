import { useMemo, useState } from "react";
import type { ActionView, Backend } from "../backend";
import type { Go } from "../route";
import { Badge } from "../components/common/Badge";
import { Empty, LoadError, Loading } from "../components/common/States";
import { PendingActions } from "../components/actions/PendingActions";
import { useLive } from "../lib/useLive";
import { formatTime, humanize } from "../lib/format";
import { stampedName, toCsv } from "../lib/csv";
import { Untrusted } from "../components/common/Untrusted";

export function historyCsv(rows: ActionView[]): string {
  return toCsv(
    ["id", "action", "target", "machine", "investigation", "source", "state", "result", "decided_by", "decided_at", "note", "finished_at", "reversible"],
    rows.map((a) => [
      String(a.id),
      a.label,
      a.entity ?? "",
      a.machine ?? "",
      a.investigation_id === null ? "" : String(a.investigation_id),
      a.source,
      a.state,
      a.result,
      a.decided_by ?? "",
      a.decided_at ?? "",
      a.decision_note ?? "",
      a.finished_at ?? "",
      a.reversible ? "yes" : "no",
    ]),
  );
}

export function ActionCenter({ backend, go, tab: initial = "pending" }: { backend: Backend; go: Go; tab?: "pending" | "history" }) {
  const [tab, setTab] = useState<"pending" | "history">(initial);
  const pending = useLive(backend, () => backend.actions("pending"), []);
  const history = useLive(backend, () => backend.actions("history"), []);
  return (
    <section>
      <header className="page-header">
        <h1>Action center</h1>
      </header>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" data-tab="pending" aria-selected={tab === "pending"} className={tab === "pending" ? "tab active" : "tab"} onClick={() => setTab("pending")}>
          Pending{pending.data ? ` (${pending.data.length})` : ""}
        </button>
        <button type="button" role="tab" data-tab="history" aria-selected={tab === "history"} className={tab === "history" ? "tab active" : "tab"} onClick={() => setTab("history")}>
          History
        </button>
      </div>
      <div role="tabpanel" className="tabpanel">
        {tab === "pending" && (
          <>
            {pending.error && <LoadError error={pending.error} />}
            {!pending.data && !pending.error && <Loading what="pending actions" />}
            {pending.data && (
              <PendingActions
                backend={backend}
                actions={pending.data}
                go={go}
                onDecided={() => {
                  pending.reload();
                  history.reload();
                }}
              />
            )}
          </>
        )}
        {tab === "history" && (
          <>
            {history.error && <LoadError error={history.error} />}
            {!history.data && !history.error && <Loading what="the action history" />}
            {history.data && <History backend={backend} go={go} rows={history.data} onChanged={history.reload} />}
          </>
        )}
      </div>
    </section>
  );
}

function History({ backend, go, rows, onChanged }: { backend: Backend; go: Go; rows: ActionView[]; onChanged: () => void }) {
  const [state, setState] = useState("");
  const [source, setSource] = useState("");
  const [search, setSearch] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  // The waiting action being marked done by hand, and what the admin says was done.
  const [marking, setMarking] = useState<number | null>(null);
  const [note, setNote] = useState("");
  const states = useMemo(() => [...new Set(rows.map((r) => r.state))], [rows]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return rows.filter(
      (r) =>
        (!state || r.state === state) &&
        (!source || r.source === source) &&
        (!q || `${r.label} ${r.entity ?? ""} ${r.machine ?? ""} ${r.decided_by ?? ""}`.toLowerCase().includes(q)),
    );
  }, [rows, state, source, search]);

  const undo = (a: ActionView) => {
    setBusy(a.id);
    setError(null);
    backend.undo([a.id]).then(
      () => {
        setBusy(null);
        onChanged();
      },
      (e: unknown) => {
        setBusy(null);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  const markDone = (a: ActionView) => {
    setBusy(a.id);
    setError(null);
    backend.markDone([a.id], note).then(
      () => {
        setBusy(null);
        setMarking(null);
        setNote("");
        onChanged();
      },
      (e: unknown) => {
        setBusy(null);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  return (
    <>
      <div className="toolbar">
        <select aria-label="Result" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">All results</option>
          {states.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
        <select aria-label="Source" value={source} onChange={(e) => setSource(e.target.value)}>
          <option value="">Automatic and manual</option>
          <option value="automated">Automatic</option>
          <option value="manual">Manual</option>
        </select>
        <input type="search" aria-label="Search history" placeholder="Search action, target, machine, who…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="spacer" />
        <button
          type="button"
          disabled={shown.length === 0}
          onClick={() => {
            setSaved(null);
            backend.saveExport(stampedName("action-history", "csv"), historyCsv(shown)).then(setSaved, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
          }}
        >
          Export CSV
        </button>
      </div>
      {saved && (
        <p className="notice" role="status">
          Saved {shown.length} rows to <code>{saved}</code>
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {shown.length === 0 ? (
        <Empty>No decided actions yet.</Empty>
      ) : (
        <table className="table" data-testid="action-history">
          <thead>
            <tr>
              <th>Action</th>
              <th>Target</th>
              <th>Machine</th>
              <th>Result</th>
              <th>Decided by</th>
              <th>When</th>
              <th>Investigation</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} data-action={a.id}>
                <td>{a.label}</td>
                <td className="mono break"><Untrusted text={a.entity ?? "—"} /></td>
                <td>{a.machine ?? "—"}</td>
                <td>
                  <Badge value={a.state} />
                  {a.result && <div className="muted small break">{a.result}</div>}
                </td>
                <td>
                  {a.decided_by ?? (a.source === "automated" ? "automatic" : "—")}
                  {a.decision_note && <div className="muted small break">“{a.decision_note}”</div>}
                </td>
                <td className="nowrap">{formatTime(a.finished_at ?? a.decided_at)}</td>
                <td>
                  {a.investigation_id !== null ? (
                    <button type="button" className="link" onClick={() => go({ view: "investigation", id: a.investigation_id as number })}>
                      #{a.investigation_id}
                    </button>
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  {a.state === "succeeded" && a.reversible && (
                    <button type="button" className="quiet" disabled={busy === a.id} onClick={() => undo(a)}>
                      Undo
                    </button>
                  )}
                  {a.state === "waiting_for_machine" &&
                    (marking === a.id ? (
                      <form
                        className="mark-done"
                        onSubmit={(e) => {
                          e.preventDefault();
                          markDone(a);
                        }}
                      >
                        <input
                          aria-label="What was done by hand"
                          placeholder="What did you do on the machine?"
                          value={note}
                          onChange={(e) => setNote(e.target.value)}
                          autoFocus
                        />
                        <span className="row">
                          <button type="submit" disabled={busy === a.id || note.trim() === ""}>
                            Mark done
                          </button>
                          <button type="button" className="quiet" onClick={() => setMarking(null)}>
                            Cancel
                          </button>
                        </span>
                      </form>
                    ) : (
                      <button
                        type="button"
                        className="quiet"
                        onClick={() => {
                          setMarking(a.id);
                          setNote("");
                        }}
                      >
                        Mark done by hand…
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
