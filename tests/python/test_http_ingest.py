"""Records pushed to an HttpSource (Avro, inferred schema) read back by confluent-kafka's
AvroDeserializer through Weir's registry.

Reading needs the records in Kafka: tests/python/run.sh starts a broker and a worker on it
(KAFKA_BOOTSTRAP, WEIR_KAFKA_URL). Without them the test is skipped, saying why.
"""
import os
import time

import pytest
import requests
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

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
