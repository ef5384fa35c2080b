import { useState } from "react";
import type { ActionView, Backend } from "../../backend";
import type { Remediation } from "../../lib/findings";
import { errorMessage } from "../../lib/format";
import { Badge } from "../common/Badge";

/**
 * Remediates findings nothing was proposed for (typically suspicious ones), decided by the
 * admin now: a button, then a confirm step that says exactly what will happen, then the
 * engine's answer — what ran, or why Vigil refuses.
 */
export function Remediate({
  backend,
  investigation,
  entities,
  remediation,
  onDone,
}: {
  backend: Backend;
  investigation: number;
  entities: number[];
  remediation: Remediation;
  onDone?: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<ActionView[] | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);

  const run = () => {
    setBusy(true);
    setRefusal(null);
    backend.remediate(investigation, entities).then(
      (result) => {
        setBusy(false);
        setAsking(false);
        setDone(result);
        onDone?.();
      },
      (e: unknown) => {
        setBusy(false);
        setAsking(false);
        setRefusal(errorMessage(e));
      },
    );
  };

  if (done) {
    return (
      <p className="small" role="status" data-testid="remediate-result">
        {done.length === 1 ? (
          <>
            {done[0]?.label}: <Badge value={done[0]?.state ?? "pending"} />
            {done[0]?.result && <span className="muted"> {done[0].result}</span>}
          </>
        ) : (
          <>
            {done.length} actions: {done.filter((a) => a.state === "succeeded").length} succeeded
            {done.some((a) => a.state !== "succeeded") && `, ${done.filter((a) => a.state !== "succeeded").length} not (yet) — see the action history`}
          </>
        )}
      </p>
    );
  }

  return (
    <div className="remediate">
      {!asking && (
        <button type="button" data-testid="remediate" onClick={() => setAsking(true)}>
          Remediate…
        </button>
      )}
      {asking && (
        <div className="confirm-box" role="group" aria-label="Confirm remediation" data-testid="remediate-confirm">
          <p>
            <strong className="break">{remediation.what}</strong> — decided by you now.
          </p>
          <p className="muted small">
            Nothing was proposed for {entities.length === 1 ? "this finding" : "these findings"}: Vigil does it at once, and the action history
            records you as the one who decided.
          </p>
          <div className="button-row">
            <button type="button" className="danger" data-testid="confirm-remediate" disabled={busy} onClick={run}>
              {remediation.verb}
              {entities.length > 1 ? ` (${entities.length})` : ""} now
            </button>
            <button type="button" disabled={busy} onClick={() => setAsking(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {refusal && (
        <p className="error small" role="alert" data-testid="remediate-refused">
          Not done: {refusal}
        </p>
      )}
    </div>
  );
}
