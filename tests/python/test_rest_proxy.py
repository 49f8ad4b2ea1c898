"""What Weir's REST Proxy v2 produce call (POST /topics/{topic}) writes, read back by
confluent-kafka's own deserializers through Weir's registry, and keys partitioned as
librdkafka's Java-compatible partitioner (murmur2_random) puts them.

Reading needs the records in Kafka: tests/python/run.sh starts a broker and a worker on it
(KAFKA_BOOTSTRAP, WEIR_KAFKA_URL). Without them the tests fail, saying why (conftest.kafka).
"""
import base64
import datetime
import decimal
import json
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

V2 = "application/vnd.kafka.v2+json"


def produce(kafka, topic, fmt, body, path_suffix=""):
    """POST /topics/{topic} as a proxy client does; the answer must be v2 JSON."""
    answer = requests.post(f"{kafka['url']}/topics/{topic}{path_suffix}", data=json.dumps(body), timeout=60,
                           headers={"Content-Type": f"application/vnd.kafka.{fmt}.v2+json", "Accept": V2})
    assert answer.headers["Content-Type"] == V2, answer.headers
    return answer


def create_topic(kafka, topic, partitions):
    admin = AdminClient({"bootstrap.servers": kafka["bootstrap"]})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(30)


CLICK = {
    "type": "record", "name": "Click", "namespace": "web", "fields": [
        {"name": "page", "type": "string"},
        {"name": "n", "type": "long"},
        {"name": "score", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "ref", "type": ["null", "string"], "default": None},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["VIEW", "BUY"]}},
        {"name": "raw", "type": "bytes"},
        {"name": "pair", "type": {"type": "fixed", "name": "Pair", "size": 2}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "int"}},
        {"name": "tag", "type": ["null", {"type": "record", "name": "Tag", "fields": [
            {"name": "t", "type": "string"}]}], "default": None},
    ]}


def test_avro_deserializer_reads_keys_and_values_the_proxy_wrote(kafka, name):
    topic = f"{name}-clicks"
    value = {"page": "/a", "n": 12345678901, "score": 0.5, "ok": True, "ref": {"string": "mail"},
             "kind": "BUY", "raw": "\u00ff\u0001", "pair": "\u0001\u0002", "day": 19000,
             "at": 1700000000000, "price": "09", "tags": ["x", "y"], "counts": {"a": 1},
             "tag": {"web.Tag": {"t": "z"}}}
    answer = produce(kafka, topic, "avro", {
        "key_schema": json.dumps({"type": "string"}), "value_schema": json.dumps(CLICK),
        "records": [{"key": "u1", "value": value},
                    {"key": "u2", "value": dict(value, ref=None, tag=None, tags=[], counts={})},
                    {"key": "u1", "value": None}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    client = SchemaRegistryClient({"url": kafka["url"]})
    assert body["value_schema_id"] == client.get_latest_version(f"{topic}-value").schema_id
    assert body["key_schema_id"] == client.get_latest_version(f"{topic}-key").schema_id

    msgs = consume(kafka["bootstrap"], topic, 3)
    deserialize = AvroDeserializer(client)
    keys = [deserialize(m.key(), SerializationContext(topic, MessageField.KEY)) for m in msgs]
    assert keys == ["u1", "u2", "u1"]
    assert msgs[2].value() is None
    got = [deserialize(m.value(), SerializationContext(topic, MessageField.VALUE)) for m in msgs[:2]]
    want = {"page": "/a", "n": 12345678901, "score": 0.5, "ok": True, "ref": "mail", "kind": "BUY",
            "raw": b"\xff\x01", "pair": b"\x01\x02",
            "day": datetime.date(1970, 1, 1) + datetime.timedelta(days=19000),
            "at": datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc),
            "price": decimal.Decimal("123.45"), "tags": ["x", "y"], "counts": {"a": 1}, "tag": {"t": "z"}}
    assert got[0] == want
    assert got[1] == dict(want, ref=None, tag=None, tags=[], counts={})


ORDER_PROTO = """syntax = "proto3";
package shop.%s;

message Order {
  int64 id = 1;
  Status status = 3;
  repeated Line lines = 5;
  map<string, int32> stock = 6;
  optional string note = 8;

  enum Status {
    NEW = 0;
    PAID = 1;
  }
  message Line {
    string sku = 1;
    uint32 qty = 2;
  }
}
"""


def test_protobuf_deserializer_reads_what_the_proxy_wrote(kafka, name):
    topic = f"{name}-orders"
    answer = produce(kafka, topic, "protobuf", {
        "value_schema": ORDER_PROTO % name,
        "records": [{"value": {"id": "9007199254740993", "status": "PAID",
                               "lines": [{"sku": "tea", "qty": 2}], "stock": {"tea": 5}, "note": "gift"}},
                    {"value": {"id": 2, "lines": []}}]})
    assert answer.status_code == 200, answer.text
    schema_id = answer.json()["value_schema_id"]

    serialized = requests.get(f"{kafka['url']}/schemas/ids/{schema_id}", params={"format": "serialized"},
                              timeout=30).json()["schema"]
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"shop.{name}.Order"))
    deserialize = ProtobufDeserializer(cls, {"use.deprecated.format": False})
    ctx = SerializationContext(topic, MessageField.VALUE)
    msgs = consume(kafka["bootstrap"], topic, 2)
    assert all(int.from_bytes(m.value()[1:5], "big") == schema_id for m in msgs)
    first, second = [deserialize(m.value(), ctx) for m in msgs]
    assert (first.id, first.status, [(l.sku, l.qty) for l in first.lines], dict(first.stock), first.note) == (
        9007199254740993, 1, [("tea", 2)], {"tea": 5}, "gift")
    assert (second.id, second.status, len(second.lines), second.HasField("note")) == (2, 0, 0, False)

    # A field the message lacks is refused, naming the record; nothing is written.
    refused = produce(kafka, topic, "protobuf", {"value_schema_id": schema_id,
                                                 "records": [{"value": {"id": 3}}, {"value": {"id": 4, "colour": "red"}}]})
    assert (refused.status_code, refused.json()["error_code"]) == (422, 42203), refused.text
    assert refused.json()["message"].startswith("record 1: value")
    assert len(consume_all(kafka["bootstrap"], topic)) == 2, "the refused request wrote nothing"


def test_json_deserializer_reads_what_the_proxy_wrote(kafka, name):
    topic = f"{name}-people"
    schema = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
        "required": ["id", "name"]}
    answer = produce(kafka, topic, "jsonschema", {
        "value_schema": json.dumps(schema),
        "records": [{"value": {"id": 1, "name": "Ada", "age": 36}}, {"value": {"id": 2, "name": "Grace"}}]})
    assert answer.status_code == 200, answer.text
    refused = produce(kafka, topic, "jsonschema", {"value_schema_id": answer.json()["value_schema_id"],
                                                   "records": [{"value": {"id": 3, "name": "Alan", "age": -1}}]})
    assert (refused.status_code, refused.json()["error_code"]) == (422, 42203), refused.text
    assert "age" in refused.json()["message"]

    client = SchemaRegistryClient({"url": kafka["url"]})
    deserialize = JSONDeserializer(None, schema_registry_client=client)
    ctx = SerializationContext(topic, MessageField.VALUE)
    got = [deserialize(m.value(), ctx) for m in consume(kafka["bootstrap"], topic, 2)]
    assert got == [{"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Grace"}]


def test_keys_land_where_librdkafkas_java_compatible_partitioner_puts_them(kafka, name):
    keys = [f"customer-{i}".encode() for i in range(24)]
    proxied, direct = f"{name}-viaproxy", f"{name}-direct"
    create_topic(kafka, proxied, 6)
    create_topic(kafka, direct, 6)

    answer = produce(kafka, proxied, "binary", {"records": [
        {"key": base64.b64encode(k).decode(), "value": base64.b64encode(b"v").decode()} for k in keys]})
    assert answer.status_code == 200, answer.text
    via_proxy = [o["partition"] for o in answer.json()["offsets"]]

    delivered = {}
    producer = Producer({"bootstrap.servers": kafka["bootstrap"], "partitioner": "murmur2_random"})
    for k in keys:
        producer.produce(direct, key=k, value=b"v",
                         on_delivery=lambda err, msg: delivered.__setitem__(msg.key(), msg.partition()))
    producer.flush(30)
    assert via_proxy == [delivered[k] for k in keys]
    assert len(set(via_proxy)) > 1

    # json keys are their JSON text, hashed as such: a string key "k" is the bytes "\"k\"".
    answer = produce(kafka, proxied, "json", {"records": [{"key": "k", "value": {"v": 1}}]})
    assert answer.status_code == 200, answer.text
    producer.produce(direct, key=b'"k"', value=b"v",
                     on_delivery=lambda err, msg: delivered.__setitem__(msg.key(), msg.partition()))
    producer.flush(30)
    assert answer.json()["offsets"][0]["partition"] == delivered[b'"k"']
