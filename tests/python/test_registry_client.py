"""The confluent-kafka SchemaRegistryClient against Weir: register, fetch, look up, check
compatibility, set config, delete."""
import json

import pytest
import requests
from confluent_kafka.schema_registry import Schema, SchemaReference
from confluent_kafka.schema_registry.error import SchemaRegistryError


def avro_record(name, extra=0, required=False):
    fields = [{"name": "id", "type": "long"}]
    if required:
        fields.append({"name": "must", "type": "string"})
    for i in range(1, extra + 1):
        fields.append({"name": f"f{i}", "type": ["null", "string"], "default": None})
    return json.dumps({"type": "record", "name": name, "namespace": "weir.py", "fields": fields})


def test_register_fetch_lookup(client, name):
    subject = f"{name}-value"
    schema = Schema(avro_record("Order"), "AVRO")
    schema_id = client.register_schema(subject, schema)
    assert schema_id > 0
    # Same schema again: same id (a fresh client, so the server answers, not the cache).
    from confluent_kafka.schema_registry import SchemaRegistryClient

    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    assert fresh.register_schema(subject, schema) == schema_id
    # Same schema under another subject: same global id.
    assert fresh.register_schema(f"{name}-copy", schema) == schema_id

    fetched = fresh.get_schema(schema_id)
    assert fetched.schema_type == "AVRO"
    assert json.loads(fetched.schema_str)["name"] == "Order"

    latest = fresh.get_latest_version(subject)
    assert (latest.version, latest.schema_id, latest.subject) == (1, schema_id, subject)
    assert fresh.get_version(subject, 1).schema_id == schema_id
    assert fresh.get_versions(subject) == [1]
    assert subject in fresh.get_subjects()

    found = fresh.lookup_schema(subject, schema)
    assert (found.schema_id, found.version) == (schema_id, 1)
    with pytest.raises(SchemaRegistryError) as err:
        fresh.lookup_schema(subject, Schema(avro_record("Other"), "AVRO"))
    assert err.value.error_code == 40403
    with pytest.raises(SchemaRegistryError) as err:
        fresh.get_latest_version(f"{name}-nobody")
    assert (err.value.http_status_code, err.value.error_code) == (404, 40401)


def test_compatibility_and_config(client, name):
    subject = f"{name}-value"
    client.register_schema(subject, Schema(avro_record("Evolving"), "AVRO"))
    compatible = Schema(avro_record("Evolving", extra=1), "AVRO")
    incompatible = Schema(avro_record("Evolving", required=True), "AVRO")
    assert client.test_compatibility(subject, compatible) is True
    assert client.test_compatibility(subject, incompatible) is False
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema(subject, incompatible)
    assert (err.value.http_status_code, err.value.error_code) == (409, 409)

    assert client.get_compatibility() in ("BACKWARD", "BACKWARD_TRANSITIVE", "FULL", "NONE", "FORWARD",
                                          "FORWARD_TRANSITIVE", "FULL_TRANSITIVE")
    assert client.set_compatibility(subject_name=subject, level="NONE") == {"compatibility": "NONE"}
    assert client.get_compatibility(subject) == "NONE"
    second = client.register_schema(subject, incompatible)
    assert client.get_latest_version(subject).schema_id == second
    assert client.get_versions(subject) == [1, 2]


def test_deletes(client, name):
    subject = f"{name}-value"
    first = client.register_schema(subject, Schema(avro_record("Gone"), "AVRO"))
    client.register_schema(subject, Schema(avro_record("Gone", extra=1), "AVRO"))
    assert client.delete_version(subject, 2) == 2
    assert client.get_versions(subject) == [1]
    # Soft-deleted version numbers are not reused.
    client.register_schema(subject, Schema(avro_record("Gone", extra=2), "AVRO"))
    assert client.get_versions(subject) == [1, 3]
    with pytest.raises(SchemaRegistryError) as err:
        client.delete_subject(subject, permanent=True)
    assert err.value.error_code == 40405
    assert client.delete_subject(subject) == [1, 3]
    assert client.delete_subject(subject, permanent=True) == [1, 2, 3]
    assert subject not in client.get_subjects()
    with pytest.raises(SchemaRegistryError) as err:
        client.get_versions(subject)
    assert err.value.error_code == 40401
    # The schema id is gone with its last version, and is never handed out again.
    again = client.register_schema(f"{name}-other", Schema(avro_record("Fresh"), "AVRO"))
    assert again > first


def test_references(client, name):
    money = json.dumps({"type": "record", "name": "Money", "namespace": "weir.py",
                        "fields": [{"name": "cents", "type": "long"}]})
    payment = json.dumps({"type": "record", "name": "Payment", "namespace": "weir.py",
                          "fields": [{"name": "amount", "type": "weir.py.Money"}]})
    client.register_schema(f"{name}-money", Schema(money, "AVRO"))
    refs = [SchemaReference("weir.py.Money", f"{name}-money", 1)]
    pid = client.register_schema(f"{name}-payment", Schema(payment, "AVRO", refs))
    got = client.get_schema(pid)
    assert [(r.name, r.subject, r.version) for r in got.references] == [("weir.py.Money", f"{name}-money", 1)]
    with pytest.raises(SchemaRegistryError) as err:
        client.delete_version(f"{name}-money", 1)
    assert err.value.error_code == 42206


def test_raw_http_shapes(weir_url, name):
    """What other clients (Java, Go, curl) see: Confluent's exact shapes and media types."""
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    r = requests.post(f"{weir_url}/subjects/{name}-raw/versions", headers=headers,
                      data=json.dumps({"schema": avro_record("Raw"), "metadata": {"properties": {"a": "b"}}}))
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    r = requests.get(f"{weir_url}/schemas/ids/{sid}")
    assert r.headers["content-type"].startswith("application/vnd.schemaregistry.v1+json")
    assert "schemaType" not in r.json()
    assert requests.get(f"{weir_url}/config").json().keys() == {"compatibilityLevel"}
    r = requests.post(f"{weir_url}/subjects/{name}-raw/versions", headers=headers, data="{not json")
    assert r.status_code in (400, 422) and "error_code" in r.json()
    r = requests.get(f"{weir_url}/associations/resources/lkc-x/{name}-topic")
    assert r.status_code in (200, 404)
