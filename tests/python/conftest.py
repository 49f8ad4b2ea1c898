"""Fixtures for the confluent-kafka client tests against a running Weir (WEIR_URL), and a Weir
worker on a Kafka-protocol broker (WEIR_KAFKA_URL, KAFKA_BOOTSTRAP). run.sh sets all three; a
missing one fails the tests that need it (never a silent skip: a suite that tested nothing
must not pass)."""
import os
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient


@pytest.fixture(scope="session")
def weir_url():
    url = os.environ.get("WEIR_URL")
    if not url:
        pytest.fail("WEIR_URL is not set: run tests/python/run.sh, or point it at a running weir")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def kafka():
    """The broker and the Weir worker on it: {"bootstrap": ..., "url": ...}."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    url = os.environ.get("WEIR_KAFKA_URL")
    if not bootstrap or not url:
        pytest.fail("KAFKA_BOOTSTRAP / WEIR_KAFKA_URL are not set: run tests/python/run.sh, or point "
                    "them at a broker and a weir worker with bootstrap.servers on it")
    return {"bootstrap": bootstrap, "url": url.rstrip("/")}


@pytest.fixture()
def client(weir_url):
    return SchemaRegistryClient({"url": weir_url})


@pytest.fixture()
def name():
    """A prefix no other test (or earlier run against the same weir) uses."""
    return "py" + uuid.uuid4().hex[:12]
