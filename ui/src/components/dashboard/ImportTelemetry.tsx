import { useEffect, useRef, useState } from "react";
import type { Backend, ImportProgress, ImportSummary } from "../../backend";
import { count } from "../../lib/format";
import { intelMessage, isIocList } from "../../lib/intel";

/**
 * Import telemetry: pick files or a folder, or drop them on the window. Shows progress
 * while it runs, then what came of it — or what went wrong and what to do next.
 */
export function ImportTelemetry({ backend, onImported }: { backend: Backend; onImported?: (summary: ImportSummary) => void }) {
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [intel, setIntel] = useState<string[]>([]);
  const busyRef = useRef(false);

  const run = (paths: string[]) => {
    if (busyRef.current || paths.length === 0) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    setSummary(null);
    setProgress(null);
    backend.importTelemetry(paths).then(
      (result) => {
        busyRef.current = false;
        setBusy(false);
        setSummary(result);
        onImported?.(result);
      },
      (e: unknown) => {
        busyRef.current = false;
        setBusy(false);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  // IOC lists dropped with (or instead of) telemetry go where they belong.
  const importLists = (paths: string[]) => {
    for (const path of paths) {
      backend.importIntel(path).then(
        (result) => setIntel((before) => [...before, intelMessage(result, path)]),
        (e: unknown) => setError(`${path}: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
  };
  const dropped = (paths: string[]) => {
    setIntel([]);
    importLists(paths.filter(isIocList));
    run(paths.filter((p) => !isIocList(p)));
  };

  useEffect(() => {
    const stops: (() => void)[] = [];
    let cancelled = false;
    const keep = (stop: () => void) => (cancelled ? stop() : stops.push(stop));
    backend.onImportProgress(setProgress).then(keep).catch(() => undefined);
    backend.onFilesDropped(dropped).then(keep).catch(() => undefined);
    return () => {
      cancelled = true;
      stops.forEach((stop) => stop());
    };
    // `run` and `dropped` read only refs, setters and the backend: registering once is enough.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend]);

  const pick = (kind: "telemetry-files" | "telemetry-folder") => {
    backend.pick(kind).then(
      (paths) => paths && run(paths),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  };

  return (
    <div className="import" data-testid="import">
      <div className="button-row">
        <button type="button" data-testid="import-telemetry" disabled={busy} onClick={() => pick("telemetry-files")}>
          Import telemetry…
        </button>
        <button type="button" data-testid="import-folder" disabled={busy} onClick={() => pick("telemetry-folder")}>
          Import a folder…
        </button>
        <span className="muted small">or drop EVTX, JSON-lines or zip files on the window (IOC lists too: .csv, .txt).</span>
      </div>
      {busy && (
        <p role="status" data-testid="import-progress">
          Importing{progress ? `: ${progress.files_done} of ${progress.files} files, ${progress.records.toLocaleString()} records` : "…"}
        </p>
      )}
      {summary && (
        <p role="status" className="notice" data-testid="import-summary">
          Imported {count(summary.records, "record")} from {count(summary.files, "file")}: {count(summary.events_added, "new event")}
          {summary.duplicates > 0 ? ` (${summary.duplicates.toLocaleString()} already here)` : ""},{" "}
          {count(summary.machines_added, "new machine")}, {count(summary.alerts, "alert")},{" "}
          {count(summary.investigations_started, "investigation")} started.
          {summary.skipped > 0 ? ` ${count(summary.skipped, "record or file was", "records or files were")} passed over.` : ""}
        </p>
      )}
      {intel.map((message) => (
        <p key={message} role="status" className="notice" data-testid="import-intel-summary">
          {message}
        </p>
      ))}
      {error && (
        <p className="error" role="alert" data-testid="import-error">
          Nothing was imported: {error}. Fix or leave out that file and import again — nothing from this attempt was kept.
        </p>
      )}
    </div>
  );
}
