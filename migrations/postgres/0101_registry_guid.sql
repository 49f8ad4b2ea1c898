-- Each schema's GUID (Confluent 8's content-derived identifier, the same in every context):
-- MD5 of the schema text and its references, written as a UUID. Filled by the registry on
-- insert; rows written before this migration are filled when the registry store opens.
ALTER TABLE registry_schemas ADD COLUMN IF NOT EXISTS guid TEXT;
CREATE INDEX IF NOT EXISTS registry_schemas_guid ON registry_schemas (guid);
