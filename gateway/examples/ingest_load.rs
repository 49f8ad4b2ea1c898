//! Load generator for HTTP ingestion (`bench/ingest.sh` runs it): pushes N customer-shaped JSON
//! records (about 120 bytes each) in batches over C concurrent keep-alive connections to
//! `POST /ingest/{connector}` and prints records/s. Every push must be answered 200 with the
//! batch's count; anything else stops the run.
//!
//!   ingest_load URL CONNECTOR [records=1000000] [batch=1000] [connections=4]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// One batch of customers, ids from `first`. Shapes vary a little (a missing email, a null
/// phone) as real feeds do; every field keeps its type.
fn batch(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 130 + 2);
    out.push('[');
    for id in first..first + n {
        if id > first {
            out.push(',');
        }
        let spending = (id * 37 % 100_000) as f64 / 10.0 + 0.5;
        let phone = if id % 10 == 0 {
            "null".to_owned()
        } else {
            format!("\"555-{:03}-{:04}\"", id % 1000, id % 10_000)
        };
        out.push_str(&format!(
            r#"{{"customer_id":{id},"name":"Customer {id}","email":"c{id}@example.com","phone":{phone},"spending":{spending},"vip":{}}}"#,
            id % 7 == 0
        ));
    }
    out.push(']');
    out
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .ok_or("usage: ingest_load URL CONNECTOR [records] [batch] [connections]")?;
    let connector = args.get(2).ok_or("CONNECTOR missing")?;
    let records: usize = args.get(3).map_or(Ok(1_000_000), |a| a.parse())?;
    let batch_size: usize = args.get(4).map_or(Ok(1000), |a| a.parse())?;
    let connections: usize = args.get(5).map_or(Ok(4), |a| a.parse())?;
    let endpoint = format!("{}/ingest/{connector}", url.trim_end_matches('/'));
    let sample = batch(0, batch_size);
    println!(
        "{records} records, batches of {batch_size} ({} bytes per batch, ~{} bytes per record), {connections} connections",
        sample.len(),
        sample.len() / batch_size
    );

    let batches = records.div_ceil(batch_size);
    // Every body is built before the clock starts (as the raw rdkafka baseline pre-encodes its
    // records): the load generator shares the worker's cores, so it should only send.
    let bodies: Arc<Vec<bytes::Bytes>> = Arc::new(
        (0..batches)
            .map(|i| {
                let first = i * batch_size;
                bytes::Bytes::from(batch(first, batch_size.min(records - first)))
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let next = next.clone();
        let endpoint = endpoint.clone();
        let bodies = bodies.clone();
        // One client per worker: one keep-alive connection each.
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        workers.push(tokio::spawn(async move {
            let mut retried = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= batches {
                    return Ok::<usize, String>(retried);
                }
                let first = i * batch_size;
                let n = batch_size.min(records - first);
                let expected = format!("{{\"accepted\":{n}}}");
                let Some(body) = bodies.get(i) else {
                    return Err(format!("batch {i} was not built"));
                };
                loop {
                    let resp = client
                        .post(&endpoint)
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = resp.status().as_u16();
                    let text = resp.text().await.map_err(|e| e.to_string())?;
                    match status {
                        200 if text == expected => break,
                        429 | 503 => {
                            retried += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        _ => return Err(format!("batch {i}: {status} {text}")),
                    }
                }
            }
        }));
    }
    let mut retried = 0;
    for w in workers {
        retried += w.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pushed {records} records in {secs:.2} s: {:.0} records/s ({retried} pushes retried after 429/503)",
        records as f64 / secs
    );
    Ok(())
}
