-- The last outbox number the console took from each agent: written in the same transaction
-- as the events it covers, so an item is stored once however often the agent sends it.
CREATE TABLE agent_inbox (
    agent TEXT PRIMARY KEY,
    acked INTEGER NOT NULL DEFAULT 0
);
