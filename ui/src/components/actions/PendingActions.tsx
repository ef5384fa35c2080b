import { useMemo, useState } from "react";
import type { ActionView, Backend } from "../../backend";
import type { Go } from "../../route";
import { Badge } from "../common/Badge";
import { Decide } from "./Decide";
import { actionRows } from "../../lib/actions";
import { age, count, formatTime, humanize } from "../../lib/format";
import { Untrusted } from "../common/Untrusted";

/** Members of a group listed at first when it is opened. */
const MEMBERS_SHOWN = 100;

/**
 * Pending actions with their evidence and reversibility, decided one by one or several of
 * the same type at once. Actions proposed together for like entities are one row, decided
 * as one (Approve all / Reject all) and opened to show their members.
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

  const toggle = (members: ActionView[]) => {
    const next = new Set([...selected].filter((id) => present.has(id)));
    const on = members.every((a) => next.has(a.id));
    for (const a of members) {
      if (on) next.delete(a.id);
      else next.add(a.id);
    }
    setSelected(next);
    setMessage(null);
  };

  const decided = (ids: number[], result: ActionView[], approve: boolean) => {
    const failed = result.filter((a) => a.state === "failed").length;
    setSelected(new Set());
    setMessage(
      approve
        ? `${count(ids.length, "action")} approved${failed ? `; ${failed} failed — see History` : " and run"}.`
        : `${count(ids.length, "action")} rejected.`,
    );
    onDecided?.();
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
        setRejecting(false);
        setReason("");
        decided(ids, result, approve);
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
              <strong>{chosen.length}</strong> × {labelOf(chosen)} selected
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
                {labelOf(actions.filter((a) => a.kind === k))} ({actions.filter((a) => a.kind === k).length})
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
        {actionRows(actions).map((row) => {
          const members = row.kind === "one" ? [row.action] : row.members;
          const a = members[0] as ActionView;
          const disabled = kind !== null && a.kind !== kind;
          const checked = members.every((m) => selected.has(m.id));
          const group = row.kind === "group" ? row : null;
          return (
            <li
              key={group ? group.id : a.id}
              className={checked ? "action-card selected" : "action-card"}
              data-action={group ? undefined : a.id}
              data-action-group={group?.id}
            >
              <label className="action-check" title={disabled ? "Only actions of the same type can be decided together" : undefined}>
                <input
                  type="checkbox"
                  checked={checked}
                  disabled={disabled}
                  onChange={() => toggle(members)}
                  aria-label={group ? `Select ${group.label} (${members.length})` : `Select ${a.label} ${a.entity ?? ""}`}
                />
              </label>
              <div className="action-body">
                <div className="action-title">
                  {group ? (
                    <>
                      <strong className="break">{group.label}</strong> <span className="badge muted">{count(members.length, "action")}</span>
                    </>
                  ) : (
                    <>
                      <strong>{a.label}</strong> <Untrusted className="mono break" text={a.entity ?? "—"} />
                    </>
                  )}
                  {a.verdict && <Badge value={a.verdict} />}
                </div>
                <div className="muted small">
                  {members.some((m) => m.machine) && (
                    <>
                      on <strong>{machinesOf(members)}</strong> ·{" "}
                    </>
                  )}
                  {a.entity_kind ? humanize(a.entity_kind).toLowerCase() : "entity"} · waiting {age(a.proposed_at)} · expires {formatTime(a.expires_at)}
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
                <RunsWhere members={members} />
                <div className="small">
                  {members.every((m) => m.reversible) ? (
                    <span className="ok-text">Reversible — you can undo {group ? "them" : "it"} from the action history.</span>
                  ) : (
                    <span className="warn-text">{group && members.some((m) => m.reversible) ? "Some cannot be undone." : "Cannot be undone."}</span>
                  )}
                </div>
                {group && <GroupMembers backend={backend} members={members} onDecided={(result, approve) => decided(members.map((m) => m.id), result, approve)} />}
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * Where approving makes them run: through a machine's agent, on this computer, in the demo,
 * or nowhere (a machine known only from imported logs: the admin does it by hand).
 */
function RunsWhere({ members }: { members: ActionView[] }) {
  if (members.every((m) => m.kind === "expand_scope" || !m.machine)) return null;
  const byHand = members.filter((m) => m.machine && m.machine_connector === null && m.kind !== "expand_scope");
  if (byHand.length > 0) {
    const names = [...new Set(byHand.map((m) => m.machine))].join(", ");
    return (
      <div className="small warn-text" data-testid="runs-by-hand">
        Vigil cannot reach {names}: approving records the decision, and someone does it there by hand, then marks it done.
      </div>
    );
  }
  const through = new Set(members.map((m) => m.machine_connector));
  const how =
    through.size === 1 && through.has("agent")
      ? "through the machine's Vigil agent (at once, or when it is next online)"
      : through.size === 1 && through.has("local")
        ? "on this computer"
        : through.size === 1 && through.has("lab")
          ? "in the demo environment (simulated)"
          : "through each machine's connector";
  return (
    <div className="small muted" data-testid="runs-where">
      Approving runs {members.length === 1 ? "it" : "them"} {how}.
    </div>
  );
}

/**
 * What actions of one type do, in words: their label when they share it ("Remove service"),
 * the type's name when their targets differ ("Remove persistence" for a service and a task).
 */
function labelOf(actions: ActionView[]): string {
  const labels = new Set(actions.map((a) => a.label));
  const first = actions[0];
  if (!first) return "";
  return labels.size === 1 ? first.label : humanize(first.kind);
}

/** The machines actions run on, in words: `ws01`, `ws01, ws02`, `5 machines`. */
function machinesOf(actions: ActionView[]): string {
  const names = [...new Set(actions.map((a) => a.machine ?? "—"))];
  return names.length <= 3 ? names.join(", ") : `${names.length} machines`;
}

/** A group's one decision, and its members on demand. */
function GroupMembers({
  backend,
  members,
  onDecided,
}: {
  backend: Backend;
  members: ActionView[];
  onDecided: (result: ActionView[], approved: boolean) => void;
}) {
  const [open, setOpen] = useState(false);
  const [all, setAll] = useState(false);
  const shown = all ? members : members.slice(0, MEMBERS_SHOWN);
  return (
    <>
      <div className="button-row group-decision">
        <Decide backend={backend} ids={members.map((m) => m.id)} all onDecided={onDecided} />
        <button type="button" className="link small" aria-expanded={open} data-testid="toggle-group" onClick={() => setOpen(!open)}>
          {open ? "Hide them" : `Show the ${members.length}`}
        </button>
      </div>
      {open && (
        <ul className="group-members">
          {shown.map((m) => (
            <li key={m.id} data-action={m.id}>
              <Untrusted className="mono break" text={m.entity ?? "—"} /> <span className="muted small">on {m.machine ?? "—"}</span>
            </li>
          ))}
          {!all && members.length > MEMBERS_SHOWN && (
            <li>
              <button type="button" className="link small" onClick={() => setAll(true)}>
                Show {(members.length - MEMBERS_SHOWN).toLocaleString()} more
              </button>
            </li>
          )}
        </ul>
      )}
    </>
  );
}
