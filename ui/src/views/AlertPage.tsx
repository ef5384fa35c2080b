import { useEffect, useState } from "react";
import type { Backend, SigmaRuleInfo } from "../backend";
import type { Go } from "../route";
import { Badge } from "../components/common/Badge";
import { LoadError, Loading } from "../components/common/States";
import { StartInvestigation } from "../components/investigation/StartInvestigation";
import { useLive } from "../lib/useLive";
import { formatTime } from "../lib/format";
import { Untrusted } from "../components/common/Untrusted";

export function AlertPage({ backend, go, id }: { backend: Backend; go: Go; id: number }) {
  const live = useLive(backend, () => backend.alert(id), [id]);
  const a = live.data;
  return (
    <section>
      <header className="page-header">
        <p className="crumbs">
          <button type="button" className="link" onClick={() => go({ view: "alerts" })}>
            Alerts
          </button>{" "}
          / #{id}
        </p>
        <h1 data-testid="alert-title">{a ? <Untrusted text={a.title} /> : `Alert #${id}`}</h1>
      </header>
      {live.error && <LoadError error={live.error} />}
      {!a && !live.error && <Loading what="the alert" />}
      {a && (
        <div className="card">
          <p className="prewrap">{a.description}</p>
          <dl className="facts">
            <dt>Severity</dt>
            <dd>
              <Badge value={a.severity} />
            </dd>
            <dt>Status</dt>
            <dd>
              <Badge value={a.status} />
            </dd>
            <dt>Machine</dt>
            <dd>
              <button type="button" className="link" onClick={() => go({ view: "machine", name: a.machine })}>
                {a.machine}
              </button>
            </dd>
            <dt>User</dt>
            <dd>{a.user ?? "—"}</dd>
            <dt>Category</dt>
            <dd>{a.category}</dd>
            <dt>MITRE technique</dt>
            <dd>{a.technique || "—"}</dd>
            <dt>Detection source</dt>
            <dd>
              {a.detection_source} <span className="muted mono">{a.rule_id}</span>
            </dd>
            {a.detection_source === "sigma" && <SigmaRule backend={backend} ruleId={a.rule_id} />}
            <dt>First seen</dt>
            <dd>{formatTime(a.first_seen)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(a.last_seen)}</dd>
            <dt>Investigation</dt>
            <dd>
              {a.investigation_id ? (
                <button type="button" className="link" onClick={() => go({ view: "investigation", id: a.investigation_id as number })}>
                  Investigation #{a.investigation_id}
                </button>
              ) : (
                "none yet"
              )}
            </dd>
          </dl>
          <StartInvestigation backend={backend} go={go} label="Investigate this alert" start={() => backend.investigateAlert(id)} />
        </div>
      )}
    </section>
  );
}

/** The Sigma rule behind an alert: who wrote it (the Detection Rule License asks that what
 * is raised on a SigmaHQ rule names its author), its status and grade. */
function SigmaRule({ backend, ruleId }: { backend: Backend; ruleId: string }) {
  const [rule, setRule] = useState<SigmaRuleInfo | null>(null);
  useEffect(() => {
    setRule(null);
    // A rule no longer loaded (its folder removed) leaves the alert as it was.
    backend.sigmaRule(ruleId).then(setRule, () => setRule(null));
  }, [backend, ruleId]);
  if (!rule) return null;
  return (
    <>
      <dt>Rule</dt>
      <dd data-testid="alert-rule">
        <Untrusted text={rule.title} /> <span className="muted">by {rule.author ? <Untrusted text={rule.author} /> : "an unnamed author"}</span>
        <br />
        <span className="muted small">
          Status {rule.status || "unset"}
          {rule.hunting && ", a hunting rule (a lead, not evidence on its own)"}
          {rule.attribution && `. ${rule.attribution}.`}
        </span>
      </dd>
    </>
  );
}
