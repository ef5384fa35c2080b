import { useState } from "react";
import type { AlertPolicyInput, AlertPolicyView, Backend, PolicyChoices, Severity } from "../../backend";
import { errorMessage, humanize } from "../../lib/format";
import { EditForm, useDraft } from "./EditForm";
import { Ranked } from "./Ranked";
import { SEVERITIES } from "../../lib/statuses";


const blank: AlertPolicyInput = {
  id: null,
  name: "",
  enabled: true,
  min_severity: "high",
  detection_source: null,
  category: null,
  playbook: "auto",
  start: true,
};

function toInput(p: AlertPolicyView): AlertPolicyInput {
  const { id, name, enabled, min_severity, detection_source, category, playbook, start } = p;
  return { id, name, enabled, min_severity, detection_source, category, playbook, start };
}

/** The alerts a minimum severity takes, in words. */
export function severityWords(min: Severity): string {
  switch (min) {
    case "informational":
      return "all alerts";
    case "high":
      return "high- and critical-severity alerts";
    case "critical":
      return "critical alerts only";
    default:
      return `${min}-severity alerts or higher`;
  }
}

/** What a policy matches, in words. */
export function describePolicy(p: AlertPolicyView, choices: PolicyChoices | null): string {
  const parts = [severityWords(p.min_severity)];
  if (p.detection_source) parts.push(`from ${humanize(p.detection_source)}`);
  if (p.category) parts.push(`category contains “${p.category}”`);
  const playbook = choices?.playbooks.find((b) => b.id === p.playbook)?.title;
  const effect = p.start ? `start an investigation${playbook ? ` (${playbook})` : ""}` : "are only recorded";
  return `${parts.join(", ")} → ${effect}`;
}

/** The alert policies: tried in order; the first enabled one that matches an alert decides. */
export function Policies({
  backend,
  policies,
  choices,
  onChanged,
}: {
  backend: Backend;
  policies: AlertPolicyView[];
  choices: PolicyChoices | null;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState<AlertPolicyInput | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = (work: Promise<unknown>, done: string) => {
    setMessage(null);
    setError(null);
    work.then(
      () => {
        setMessage(done);
        onChanged();
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  };

  return (
    <>
      <h2 id="alert-policies">Alert policies</h2>
      <p className="muted">
        Which alerts start an automated investigation by themselves. Vigil tries them in order; the first enabled policy
        that matches an alert decides. Alerts no policy takes wait for you to investigate them.
      </p>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {error && !editing && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {policies.length === 0 && <p className="empty">No alert policy: every alert waits for you.</p>}
      <Ranked
        items={policies}
        label="policy"
        name={(p) => p.name}
        testId="policies"
        dataAttr="data-policy"
        onMove={(p, direction) => run(backend.moveAlertPolicy(p.id, direction), `“${p.name}” moved ${direction}.`)}
        onDelete={(p) => run(backend.deleteAlertPolicy(p.id), `“${p.name}” deleted.`)}
        onEdit={(p) => {
          setError(null);
          setEditing(toInput(p));
        }}
        render={(p) => (
          <>
            <strong>{p.name}</strong> {!p.enabled && <span className="badge muted">off</span>}
            <span className="block small muted">{describePolicy(p, choices)}</span>
            {p.why && <span className="block small policy-why">Why: {p.why}</span>}
          </>
        )}
        extra={(p) => (
          <label className="toggle small">
            <input
              type="checkbox"
              checked={p.enabled}
              data-testid="policy-enabled"
              onChange={() =>
                run(
                  backend.saveAlertPolicy({ ...toInput(p), enabled: !p.enabled }),
                  `“${p.name}” is ${p.enabled ? "off: it no longer starts investigations" : "on"}.`,
                )
              }
            />{" "}
            Enabled
          </label>
        )}
      />
      {editing ? (
        <PolicyForm
          key={editing.id ?? "new"}
          initial={editing}
          choices={choices}
          error={error}
          onChange={() => setError(null)}
          onCancel={() => {
            setEditing(null);
            setError(null);
          }}
          onSave={(input) => {
            setError(null);
            backend.saveAlertPolicy(input).then(
              (saved) => {
                setEditing(null);
                setMessage(`“${saved.name}” saved. The next alert follows it.`);
                onChanged();
              },
              (e: unknown) => setError(errorMessage(e)),
            );
          }}
        />
      ) : (
        <div className="button-row">
          <button type="button" data-testid="add-policy" onClick={() => setEditing({ ...blank })}>
            Add a policy
          </button>
        </div>
      )}
    </>
  );
}

function PolicyForm({
  initial,
  choices,
  error,
  onChange,
  onSave,
  onCancel,
}: {
  initial: AlertPolicyInput;
  choices: PolicyChoices | null;
  error: string | null;
  /** Any edit: a refusal shown for the last attempt no longer applies. */
  onChange: () => void;
  onSave: (input: AlertPolicyInput) => void;
  onCancel: () => void;
}) {
  const [p, set] = useDraft(initial, onChange);
  return (
    <EditForm
      kind="policy"
      noun="alert policy"
      initial={initial}
      error={error}
      onSubmit={() => onSave(p)}
      onCancel={onCancel}
    >
      <label>
        Name
        <input type="text" name="name" value={p.name} onChange={(e) => set({ name: e.target.value })} autoFocus />
      </label>
      <label>
        Minimum severity
        <select name="min_severity" value={p.min_severity} onChange={(e) => set({ min_severity: e.target.value as Severity })}>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)} or higher
            </option>
          ))}
        </select>
      </label>
      <label>
        Detection source
        <select
          name="detection_source"
          value={p.detection_source ?? ""}
          onChange={(e) => set({ detection_source: e.target.value || null })}
        >
          <option value="">Any source</option>
          {(choices?.detection_sources ?? []).map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Category contains
        <input
          type="text"
          name="category"
          placeholder="any category (e.g. Credential access)"
          value={p.category ?? ""}
          onChange={(e) => set({ category: e.target.value || null })}
        />
      </label>
      <fieldset className="choice">
        <legend>What happens to a matching alert</legend>
        <label>
          <input type="radio" name="start" checked={p.start} data-effect="start" onChange={() => set({ start: true })} /> Start an
          automated investigation
        </label>
        <label>
          <input type="radio" name="start" checked={!p.start} data-effect="record" onChange={() => set({ start: false })} /> Only
          record it (it waits for you; later policies are not tried)
        </label>
      </fieldset>
      <label>
        Playbook
        <select name="playbook" value={p.playbook} disabled={!p.start} onChange={(e) => set({ playbook: e.target.value })}>
          <option value="auto">Let the alert pick</option>
          {(choices?.playbooks ?? []).map((b) => (
            <option key={b.id} value={b.id}>
              {b.title}
            </option>
          ))}
        </select>
      </label>
      <label className="toggle">
        <input type="checkbox" name="enabled" checked={p.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
      </label>
    </EditForm>
  );
}
