-- Investigations that hold up on real attacks.
--
-- Events keep the artefact they show (a service, registry value, task, WMI subscription,
-- account, BITS job, antivirus detection, Kerberos ticket, script: JSON, only on the events
-- that have one) and the logon session of the account acting, so that an investigation can
-- name what an attack left and tell one user session from another.
ALTER TABLE events ADD COLUMN logon_id INTEGER;
ALTER TABLE events ADD COLUMN artefact TEXT;

-- An investigation reads the window of its machine's events around its alerts through
-- events_machine_ts; a process's ancestors may have started long before the window, so
-- process starts are also found by pid. Process starts are a small share of the events:
-- this partial index costs ingest little.
CREATE INDEX events_process_start ON events (machine_id, pid) WHERE kind = 'process_start';
-- "Where else": a malicious URL is looked up on every machine, like hashes, domains and IPs.
CREATE INDEX events_url ON events (url) WHERE url IS NOT NULL;

-- What part an entity plays in the alert that names it: `culprit` (what the detection is
-- about: the process started, the service installed, the value set), `actor` (the process
-- or account that did it), `target` (what it was done to, e.g. lsass.exe), `evidence`.
ALTER TABLE alert_entities ADD COLUMN role TEXT NOT NULL DEFAULT 'culprit';
-- `detection`, or `hunting` for threat-hunting rules: recorded as evidence, never enough
-- on their own to propose an action.
ALTER TABLE alerts ADD COLUMN grade TEXT NOT NULL DEFAULT 'detection';
-- The logon session of the event that raised it (ties alerts of one user session).
ALTER TABLE alerts ADD COLUMN logon_id INTEGER;

-- Key findings are ranked (the culprit first) and like findings grouped for one decision;
-- an entity Vigil must not act on says why.
ALTER TABLE evidence ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE evidence ADD COLUMN group_key TEXT;
ALTER TABLE evidence ADD COLUMN group_label TEXT;
ALTER TABLE evidence ADD COLUMN protected TEXT;

-- Actions proposed together for like entities: one decision for all of them.
ALTER TABLE actions ADD COLUMN group_key TEXT;
ALTER TABLE actions ADD COLUMN group_label TEXT;

-- What ties an alert to an open investigation: a shared entity (`entity:<id>`, a process
-- `process:<id>`), a file's path or hash (`path:<machine>|<path>`, `sha256:<hash>`), the
-- process tree (`tree:<machine>|<pid>|<image>` of its topmost process below the OS's own
-- brokers) and the user session (`session:<machine>|<logon id>`).
-- A process, its tree and a session tie only close to when they were seen there
-- (`seen_from`..`seen_to`; pids are reused, sessions end); the others tie at any time.
CREATE TABLE investigation_ties (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    tie              TEXT NOT NULL,
    seen_from        TEXT,
    seen_to          TEXT,
    PRIMARY KEY (tie, investigation_id)
) WITHOUT ROWID;
CREATE INDEX investigation_ties_inv ON investigation_ties (investigation_id);

-- When the threat was seen on a machine the scope grew to: its window is read around then.
ALTER TABLE investigation_machines ADD COLUMN seen_from TEXT;
ALTER TABLE investigation_machines ADD COLUMN seen_to TEXT;

-- The alert policies Vigil ships say why they are set as they are (Settings shows it); an
-- admin's edit makes the policy theirs and clears it.
ALTER TABLE alert_policies ADD COLUMN why TEXT NOT NULL DEFAULT '';

-- The default policies a small business wants, when the store still has the first one as it
-- was shipped (an admin's own policies are left alone):
UPDATE alert_policies
   SET name = 'Investigate high and critical alerts',
       why = 'Detection rules rate an alert high or critical when it seldom fires on ordinary work: each one is worth an investigation at once.'
 WHERE name = 'Investigate high-severity alerts' AND rank = 1 AND min_severity = 'high'
   AND detection_source IS NULL AND category IS NULL AND playbook = 'auto' AND start = 1;
INSERT INTO alert_policies (name, rank, enabled, min_severity, category, playbook, start, why)
SELECT 'Investigate persistence, even at medium severity', 2, 1, 'medium', 'Persistence', 'auto', 1,
       'What an attack leaves behind to come back (a run key, a service, a scheduled task, a WMI subscription) is worth a look even when the rule is only medium: the investigation judges it, and proposes nothing unless it finds more.'
 WHERE EXISTS (SELECT 1 FROM alert_policies WHERE name = 'Investigate high and critical alerts');
INSERT INTO alert_policies (name, rank, enabled, min_severity, category, playbook, start, why)
SELECT 'Investigate credential theft, even at medium severity', 3, 1, 'medium', 'Credential Access', 'auto', 1,
       'Stolen passwords are how one infected machine becomes the whole office: a medium alert of credential theft starts an investigation too. Other medium and low alerts are recorded and join an investigation they are tied to.'
 WHERE EXISTS (SELECT 1 FROM alert_policies WHERE name = 'Investigate high and critical alerts');
