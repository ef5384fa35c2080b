import { useEffect, useState } from "react";
import type { Backend, IntelList, IntelSummary } from "../backend";
import { intelMessage } from "../lib/intel";
import type { Go } from "../route";
import { LoadError, Loading } from "../components/common/States";
import { Agents } from "../components/settings/Agents";
import { Appearance } from "../components/settings/Appearance";
import { DetectionRules } from "../components/settings/DetectionRules";
import { Groups } from "../components/settings/Groups";
import { InvestigationWindow } from "../components/settings/InvestigationWindow";
import { NeverActOn } from "../components/settings/NeverActOn";
import { Policies } from "../components/settings/Policies";
import { count, errorMessage, formatTime } from "../lib/format";
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

/** The page's sections, for the links at its top. */
const SECTIONS: [string, string][] = [
  ["machine-groups", "Machine groups"],
  ["alert-policies", "Alert policies"],
  ["investigations", "Investigations"],
  ["never-act-on", "Never act on"],
  ["agents", "Office machines"],
  ["detection", "Detection rules and threat intelligence"],
  ["appearance", "Appearance and data"],
];

export function Settings({ backend, go = () => undefined }: { backend: Backend; go?: Go }) {
  const live = useLive(backend, () => loadSettings(backend), []);
  const d = live.data;

  return (
    <section>
      <header className="page-header">
        <h1>Settings</h1>
        <nav className="on-this-page" aria-label="On this page">
          {SECTIONS.map(([id, label]) => (
            <button
              key={id}
              type="button"
              className="link"
              data-section={id}
              onClick={() => document.getElementById(id)?.scrollIntoView({ block: "start" })}
            >
              {label}
            </button>
          ))}
        </nav>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!d && !live.error && <Loading what="settings" />}
      {d && (
        <>
          <Groups backend={backend} groups={d.groups} levels={d.levels} go={go} onChanged={live.reload} />
          <Policies backend={backend} policies={d.policies} choices={d.choices} onChanged={live.reload} />
          <InvestigationWindow backend={backend} />
          <NeverActOn backend={backend} />
          <Agents backend={backend} />

          <DetectionContent backend={backend} go={go} />

          <h2 id="appearance">Appearance and data</h2>
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

/** The Sigma rules imports run and the IOC lists they match. */
function DetectionContent({ backend, go }: { backend: Backend; go: Go }) {
  const [lists, setLists] = useState<IntelList[]>([]);
  const [removing, setRemoving] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [seen, setSeen] = useState<IntelSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    backend.intelLists().then(setLists, () => setLists([]));
  };
  useEffect(reload, [backend]);
  const fail = (e: unknown) => setError(errorMessage(e));

  const addIntel = () => {
    setError(null);
    backend.pick("ioc-list").then((paths) => {
      if (!paths) return;
      setMessage("Importing the list and looking it up in the stored telemetry…");
      setSeen(null);
      backend.importIntel(paths[0]).then((summary) => {
        setMessage(intelMessage(summary, paths[0]));
        setSeen(summary.seen_on.length > 0 ? summary : null);
        reload();
      }, fail);
    }, fail);
  };

  const remove = (source: string) => {
    setError(null);
    setSeen(null);
    backend.removeIntelList(source).then((gone) => {
      setRemoving(null);
      setMessage(`${source} removed: ${gone.toLocaleString()} indicators. The alerts it raised stay.`);
      reload();
    }, fail);
  };

  return (
    <>
      <h2 id="detection">Detection rules and threat intelligence</h2>
      <p className="muted">
        Imports run Vigil's own Sigma rules and SigmaHQ's Windows rules. Add a folder of your own rules (one with the id of a shipped rule replaces it) and IOC
        lists of file hashes (SHA-256, SHA-1, MD5), URLs, domains and IPs: CSV as feeds and MISP export them, one indicator per line, or a STIX 2.1 bundle.
      </p>
      <DetectionRules backend={backend} />
      <h3>IOC lists</h3>
      {lists.length === 0 ? (
        <p className="muted" data-testid="intel-lists">
          No IOC list yet. A list's hashes, URLs, domains and IPs are looked up in the telemetry you already imported, and in
          every import after.
        </p>
      ) : (
        <table className="table" data-testid="intel-lists">
          <thead>
            <tr>
              <th>List</th>
              <th>Indicators</th>
              <th>Found</th>
              <th>Added</th>
              <th>
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {lists.map((l) => (
              <tr key={l.source} data-intel-list={l.source}>
                <td>
                  <code>{l.source}</code>
                </td>
                <td>
                  {l.indicators.toLocaleString()}{" "}
                  <span className="muted small">({l.kinds.map((k) => `${k.count.toLocaleString()} ${k.kind}`).join(", ")})</span>
                </td>
                <td data-testid="intel-found">
                  {l.alerts === 0
                    ? "nothing yet"
                    : `${count(l.alerts, "alert")} on ${count(l.machines, "machine")}`}
                </td>
                <td className="nowrap">{formatTime(l.added_at)}</td>
                <td className="nowrap">
                  {removing === l.source ? (
                    <>
                      <button type="button" className="danger" data-testid="confirm-remove-intel" onClick={() => remove(l.source)}>
                        Remove {l.indicators.toLocaleString()} indicators
                      </button>{" "}
                      <button type="button" onClick={() => setRemoving(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button type="button" data-testid="remove-intel" onClick={() => setRemoving(l.source)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="button-row">
        <button type="button" data-testid="import-intel" onClick={addIntel}>
          Import an IOC list…
        </button>
      </div>
      {message && (
        <p role="status" className="notice" data-testid="detection-message">
          {message}
          {seen && seen.investigations_started + seen.alerts > 0 && (
            <>
              {" "}
              <button type="button" className="link" onClick={() => go({ view: seen.investigations_started > 0 ? "investigations" : "alerts" })}>
                {seen.investigations_started > 0 ? "Show the investigations" : "Show the alerts"}
              </button>
            </>
          )}
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
