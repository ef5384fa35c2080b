import { useEffect, useState } from "react";
import type { AutomationLevel, AutomationLevelInfo, Backend, GroupInput, GroupPreview, GroupRule, GroupView } from "../../backend";
import type { Go } from "../../route";
import { count, errorMessage } from "../../lib/format";
import { EditForm, useDraft } from "./EditForm";
import { Ranked } from "./Ranked";

const FIELDS: { id: string; label: string }[] = [
  { id: "name", label: "Name" },
  { id: "domain", label: "Domain" },
  { id: "tag", label: "Tag" },
  { id: "os", label: "OS" },
];

function toInput(g: GroupView): GroupInput {
  return { id: g.id, name: g.name, description: g.description, automation_level: g.automation_level, rules: g.rules };
}

export function Rules({ group }: { group: GroupView }) {
  if (group.rules.length === 0) return <>{group.is_default ? "every machine no other group takes" : "none"}</>;
  return (
    <>
      {group.rules.map((r, i) => (
        <span key={i}>
          {i > 0 && " and "}
          <code>
            {r.field} = {r.pattern}
          </code>
        </span>
      ))}
    </>
  );
}

/** Machine groups: ranked, each with its rules, members and automation level. */
export function Groups({
  backend,
  groups,
  levels,
  go,
  onChanged,
}: {
  backend: Backend;
  groups: GroupView[];
  levels: AutomationLevelInfo[];
  go: Go;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState<GroupInput | null>(null);
  const [saving, setSaving] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = (work: Promise<unknown>, done: string, group: string | null = null) => {
    setSaving(group);
    setMessage(null);
    setError(null);
    work.then(
      () => {
        setSaving(null);
        setMessage(done);
        onChanged();
      },
      (e: unknown) => {
        setSaving(null);
        setError(errorMessage(e));
      },
    );
  };
  const setLevel = (group: string, level: AutomationLevel) => {
    const label = levels.find((l) => l.level === level)?.label ?? level;
    run(backend.setGroupLevel(group, level), `${group} is now “${label}”. New investigations on its machines follow it.`, group);
  };

  return (
    <>
      <h2 id="machine-groups">Machine groups and automation levels</h2>
      <p className="muted">
        A machine belongs to the highest-ranked group whose rules all match it; “Ungrouped machines” takes the rest. The
        group's automation level decides whether Vigil remediates a threat at once or waits for your approval.
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
      <Ranked
        items={groups}
        label="group"
        name={(g) => g.name}
        testId="groups"
        dataAttr="data-group"
        fixed={(g) => g.is_default}
        onMove={(g, direction) => run(backend.moveGroup(g.id, direction), `“${g.name}” moved ${direction}; machines were sorted again.`)}
        onDelete={(g) => run(backend.deleteGroup(g.id), `“${g.name}” deleted; its machines joined the groups their rules pick.`)}
        onEdit={(g) => {
          setError(null);
          setEditing(toInput(g));
        }}
        render={(g) => (
          <>
            <div className="row-between">
              <h3>
                <span className="muted">#{g.is_default ? "last" : g.rank}</span> {g.name}
              </h3>
              <span className="muted small">
                {g.machines.length} machine{g.machines.length === 1 ? "" : "s"}
              </span>
            </div>
            {g.description && <p className="muted">{g.description}</p>}
            <p className="small">
              Rules: <Rules group={g} />
            </p>
            <p className="small">
              Machines:{" "}
              {g.machines.length === 0
                ? "none"
                : g.machines.map((m, i) => (
                    <span key={m}>
                      {i > 0 && ", "}
                      <button type="button" className="link" onClick={() => go({ view: "machine", name: m })}>
                        {m}
                      </button>
                    </span>
                  ))}
            </p>
            <fieldset className="levels" disabled={saving === g.name}>
              <legend>Automation level</legend>
              {levels.map((l) => (
                <label key={l.level} className={g.automation_level === l.level ? "level chosen" : "level"}>
                  <input
                    type="radio"
                    name={`level-${g.id}`}
                    value={l.level}
                    data-level={l.level}
                    checked={g.automation_level === l.level}
                    onChange={() => setLevel(g.name, l.level)}
                  />
                  <span>
                    <strong>{l.label}</strong>
                    <span className="muted small block">{l.explanation}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          </>
        )}
      />
      {editing ? (
        <GroupForm
          key={editing.id ?? "new"}
          backend={backend}
          initial={editing}
          isDefault={groups.some((g) => g.id === editing.id && g.is_default)}
          levels={levels}
          error={error}
          onChange={() => setError(null)}
          onCancel={() => {
            setEditing(null);
            setError(null);
          }}
          onSave={(input) => {
            setError(null);
            backend.saveGroup(input).then(
              (saved) => {
                setEditing(null);
                setMessage(`“${saved.name}” saved: it holds ${saved.machines.length} machine${saved.machines.length === 1 ? "" : "s"}.`);
                onChanged();
              },
              (e: unknown) => setError(errorMessage(e)),
            );
          }}
        />
      ) : (
        <div className="button-row">
          <button
            type="button"
            data-testid="add-group"
            onClick={() =>
              setEditing({ id: null, name: "", description: "", automation_level: "semi_any", rules: [{ field: "name", pattern: "" }] })
            }
          >
            Add a group
          </button>
        </div>
      )}
    </>
  );
}

/** Which machines a group written this way would hold, asked again as the rules change. */
function usePreview(backend: Backend, group: GroupInput, enabled: boolean) {
  const [preview, setPreview] = useState<GroupPreview | { error: string } | null>(null);
  const key = JSON.stringify(group.rules);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    const timer = setTimeout(() => {
      backend.previewGroup(group).then(
        (found) => current && setPreview(found),
        (e: unknown) => current && setPreview({ error: errorMessage(e) }),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The preview depends on the rules only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, key, enabled]);
  return preview;
}


function PreviewText({ preview }: { preview: GroupPreview | { error: string } | null }) {
  if (preview === null) return <>Looking for matching machines…</>;
  if ("error" in preview) return <>{preview.error}</>;
  const joins =
    preview.machines.length === 0
      ? "No machine would join"
      : `Would hold ${count(preview.machines.length, "machine")}: ${preview.machines.join(", ")}`;
  if (preview.kept_by_higher.length === 0) return <>{preview.machines.length === 0 ? `${joins}: no machine matches these rules.` : joins}</>;
  const kept = preview.kept_by_higher.map((k) => `${k.machine} (in ${k.group})`).join(", ");
  const one = preview.kept_by_higher.length === 1;
  return (
    <>
      {joins}. {kept} {one ? "matches but stays" : "match but stay"} in a higher-ranked group. Move this group up to take{" "}
      {one ? "it" : "them"}.
    </>
  );
}

function GroupForm({
  backend,
  initial,
  isDefault,
  levels,
  error,
  onChange,
  onSave,
  onCancel,
}: {
  backend: Backend;
  initial: GroupInput;
  isDefault: boolean;
  levels: AutomationLevelInfo[];
  error: string | null;
  /** Any edit: a refusal shown for the last attempt no longer applies. */
  onChange: () => void;
  onSave: (input: GroupInput) => void;
  onCancel: () => void;
}) {
  const [g, set] = useDraft(initial, onChange);
  const setRule = (i: number, change: Partial<GroupRule>) => set({ rules: g.rules.map((r, j) => (j === i ? { ...r, ...change } : r)) });
  const ready = g.rules.length > 0 && g.rules.every((r) => r.pattern.trim() !== "");
  const preview = usePreview(backend, g, ready && !isDefault);
  return (
    <EditForm
      kind="group"
      noun="machine group"
      initial={initial}
      error={error}
      onSubmit={() => onSave(g)}
      onCancel={onCancel}
    >
      <label>
        Name
        <input type="text" name="name" value={g.name} onChange={(e) => set({ name: e.target.value })} autoFocus />
      </label>
      <label>
        Description
        <input type="text" name="description" value={g.description} onChange={(e) => set({ description: e.target.value })} />
      </label>
      <label className="wide">
        Automation level
        <select
          name="automation_level"
          value={g.automation_level}
          onChange={(e) => set({ automation_level: e.target.value as AutomationLevel })}
        >
          {levels.map((l) => (
            <option key={l.level} value={l.level}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      {isDefault ? (
        <p className="muted small">“Ungrouped machines” has no rules: it takes every machine no other group takes.</p>
      ) : (
        <fieldset className="rules">
          <legend>Rules — a machine joins when all of them match (use * and ? as wildcards)</legend>
          {g.rules.map((r, i) => (
            <div className="rule" key={i} data-rule={i}>
              <select aria-label={`Rule ${i + 1}: what it looks at`} value={r.field} onChange={(e) => setRule(i, { field: e.target.value })}>
                {FIELDS.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.label}
                  </option>
                ))}
              </select>
              <input
                type="text"
                aria-label={`Rule ${i + 1}: pattern`}
                placeholder="e.g. client* or *server*"
                value={r.pattern}
                onChange={(e) => setRule(i, { pattern: e.target.value })}
              />
              <button type="button" className="quiet" aria-label={`Remove rule ${i + 1}`} onClick={() => set({ rules: g.rules.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" data-testid="add-rule" onClick={() => set({ rules: [...g.rules, { field: "name", pattern: "" }] })}>
            Add a rule
          </button>
        </fieldset>
      )}
      {!isDefault && (
        <p className="small" role="status" aria-live="polite" data-testid="group-preview">
          {!ready ? "Write a pattern for every rule to see which machines would join." : <PreviewText preview={preview} />}
        </p>
      )}
    </EditForm>
  );
}
