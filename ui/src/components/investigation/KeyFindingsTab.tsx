import { useEffect, useState } from "react";
import type { ActionView, Backend, EntityView, FindingGroup, InvestigationDetails } from "../../backend";
import { findingRows, lowerFirst, openActionsOn, remediationFor, type Remediation } from "../../lib/findings";
import { count, humanize, kindLabel } from "../../lib/format";
import { Decide } from "../actions/Decide";
import { Badge } from "../common/Badge";
import { Empty } from "../common/States";
import { Facts } from "./Facts";
import { Remediate } from "./Remediate";
import { entityNode, focusClass } from "./tabs";
import { Untrusted } from "../common/Untrusted";

/** Members of a group listed at first when it is opened; the rest behind one more click. */
const MEMBERS_SHOWN = 100;

/**
 * The key findings, ranked by the engine (the culprit first). Like findings are one row,
 * opened to show their members and decided as one; each finding says what it is, why it
 * was judged so, what is known of it, and what the admin can still do about it.
 */
export function KeyFindingsTab({
  backend,
  d,
  focus,
  onChanged,
}: {
  backend: Backend;
  d: InvestigationDetails;
  focus: string | null;
  onChanged: () => void;
}) {
  if (d.key_findings.length === 0) return <Empty>Nothing malicious or suspicious was found.</Empty>;
  const rows = findingRows(d.key_findings, d.finding_groups, d.entities);
  return (
    <ol className="findings" data-testid="key-findings">
      {rows.map((row) =>
        row.kind === "one" ? (
          <FindingCard key={row.entity.id} backend={backend} d={d} e={row.entity} focus={focus} onChanged={onChanged} />
        ) : (
          <GroupCard key={row.group.id} backend={backend} d={d} group={row.group} members={row.members} focus={focus} onChanged={onChanged} />
        ),
      )}
    </ol>
  );
}

function Reasons({ e }: { e: EntityView }) {
  const [more, setMore] = useState(false);
  const [strongest, ...others] = e.reasons;
  if (!strongest) return null;
  return (
    <div className="reasons">
      <p className="why">
        {strongest.text} <span className="muted small">— {humanize(strongest.analyzer)}</span>
        {others.length > 0 && (
          <>
            {" "}
            <button type="button" className="link small" aria-expanded={more} onClick={() => setMore(!more)}>
              {more ? "fewer reasons" : `${count(others.length, "more reason")}`}
            </button>
          </>
        )}
      </p>
      {more && (
        <ul className="why-list">
          {others.map((r, i) => (
            <li key={i}>
              {r.text} <span className="muted small">— {humanize(r.analyzer)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Protected({ why }: { why: string | null }) {
  if (!why) return null;
  return (
    <p className="protected small" data-testid="protected">
      Vigil will not act on this: {why}
    </p>
  );
}

/** What the admin can do about findings: decide what waits, see what ran, or remediate by hand. */
function Decision({
  backend,
  d,
  entities,
  actions,
  remediation,
  onChanged,
  noAction,
}: {
  backend: Backend;
  d: InvestigationDetails;
  /** The findings it is about that Vigil may act on. */
  entities: EntityView[];
  /** The actions proposed for them. */
  actions: ActionView[];
  remediation: Remediation | null;
  onChanged: () => void;
  /** Why nothing can be done, when Vigil has no action for this kind. */
  noAction?: string;
}) {
  const pending = actions.filter((a) => a.state === "pending");
  const group = pending.length > 1;
  if (pending.length > 0) {
    const first = pending[0] as ActionView;
    return (
      <div className="finding-decision" data-testid="finding-decision">
        <span>
          <strong>{group ? first.group_label ?? `${first.label} × ${pending.length}` : first.label}</strong>{" "}
          <span className="muted">{group ? `— ${pending.length} wait for your approval` : "waits for your approval"}</span>
        </span>
        <Decide backend={backend} ids={pending.map((a) => a.id)} all={group} onDecided={onChanged} />
      </div>
    );
  }
  if (actions.length > 0) {
    const states = [...new Set(actions.map((a) => a.state))];
    return (
      <p className="finding-decision muted small">
        {actions[0]?.group_label ?? actions[0]?.label}: {states.map((s) => <Badge key={s} value={s} />)}
      </p>
    );
  }
  if (entities.length === 0) return null;
  if (!remediation) return noAction ? <p className="muted small">{noAction}</p> : null;
  return <Remediate backend={backend} investigation={d.id} entities={entities.map((e) => e.id)} remediation={remediation} onDone={onChanged} />;
}

function FindingCard({
  backend,
  d,
  e,
  focus,
  onChanged,
}: {
  backend: Backend;
  d: InvestigationDetails;
  e: EntityView;
  focus: string | null;
  onChanged: () => void;
}) {
  const node = entityNode(e.id);
  const kind = kindLabel(e);
  return (
    <li data-node={node} data-finding={e.id} className={focusClass(focus === node, "finding")}>
      <div className="finding-head">
        <Badge value={e.verdict} /> <span className="kind">{kind}</span> <Untrusted className="mono break strong" text={withPid(e)} />
        {e.machine && <span className="muted">on {e.machine}</span>}
        {e.remediation_status !== "none" && <Badge value={e.remediation_status} />}
      </div>
      <Reasons e={e} />
      <Facts facts={e.facts} />
      <Protected why={e.protected} />
      {!e.protected && (
        <Decision
          backend={backend}
          d={d}
          entities={[e]}
          actions={openActionsOn(e.id, d.actions)}
          remediation={remediationFor(e)}
          onChanged={onChanged}
          noAction={`Vigil has no action of its own for this ${lowerFirst(kind)}: remediate the process, file or account behind it.`}
        />
      )}
    </li>
  );
}

function GroupCard({
  backend,
  d,
  group,
  members,
  focus,
  onChanged,
}: {
  backend: Backend;
  d: InvestigationDetails;
  group: FindingGroup;
  members: EntityView[];
  focus: string | null;
  onChanged: () => void;
}) {
  const holdsFocus = focus === `group:${group.id}` || members.some((m) => focus === entityNode(m.id));
  const [open, setOpen] = useState(holdsFocus);
  const [all, setAll] = useState(false);
  useEffect(() => {
    if (holdsFocus) setOpen(true);
  }, [holdsFocus]);

  const actionIds = new Set(group.action_ids);
  const memberActions = new Set(members.flatMap((m) => openActionsOn(m.id, d.actions)).map((a) => a.id));
  const actions = d.actions.filter((a) => actionIds.has(a.id) || memberActions.has(a.id));
  const shielded = members.filter((m) => m.protected);
  const actable = members.filter((m) => !m.protected);
  const first = actable[0];
  const remediation = first ? remediationFor(first) : null;
  const statuses = countBy(members.map((m) => m.remediation_status).filter((s) => s !== "none"));
  const shown = all ? members : members.slice(0, MEMBERS_SHOWN);

  return (
    <li data-node={`group:${group.id}`} data-finding-group={group.id} className={focusClass(holdsFocus, "finding group")}>
      <div className="finding-head">
        <Badge value={group.verdict} /> <span className="kind">{group.kind_label}</span> <strong className="break">{group.label}</strong>
        {[...statuses].map(([s, n]) => (
          <Badge key={s} value={s} label={`${n} ${humanize(s).toLowerCase()}`} />
        ))}
      </div>
      {members[0] && <Reasons e={members[0]} />}
      {shielded.length > 0 && (
        <p className="protected small" data-testid="protected">
          Vigil will not act on {shielded.length === members.length ? "any of them" : `${shielded.length} of them`}: {shielded[0]?.protected}
        </p>
      )}
      {actable.length > 0 && (
        <Decision
          backend={backend}
          d={d}
          entities={actable}
          actions={actions}
          remediation={remediation && { verb: remediation.verb, what: `${remediation.verb}: ${count(actable.length, "finding")} of “${group.label}”` }}
          onChanged={onChanged}
        />
      )}
      <button type="button" className="link small" aria-expanded={open} data-testid="toggle-group" onClick={() => setOpen(!open)}>
        {open ? "Hide them" : `Show the ${members.length}`}
      </button>
      {open && (
        <ul className="group-members">
          {shown.map((m) => (
            <li key={m.id} data-node={entityNode(m.id)} className={focusClass(focus === entityNode(m.id))}>
              <Untrusted className="mono break" text={m.path ?? m.name} />
              {m.machine && <span className="muted small"> on {m.machine}</span>}{" "}
              {m.remediation_status !== "none" && <Badge value={m.remediation_status} />}
              <Facts facts={m.facts} limit={100} />
              {m.protected && <p className="protected small">Vigil will not act on this: {m.protected}</p>}
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
    </li>
  );
}

/** A process's name with its id, unless the name already says it. */
function withPid(e: EntityView): string {
  return e.pid !== null && !e.name.includes(`(${e.pid})`) ? `${e.name} (${e.pid})` : e.name;
}

function countBy<T>(items: T[]): Map<T, number> {
  const out = new Map<T, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}
