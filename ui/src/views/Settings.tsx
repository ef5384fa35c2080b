import { useEffect, useState } from "react";
import type { AutomationLevel, Backend } from "../backend";
import type { Go } from "../route";
import { LoadError, Loading } from "../components/common/States";
import { useLive } from "../lib/useLive";

async function loadSettings(backend: Backend) {
  const [groups, levels, policies, location] = await Promise.all([
    backend.groups(),
    backend.automationLevels(),
    backend.alertPolicies(),
    backend.dataLocation().catch(() => "unknown"),
  ]);
  return { groups, levels, policies, location };
}

export function Settings({ backend, go = () => undefined }: { backend: Backend; go?: Go }) {
  const live = useLive(backend, () => loadSettings(backend), []);
  const [saving, setSaving] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const d = live.data;

  const setLevel = (group: string, level: AutomationLevel) => {
    setSaving(group);
    setMessage(null);
    setError(null);
    backend.setGroupLevel(group, level).then(
      (g) => {
        setSaving(null);
        setMessage(`${g.name} is now “${g.automation_label}”. New investigations on its machines follow it.`);
        live.reload();
      },
      (e: unknown) => {
        setSaving(null);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
  };

  return (
    <section>
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="settings" />}
      {d && (
        <>
          <h2>Machine groups and automation levels</h2>
          <p className="muted">
            A machine belongs to the highest-ranked group whose rules match it. The group's automation level decides
            whether Vigil remediates a threat at once or waits for your approval.
          </p>
          {message && (
            <p className="notice" role="status">
              {message}
            </p>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <div className="groups">
            {d.groups.map((g) => (
              <div className="card group" key={g.id} data-group={g.name}>
                <div className="row-between">
                  <h3>
                    <span className="muted">#{g.rank}</span> {g.name}
                  </h3>
                  <span className="muted small">{g.machines.length} machine{g.machines.length === 1 ? "" : "s"}</span>
                </div>
                {g.description && <p className="muted">{g.description}</p>}
                <p className="small">
                  Rules:{" "}
                  {g.rules.length === 0
                    ? g.is_default
                      ? "every machine no other group takes"
                      : "none"
                    : g.rules.map((r, i) => (
                        <span key={i}>
                          {i > 0 && " or "}
                          <code>
                            {r.field} = {r.pattern}
                          </code>
                        </span>
                      ))}
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
                  {d.levels.map((l) => (
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
              </div>
            ))}
          </div>

          <h2>Alert policies</h2>
          <p className="muted">Which alerts start an automated investigation by themselves, tried in order.</p>
          <table className="table">
            <thead>
              <tr>
                <th>#</th>
                <th>Policy</th>
                <th>Minimum severity</th>
                <th>Source</th>
                <th>Category</th>
                <th>Playbook</th>
                <th>Effect</th>
              </tr>
            </thead>
            <tbody>
              {d.policies.map((p) => (
                <tr key={p.id}>
                  <td>{p.rank}</td>
                  <td>
                    {p.name} {!p.enabled && <span className="muted">(off)</span>}
                  </td>
                  <td>{p.min_severity}</td>
                  <td>{p.detection_source ?? "any"}</td>
                  <td>{p.category ?? "any"}</td>
                  <td>{p.playbook}</td>
                  <td>{p.start ? "starts an investigation" : "records only"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Editing policies is not available yet; alerts below the policies can still be investigated by hand.</p>

          <DetectionContent backend={backend} />

          <h2>Data location</h2>
          <p>
            Vigil keeps everything in one file on this computer: <code data-testid="data-location">{d.location}</code>
            <br />
            <span className="muted small">Exports are saved in the “exports” folder beside it.</span>
          </p>
        </>
      )}
    </section>
  );
}

/** Sigma rule folders and IOC lists: what detections use besides Vigil's own rules. */
function DetectionContent({ backend }: { backend: Backend }) {
  const [dirs, setDirs] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    backend.ruleDirs().then(setDirs, () => setDirs([]));
  };
  useEffect(reload, [backend]);
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));

  const addRules = () => {
    setError(null);
    backend.pick("rule-folder").then((paths) => {
      if (!paths) return;
      setMessage("Loading the rules…");
      backend.addRuleDir(paths[0]).then((loaded) => {
        setMessage(`${loaded.toLocaleString()} rules loaded from ${paths[0]}; they run on every import from now on.`);
        reload();
      }, fail);
    }, fail);
  };
  const addIntel = () => {
    setError(null);
    backend.pick("ioc-list").then((paths) => {
      if (!paths) return;
      backend.importIntel(paths[0]).then((added) => setMessage(`${added.toLocaleString()} new indicators from ${paths[0]}.`), fail);
    }, fail);
  };

  return (
    <>
      <h2>Detection rules and threat intelligence</h2>
      <p className="muted">
        Vigil's own Sigma rules always run. Add a folder of Sigma rules (for example a SigmaHQ checkout) and IOC lists (CSV
        type,value,description or a STIX 2.1 bundle of file hashes, URLs, domains and IPs).
      </p>
      <ul data-testid="rule-dirs">
        <li>Vigil's default rules</li>
        {dirs.map((d) => (
          <li key={d}>
            <code>{d}</code>
          </li>
        ))}
      </ul>
      <div className="button-row">
        <button type="button" data-testid="add-rule-dir" onClick={addRules}>
          Add a rule folder…
        </button>
        <button type="button" data-testid="import-intel" onClick={addIntel}>
          Import an IOC list…
        </button>
      </div>
      {message && (
        <p role="status" className="notice">
          {message}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
