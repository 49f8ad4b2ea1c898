//! The worker file: Kafka Connect's worker keys where Kafka has the setting, Weir's own otherwise.
//!
//! Unknown keys are warnings (so a `connect-standalone.properties` runs unchanged); a known key
//! with a bad value is an error naming the key. Values go through the config providers before
//! they are judged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::providers::resolve_value;
use super::{ConfigError, parse_properties};

/// One `listeners` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub host: String,
    pub port: u16,
}

/// A converter chosen for the worker: its class and its sub-keys with the prefix stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverterSetting {
    pub class: String,
    pub props: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub listeners: Vec<Listener>,
    pub data_dir: PathBuf,
    /// None (unset or `embedded`): the embedded log. Some: the Kafka cluster's bootstrap list.
    pub bootstrap_servers: Option<String>,
    pub group_id: String,
    pub key_converter: ConverterSetting,
    pub value_converter: ConverterSetting,
    pub offset_flush_interval: Duration,
    pub default_partitions: i32,
    pub default_replication_factor: i16,
    /// Milliseconds; -1 keeps records forever.
    pub log_retention_ms: i64,
    /// Bytes per partition; -1 means no size limit.
    pub log_retention_bytes: i64,
    pub log_retention_check_interval: Duration,
    /// Where the state store lives; None: `sqlite` in `data.dir/state.db`.
    pub state_storage_url: Option<String>,
    pub schema_registry_url: Option<String>,
    pub http_max_body_bytes: usize,
    /// Every key of the file, providers resolved (for components that read their own keys).
    pub raw: BTreeMap<String, String>,
    /// Unknown keys, to log once the logger is up.
    pub warnings: Vec<String>,
}

pub const DEFAULT_LISTENER: &str = "http://0.0.0.0:8083";
pub const DEFAULT_CONVERTER: &str = "JsonConverter";
/// Kafka's `log.retention.hours=168`.
pub const DEFAULT_RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;
/// 1 GiB per partition: unlike Kafka (unbounded by default) a worker on a laptop must not fill
/// its disk because a sink stopped consuming.
pub const DEFAULT_RETENTION_BYTES: i64 = 1 << 30;

const KNOWN_KEYS: &[&str] = &[
    "listeners",
    "data.dir",
    "bootstrap.servers",
    "group.id",
    "key.converter",
    "value.converter",
    "header.converter",
    "schema.registry.url",
    "offset.flush.interval.ms",
    "offset.flush.timeout.ms",
    "topic.creation.default.partitions",
    "topic.creation.default.replication.factor",
    "log.retention.ms",
    "log.retention.bytes",
    "log.retention.check.interval.ms",
    "state.storage.url",
    "http.max.body.bytes",
    "security.protocol",
    "client.id",
    "config.providers",
    "plugin.path",
    "offset.storage.file.filename",
    "rest.advertised.host.name",
    "rest.advertised.port",
];
const KNOWN_PREFIXES: &[&str] = &[
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "producer.",
    "consumer.",
    "admin.",
    "sasl.",
    "ssl.",
    "schema.registry.ssl.",
    "config.providers.",
];

impl WorkerConfig {
    /// Fills a converter's sub-keys with the worker's registry settings it does not set itself:
    /// `schema.registry.url` (only when the converter names no registry) and every
    /// `schema.registry.ssl.*` key.
    pub fn registry_defaults(&self, props: &mut BTreeMap<String, String>) {
        if let Some(url) = &self.schema_registry_url
            && !props.contains_key("schema.registry.url")
        {
            props.insert("schema.registry.url".to_owned(), url.clone());
        }
        for (k, v) in self.raw.range("schema.registry.ssl.".to_owned()..) {
            if !k.starts_with("schema.registry.ssl.") {
                break;
            }
            props.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Reads and checks a worker file.
    pub fn load(file: &Path) -> Result<WorkerConfig, ConfigError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ConfigError::file(file, format!("cannot read the worker file: {e}")))?;
        let props = parse_properties(&text, file)?;
        WorkerConfig::from_properties(props).map_err(|e| e.in_file(file))
    }

    /// A worker config from parsed properties (providers not yet resolved).
    pub fn from_properties(props: BTreeMap<String, String>) -> Result<WorkerConfig, ConfigError> {
        let mut raw = BTreeMap::new();
        for (k, v) in &props {
            raw.insert(k.clone(), resolve_value(k, v)?);
        }
        let get = |k: &str| raw.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());

        let listeners = parse_listeners(get("listeners").unwrap_or(DEFAULT_LISTENER))?;
        let data_dir = PathBuf::from(get("data.dir").unwrap_or("./weir-data"));
        let bootstrap_servers = match get("bootstrap.servers") {
            None | Some("embedded") => None,
            Some(list) => Some(parse_bootstrap_servers(list)?),
        };
        let warnings = raw
            .keys()
            .filter(|k| !KNOWN_KEYS.contains(&k.as_str()) && !KNOWN_PREFIXES.iter().any(|p| k.starts_with(p)))
            .map(|k| format!("unknown worker key {k} is ignored"))
            .collect();
        let state_storage_url = get("state.storage.url").map(str::to_owned);
        if let Some(url) = &state_storage_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::key(
                "state.storage.url",
                format!("{url:?} is not a sqlite: or postgres:// URL"),
            ));
        }
        let config = WorkerConfig {
            listeners,
            data_dir,
            bootstrap_servers,
            group_id: get("group.id").unwrap_or("weir").to_owned(),
            key_converter: converter_setting(&raw, "key.converter"),
            value_converter: converter_setting(&raw, "value.converter"),
            offset_flush_interval: Duration::from_millis(positive(&raw, "offset.flush.interval.ms", 1000)?),
            default_partitions: int_in(&raw, "topic.creation.default.partitions", 1, 1, 10_000)? as i32,
            default_replication_factor: int_in(&raw, "topic.creation.default.replication.factor", 1, -1, 32)?
                as i16,
            log_retention_ms: int_in(&raw, "log.retention.ms", DEFAULT_RETENTION_MS, -1, i64::MAX)?,
            log_retention_bytes: int_in(&raw, "log.retention.bytes", DEFAULT_RETENTION_BYTES, -1, i64::MAX)?,
            log_retention_check_interval: Duration::from_millis(positive(
                &raw,
                "log.retention.check.interval.ms",
                300_000,
            )?),
            state_storage_url,
            schema_registry_url: get("schema.registry.url").map(str::to_owned),
            http_max_body_bytes: int_in(&raw, "http.max.body.bytes", 16 << 20, 1, i64::from(u32::MAX))?
                as usize,
            warnings,
            raw,
        };
        Ok(config)
    }
}

/// The worker's converter for `prefix` (`key.converter` / `value.converter`): the class, or
/// JsonConverter with `schemas.enable=true` (Kafka's standalone default), and its sub-keys.
fn converter_setting(raw: &BTreeMap<String, String>, prefix: &str) -> ConverterSetting {
    let class = raw
        .get(prefix)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_CONVERTER)
        .to_owned();
    ConverterSetting {
        class,
        props: strip_prefix(raw, prefix),
    }
}

/// The class and sub-keys of a connector's `key.converter` / `value.converter` (`key`): its own
/// when it sets one, else the worker's; the worker's registry settings fill in
/// ([`WorkerConfig::registry_defaults`]).
pub fn connector_converter(
    connector: &BTreeMap<String, String>,
    worker: &WorkerConfig,
    key: &str,
    is_key: bool,
) -> ConverterSetting {
    let (class, mut props) = match connector.get(key).filter(|c| !c.trim().is_empty()) {
        Some(class) => (class.clone(), strip_prefix(connector, key)),
        None => {
            let setting = if is_key {
                &worker.key_converter
            } else {
                &worker.value_converter
            };
            (setting.class.clone(), setting.props.clone())
        }
    };
    worker.registry_defaults(&mut props);
    ConverterSetting { class, props }
}

/// Sub-keys `{prefix}.x` as `x`.
pub fn strip_prefix(raw: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    let dotted = format!("{prefix}.");
    raw.iter()
        .filter_map(|(k, v)| k.strip_prefix(&dotted).map(|s| (s.to_owned(), v.clone())))
        .collect()
}

fn int_in(
    raw: &BTreeMap<String, String>,
    key: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    let Some(value) = raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    let n: i64 = value
        .parse()
        .map_err(|_| ConfigError::key(key, format!("{value:?} is not a whole number")))?;
    if n < min || n > max {
        return Err(ConfigError::key(
            key,
            format!("{n} is out of range [{min}, {max}]"),
        ));
    }
    Ok(n)
}

fn positive(raw: &BTreeMap<String, String>, key: &str, default: u64) -> Result<u64, ConfigError> {
    Ok(int_in(raw, key, default as i64, 1, i64::MAX)? as u64)
}

/// `host:port` entries, comma separated (an optional `PLAINTEXT://`-style scheme is allowed, as
/// Kafka's clients allow it). Checked here so a typo is named at start; librdkafka resolves them.
fn parse_bootstrap_servers(value: &str) -> Result<String, ConfigError> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(ConfigError::key(
            "bootstrap.servers",
            "no broker given; expected HOST:PORT[,HOST:PORT...]",
        ));
    }
    for entry in &entries {
        let address = entry.split_once("://").map_or(*entry, |(_, rest)| rest);
        let port_ok = address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
        if !port_ok {
            return Err(ConfigError::key(
                "bootstrap.servers",
                format!("{entry:?} is not HOST:PORT (or `embedded` for the embedded log)"),
            ));
        }
    }
    Ok(entries.join(","))
}

/// `http://host:port` entries, comma separated. HTTPS needs TLS, which Weir does not serve yet.
pub fn parse_listeners(value: &str) -> Result<Vec<Listener>, ConfigError> {
    let mut out = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |problem: &str| ConfigError::key("listeners", format!("{entry:?}: {problem}"));
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or_else(|| bad("expected http://HOST:PORT"))?;
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(bad("only http:// listeners are supported"));
        }
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| bad("missing :PORT (use :0 for any free port)"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| bad("the port is not a number in 0..65535"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        out.push(Listener {
            host: host.to_owned(),
            port,
        });
    }
    if out.is_empty() {
        return Err(ConfigError::key(
            "listeners",
            "no listener given; expected http://HOST:PORT",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<WorkerConfig, ConfigError> {
        let props = parse_properties(text, Path::new("w.properties"))?;
        WorkerConfig::from_properties(props)
    }

    #[test]
    fn only_listeners_gives_the_defaults() {
        let c = load("listeners=http://127.0.0.1:0\n").unwrap();
        assert_eq!(
            c.listeners,
            vec![Listener {
                host: "127.0.0.1".into(),
                port: 0
            }]
        );
        assert_eq!(c.data_dir, PathBuf::from("./weir-data"));
        assert_eq!(c.group_id, "weir");
        assert_eq!(c.value_converter.class, "JsonConverter");
        assert_eq!(c.offset_flush_interval, Duration::from_millis(1000));
        assert_eq!(c.default_partitions, 1);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn the_workers_registry_settings_fill_in_what_a_converter_leaves_out() {
        let c = load(
            "schema.registry.url=https://sr:8081\n\
             schema.registry.ssl.truststore.location=/ca.pem\n\
             schema.registry.ssl.endpoint.identification.algorithm=\n",
        )
        .unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let mut own = BTreeMap::from([(
            "schema.registry.ssl.truststore.location".to_owned(),
            "/mine.pem".to_owned(),
        )]);
        c.registry_defaults(&mut own);
        assert_eq!(own["schema.registry.url"], "https://sr:8081");
        assert_eq!(own["schema.registry.ssl.truststore.location"], "/mine.pem");
        assert_eq!(own["schema.registry.ssl.endpoint.identification.algorithm"], "");
    }

    #[test]
    fn converter_sub_keys_are_stripped_and_unknown_keys_warn() {
        let c = load(
            "value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             key.converter.schemas.enable=false\nplugin.path=/usr/share/java\nmystery=1\n",
        )
        .unwrap();
        assert_eq!(
            c.value_converter.class,
            "org.apache.kafka.connect.storage.StringConverter"
        );
        assert_eq!(c.key_converter.class, "JsonConverter");
        assert_eq!(c.key_converter.props["schemas.enable"], "false");
        assert_eq!(
            c.warnings,
            vec!["unknown worker key mystery is ignored".to_string()]
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load("offset.flush.interval.ms=soon\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("offset.flush.interval.ms"));
        let err = load("listeners=https://0.0.0.0:8443\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("listeners"));
        let err = load("listeners=http://localhost\n").unwrap_err();
        assert!(err.problem.contains("PORT"), "{err}");
        let err = load("bootstrap.servers=localhost\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("bootstrap.servers"));
        assert!(err.problem.contains("HOST:PORT"), "{err}");
        assert_eq!(
            load("bootstrap.servers= k1:9092, PLAINTEXT://k2:9093 \n")
                .unwrap()
                .bootstrap_servers
                .as_deref(),
            Some("k1:9092,PLAINTEXT://k2:9093")
        );
        assert!(
            load("bootstrap.servers=embedded\n")
                .unwrap()
                .bootstrap_servers
                .is_none()
        );
    }

    #[test]
    fn errors_from_a_file_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("worker.properties");
        std::fs::write(&file, "topic.creation.default.partitions=0\n").unwrap();
        let err = WorkerConfig::load(&file).unwrap_err().to_string();
        assert!(err.starts_with(&file.display().to_string()), "{err}");
        assert!(
            err.contains("topic.creation.default.partitions: 0 is out of range"),
            "{err}"
        );
        let missing = WorkerConfig::load(&dir.path().join("nope.properties")).unwrap_err();
        assert!(
            missing.to_string().contains("cannot read the worker file"),
            "{missing}"
        );
    }

    #[test]
    fn several_listeners_and_ipv6() {
        let l = parse_listeners("http://[::1]:8083, http://:9000").unwrap();
        assert_eq!(l[0].host, "::1");
        assert_eq!(l[1].host, "0.0.0.0");
        assert_eq!(l[1].port, 9000);
    }
}
