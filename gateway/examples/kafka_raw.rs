//! The baseline of `bench/kafka.sh`: raw rdkafka moving the lines of a file through a topic, a
//! producer and a consumer running at the same time, with the producer settings Weir uses
//! (idempotent, acks=all). Prints records/s from the first send to the last record consumed.
//!
//!   cargo run --release -p gateway --example kafka_raw -- BOOTSTRAP TOPIC FILE

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bootstrap, topic, file] = args.as_slice() else {
        bail!("usage: kafka_raw BOOTSTRAP TOPIC FILE");
    };
    let text = std::fs::read(file).with_context(|| format!("reading {file}"))?;
    // The file's lines without their newline, as FileStreamSource reads them.
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let total = lines.len();

    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let created = runtime.block_on(admin.create_topics(
        [&NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))?;
    for result in created {
        if let Err((name, code)) = result {
            bail!("creating topic {name}: {code}");
        }
    }

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "raw-bench")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[topic])?;
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()?;

    let start = Instant::now();
    let consuming = std::thread::spawn(move || -> anyhow::Result<(usize, u64)> {
        let mut seen = 0usize;
        let mut bytes = 0u64;
        let deadline = Instant::now() + Duration::from_secs(600);
        while seen < total {
            if Instant::now() > deadline {
                bail!("only {seen} of {total} records consumed in 10 minutes");
            }
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    seen += 1;
                    bytes += m.payload_len() as u64;
                }
                Some(Err(e)) => eprintln!("consumer: {e}"),
                None => {}
            }
        }
        Ok((seen, bytes))
    });
    for line in &lines {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(*line);
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
    producer.flush(Duration::from_secs(120))?;
    let produced = start.elapsed();
    let (seen, bytes) = consuming
        .join()
        .map_err(|_| anyhow::anyhow!("the consumer thread panicked"))??;
    let elapsed = start.elapsed();
    println!(
        "raw rdkafka: {seen} records ({bytes} bytes) produced in {:.2} s, all consumed in {:.2} s = {:.0} records/s",
        produced.as_secs_f64(),
        elapsed.as_secs_f64(),
        seen as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
