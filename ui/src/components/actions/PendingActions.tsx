import { useMemo, useState } from "react";
import type { ActionView, Backend } from "../../backend";
import type { Go } from "../../route";
import { Badge } from "../common/Badge";
import { age, formatTime } from "../../lib/format";

/**
 * Pending actions with their evidence and reversibility, decided one by one or several of
 * the same type at once.
 */
export function PendingActions({
  backend,
  actions,
  go,
  onDecided,
  showInvestigation = true,
}: {
  backend: Backend;
  actions: ActionView[];
  go?: Go;
  onDecided?: () => void;
  showInvestigation?: boolean;
}) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const present = useMemo(() => new Set(actions.map((a) => a.id)), [actions]);
  const chosen = actions.filter((a) => selected.has(a.id) && present.has(a.id));
  const kind = chosen[0]?.kind ?? null;

  const toggle = (a: ActionView) => {
    const next = new Set([...selected].filter((id) => present.has(id)));
    if (next.has(a.id)) next.delete(a.id);
    else next.add(a.id);
    setSelected(next);
    setMessage(null);
  };

  const selectAllOfKind = (k: ActionView["kind"]) => {
    setSelected(new Set(actions.filter((a) => a.kind === k).map((a) => a.id)));
  };

  const decide = (approve: boolean) => {
    const ids = chosen.map((a) => a.id);
    if (ids.length === 0) return;
    setBusy(true);
    setError(null);
    const call = approve ? backend.approve(ids, null) : backend.reject(ids, reason.trim());
    call.then(
      (result) => {
        setBusy(false);
        setSelected(new Set());
        setRejecting(false);
        setReason("");
        const failed = result.filter((a) => a.state === "failed").length;
        setMessage(
          approve
            ? `${ids.length} action${ids.length === 1 ? "" : "s"} approved${failed ? `; ${failed} failed — see History` : " and run"}.`
            : `${ids.length} action${ids.length === 1 ? "" : "s"} rejected.`,
        );
        onDecided?.();
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  if (actions.length === 0) {
    return (
      <div>
        {message && (
          <p className="notice" role="status">
            {message}
          </p>
        )}
        <p className="empty-row">Nothing waits for your approval.</p>
      </div>
    );
  }

  const kinds = [...new Set(actions.map((a) => a.kind))];

  return (
    <div className="pending" data-testid="pending-actions">
      <div className="decision-bar" role="group" aria-label="Decision">
        <span>
          {chosen.length === 0 ? (
            <>Select actions of one type to decide them together.</>
          ) : (
            <>
              <strong>{chosen.length}</strong> × {chosen[0]?.label} selected
              {chosen.every((a) => a.reversible) ? " · can be undone later" : " · some cannot be undone"}
            </>
          )}
        </span>
        <span className="spacer" />
        {kinds.length > 0 && (
          <select
            aria-label="Select all of a type"
            value=""
            onChange={(e) => e.target.value && selectAllOfKind(e.target.value as ActionView["kind"])}
          >
            <option value="">Select all of type…</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {actions.find((a) => a.kind === k)?.label} ({actions.filter((a) => a.kind === k).length})
              </option>
            ))}
          </select>
        )}
        <button type="button" className="primary" data-testid="approve-selected" disabled={busy || chosen.length === 0} onClick={() => decide(true)}>
          Approve{chosen.length > 1 ? ` ${chosen.length}` : ""}
        </button>
        <button type="button" data-testid="reject-selected" disabled={busy || chosen.length === 0} onClick={() => setRejecting(true)}>
          Reject…
        </button>
      </div>
      {rejecting && chosen.length > 0 && (
        <div className="reject-box">
          <label>
            Why reject? (kept in the action history)
            <input type="text" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. known admin tool" autoFocus />
          </label>
          <button type="button" className="danger" disabled={busy || reason.trim() === ""} onClick={() => decide(false)} data-testid="confirm-reject">
            Reject {chosen.length}
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            Cancel
          </button>
        </div>
      )}
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          The decision could not be applied: {error}
        </p>
      )}
      <ul className="action-list">
        {actions.map((a) => {
          const disabled = kind !== null && a.kind !== kind;
          return (
            <li key={a.id} className={selected.has(a.id) ? "action-card selected" : "action-card"} data-action={a.id}>
              <label className="action-check" title={disabled ? "Only actions of the same type can be decided together" : undefined}>
                <input type="checkbox" checked={selected.has(a.id)} disabled={disabled} onChange={() => toggle(a)} aria-label={`Select ${a.label} ${a.entity ?? ""}`} />
              </label>
              <div className="action-body">
                <div className="action-title">
                  <strong>{a.label}</strong> <span className="mono">{a.entity ?? "—"}</span>
                  {a.verdict && <Badge value={a.verdict} />}
                </div>
                <div className="muted small">
                  on <strong>{a.machine ?? "—"}</strong> · {a.entity_kind ?? "entity"} · waiting {age(a.proposed_at)} · expires {formatTime(a.expires_at)}
                  {showInvestigation && a.investigation_id !== null && go && (
                    <>
                      {" · "}
                      <button type="button" className="link" onClick={() => go({ view: "investigation", id: a.investigation_id as number })}>
                        investigation #{a.investigation_id}
                      </button>
                    </>
                  )}
                </div>
                <div className="why">Why: {a.reason}</div>
                <div className="small">
                  {a.reversible ? (
                    <span className="ok-text">Reversible — you can undo it from the action history.</span>
                  ) : (
                    <span className="warn-text">Cannot be undone.</span>
                  )}
                </div>
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
