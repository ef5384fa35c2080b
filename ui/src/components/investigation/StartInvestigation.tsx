import { useEffect, useState } from "react";
import type { Backend, InvestigationStatus } from "../../backend";
import type { Go } from "../../route";
import { errorMessage } from "../../lib/format";
import { stillWorking } from "../../lib/statuses";
import { Badge } from "../common/Badge";

/**
 * One click starts an investigation; the button then follows it live (events, and a poll
 * every 700 ms while it is queued or running) and links to it.
 */
export function StartInvestigation({
  backend,
  go,
  start,
  label,
  disabledReason,
}: {
  backend: Backend;
  go: Go;
  start: () => Promise<number>;
  label: string;
  disabledReason?: string;
}) {
  const [id, setId] = useState<number | null>(null);
  const [status, setStatus] = useState<InvestigationStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (id === null) return;
    let stopped = false;
    const refresh = () =>
      backend.investigation(id).then(
        (d) => !stopped && setStatus(d.status),
        () => undefined,
      );
    refresh();
    const timer = setInterval(() => {
      if (status === null || stillWorking(status)) refresh();
    }, 700);
    let unlisten: (() => void) | undefined;
    backend
      .onInvestigationUpdated((updated, s) => updated === id && setStatus(s))
      .then((stop) => (stopped ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      clearInterval(timer);
      unlisten?.();
    };
  }, [backend, id, status]);

  const onClick = () => {
    setBusy(true);
    setError(null);
    start().then(
      (newId) => {
        setBusy(false);
        setStatus(null);
        setId(newId);
      },
      (e: unknown) => {
        setBusy(false);
        setError(errorMessage(e));
      },
    );
  };

  const running = status !== null && stillWorking(status);
  return (
    <div className="start-investigation">
      <button
        type="button"
        className="primary"
        data-testid="initiate-investigation"
        disabled={busy || running || !!disabledReason}
        title={disabledReason}
        onClick={onClick}
      >
        {busy ? "Starting…" : label}
      </button>
      {disabledReason && <span className="muted small"> {disabledReason}</span>}
      {id !== null && (
        <span className="progress" role="status" data-testid="investigation-progress">
          {running || status === null ? <span className="spinner" aria-hidden="true" /> : null}
          Investigation #{id}: {status ? <Badge value={status} /> : "starting"}{" "}
          <button type="button" className="link" data-testid="open-investigation" onClick={() => go({ view: "investigation", id })}>
            Open investigation #{id}
          </button>
        </span>
      )}
      {error && (
        <p className="error" role="alert">
          The investigation could not start: {error}
        </p>
      )}
    </div>
  );
}
