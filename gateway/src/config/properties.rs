//! Java `.properties` files, as Kafka reads its worker and connector files.
//!
//! Parsing (comments `#`/`!`, `key=value`, `key: value`, `key value`, line continuations,
//! `\uXXXX` escapes) is the `java-properties` crate's; this module only decides the encoding
//! and turns its errors into [`ConfigError`]s that name the file and the line.
//!
//! Files are read as UTF-8 rather than Java's ISO-8859-1: paths and topic names written by
//! today's editors are UTF-8, and `\uXXXX` escapes keep working either way.

use std::collections::BTreeMap;
use std::path::Path;

use java_properties::{LineContent, PropertiesIter};

use super::ConfigError;

/// Parses properties text; a later duplicate key wins, as in `java.util.Properties`.
pub fn parse_properties(text: &str, file: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for line in PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8) {
        let line = line.map_err(|e| {
            let at = e.line_number().map(|n| format!("line {n}: ")).unwrap_or_default();
            ConfigError::file(file, format!("{at}not a valid properties file: {e}"))
        })?;
        if let LineContent::KVPair(key, value) = line.consume_content() {
            out.insert(key, value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> BTreeMap<String, String> {
        parse_properties(text, Path::new("w.properties")).unwrap()
    }

    #[test]
    fn separators_comments_and_continuations() {
        let p = parse(
            "# comment\n! other comment\na=1\nb: 2\nc 3\n  d = spaced value  \n\
             long=first,\\\n    second\npath=C:\\\\dir\\\\file\nuni=caf\\u00e9\nempty=\n",
        );
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "2");
        assert_eq!(p["c"], "3");
        assert_eq!(p["d"], "spaced value  ");
        assert_eq!(p["long"], "first,second");
        assert_eq!(p["path"], "C:\\dir\\file");
        assert_eq!(p["uni"], "café");
        assert_eq!(p["empty"], "");
        assert_eq!(p.len(), 8);
    }

    #[test]
    fn later_duplicate_wins_and_utf8_is_kept() {
        let p = parse("topic=a\ntopic=b\nfile=/tmp/données.txt\n");
        assert_eq!(p["topic"], "b");
        assert_eq!(p["file"], "/tmp/données.txt");
    }

    #[test]
    fn bad_escape_names_file_and_line() {
        let err = parse_properties("a=1\nb=\\uZZZZ\n", Path::new("/etc/w.properties")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/etc/w.properties: line 2"), "{text}");
    }
}
