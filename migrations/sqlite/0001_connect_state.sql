-- Kafka Connect state of the worker: connector configs with their target state, source offsets,
-- last known statuses and the topics each connector used. Owned by the gateway runtime
-- (versions 0001-0099; the schema registry uses 0100+ in this folder).

CREATE TABLE connectors (
    name         TEXT PRIMARY KEY NOT NULL,
    -- JSON object of string values, exactly as submitted (config provider references unresolved).
    config       TEXT NOT NULL,
    -- RUNNING, PAUSED or STOPPED: what the user asked for, restored at start.
    target_state TEXT NOT NULL DEFAULT 'RUNNING',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Source offsets as Kafka Connect keeps them: per connector and source partition. They outlive
-- the connector (deleting and re-creating a connector of the same name resumes), as in Kafka.
CREATE TABLE source_offsets (
    connector  TEXT NOT NULL,
    -- JSON object with sorted keys, so the same partition always has the same text.
    partition  TEXT NOT NULL,
    offset     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (connector, partition)
);

-- Last known status of a connector (task = -1) and of each of its tasks.
CREATE TABLE statuses (
    connector  TEXT NOT NULL,
    task       INTEGER NOT NULL,
    state      TEXT NOT NULL,
    trace      TEXT,
    worker_id  TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (connector, task)
);

-- Topics a connector has produced to or consumed from (GET /connectors/{name}/topics).
CREATE TABLE connector_topics (
    connector TEXT NOT NULL,
    topic     TEXT NOT NULL,
    PRIMARY KEY (connector, topic)
);
