//! Bridge between Connect data and `serde_json`. Filled in by the JSON converter work.

use crate::{ConnectError, Data};

/// How logical types and nulls are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    #[default]
    Base64,
    Numeric,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    pub decimal_format: DecimalFormat,
    pub replace_null_with_default: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

/// One line of JSON for a value (no envelope).
pub fn to_json_string(data: &Data) -> Result<String, ConnectError> {
    let _ = data;
    Err(ConnectError::internal("schemas::json: in progress"))
}
