import { useEffect, useMemo, useState } from "react";
import type { Backend, InvestigationStatus, InvestigationSummary } from "../backend";
import type { Go } from "../route";
import { Badge } from "../components/common/Badge";
import { Empty, LoadError, Loading } from "../components/common/States";
import { VirtualRows } from "../components/common/VirtualRows";
import { useLive } from "../lib/useLive";
import { formatDuration, formatTime, humanize } from "../lib/format";
import { startedBy, startedFromAlertBy } from "../lib/trigger";
import { stampedName, toCsv, toVisibleJson } from "../lib/csv";
import { INVESTIGATION_STATUSES } from "../lib/statuses";

export type SortKey = "id" | "status" | "trigger" | "source" | "started" | "duration" | "pending";

// Two lines a row, so that what matters most (the triggering alert, the machines) has room
// at 1280 px: a cell's second line holds what goes with its first (threat types under the
// detection source, users under the machines).
const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: "id", label: "ID" },
  { key: "status", label: "Status" },
  { key: "trigger", label: "Triggering alert" },
  { key: "source", label: "Source · threat" },
  { key: null, label: "Machines · users" },
  { key: "started", label: "Started" },
  { key: "duration", label: "Duration" },
  { key: "pending", label: "Pending" },
];

/** What the Triggering alert column says: the alert's title, or who started it from where. */
export function triggerText(r: InvestigationSummary): string {
  return r.trigger_alert_title ?? startedBy(r);
}

function sortValue(row: InvestigationSummary, key: SortKey): string | number {
  switch (key) {
    case "id":
      return row.id;
    case "status":
      return row.status;
    case "trigger":
      return triggerText(row).toLowerCase();
    case "source":
      return row.detection_source.toLowerCase();
    case "started":
      return row.started_at ?? row.created_at;
    case "duration":
      return row.duration_s ?? 0;
    case "pending":
      return row.pending_s ?? 0;
  }
}

export function exportRows(rows: InvestigationSummary[], format: "csv" | "json"): string {
  if (format === "json") return toVisibleJson(rows);
  return toCsv(
    ["id", "status", "title", "trigger", "trigger_alert_id", "trigger_alert_title", "started_by", "detection_source", "threat_types", "machines", "users", "started_at", "ended_at", "duration_s", "pending_s"],
    rows.map((r) => [
      String(r.id),
      r.status,
      r.title,
      r.trigger,
      r.trigger_alert_id === null ? "" : String(r.trigger_alert_id),
      r.trigger_alert_title ?? "",
      r.started_by,
      r.detection_source,
      r.threat_types.join(";"),
      r.machine_names.join(";"),
      r.user_names.join(";"),
      r.started_at ?? "",
      r.ended_at ?? "",
      (r.duration_s ?? 0).toFixed(0),
      (r.pending_s ?? 0).toFixed(0),
    ]),
  );
}

const ROW_HEIGHT = 54;

/** Each row's searchable text, built once per row object (rows are replaced on reload). */
const HAYSTACKS = new WeakMap<InvestigationSummary, string>();
function haystack(r: InvestigationSummary): string {
  let text = HAYSTACKS.get(r);
  if (text === undefined) {
    text =
      `#${r.id} ${r.title} ${triggerText(r)} ${r.detection_source} ${r.threat_types.join(" ")} ${r.machine_names.join(" ")} ${r.user_names.join(" ")}`.toLowerCase();
    HAYSTACKS.set(r, text);
  }
  return text;
}

/** The rows the list shows: text search over the visible columns, then the chosen order. */
export function visibleRows(
  all: InvestigationSummary[],
  search: string,
  sort: { key: SortKey; asc: boolean },
): InvestigationSummary[] {
  const q = search.trim().toLowerCase();
  const rows = q ? all.filter((r) => haystack(r).includes(q)) : all.slice();
  const dir = sort.asc ? 1 : -1;
  return rows.sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.id - b.id) * -1;
  });
}

export function Investigations({ backend, go }: { backend: Backend; go: Go }) {
  const [status, setStatus] = useState<InvestigationStatus | "">("");
  const [machine, setMachine] = useState("");
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: "id", asc: false });
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [height, setHeight] = useState(() => Math.max(240, window.innerHeight - 250));
  useEffect(() => {
    const onResize = () => setHeight(Math.max(240, window.innerHeight - 250));
    window.addEventListener("resize", onResize);
    return () => window.removeEventListener("resize", onResize);
  }, []);

  const live = useLive(backend, () => backend.investigations(status || null, machine || null), [status, machine]);
  const machines = useLive(backend, () => backend.machines(), []);

  const shown = useMemo(() => visibleRows(live.data ?? [], search, sort), [live.data, search, sort]);

  const save = (format: "csv" | "json") => {
    setSaved(null);
    setSaveError(null);
    backend.saveExport(stampedName("investigations", format), exportRows(shown, format)).then(setSaved, (e: unknown) =>
      setSaveError(e instanceof Error ? e.message : String(e)),
    );
  };

  const header = (c: (typeof COLUMNS)[number]) => {
    if (!c.key) return <span>{c.label}</span>;
    const key = c.key;
    const active = sort.key === key;
    return (
      <button
        type="button"
        className="sort"
        aria-sort={active ? (sort.asc ? "ascending" : "descending") : "none"}
        onClick={() => setSort(active ? { key, asc: !sort.asc } : { key, asc: key !== "id" && key !== "started" })}
      >
        {c.label} {active ? (sort.asc ? "▲" : "▼") : ""}
      </button>
    );
  };

  return (
    <section>
      <header className="page-header">
        <h1>Investigations</h1>
      </header>
      <div className="toolbar">
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as InvestigationStatus | "")}>
          <option value="">All statuses</option>
          {INVESTIGATION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
        <select aria-label="Machine" value={machine} onChange={(e) => setMachine(e.target.value)}>
          <option value="">All machines</option>
          {(machines.data ?? []).map((m) => (
            <option key={m.id} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>
        <input type="search" aria-label="Search investigations" placeholder="Search alert, threat, machine, user…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted" data-testid="investigation-count">
          {shown.length.toLocaleString()} shown
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => save("csv")} disabled={shown.length === 0}>
          Export CSV
        </button>
        <button type="button" onClick={() => save("json")} disabled={shown.length === 0}>
          Export JSON
        </button>
      </div>
      {saved && (
        <p className="notice" role="status">
          Saved {shown.length.toLocaleString()} rows to <code>{saved}</code>
        </p>
      )}
      {saveError && (
        <p className="error" role="alert">
          The export could not be saved: {saveError}
        </p>
      )}
      {live.error && <LoadError error={live.error} />}
      {!live.data && !live.error && <Loading what="investigations" />}
      {live.data && shown.length === 0 && <Empty>No investigations match.</Empty>}
      {shown.length > 0 && (
        <div className="grid-table" role="table" aria-label="Investigations" aria-rowcount={shown.length}>
          <div className="grid-row inv head" role="row">
            {COLUMNS.map((c) => (
              <div role="columnheader" key={c.label}>
                {header(c)}
              </div>
            ))}
          </div>
          <VirtualRows
            items={shown}
            rowHeight={ROW_HEIGHT}
            height={Math.min(height, shown.length * ROW_HEIGHT)}
            render={(r) => (
              <div className="grid-row inv" role="row" key={r.id} data-investigation={r.id} style={{ height: ROW_HEIGHT }}>
                <div role="cell">
                  <button type="button" className="link" onClick={() => go({ view: "investigation", id: r.id })}>
                    #{r.id}
                  </button>
                </div>
                <div role="cell">
                  <Badge value={r.status} />
                  {r.status === "no_threats_found" && r.status_detail && (
                    <span className="muted small block" data-testid="status-detail">
                      {r.status_detail}
                    </span>
                  )}
                </div>
                <TwoLines cell="trigger" first={triggerText(r)} second={startedFromAlertBy(r) ?? ""} clamp />
                <TwoLines cell="source" first={r.detection_source || "—"} second={r.threat_types.join(", ")} />
                <TwoLines cell="machines" first={r.machine_names.join(", ") || "—"} second={r.user_names.join(", ")} />
                <TwoLines cell="started" first={formatDate(r.started_at ?? r.created_at)} second={formatClock(r.started_at ?? r.created_at)} />
                <div role="cell" className="nowrap">{formatDuration(r.duration_s)}</div>
                <div role="cell" className="nowrap">{(r.pending_s ?? 0) > 0 ? formatDuration(r.pending_s) : "—"}</div>
              </div>
            )}
          />
        </div>
      )}
    </section>
  );
}

/** "2026-11-27" of a time, in the local zone. */
function formatDate(iso: string): string {
  return formatTime(iso).split(" ")[0] ?? iso;
}

/** "23:04" of a time, in the local zone. */
function formatClock(iso: string): string {
  return formatTime(iso).split(" ")[1] ?? "";
}

/**
 * A cell of two lines, each cut with an ellipsis when long, the whole text in its tooltip;
 * `clamp` lets the first line wrap onto the second instead when there is no second.
 */
function TwoLines({ cell, first, second, clamp = false }: { cell: string; first: string; second: string; clamp?: boolean }) {
  const title = second ? `${first}\n${second}` : first;
  return (
    <div role="cell" className="two-lines" data-cell={cell} title={title}>
      <div className={clamp && !second ? "clamp-2" : "ellipsis"}>{first}</div>
      {second && <div className="ellipsis muted small">{second}</div>}
    </div>
  );
}
