-- The embedded log's own database (DATA_DIR/log/log.db), apart from the state store.
-- One row of `batches` holds one appended record batch of one partition; offsets inside a
-- partition are dense from its earliest retained batch to the newest, and retention only ever
-- deletes a prefix of a partition's batches, never the newest one (it carries the next offset).

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    partitions  INTEGER NOT NULL CHECK (partitions > 0),
    created_ms  INTEGER NOT NULL
);

CREATE TABLE batches (
    id             INTEGER PRIMARY KEY,
    topic_id       INTEGER NOT NULL REFERENCES topics (id),
    partition      INTEGER NOT NULL,
    base_offset    INTEGER NOT NULL,
    -- base_offset + record_count - 1, indexed so a read from any offset finds its batch directly
    last_offset    INTEGER NOT NULL,
    record_count   INTEGER NOT NULL CHECK (record_count > 0),
    size_bytes     INTEGER NOT NULL,
    max_timestamp  INTEGER NOT NULL,
    append_time    INTEGER NOT NULL,
    records        BLOB    NOT NULL
);

CREATE UNIQUE INDEX batches_by_offset ON batches (topic_id, partition, last_offset);

CREATE TABLE group_offsets (
    group_id     TEXT    NOT NULL,
    topic        TEXT    NOT NULL,
    partition    INTEGER NOT NULL,
    next_offset  INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
