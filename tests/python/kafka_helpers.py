"""Reading a topic the way the tests prove what was written: every record up to the end offsets
the broker reports, so a record written by mistake (an extra one) is seen, not only the first n.
"""
import time

from confluent_kafka import Consumer, TopicPartition


def end_offsets(consumer, topic):
    """{partition: (low, high)} of `topic` as the broker reports them ({} for no such topic)."""
    metadata = consumer.list_topics(topic, timeout=30).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return {}
    return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            for p in metadata.partitions}


def new_consumer(bootstrap, topic):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": f"consume-all-{topic}",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})


def consume_all(bootstrap, topic, timeout=60):
    """Every record of `topic`, sorted by (partition, offset): each partition is read from its low
    watermark to the high watermark (the end offset) the broker reports when the read starts.
    A topic that does not exist has no records. Fails when they do not all arrive in `timeout`."""
    consumer = new_consumer(bootstrap, topic)
    try:
        offsets = end_offsets(consumer, topic)
        ends = {p: high for p, (low, high) in offsets.items() if high > low}
        if not ends:
            return []
        consumer.assign([TopicPartition(topic, p, offsets[p][0]) for p in ends])
        got, deadline = [], time.time() + timeout
        pending = dict(ends)
        while pending:
            assert time.time() < deadline, f"{topic}: {len(got)} records in {timeout} s, end offsets {ends}"
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise AssertionError(f"{topic}: {msg.error()}")
            got.append(msg)
            if msg.offset() + 1 >= pending.get(msg.partition(), 0):
                pending.pop(msg.partition(), None)
        return sorted(got, key=lambda m: (m.partition(), m.offset()))
    finally:
        consumer.close()


def consume(bootstrap, topic, n, timeout=60):
    """The records of `topic`, which must hold exactly `n`: waits (for a writer that is not done
    yet, such as a source task) until it holds at least `n`, then reads it to the end."""
    consumer = new_consumer(bootstrap, topic)
    deadline, held = time.time() + timeout, 0
    try:
        while True:
            held = sum(high - low for low, high in end_offsets(consumer, topic).values())
            if held >= n or time.time() >= deadline:
                break
            time.sleep(0.2)
    finally:
        consumer.close()
    got = consume_all(bootstrap, topic, timeout)
    assert len(got) == n, f"{topic} holds {len(got)} records, expected {n}"
    return got
