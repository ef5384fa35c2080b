import { useState } from "react";
import type { ActionView, Backend } from "../../backend";
import { count, errorMessage } from "../../lib/format";

/**
 * One decision on pending actions proposed together (one action, or a group of like ones):
 * Approve, or Reject with a reason kept in the history.
 */
export function Decide({
  backend,
  ids,
  all = ids.length > 1,
  onDecided,
}: {
  backend: Backend;
  /** The pending actions decided together. */
  ids: number[];
  /** Word the buttons "Approve all 37" / "Reject all…" (a group) rather than "Approve" / "Reject…". */
  all?: boolean;
  onDecided?: (result: ActionView[], approved: boolean) => void;
}) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const decide = (approve: boolean) => {
    setBusy(true);
    setError(null);
    (approve ? backend.approve(ids, null) : backend.reject(ids, reason.trim())).then(
      (result) => {
        setBusy(false);
        setRejecting(false);
        const failed = result.filter((a) => a.state === "failed").length;
        setMessage(
          approve
            ? `${count(ids.length, "action")} approved${failed ? `; ${failed} failed — see the action history` : ""}.`
            : `${count(ids.length, "action")} rejected.`,
        );
        onDecided?.(result, approve);
      },
      (e: unknown) => {
        setBusy(false);
        setError(errorMessage(e));
      },
    );
  };

  return (
    <div className="decide" role="group" aria-label="Decision">
      {!rejecting && (
        <>
          <button type="button" className="primary" data-testid="approve" disabled={busy || ids.length === 0} onClick={() => decide(true)}>
            {all ? `Approve all ${ids.length}` : "Approve"}
          </button>
          <button type="button" data-testid="reject" disabled={busy || ids.length === 0} onClick={() => setRejecting(true)}>
            {all ? "Reject all…" : "Reject…"}
          </button>
        </>
      )}
      {rejecting && (
        <>
          <label className="reason">
            <span className="sr-only">Why reject? (kept in the action history)</span>
            <input
              type="text"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="Why reject? e.g. known admin tool"
              aria-label="Why reject? (kept in the action history)"
              autoFocus
            />
          </label>
          <button type="button" className="danger" data-testid="confirm-reject" disabled={busy || reason.trim() === ""} onClick={() => decide(false)}>
            {all ? `Reject all ${ids.length}` : "Reject"}
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            Cancel
          </button>
        </>
      )}
      {message && (
        <span role="status" className="small">
          {message}
        </span>
      )}
      {error && (
        <span role="alert" className="error small">
          The decision could not be applied: {error}
        </span>
      )}
    </div>
  );
}
