import { useEffect, useState } from "react";
import type { Backend, RuleSets, SigmaHqUpdate } from "../../backend";
import { count, errorMessage, formatTime } from "../../lib/format";

/** Where SigmaHQ's rules come from, in a few words. */
function sigmahqSource(s: RuleSets["sigmahq"]): string {
  if (s.source === "update") return `from ${s.file ?? "a release"}, updated ${formatTime(s.updated_at)}`;
  return `shipped with Vigil (SigmaHQ commit ${s.commit ?? "unknown"})`;
}

function updated(u: SigmaHqUpdate): string {
  return `${count(u.rules, "SigmaHQ rule")} taken from ${u.source} (${u.skipped.toLocaleString()} passed over); imports run them instead of the shipped ones from now on.`;
}

/** The Sigma rules imports run, as `vigil rules list` shows them: Vigil's own, SigmaHQ's
 * Windows rules with the attribution their licence asks for, the user's folders; adding a
 * folder and taking SigmaHQ's rules from a newer release. */
export function DetectionRules({ backend }: { backend: Backend }) {
  const [sets, setSets] = useState<RuleSets | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    backend.ruleSets().then(setSets, (e) => setError(errorMessage(e)));
  };
  useEffect(reload, [backend]);
  const fail = (e: unknown) => {
    setMessage(null);
    setError(errorMessage(e));
  };

  const addFolder = () => {
    setError(null);
    backend.pick("rule-folder").then((paths) => {
      if (!paths) return;
      setMessage("Loading the rules…");
      backend.addRuleDir(paths[0]).then((loaded) => {
        setMessage(`${count(loaded, "rule")} loaded from ${paths[0]}; they run on every import from now on.`);
        reload();
      }, fail);
    }, fail);
  };
  const update = () => {
    setError(null);
    backend.pick("sigma-release").then((paths) => {
      if (!paths) return;
      setMessage("Reading the release and picking the rules Vigil can run…");
      backend.updateSigmahq(paths[0]).then((u) => {
        setMessage(updated(u));
        reload();
      }, fail);
    }, fail);
  };

  return (
    <div className="rule-sets" data-testid="detection-rules">
      <h3>Sigma rules</h3>
      {sets && (
        <>
          <ul data-testid="rule-sets">
            <li data-testid="vigil-rules">Vigil's own rules: {count(sets.vigil_rules, "rule")}</li>
            <li data-testid="sigmahq-rules">
              SigmaHQ's Windows rules: {count(sets.sigmahq.rules, "rule")}, {sigmahqSource(sets.sigmahq)}
              {sets.sigmahq.replaced_by_user > 0 && `; ${count(sets.sigmahq.replaced_by_user, "rule")} replaced by yours of the same id`}
            </li>
            {sets.user_dirs.map((d) => (
              <li key={d.path} data-rule-dir={d.path}>
                <code>{d.path}</code>: {count(d.rules, "rule")}
              </li>
            ))}
          </ul>
          <p className="muted small" data-testid="sigmahq-attribution">
            {sets.attribution}. Each rule keeps its authors' names; an alert's page shows them.
          </p>
        </>
      )}
      <div className="button-row">
        <button type="button" data-testid="add-rule-dir" onClick={addFolder}>
          Add a rule folder…
        </button>
        <button type="button" data-testid="update-sigmahq" onClick={update}>
          Update SigmaHQ's rules from a release…
        </button>
      </div>
      {message && (
        <p role="status" className="notice" data-testid="rules-message">
          {message}
        </p>
      )}
      {error && (
        <p role="alert" className="error" data-testid="rules-error">
          {error}
        </p>
      )}
    </div>
  );
}
