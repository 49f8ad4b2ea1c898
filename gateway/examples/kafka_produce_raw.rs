//! The baseline of `bench/ingest.sh kafka`: raw rdkafka producing N pre-encoded customer
//! records (the same ~120-byte JSON the load generator pushes to Weir) to a topic, with the
//! producer settings Weir uses (idempotent, acks=all), until every record is acknowledged.
//! Prints records/s.
//!
//!   kafka_produce_raw BOOTSTRAP TOPIC [records=1000000]

use std::time::{Duration, Instant};

use anyhow::bail;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bootstrap, topic) = match args.as_slice() {
        [b, t, ..] => (b.clone(), t.clone()),
        _ => bail!("usage: kafka_produce_raw BOOTSTRAP TOPIC [records]"),
    };
    let total: usize = args.get(2).map_or(Ok(1_000_000), |a| a.parse())?;
    // Pre-encoded before the clock starts, as the issue's baseline asks.
    let values: Vec<Vec<u8>> = (0..total)
        .map(|id| {
            let spending = (id * 37 % 100_000) as f64 / 10.0 + 0.5;
            format!(
                r#"{{"customer_id":{id},"name":"Customer {id}","email":"c{id}@example.com","phone":"555-{:03}-{:04}","spending":{spending},"vip":{}}}"#,
                id % 1000,
                id % 10_000,
                id % 7 == 0
            )
            .into_bytes()
        })
        .collect();
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()?;
    // The topic exists and the producer has its id and metadata before the clock starts (the
    // worker's topic is created by its first push, also outside its measured run).
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for result in runtime.block_on(admin.create_topics(
        [&NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))? {
        if let Err((name, code)) = result {
            bail!("creating topic {name}: {code}");
        }
    }
    producer
        .send(BaseRecord::<(), [u8]>::to(&topic).payload(&b"warm-up"[..]))
        .map_err(|(e, _)| e)?;
    producer.flush(Duration::from_secs(60))?;

    let start = Instant::now();
    for value in &values {
        let mut record = BaseRecord::<(), [u8]>::to(&topic).payload(value.as_slice());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((e, _)) => bail!("send: {e}"),
            }
        }
    }
    producer.flush(Duration::from_secs(300))?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "raw rdkafka: {total} records produced and acknowledged in {secs:.2} s = {:.0} records/s",
        total as f64 / secs
    );
    Ok(())
}
