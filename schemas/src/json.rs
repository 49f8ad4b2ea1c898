//! Bridge between Connect data and `serde_json`. Filled in by the JSON converter work.
