import { useState } from "react";
import type { Backend, InvestigationDetails } from "../../backend";
import { formatDuration, formatTime } from "../../lib/format";
import { isOpen, stillWorking } from "../../lib/statuses";
import { Badge } from "../common/Badge";

/** Where the investigation stands: status, times, who or what started it, what waits. */
export function SummaryCard({
  backend,
  d,
  onReview,
  onChanged,
}: {
  backend: Backend;
  d: InvestigationDetails;
  /** Opens the pending actions. */
  onReview: () => void;
  onChanged: () => void;
}) {
  const [cancelling, setCancelling] = useState(false);
  // Cancelling rejects what waits: asked once more, so a stray click does not.
  const [confirming, setConfirming] = useState(false);
  const cancellable = isOpen(d.status);
  const waiting = d.actions.filter((a) => a.state === "waiting_for_machine").length;
  const undecided = d.pending_actions.length + waiting;
  // The title is most often the triggering alert's: said once. Without an alert, who
  // started it says from where.
  const trigger = d.trigger_alert_title !== null && d.trigger_alert_title !== d.title ? d.trigger_alert_title : null;
  const machine = d.trigger_alert_id === null ? d.machine_names[0] : undefined;
  const by = machine ? `${d.started_by} from ${machine}` : d.started_by;
  return (
    <div className="card summary" data-testid="investigation-summary">
      <dl className="facts row">
        <div>
          <dt>Status</dt>
          <dd data-testid="investigation-status" data-status={d.status}>
            {stillWorking(d.status) && <span className="spinner" aria-hidden="true" />}
            <Badge value={d.status} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(d.started_at ?? d.created_at)}</dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>{d.ended_at ? formatTime(d.ended_at) : "still open"}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(d.duration_s)}</dd>
        </div>
        <div>
          <dt>Pending time</dt>
          <dd>{(d.pending_s ?? 0) > 0 ? formatDuration(d.pending_s) : "—"}</dd>
        </div>
        <div>
          <dt>Started by</dt>
          <dd data-testid="investigation-started-by">{by}</dd>
        </div>
      </dl>
      {trigger && (
        <p className="trigger">
          <span className="muted">Triggering alert: </span>
          <span className="break" data-testid="investigation-trigger">
            {trigger}
          </span>
        </p>
      )}
      {d.status_detail && <p className="muted">{d.status_detail}</p>}
      {(cancellable || waiting > 0) && (
        <div className="summary-actions">
          {d.status === "pending_action" && (
            <p className="notice">
              {d.pending_actions.length} action{d.pending_actions.length === 1 ? " waits" : "s wait"} for your approval.{" "}
              <button type="button" className="link" onClick={onReview}>
                Review them
              </button>
            </p>
          )}
          {waiting > 0 && (
            <p className="notice" data-testid="waiting-for-machine">
              Vigil runs {waiting === 1 ? "the approved action" : `the ${waiting} approved actions`} when{" "}
              {waiting === 1 ? "its machine" : "their machines"} can be reached. Did it yourself? Mark it done by hand in the action
              center&apos;s history.
            </p>
          )}
          <span className="spacer" />
          {cancellable && !confirming && (
            <button type="button" className="quiet" data-testid="cancel-investigation" onClick={() => setConfirming(true)}>
              Cancel investigation…
            </button>
          )}
          {cancellable && confirming && (
            <span className="confirm" role="group" aria-label="Cancel this investigation?">
              <span data-testid="cancel-consequence">
                Stop this investigation?{" "}
                {undecided > 0
                  ? `Its ${undecided === 1 ? "action that waits" : `${undecided} actions that wait`} will be rejected, and nothing more runs.`
                  : "Nothing more runs."}
              </span>
              <button
                type="button"
                className="danger"
                data-testid="confirm-cancel"
                disabled={cancelling}
                onClick={() => {
                  setCancelling(true);
                  backend.cancelInvestigation(d.id).finally(() => {
                    setCancelling(false);
                    setConfirming(false);
                    onChanged();
                  });
                }}
              >
                Yes, cancel it
              </button>
              <button type="button" className="quiet" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </span>
          )}
        </div>
      )}
    </div>
  );
}
