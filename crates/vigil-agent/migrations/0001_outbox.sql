-- The agent's outbox: what it has to tell the console, numbered (never reused: AUTOINCREMENT),
-- kept until the console acknowledges it.
CREATE TABLE outbox (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);

-- Counters: `dropped` (items a full outbox could not keep, not yet reported).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- The console's commands, journalled before they are carried out; the answer is kept so a
-- command that comes again gets the same answer and is not carried out twice.
CREATE TABLE commands (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    answer      TEXT,
    answered_at INTEGER
);

-- The files the sensor has reported (by path, with the size and modification time it saw):
-- an unchanged file is not scanned or reported again when the agent restarts.
CREATE TABLE files_seen (
    path     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    modified INTEGER NOT NULL
);
