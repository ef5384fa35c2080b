import { useState } from "react";
import type { Backend } from "../../backend";
import { ImportTelemetry } from "./ImportTelemetry";

/** What an empty store shows: the two ways to begin. */
export function FirstStart({ backend, onLoaded }: { backend: Backend; onLoaded: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const loadDemo = () => {
    setBusy(true);
    setError(null);
    backend.loadDemo().then(
      () => {
        setBusy(false);
        onLoaded();
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  return (
    <div className="empty" data-testid="empty-store">
      <h2>Welcome to Vigil</h2>
      <p>
        Vigil protects the machines it knows about, and it knows none yet. Load the demo environment to see
        how an investigation works on a few simulated machines, or import telemetry from your own.
      </p>
      <div className="button-row">
        <button type="button" className="primary" data-testid="load-demo" disabled={busy} onClick={loadDemo}>
          {busy ? "Loading the demo environment…" : "Load demo environment"}
        </button>
      </div>
      <ImportTelemetry backend={backend} onImported={onLoaded} />
      {error && (
        <p className="error" role="alert">
          The demo environment could not be loaded: {error}
        </p>
      )}
    </div>
  );
}
