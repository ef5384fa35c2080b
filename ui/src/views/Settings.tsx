import { useEffect, useState } from "react";
import type { Backend } from "../backend";
import type { Go } from "../route";
import { LoadError, Loading } from "../components/common/States";
import { Appearance } from "../components/settings/Appearance";
import { Groups } from "../components/settings/Groups";
import { Policies } from "../components/settings/Policies";
import { errorMessage } from "../lib/format";
import { useLive } from "../lib/useLive";

async function loadSettings(backend: Backend) {
  const [groups, levels, policies, choices, location] = await Promise.all([
    backend.groups(),
    backend.automationLevels(),
    backend.alertPolicies(),
    backend.policyChoices().catch(() => null),
    backend.dataLocation().catch(() => "unknown"),
  ]);
  return { groups, levels, policies, choices, location };
}

export function Settings({ backend, go = () => undefined }: { backend: Backend; go?: Go }) {
  const live = useLive(backend, () => loadSettings(backend), []);
  const d = live.data;

  return (
    <section>
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="settings" />}
      {d && (
        <>
          <Groups backend={backend} groups={d.groups} levels={d.levels} go={go} onChanged={live.reload} />
          <Policies backend={backend} policies={d.policies} choices={d.choices} onChanged={live.reload} />

          <DetectionContent backend={backend} />

          <h2>Appearance and data</h2>
          <Appearance />
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
  const fail = (e: unknown) => setError(errorMessage(e));

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
