"""confluent-kafka's serializers and deserializers with Weir as their schema registry."""
import json

from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def wire_id(data):
    assert data[0] == 0, "Confluent wire format starts with magic byte 0"
    return int.from_bytes(data[1:5], "big")


def test_avro_serializer_round_trip(client, name):
    schema = json.dumps({"type": "record", "name": "Click", "namespace": "weir.py",
                         "fields": [{"name": "page", "type": "string"}, {"name": "at", "type": "long"}]})
    ctx = SerializationContext(f"{name}-clicks", MessageField.VALUE)
    data = AvroSerializer(client, schema)({"page": "/home", "at": 42}, ctx)
    sid = wire_id(data)
    assert client.get_latest_version(f"{name}-clicks-value").schema_id == sid
    assert AvroDeserializer(client)(data, ctx) == {"page": "/home", "at": 42}


def test_json_serializer_round_trip(client, name):
    schema = json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order", "type": "object",
        "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
        "required": ["id"],
    })
    ctx = SerializationContext(f"{name}-orders", MessageField.VALUE)
    data = JSONSerializer(schema, client)({"id": 7, "item": "tea"}, ctx)
    sid = wire_id(data)
    assert client.get_schema(sid).schema_type == "JSON"
    assert JSONDeserializer(schema, schema_registry_client=client)(data, ctx) == {"id": 7, "item": "tea"}


def click_class(name):
    """A Protobuf message class built at run time (no protoc needed)."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{name}/click.proto", package=f"weir.{name}", syntax="proto3")
    msg = fdp.message_type.add(name="Click")
    f = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="page", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    msg.field.add(name="at", number=2, type=f.TYPE_INT64, label=f.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"weir.{name}.Click"))


def test_protobuf_serializer_round_trip(client, name):
    click = click_class(name)
    ctx = SerializationContext(f"{name}-pclicks", MessageField.VALUE)
    serializer = ProtobufSerializer(click, client, {"use.deprecated.format": False})
    data = serializer(click(page="/cart", at=9), ctx)
    sid = wire_id(data)
    registered = client.get_schema(sid)
    assert registered.schema_type == "PROTOBUF"
    assert "message Click" in registered.schema_str
    back = ProtobufDeserializer(click, {"use.deprecated.format": False})(data, ctx)
    assert (back.page, back.at) == ("/cart", 9)
