"""Records pushed to an HttpSource read back by confluent-kafka's deserializers through Weir's
registry: Avro with an inferred schema, and inline Protobuf and JSON Schema schemas.

Reading needs the records in Kafka: tests/python/run.sh starts a broker and a worker on it
(KAFKA_BOOTSTRAP, WEIR_KAFKA_URL). Without them the test is skipped, saying why.
"""
import base64
import json
import os
import time

import pytest
import requests
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP")
KAFKA_WEIR = (os.environ.get("WEIR_KAFKA_URL") or "").rstrip("/")


def wait_running(url, connector):
    for _ in range(100):
        status = requests.get(f"{url}/connectors/{connector}/status").json()
        tasks = status.get("tasks", [])
        if tasks and all(t["state"] == "RUNNING" for t in tasks):
            return
        time.sleep(0.1)
    pytest.fail(f"{connector} is not RUNNING: {status}")


@pytest.mark.skipif(not (BOOTSTRAP and KAFKA_WEIR), reason="needs a Weir worker on Kafka: KAFKA_BOOTSTRAP and WEIR_KAFKA_URL")
def test_avro_deserializer_reads_pushed_records(name):
    weir_url = KAFKA_WEIR
    client = SchemaRegistryClient({"url": weir_url})
    topic = f"{name}-customers"
    connector = f"{name}-in"
    created = requests.post(f"{weir_url}/connectors", json={"name": connector, "config": {
        "connector.class": "HttpSource", "topic": topic, "value.schema.infer": "true",
        "value.converter": "AvroConverter"}})
    assert created.status_code == 201, created.text
    wait_running(weir_url, connector)

    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"customer_id": 1, "name": "Ada", "spending": 10.5},
        {"customer_id": 2, "name": "Grace", "spending": 7},
    ])
    assert pushed.json() == {"accepted": 2}, pushed.text
    # A new optional field: version 2 of the subject.
    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"customer_id": 3, "name": "Alan", "email": "alan@example.com"},
    ])
    assert pushed.json() == {"accepted": 1}, pushed.text
    assert client.get_versions(f"{topic}-value") == [1, 2]

    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": name,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    deserialize = AvroDeserializer(client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = []
    deadline = time.time() + 30
    while len(got) < 3 and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        got.append(deserialize(msg.value(), ctx))
    consumer.close()
    assert got == [
        {"customer_id": 1, "name": "Ada", "spending": 10.5},
        {"customer_id": 2, "name": "Grace", "spending": 7.0},
        {"customer_id": 3, "name": "Alan", "spending": None, "email": "alan@example.com"},
    ]


CUSTOMER_PROTO = """syntax = "proto3";
package shop.%s;

message Customer {
  int64 id = 1;
  string name = 4;
  optional string email = 9;
}
"""


def consume(topic, group, n):
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        got.append(msg)
    consumer.close()
    assert len(got) == n, f"{len(got)} of {n} records in {topic}"
    return got


def create_source(weir_url, connector, config):
    created = requests.post(f"{weir_url}/connectors", json={"name": connector, "config": config})
    assert created.status_code == 201, created.text
    wait_running(weir_url, connector)


@pytest.mark.skipif(not (BOOTSTRAP and KAFKA_WEIR), reason="needs a Weir worker on Kafka: KAFKA_BOOTSTRAP and WEIR_KAFKA_URL")
def test_protobuf_deserializer_reads_records_pushed_under_an_inline_proto(name):
    weir_url = KAFKA_WEIR
    topic = f"{name}-pcustomers"
    connector = f"{name}-pin"
    create_source(weir_url, connector, {
        "connector.class": "HttpSource", "topic": topic, "value.converter": "ProtobufConverter",
        "value.schema": CUSTOMER_PROTO % name, "value.schema.type": "PROTOBUF",
        "key.field": "id", "key.converter": "StringConverter"})
    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"id": 1, "name": "Ada", "email": "ada@example.com"},
        {"id": 2, "name": "Grace"},
    ])
    assert pushed.json() == {"accepted": 2}, pushed.text
    refused = requests.post(f"{weir_url}/ingest/{connector}", json=[{"id": "three", "name": "Alan"}])
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["index"] == 0
    assert "field id" in refused.json()["errors"][0]["message"]

    # The message class from the registered schema (the user's own .proto, field numbers 1, 4, 9).
    client = SchemaRegistryClient({"url": weir_url})
    latest = client.get_latest_version(f"{topic}-value")
    serialized = requests.get(f"{weir_url}/schemas/ids/{latest.schema_id}", params={"format": "serialized"},
                              timeout=30).json()["schema"]
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    assert [f.number for f in fdp.message_type[0].field] == [1, 4, 9]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"shop.{name}.Customer"))
    deserialize = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    msgs = consume(topic, name, 2)
    assert [m.key() for m in msgs] == [b"1", b"2"]
    assert all(int.from_bytes(m.value()[1:5], "big") == latest.schema_id for m in msgs)
    got = [deserialize(m.value(), ctx) for m in msgs]
    assert [(m.id, m.name, m.email, m.HasField("email")) for m in got] == [
        (1, "Ada", "ada@example.com", True), (2, "Grace", "", False)]


@pytest.mark.skipif(not (BOOTSTRAP and KAFKA_WEIR), reason="needs a Weir worker on Kafka: KAFKA_BOOTSTRAP and WEIR_KAFKA_URL")
def test_json_deserializer_reads_records_pushed_under_an_inline_json_schema(name):
    weir_url = KAFKA_WEIR
    topic = f"{name}-jpeople"
    connector = f"{name}-jin"
    schema = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
        "required": ["id", "name"]}
    create_source(weir_url, connector, {
        "connector.class": "HttpSource", "topic": topic, "value.converter": "JsonSchemaConverter",
        "value.schema": json.dumps(schema), "value.schema.type": "JSON"})
    # Alan leaves out `age`, which is not required and accepts no null: Weir leaves it out too
    # (a JSON null there would fail the deserializer's validation).
    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Grace", "age": 41}, {"id": 4, "name": "Alan"}])
    assert pushed.json() == {"accepted": 3}, pushed.text
    refused = requests.post(f"{weir_url}/ingest/{connector}", json=[{"id": 3, "name": "Alan", "age": -1}])
    assert refused.status_code == 400, refused.text
    assert "field age" in refused.json()["errors"][0]["message"]

    client = SchemaRegistryClient({"url": weir_url})
    deserialize = JSONDeserializer(None, schema_registry_client=client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = [deserialize(m.value(), ctx) for m in consume(topic, name, 3)]
    assert got == [{"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Grace", "age": 41},
                   {"id": 4, "name": "Alan"}]
