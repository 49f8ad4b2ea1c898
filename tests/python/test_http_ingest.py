"""Records pushed to an HttpSource read back by confluent-kafka's deserializers through Weir's
registry: Avro with an inferred schema (and a refused type change that writes nothing), and
inline Protobuf and JSON Schema schemas.

Reading needs the records in Kafka: tests/python/run.sh starts a broker and a worker on it
(KAFKA_BOOTSTRAP, WEIR_KAFKA_URL). Without them the tests fail, saying why (conftest.kafka).
"""
import base64
import json
import time

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from kafka_helpers import consume, consume_all


def wait_running(url, connector):
    for _ in range(100):
        status = requests.get(f"{url}/connectors/{connector}/status").json()
        tasks = status.get("tasks", [])
        if tasks and all(t["state"] == "RUNNING" for t in tasks):
            return
        time.sleep(0.1)
    pytest.fail(f"{connector} is not RUNNING: {status}")


def end_offset(weir_url, topic, partition=0):
    """The worker's REST Proxy answer for the partition's end offset (0 for no topic yet)."""
    answer = requests.get(f"{weir_url}/topics/{topic}/partitions/{partition}/offsets", timeout=30)
    if answer.status_code == 404 and answer.json()["error_code"] == 40401:
        return 0
    assert answer.status_code == 200, answer.text
    return answer.json()["end_offset"]


def test_avro_deserializer_reads_pushed_records(kafka, name):
    weir_url = kafka["url"]
    client = SchemaRegistryClient({"url": weir_url})
    topic = f"{name}-customers"
    connector = f"{name}-in"
    create_source(weir_url, connector, {
        "connector.class": "HttpSource", "topic": topic, "value.schema.infer": "true",
        "value.converter": "AvroConverter"})

    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"customer_id": 1, "name": "Ada", "spending": 10.5},
        {"customer_id": 2, "name": "Grace", "spending": 7},
    ])
    assert pushed.json() == {"accepted": 2}, pushed.text
    assert client.get_versions(f"{topic}-value") == [1]
    # A new optional field: version 2 of the subject.
    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"customer_id": 3, "name": "Alan", "email": "alan@example.com"},
    ])
    assert pushed.json() == {"accepted": 1}, pushed.text
    assert client.get_versions(f"{topic}-value") == [1, 2]

    deserialize = AvroDeserializer(client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = [deserialize(m.value(), ctx) for m in consume(kafka["bootstrap"], topic, 3)]
    assert got == [
        {"customer_id": 1, "name": "Ada", "spending": 10.5},
        {"customer_id": 2, "name": "Grace", "spending": 7.0},
        {"customer_id": 3, "name": "Alan", "spending": None, "email": "alan@example.com"},
    ]


def test_a_type_change_on_an_inferred_avro_schema_is_refused_and_writes_nothing(kafka, name):
    weir_url = kafka["url"]
    client = SchemaRegistryClient({"url": weir_url})
    topic = f"{name}-orders"
    connector = f"{name}-oin"
    create_source(weir_url, connector, {
        "connector.class": "HttpSource", "topic": topic, "value.schema.infer": "true",
        "value.converter": "AvroConverter"})
    pushed = requests.post(f"{weir_url}/ingest/{connector}", json=[{"order_id": 1, "item": "tea"}])
    assert pushed.json() == {"accepted": 1}, pushed.text
    assert client.get_versions(f"{topic}-value") == [1]
    schema_id = client.get_latest_version(f"{topic}-value").schema_id

    # Record 1 changes order_id's type; record 0 is fine and record 2 brings a new field: the
    # whole push is refused, naming the record and the field, and nothing of it is written (no
    # record, no new version for record 2's field).
    refused = requests.post(f"{weir_url}/ingest/{connector}", json=[
        {"order_id": 2, "item": "cups"}, {"order_id": "three", "item": "pot"},
        {"order_id": 4, "item": "tray", "gift": True}])
    assert refused.status_code == 400, refused.text
    errors = refused.json()["errors"]
    assert [e["index"] for e in errors] == [1], refused.text
    assert "field order_id" in errors[0]["message"], refused.text
    assert client.get_versions(f"{topic}-value") == [1]
    assert end_offset(weir_url, topic) == 1

    # What a consumer sees: the one accepted record, read to the end of the topic.
    deserialize = AvroDeserializer(client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    msgs = consume(kafka["bootstrap"], topic, 1)
    assert int.from_bytes(msgs[0].value()[1:5], "big") == schema_id
    assert deserialize(msgs[0].value(), ctx) == {"order_id": 1, "item": "tea"}


def test_consume_reads_to_the_end_and_sees_extra_records(kafka, name):
    topic = f"{name}-extra"
    admin = AdminClient({"bootstrap.servers": kafka["bootstrap"]})
    for future in admin.create_topics([NewTopic(topic, 2, 1)]).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": kafka["bootstrap"]})
    for i in range(3):
        producer.produce(topic, value=b"%d" % i, partition=i % 2)
    assert producer.flush(30) == 0
    assert sorted(m.value() for m in consume_all(kafka["bootstrap"], topic)) == [b"0", b"1", b"2"]
    with pytest.raises(AssertionError, match="holds 3 records, expected 2"):
        consume(kafka["bootstrap"], topic, 2)
    assert consume_all(kafka["bootstrap"], f"{name}-nothing") == []


CUSTOMER_PROTO = """syntax = "proto3";
package shop.%s;

message Customer {
  int64 id = 1;
  string name = 4;
  optional string email = 9;
}
"""


def create_source(weir_url, connector, config):
    created = requests.post(f"{weir_url}/connectors", json={"name": connector, "config": config})
    assert created.status_code == 201, created.text
    wait_running(weir_url, connector)


def test_protobuf_deserializer_reads_records_pushed_under_an_inline_proto(kafka, name):
    weir_url = kafka["url"]
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
    msgs = consume(kafka["bootstrap"], topic, 2)
    assert [m.key() for m in msgs] == [b"1", b"2"]
    assert all(int.from_bytes(m.value()[1:5], "big") == latest.schema_id for m in msgs)
    got = [deserialize(m.value(), ctx) for m in msgs]
    assert [(m.id, m.name, m.email, m.HasField("email")) for m in got] == [
        (1, "Ada", "ada@example.com", True), (2, "Grace", "", False)]


def test_json_deserializer_reads_records_pushed_under_an_inline_json_schema(kafka, name):
    weir_url = kafka["url"]
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
    got = [deserialize(m.value(), ctx) for m in consume(kafka["bootstrap"], topic, 3)]
    assert got == [{"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Grace", "age": 41},
                   {"id": 4, "name": "Alan"}]
