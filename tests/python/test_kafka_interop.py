"""Interop over a real Kafka-protocol broker (tansu): confluent-kafka's serializers write, a Weir
sink with the matching converter reads, field by field; a Weir source writes with each converter and
confluent-kafka's deserializers read it back. Weir is the schema registry of both sides.

run.sh starts the broker and a Weir worker with bootstrap.servers (KAFKA_BOOTSTRAP, WEIR_KAFKA_URL);
without them the tests fail, saying why (conftest.kafka).
"""
import base64
import json
import os
import time

import pytest
import requests
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from kafka_helpers import consume

AVRO = "io.confluent.connect.avro.AvroConverter"
PROTOBUF = "io.confluent.connect.protobuf.ProtobufConverter"
JSON_SCHEMA = "io.confluent.connect.json.JsonSchemaConverter"

ROWS = [
    {"id": 1, "name": "Ada", "score": 9.5, "active": True, "note": None},
    {"id": 2, "name": "Grace", "score": 7.25, "active": False, "note": "hi"},
    {"id": 3, "name": "Édith ✓", "score": -1.0, "active": True, "note": ""},
]


@pytest.fixture()
def registry(kafka):
    return SchemaRegistryClient({"url": kafka["url"]})


def produce(kafka, topic, values):
    # tansu does not create topics on first use (Kafka's auto.create.topics.enable): create it.
    admin = AdminClient({"bootstrap.servers": kafka["bootstrap"]})
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        try:
            future.result(30)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    producer = Producer({"bootstrap.servers": kafka["bootstrap"], "enable.idempotence": True, "acks": "all"})
    failed = []
    for v in values:
        producer.produce(topic, value=v, on_delivery=lambda err, _msg: err and failed.append(err))
    assert producer.flush(30) == 0, "every record sent"
    assert not failed, f"delivery failed: {failed}"


def consume_raw(kafka, topic, n, timeout=60):
    """The values of `topic`, which must hold exactly `n` records (read to its end offsets)."""
    return [m.value() for m in consume(kafka["bootstrap"], topic, n, timeout)]


def require(kafka, converter):
    """Fails when the converter is missing from this Weir (a skip would pass having tested nothing)."""
    r = requests.put(f"{kafka['url']}/connector-plugins/FileStreamSink/config/validate",
                     json={"connector.class": "FileStreamSink", "topics": "t", "file": "/tmp/x",
                           "value.converter": converter}, timeout=30)
    body = r.json()
    if r.status_code != 200 or body.get("error_count", 0) > 0:
        errors = [e for c in body.get("configs", []) for e in c["value"]["errors"]] or [body]
        pytest.fail(f"{converter} is not available in this Weir: {errors[0]}")


def create(kafka, name, config):
    r = requests.post(f"{kafka['url']}/connectors", json={"name": name, "config": config}, timeout=30)
    assert r.status_code == 201, r.text


def status(kafka, name):
    return requests.get(f"{kafka['url']}/connectors/{name}/status", timeout=30).json()


def wait_task_state(kafka, name, state, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = status(kafka, name)
        tasks = last.get("tasks", [])
        if tasks and all(t["state"] == state for t in tasks):
            return last
        time.sleep(0.2)
    pytest.fail(f"{name} tasks did not reach {state}: {last}")


def wait_lines(path, n, timeout=60, why=lambda: ""):
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                lines = [line for line in f.read().splitlines() if line]
            if len(lines) >= n:
                return lines
        time.sleep(0.2)
    pytest.fail(f"{path} has {len(lines)} of {n} lines; {why()}")


def sink_to_file(kafka, tmp_path, name, topic, converter):
    out = tmp_path / f"{name}.jsonl"
    create(kafka, name, {"connector.class": "FileStreamSink", "topics": topic, "file": str(out),
                         "value.converter": converter, "key.converter": "StringConverter"})
    return out, lambda: f"status of {name}: {status(kafka, name)}"


def assert_rows_equal(got_lines, rows):
    got = [json.loads(line) for line in got_lines]
    assert len(got) == len(rows)
    for g, want in zip(got, rows):
        for field, value in want.items():
            assert g.get(field) == value, f"field {field}: {g!r} vs {want!r}"


# confluent-kafka writes, Weir reads ---------------------------------------------------------

AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Person", "namespace": "weir.interop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "score", "type": "double"},
        {"name": "active", "type": "boolean"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
})

JSON_SCHEMA_TEXT = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person", "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "note": {"oneOf": [{"type": "null"}, {"type": "string"}]},
    },
    "required": ["id", "name", "score", "active"],
})


def person_class(name):
    """A .proto file whose second message is the one used, so the index path is [1], not [0]."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{name}/person.proto", package=f"weir.{name}",
                                             syntax="proto3")
    f = descriptor_pb2.FieldDescriptorProto
    first = fdp.message_type.add(name="Unused")
    first.field.add(name="x", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    msg = fdp.message_type.add(name="Person")
    msg.field.add(name="id", number=1, type=f.TYPE_INT64, label=f.LABEL_OPTIONAL)
    msg.field.add(name="name", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    msg.field.add(name="score", number=3, type=f.TYPE_DOUBLE, label=f.LABEL_OPTIONAL)
    msg.field.add(name="active", number=4, type=f.TYPE_BOOL, label=f.LABEL_OPTIONAL)
    msg.field.add(name="note", number=5, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"weir.{name}.Person"))


def test_avro_serializer_records_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, AVRO)
    topic = f"{name}-avro"
    ser = AvroSerializer(registry, AVRO_SCHEMA)
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka, topic, [ser(row, ctx) for row in ROWS])
    out, why = sink_to_file(kafka, tmp_path, f"{name}-avro-sink", topic, AVRO)
    assert_rows_equal(wait_lines(out, len(ROWS), why=why), ROWS)


def test_json_serializer_records_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, JSON_SCHEMA)
    topic = f"{name}-json"
    ser = JSONSerializer(JSON_SCHEMA_TEXT, registry)
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka, topic, [ser(row, ctx) for row in ROWS])
    out, why = sink_to_file(kafka, tmp_path, f"{name}-json-sink", topic, JSON_SCHEMA)
    assert_rows_equal(wait_lines(out, len(ROWS), why=why), ROWS)


def test_protobuf_serializer_records_of_a_second_message_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, PROTOBUF)
    topic = f"{name}-proto"
    person = person_class(name)
    ser = ProtobufSerializer(person, registry, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    # proto3 has no null: a missing note reads back as "".
    rows = [dict(r, note=r["note"] or "") for r in ROWS]
    encoded = [ser(person(**row), ctx) for row in rows]
    assert encoded[0][5:7] == b"\x02\x02", "index path [1]: count 1, index 1 (zigzag varints)"
    produce(kafka, topic, encoded)
    out, why = sink_to_file(kafka, tmp_path, f"{name}-proto-sink", topic, PROTOBUF)
    assert_rows_equal(wait_lines(out, len(rows), why=why), rows)


def event_class(name):
    """A message with a oneof (a string or a nested message) and a nested message field."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{name}/event.proto", package=f"weir.{name}",
                                             syntax="proto3")
    f = descriptor_pb2.FieldDescriptorProto
    msg = fdp.message_type.add(name="Event")
    point = msg.nested_type.add(name="Point")
    point.field.add(name="x", number=1, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    point.field.add(name="y", number=2, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    msg.oneof_decl.add(name="payload")
    msg.field.add(name="id", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    msg.field.add(name="text", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL, oneof_index=0)
    msg.field.add(name="point", number=3, type=f.TYPE_MESSAGE, label=f.LABEL_OPTIONAL, oneof_index=0,
                  type_name=f".weir.{name}.Event.Point")
    msg.field.add(name="origin", number=4, type=f.TYPE_MESSAGE, label=f.LABEL_OPTIONAL,
                  type_name=f".weir.{name}.Event.Point")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"weir.{name}.Event"))


# Each event as Weir reads it (Confluent's ProtobufData: the oneof is a struct field
# `payload_0` holding the set member) and as the Python message is built.
EVENTS = [
    {"payload_0": {"text": "hello", "point": None}, "id": "e1", "origin": {"x": 1, "y": 2}},
    {"payload_0": {"text": None, "point": {"x": 3, "y": -4}}, "id": "e2", "origin": None},
    {"payload_0": None, "id": "e3", "origin": {"x": 0, "y": 0}},
]


def event_message(cls, row):
    m = cls(id=row["id"])
    union = row["payload_0"] or {}
    if union.get("text") is not None:
        m.text = union["text"]
    if union.get("point") is not None:
        m.point.x, m.point.y = union["point"]["x"], union["point"]["y"]
    if row["origin"] is not None:
        m.origin.x, m.origin.y = row["origin"]["x"], row["origin"]["y"]
    return m


def event_row(m):
    """A decoded Python Event, in the shape of EVENTS."""
    which = m.WhichOneof("payload")
    union = None
    if which == "text":
        union = {"text": m.text, "point": None}
    elif which == "point":
        union = {"text": None, "point": {"x": m.point.x, "y": m.point.y}}
    origin = {"x": m.origin.x, "y": m.origin.y} if m.HasField("origin") else None
    return {"payload_0": union, "id": m.id, "origin": origin}


def test_protobuf_oneof_and_nested_message_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, PROTOBUF)
    topic = f"{name}-oneof"
    cls = event_class(name)
    ser = ProtobufSerializer(cls, registry, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka, topic, [ser(event_message(cls, row), ctx) for row in EVENTS])
    out, why = sink_to_file(kafka, tmp_path, f"{name}-oneof-sink", topic, PROTOBUF)
    assert_rows_equal(wait_lines(out, len(EVENTS), why=why), EVENTS)


def test_protobuf_oneof_written_by_weir_is_read_by_protobuf_deserializer(kafka, registry, name, tmp_path):
    """Weir writes records whose Connect shape is the one it reads (the oneof as `payload_0`)
    with the subject's latest schema, the one confluent-kafka registered; ProtobufDeserializer
    reads the oneof and the nested messages back."""
    require(kafka, PROTOBUF)
    topic = f"{name}-woneof"
    cls = event_class(name)
    # Registers the Event schema under {topic}-value, as a producer would.
    ProtobufSerializer(cls, registry, {"use.deprecated.format": False})(
        event_message(cls, EVENTS[0]), SerializationContext(topic, MessageField.VALUE))
    src = tmp_path / f"{name}-events.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in EVENTS), encoding="utf-8")
    create(kafka, f"{name}-oneof-src", {
        "connector.class": "FileStreamSource", "file": str(src), "topic": topic, "file.format": "jsonl",
        "value.converter": PROTOBUF, "value.converter.use.latest.version": "true",
        "value.converter.latest.compatibility.strict": "false",
        "value.converter.auto.register.schemas": "false"})
    try:
        raw = consume_raw(kafka, topic, len(EVENTS))
    except AssertionError as e:
        raise AssertionError(f"{e}; source status: {status(kafka, f'{name}-oneof-src')}") from e
    de = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = [event_row(de(b, ctx)) for b in raw]
    # proto3: an unset id would read as ""; every row sets it. A null origin stays unset.
    assert got == EVENTS


CARD_SCHEMA = json.dumps({
    "type": "record", "name": "Card", "namespace": "weir.interop",
    "fields": [
        {"name": "id", "type": "long"},
        # Declared order, not sorted: symbol indexes on the wire follow it.
        {"name": "suit", "type": {"type": "enum", "name": "Suit", "symbols": ["SPADES", "HEARTS", "CLUBS"]}},
    ],
})


def test_avro_enum_with_unsorted_symbols_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, AVRO)
    topic = f"{name}-enum"
    rows = [{"id": 1, "suit": "CLUBS"}, {"id": 2, "suit": "SPADES"}, {"id": 3, "suit": "HEARTS"}]
    ser = AvroSerializer(registry, CARD_SCHEMA)
    ctx = SerializationContext(topic, MessageField.VALUE)
    encoded = [ser(row, ctx) for row in rows]
    assert encoded[0][-1:] == b"\x04", "CLUBS is index 2 (zigzag 4) in the declared order"
    produce(kafka, topic, encoded)
    out, why = sink_to_file(kafka, tmp_path, f"{name}-enum-sink", topic, AVRO)
    assert_rows_equal(wait_lines(out, len(rows), why=why), rows)


def test_avro_enum_written_by_weir_keeps_its_symbol_order(kafka, registry, name, tmp_path):
    """An HttpSource with the Card schema and enhanced.avro.schema.support writes the enum back as
    the same enum: with connect.meta.data=false the schema is the one confluent-kafka registered
    (same id), so symbol order survived the trip through Connect."""
    require(kafka, AVRO)
    topic = f"{name}-wenum"
    ser = AvroSerializer(registry, CARD_SCHEMA)
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka, topic, [ser({"id": 1, "suit": "HEARTS"}, ctx)])
    connector = f"{name}-wenum-in"
    create(kafka, connector, {
        "connector.class": "HttpSource", "topic": topic,
        "value.schema": CARD_SCHEMA, "value.schema.type": "AVRO",
        "value.converter": AVRO,
        "value.converter.enhanced.avro.schema.support": "true",
        "value.converter.connect.meta.data": "false"})
    wait_task_state(kafka, connector, "RUNNING")
    rows = [{"id": 2, "suit": "CLUBS"}, {"id": 3, "suit": "SPADES"}]
    pushed = requests.post(f"{kafka['url']}/ingest/{connector}", json=rows, timeout=30)
    assert pushed.json() == {"accepted": 2}, pushed.text
    raw = consume_raw(kafka, topic, 3)
    assert raw[1][1:5] == raw[0][1:5], "Weir wrote under the schema confluent-kafka registered"
    assert raw[1][-1:] == b"\x04", "CLUBS is index 2 (zigzag 4) in the declared order"
    de = AvroDeserializer(registry)
    assert [de(b, ctx) for b in raw[1:]] == rows


INVENTORY_SCHEMA = json.dumps({
    "type": "object", "title": "Inventory",
    "properties": {
        "id": {"type": "integer", "connect.index": 0},
        # A Connect map with int keys, as Confluent's JsonSchemaConverter writes it.
        "stock": {"type": "array", "connect.type": "map", "connect.index": 1,
                  "items": {"type": "object", "properties": {
                      "key": {"type": "integer", "connect.type": "int32", "connect.index": 0},
                      "value": {"type": "string", "connect.index": 1}}}},
    },
})


def test_json_schema_map_with_int_keys_read_by_a_weir_sink(kafka, registry, name, tmp_path):
    require(kafka, JSON_SCHEMA)
    topic = f"{name}-jmap"
    rows = [{"id": 1, "stock": [{"key": 5, "value": "five"}, {"key": 7, "value": "seven"}]}]
    ser = JSONSerializer(INVENTORY_SCHEMA, registry)
    ctx = SerializationContext(topic, MessageField.VALUE)
    produce(kafka, topic, [ser(row, ctx) for row in rows])
    out, why = sink_to_file(kafka, tmp_path, f"{name}-jmap-sink", topic, JSON_SCHEMA)
    # Read as a Connect map<int32, string>; the file sink writes it as Kafka's JSON does.
    assert_rows_equal(wait_lines(out, 1, why=why), [{"id": 1, "stock": [[5, "five"], [7, "seven"]]}])


# Weir writes, confluent-kafka reads ---------------------------------------------------------

def source_from_file(kafka, tmp_path, name, topic, converter):
    src = tmp_path / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    create(kafka, name, {"connector.class": "FileStreamSource", "file": str(src), "topic": topic,
                         "file.format": "jsonl", "value.converter": converter})


def assert_decoded_equal(decoded, rows=ROWS):
    assert len(decoded) == len(rows)
    for got, want in zip(decoded, rows):
        for field, value in want.items():
            assert got[field] == value, f"field {field}: {got!r} vs {want!r}"


def test_avro_written_by_a_weir_source_is_read_by_avro_deserializer(kafka, registry, name, tmp_path):
    require(kafka, AVRO)
    topic = f"{name}-wavro"
    source_from_file(kafka, tmp_path, f"{name}-avro-src", topic, AVRO)
    raw = consume_raw(kafka, topic, len(ROWS))
    assert all(b[0] == 0 for b in raw), "Confluent wire format"
    de = AvroDeserializer(registry)
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert_decoded_equal([de(b, ctx) for b in raw])


def test_json_schema_written_by_a_weir_source_is_read_by_json_deserializer(kafka, registry, name, tmp_path):
    require(kafka, JSON_SCHEMA)
    topic = f"{name}-wjson"
    source_from_file(kafka, tmp_path, f"{name}-json-src", topic, JSON_SCHEMA)
    raw = consume_raw(kafka, topic, len(ROWS))
    de = JSONDeserializer(None, schema_registry_client=registry)
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert_decoded_equal([de(b, ctx) for b in raw])


def test_protobuf_written_by_a_weir_source_is_read_by_protobuf_deserializer(kafka, registry, name, tmp_path):
    require(kafka, PROTOBUF)
    topic = f"{name}-wproto"
    source_from_file(kafka, tmp_path, f"{name}-proto-src", topic, PROTOBUF)
    raw = consume_raw(kafka, topic, len(ROWS))
    schema_id = int.from_bytes(raw[0][1:5], "big")
    # The message class from the registered schema, as a consumer without generated code gets it.
    serialized = requests.get(f"{kafka['url']}/schemas/ids/{schema_id}", params={"format": "serialized"},
                              timeout=30).json()["schema"]
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    full_name = (fdp.package + "." if fdp.package else "") + fdp.message_type[0].name
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))
    de = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    decoded = [de(b, ctx) for b in raw]
    rows = [dict(r, note=r["note"] or "") for r in ROWS]  # optional strings read back as "" when unset
    assert_decoded_equal([{f: getattr(m, f) for f in rows[0]} for m in decoded], rows)


# Bad input ----------------------------------------------------------------------------------

def test_plain_json_read_with_avro_converter_fails_that_task_only(kafka, registry, name, tmp_path):
    require(kafka, AVRO)
    good_topic, bad_topic = f"{name}-good", f"{name}-plain"
    ser = AvroSerializer(registry, AVRO_SCHEMA)
    ctx = SerializationContext(good_topic, MessageField.VALUE)
    good_out, why = sink_to_file(kafka, tmp_path, f"{name}-good-sink", good_topic, AVRO)
    sink_to_file(kafka, tmp_path, f"{name}-bad-sink", bad_topic, AVRO)
    produce(kafka, bad_topic, [json.dumps(ROWS[0]).encode()])
    failed = wait_task_state(kafka, f"{name}-bad-sink", "FAILED")
    trace = failed["tasks"][0].get("trace", "")
    assert "the payload is plain JSON, not the Confluent wire format (magic byte 0)" in trace, trace
    # The other sink keeps running and keeps copying.
    produce(kafka, good_topic, [ser(row, ctx) for row in ROWS])
    assert_rows_equal(wait_lines(good_out, len(ROWS), why=why), ROWS)
    wait_task_state(kafka, f"{name}-good-sink", "RUNNING")
