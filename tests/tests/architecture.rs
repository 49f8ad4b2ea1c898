//! The crate dependency edges of ARCHITECTURE.md, read from `cargo metadata`:
//! schemas -> formats -> {sources, sinks} -> gateway -> tests. Sources and sinks never import
//! each other or the gateway; only the gateway links axum, rdkafka and the state database.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};

type Edges = BTreeMap<String, BTreeSet<String>>;

/// (workspace-internal normal dependencies, external normal dependencies) per member.
fn workspace_edges() -> (Edges, Edges) {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .exec()
        .expect("cargo metadata");
    let members: BTreeSet<String> = metadata
        .workspace_packages()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    let mut internal = BTreeMap::new();
    let mut external = BTreeMap::new();
    for package in metadata.workspace_packages() {
        let normal = package
            .dependencies
            .iter()
            .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
            .map(|d| d.name.clone());
        let (ours, theirs): (BTreeSet<String>, BTreeSet<String>) = normal.partition(|n| members.contains(n));
        internal.insert(package.name.to_string(), ours);
        external.insert(package.name.to_string(), theirs);
    }
    (internal, external)
}

#[test]
fn crates_depend_only_in_the_documented_direction() {
    let (internal, _) = workspace_edges();
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("schemas", &[][..]),
        ("formats", &["schemas"][..]),
        ("sources", &["schemas", "formats"][..]),
        ("sinks", &["schemas", "formats"][..]),
        ("gateway", &["schemas", "formats", "sources", "sinks"][..]),
        (
            "tests",
            &["schemas", "formats", "sources", "sinks", "gateway"][..],
        ),
    ]);
    assert_eq!(
        internal.keys().map(String::as_str).collect::<Vec<_>>(),
        allowed.keys().copied().collect::<Vec<_>>(),
        "the workspace members changed: update ARCHITECTURE.md and this test"
    );
    for (krate, deps) in &internal {
        let ok = allowed[krate.as_str()];
        for dep in deps {
            assert!(
                ok.contains(&dep.as_str()),
                "{krate} must not depend on {dep} (allowed: {ok:?})"
            );
        }
    }
    assert!(
        internal["gateway"].contains("schemas"),
        "the gateway is built on the schemas crate"
    );
}

#[test]
fn only_the_gateway_links_the_server_database_and_kafka_crates() {
    let (_, external) = workspace_edges();
    for krate in ["schemas", "formats", "sources", "sinks"] {
        for forbidden in ["axum", "rdkafka", "sqlx", "hyper", "tower-http"] {
            assert!(
                !external[krate].contains(forbidden),
                "{krate} depends on {forbidden}: only the gateway may"
            );
        }
    }
    assert!(
        external["gateway"].contains("axum"),
        "the gateway serves HTTP with axum"
    );
}

#[test]
fn the_vocabulary_crate_has_no_runtime() {
    let (_, external) = workspace_edges();
    assert!(
        !external["schemas"].contains("tokio"),
        "schemas must not depend on tokio"
    );
}
