-- Schema registry tables (owner: gateway/src/registry). Ids and versions follow Confluent's
-- identity rules; see schemas/src/registry/service/mod.rs.

-- One id counter per context; it only grows, so ids are never reused.
CREATE TABLE IF NOT EXISTS registry_ids (
    context TEXT PRIMARY KEY NOT NULL,
    next_id BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS registry_schemas (
    context     TEXT    NOT NULL,
    id          BIGINT NOT NULL,
    schema_type TEXT    NOT NULL,
    fingerprint BIGINT NOT NULL,
    schema      TEXT    NOT NULL,
    refs        TEXT    NOT NULL,
    PRIMARY KEY (context, id)
);
CREATE INDEX IF NOT EXISTS registry_schemas_fingerprint ON registry_schemas (context, fingerprint);

CREATE TABLE IF NOT EXISTS registry_versions (
    subject   TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    context   TEXT    NOT NULL,
    schema_id BIGINT NOT NULL,
    deleted   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS registry_versions_schema ON registry_versions (context, schema_id);

-- Which schema references which subject version (subjects qualified with their context).
CREATE TABLE IF NOT EXISTS registry_references (
    context   TEXT    NOT NULL,
    schema_id BIGINT NOT NULL,
    name      TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    version   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_references_target ON registry_references (subject, version);
CREATE INDEX IF NOT EXISTS registry_references_schema ON registry_references (context, schema_id);

-- Config and mode per scope: '' global, ':.ctx:' a context, else a qualified subject.
CREATE TABLE IF NOT EXISTS registry_config (
    scope  TEXT PRIMARY KEY NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_mode (
    scope TEXT PRIMARY KEY NOT NULL,
    mode  TEXT NOT NULL
);
