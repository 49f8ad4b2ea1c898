"""Fixtures for the confluent-kafka client tests against a running Weir (WEIR_URL)."""
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


@pytest.fixture()
def client(weir_url):
    return SchemaRegistryClient({"url": weir_url})


@pytest.fixture()
def name():
    """A prefix no other test (or earlier run against the same weir) uses."""
    return "py" + uuid.uuid4().hex[:12]
