//! A registry-only server for client tests and benchmarks until (and beside) `weir
//! standalone`: `cargo run -p gateway --example registry_server -- [LISTEN] [DATA_DIR|postgres://URL]`.
//! Defaults: `127.0.0.1:8081`, a `registry-data` folder. Prints `listening on http://HOST:PORT`.

use std::sync::Arc;

use gateway::registry::{Registry, router};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8081".to_string());
    let store = args.next().unwrap_or_else(|| "registry-data".to_string());
    let registry = if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        Registry::postgres(&store).await?
    } else {
        std::fs::create_dir_all(&store)?;
        let options = SqliteConnectOptions::new()
            .filename(std::path::Path::new(&store).join("state.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Registry::sqlite(pool).await?
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(Arc::new(registry))).await?;
    Ok(())
}
