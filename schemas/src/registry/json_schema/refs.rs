//! `$ref` resolution for the loader: a JSON pointer or anchor in the same document, another
//! document among the registry's references (by reference name, by `$id`, or by the name
//! resolved against the referring document's `$id`), or an embedded schema with that `$id`.
//!
//! Rule: an unresolvable `$ref` is an error naming it and where it occurs; every search is
//! bounded by [`MAX_DEPTH`].

use serde_json::{Map, Value};

use super::load::{Loader, MAX_DEPTH, at, escape};
use super::model::NodeId;
use crate::registry::language::SchemaError;

impl<'a> Loader<'a> {
    /// Resolves a `$ref` found at `pointer` of document `doc` to the node it names.
    pub(super) fn resolve(
        &mut self,
        doc: usize,
        pointer: &str,
        reference: &str,
    ) -> Result<NodeId, SchemaError> {
        let (base, fragment) = match reference.split_once('#') {
            Some((base, fragment)) => (base, fragment),
            None => (reference, ""),
        };
        let target_doc = if base.is_empty() {
            Some(doc)
        } else {
            self.find_document(doc, base)
        };
        let unresolved = || {
            SchemaError::new(format!(
                "$ref {reference:?} at {} names no schema: not in this schema and not among its references",
                at(pointer)
            ))
        };
        let Some(target_doc) = target_doc else {
            // An embedded schema with that `$id`.
            return match find_by_id(&self.docs[doc].value, base, "") {
                Some(found) if fragment.is_empty() => self.load_pointer(doc, found).ok_or_else(unresolved)?,
                _ => Err(unresolved()),
            };
        };
        let decoded = percent_decode(fragment);
        let target_pointer = if decoded.is_empty() || decoded.starts_with('/') {
            decoded
        } else {
            // A plain-name fragment: `$anchor` (2019-09+) or `$id: "#name"` (drafts 6, 7).
            find_anchor(&self.docs[target_doc].value, &decoded, "").ok_or_else(unresolved)?
        };
        self.load_pointer(target_doc, target_pointer)
            .ok_or_else(unresolved)?
    }

    fn load_pointer(&mut self, doc: usize, pointer: String) -> Option<Result<NodeId, SchemaError>> {
        let docs = self.docs;
        let value = docs[doc].value.pointer(&pointer)?;
        Some(self.load(doc, pointer, value))
    }

    /// The document a `$ref` base names: a reference by its name, by its `$id`, or by the
    /// name resolved against the referring document's `$id`.
    fn find_document(&self, doc: usize, base: &str) -> Option<usize> {
        let own_id = document_id(&self.docs[doc].value);
        let absolute = own_id.as_deref().and_then(|id| join_url(id, base));
        let matches = |candidate: &str| candidate == base || absolute.as_deref() == Some(candidate);
        if let Some(found) = self
            .docs
            .iter()
            .position(|d| !d.name.is_empty() && matches(&d.name))
        {
            return Some(found);
        }
        if let Some(found) = self
            .docs
            .iter()
            .position(|d| document_id(&d.value).is_some_and(|id| matches(id.trim_end_matches('#'))))
        {
            return Some(found);
        }
        // Last resort: a single reference whose name ends with the same file name.
        let file = base.rsplit('/').next().unwrap_or(base);
        let mut by_file = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.name.is_empty() && d.name.rsplit('/').next() == Some(file));
        match (by_file.next(), by_file.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }
}

fn document_id(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    map.get("$id")
        .or_else(|| map.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Resolves `relative` against the absolute URL `base` (enough of RFC 3986 for schema ids).
fn join_url(base: &str, relative: &str) -> Option<String> {
    if relative.contains("://") {
        return Some(relative.to_string());
    }
    let base = base.split('#').next().unwrap_or(base);
    let scheme_end = base.find("://")? + 3;
    if relative.starts_with('/') {
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        return Some(format!("{}{relative}", &base[..host_end]));
    }
    let dir_end = base
        .rfind('/')
        .filter(|&i| i >= scheme_end)
        .map_or(base.len(), |i| i + 1);
    let prefix = if dir_end == base.len() && !base.ends_with('/') {
        format!("{base}/")
    } else {
        base[..dir_end].to_string()
    };
    Some(format!("{prefix}{relative}"))
}

/// The pointer of the subschema of `value` whose `$id` is `id`.
fn find_by_id(value: &Value, id: &str, pointer: &str) -> Option<String> {
    walk(value, pointer, 0, &|map| {
        map.get("$id")
            .and_then(Value::as_str)
            .is_some_and(|own| own.trim_end_matches('#') == id)
    })
}

fn find_anchor(value: &Value, anchor: &str, pointer: &str) -> Option<String> {
    let hashed = format!("#{anchor}");
    walk(value, pointer, 0, &|map| {
        map.get("$anchor").and_then(Value::as_str) == Some(anchor)
            || map.get("$id").and_then(Value::as_str) == Some(hashed.as_str())
    })
}

fn walk(
    value: &Value,
    pointer: &str,
    depth: usize,
    hit: &dyn Fn(&Map<String, Value>) -> bool,
) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        Value::Object(map) => {
            if hit(map) {
                return Some(pointer.to_string());
            }
            map.iter()
                .find_map(|(k, v)| walk(v, &format!("{pointer}/{}", escape(k)), depth + 1, hit))
        }
        Value::Array(list) => list
            .iter()
            .enumerate()
            .find_map(|(i, v)| walk(v, &format!("{pointer}/{i}"), depth + 1, hit)),
        _ => None,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high * 16 + low);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}
