import { useCallback, useEffect, useState } from "react";
import type { Backend, Overview } from "../backend";
import { StatCard } from "../components/dashboard/StatCard";

export function Dashboard({ backend }: { backend: Backend }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    backend.overview().then(
      (value) => {
        setOverview(value);
        setError(null);
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [backend]);

  useEffect(() => {
    load();
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    backend
      .onStoreChanged(() => load())
      .then((stop) => (cancelled ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [backend, load]);

  return (
    <section aria-labelledby="dashboard-title">
      <header className="page-header">
        <h1 id="dashboard-title">Security dashboard</h1>
      </header>
      {error && (
        <p className="error" role="alert">
          Vigil could not read its store: {error}. Check the data location in Settings and restart.
        </p>
      )}
      {overview && (
        <>
          <div className="stats" data-testid="stats">
            <StatCard id="machines" label="Machines" value={overview.machines} />
            <StatCard
              id="active-alerts"
              label="Active alerts"
              value={overview.active_alerts}
              tone={overview.active_alerts > 0 ? "warn" : undefined}
            />
            <StatCard id="investigations" label="Investigations" value={overview.investigations} />
            <StatCard
              id="pending-actions"
              label="Pending actions"
              value={overview.pending_actions}
              tone={overview.pending_actions > 0 ? "warn" : undefined}
            />
            <StatCard id="events" label="Events" value={overview.events} />
          </div>
          {overview.machines === 0 && (
            <div className="empty" data-testid="empty-store">
              <h2>No machines yet</h2>
              <p>
                Vigil protects the machines it knows. Load the demo environment or import telemetry
                from your machines to begin.
              </p>
            </div>
          )}
        </>
      )}
    </section>
  );
}
