-- Vigil's store. Times are RFC 3339 UTC text; enums are snake_case text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Machine groups are ranked: the lowest rank whose rules match wins.
CREATE TABLE machine_groups (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description      TEXT NOT NULL DEFAULT '',
    rank             INTEGER NOT NULL,
    automation_level TEXT NOT NULL DEFAULT 'semi_any',
    is_default       INTEGER NOT NULL DEFAULT 0
);

-- A machine matches a group when every one of the group's rules matches (glob, any case).
CREATE TABLE machine_group_rules (
    id       INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES machine_groups(id) ON DELETE CASCADE,
    field    TEXT NOT NULL CHECK (field IN ('name', 'domain', 'tag', 'os')),
    pattern  TEXT NOT NULL
);

INSERT INTO machine_groups (name, description, rank, automation_level, is_default)
VALUES ('Ungrouped machines', 'Machines that match no other group', 1000000, 'semi_any', 1);

CREATE TABLE machines (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    domain     TEXT NOT NULL DEFAULT '',
    os         TEXT NOT NULL DEFAULT '',
    os_family  TEXT NOT NULL DEFAULT 'unknown',
    role       TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    group_id   INTEGER NOT NULL REFERENCES machine_groups(id),
    connector  TEXT,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    disabled     INTEGER NOT NULL DEFAULT 0,
    first_seen   TEXT NOT NULL
);

-- Normalised telemetry. Kept lean: bulk imports write here.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    machine_id     INTEGER NOT NULL REFERENCES machines(id),
    ts             TEXT NOT NULL,
    kind           TEXT NOT NULL,
    user_name      TEXT,
    pid            INTEGER,
    image          TEXT,
    command_line   TEXT,
    parent_pid     INTEGER,
    parent_image   TEXT,
    target_path    TEXT,
    sha256         TEXT,
    url            TEXT,
    domain         TEXT,
    remote_ip      TEXT,
    remote_port    INTEGER,
    registry_key   TEXT,
    registry_value TEXT,
    extra          TEXT,
    source         TEXT NOT NULL DEFAULT '',
    fingerprint    TEXT
);
CREATE INDEX events_machine_ts ON events (machine_id, ts);
CREATE INDEX events_sha256 ON events (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX events_domain ON events (domain) WHERE domain IS NOT NULL;
CREATE INDEX events_remote_ip ON events (remote_ip) WHERE remote_ip IS NOT NULL;
CREATE UNIQUE INDEX events_fingerprint ON events (fingerprint) WHERE fingerprint IS NOT NULL;

-- Entities (evidence). `key` is canonical per kind: files, processes and persistence are
-- per machine; URLs, domains, IPs, users and mails are global.
CREATE TABLE entities (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    machine_id   INTEGER REFERENCES machines(id),
    name         TEXT NOT NULL,
    path         TEXT,
    sha256       TEXT,
    pid          INTEGER,
    command_line TEXT,
    value        TEXT,
    detail       TEXT NOT NULL DEFAULT '{}',
    UNIQUE (kind, key)
);
CREATE INDEX entities_sha256 ON entities (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE alert_policies (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    rank             INTEGER NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    min_severity     TEXT NOT NULL DEFAULT 'low',
    detection_source TEXT,
    category         TEXT,
    playbook         TEXT NOT NULL DEFAULT 'auto',
    start            INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE investigations (
    id                INTEGER PRIMARY KEY,
    title             TEXT NOT NULL,
    status            TEXT NOT NULL,
    status_detail     TEXT NOT NULL DEFAULT '',
    trigger_kind      TEXT NOT NULL,
    trigger_alert_id  INTEGER,
    trigger_machine_id INTEGER REFERENCES machines(id),
    playbook          TEXT NOT NULL,
    detection_source  TEXT NOT NULL DEFAULT '',
    threat_types      TEXT NOT NULL DEFAULT '',
    tags              TEXT NOT NULL DEFAULT '',
    started_by        TEXT NOT NULL DEFAULT 'system',
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    ended_at          TEXT,
    pending_since     TEXT,
    pending_ms_total  INTEGER NOT NULL DEFAULT 0,
    resume_step       TEXT
);
CREATE INDEX investigations_status ON investigations (status);

CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    severity         TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT '',
    technique        TEXT NOT NULL DEFAULT '',
    detection_source TEXT NOT NULL,
    rule_id          TEXT NOT NULL DEFAULT '',
    machine_id       INTEGER NOT NULL REFERENCES machines(id),
    user_name        TEXT,
    status           TEXT NOT NULL DEFAULT 'new',
    investigation_id INTEGER REFERENCES investigations(id),
    dedupe_key       TEXT,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX alerts_machine ON alerts (machine_id, status);
CREATE INDEX alerts_dedupe ON alerts (dedupe_key);

CREATE TABLE alert_entities (
    alert_id  INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    entity_id INTEGER NOT NULL REFERENCES entities(id),
    PRIMARY KEY (alert_id, entity_id)
);

CREATE TABLE investigation_alerts (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    alert_id         INTEGER NOT NULL REFERENCES alerts(id),
    joined_at        TEXT NOT NULL,
    PRIMARY KEY (investigation_id, alert_id)
);

CREATE TABLE investigation_machines (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    machine_id       INTEGER NOT NULL REFERENCES machines(id),
    reason           TEXT NOT NULL,
    joined_at        TEXT NOT NULL,
    playbook_done    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (investigation_id, machine_id)
);

CREATE TABLE investigation_users (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    reason           TEXT NOT NULL,
    PRIMARY KEY (investigation_id, user_id)
);

-- An entity as evidence of one investigation: its verdict and remediation there.
CREATE TABLE evidence (
    investigation_id   INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    entity_id          INTEGER NOT NULL REFERENCES entities(id),
    verdict            TEXT NOT NULL DEFAULT 'unknown',
    reasons            TEXT NOT NULL DEFAULT '[]',
    remediation_status TEXT NOT NULL DEFAULT 'none',
    found_at           TEXT NOT NULL,
    PRIMARY KEY (investigation_id, entity_id)
);

-- Relations between evidence, for the graph (process spawned process, wrote file, ...).
CREATE TABLE evidence_links (
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    from_entity      INTEGER NOT NULL REFERENCES entities(id),
    to_entity        INTEGER NOT NULL REFERENCES entities(id),
    relation         TEXT NOT NULL,
    PRIMARY KEY (investigation_id, from_entity, to_entity, relation)
);

CREATE TABLE actions (
    id               INTEGER PRIMARY KEY,
    investigation_id INTEGER REFERENCES investigations(id),
    kind             TEXT NOT NULL,
    entity_id        INTEGER REFERENCES entities(id),
    machine_id       INTEGER REFERENCES machines(id),
    source           TEXT NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    decided_by       TEXT,
    decided_at       TEXT,
    decision_note    TEXT,
    proposed_at      TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    result           TEXT NOT NULL DEFAULT '',
    reversible       INTEGER NOT NULL DEFAULT 0,
    undo_data        TEXT
);
CREATE INDEX actions_state ON actions (state);
CREATE INDEX actions_investigation ON actions (investigation_id);

CREATE TABLE investigation_log (
    id               INTEGER PRIMARY KEY,
    investigation_id INTEGER NOT NULL REFERENCES investigations(id) ON DELETE CASCADE,
    step             TEXT NOT NULL,
    machine_id       INTEGER REFERENCES machines(id),
    status           TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    duration_ms      INTEGER NOT NULL DEFAULT 0,
    detail           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX investigation_log_inv ON investigation_log (investigation_id, id);

-- Threat intelligence: IOC lists (hash, URL, domain, IP).
CREATE TABLE indicators (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    source      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL,
    UNIQUE (kind, value)
);

-- The demo environment's live state (files, running processes, persistence, mailboxes,
-- blocks), changed for real by the `lab` connector.
CREATE TABLE lab_objects (
    id         INTEGER PRIMARY KEY,
    machine_id INTEGER REFERENCES machines(id),
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    present    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (machine_id, kind, key)
);

-- Every effect the lab connector applied, in the same transaction as the effect.
CREATE TABLE lab_journal (
    id        INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL,
    effect    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX lab_journal_action ON lab_journal (action_id);

-- Out of the box: high-severity alerts start an investigation; others wait for an analyst.
INSERT INTO alert_policies (name, rank, enabled, min_severity, playbook, start)
VALUES ('Investigate high-severity alerts', 1, 1, 'high', 'auto', 1);
