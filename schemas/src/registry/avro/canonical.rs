//! The text the registry stores, answers and compares for Avro: what Confluent Schema Registry
//! answers, i.e. Avro Java's `Schema.toString()` of the parsed schema (compact JSON keeping doc,
//! defaults, aliases, order, logical types and custom properties), with the named types of the
//! references written as names rather than inlined.
//!
//! Rules that must stay true:
//! - the output depends only on the parsed schema, never on whitespace or key order of the input
//!   for the reserved keys (custom properties keep the order written, as Avro Java keeps them);
//! - parsing the output again (with the same references) yields the same output;
//! - numbers print as Jackson prints the nodes Avro Java parsed: integers as written, any number
//!   with a fraction or exponent as Java's `Double.toString`.
//!
//! [`Style::Normalized`] is Confluent's `normalize=true`: custom properties sorted by key (a logical
//! type's own properties first), aliases sorted, empty docs of named types dropped; what Confluent
//! stores is the canonical text of that normalized schema, which is what this writes.

use std::fmt::Write as _;

use serde_json::Value;

use super::AvroSchema;
use super::model::{Arena, FieldOrder, Name, Named, Node, NodeId, Props};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Canonical,
    Normalized,
}

pub(crate) fn write(schema: &AvroSchema, style: Style) -> String {
    let mut writer = Writer {
        arena: &schema.arena,
        style,
        out: String::with_capacity(256),
    };
    writer.node(schema.root, None);
    writer.out
}

struct Writer<'a> {
    arena: &'a Arena,
    style: Style,
    out: String,
}

impl Writer<'_> {
    fn node(&mut self, id: NodeId, ns: Option<&str>) {
        let arena = self.arena;
        match &arena.nodes[id] {
            Node::Primitive { prim, props } => {
                if props.is_empty() {
                    self.string(prim.name());
                } else {
                    self.out.push_str("{\"type\":");
                    self.string(prim.name());
                    self.props(props, true);
                    self.out.push('}');
                }
            }
            Node::Array { items, props } => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.node(*items, ns);
                self.props(props, false);
                self.out.push('}');
            }
            Node::Map { values, props } => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.node(*values, ns);
                self.props(props, false);
                self.out.push('}');
            }
            Node::Union { branches } => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.node(*b, ns);
                }
                self.out.push(']');
            }
            Node::Ref { name, .. } => {
                let text = name.qualified_in(ns);
                self.string(&text);
            }
            Node::Record(record) => {
                let named = &record.named;
                self.out.push_str("{\"type\":");
                self.string(if record.is_error { "error" } else { "record" });
                self.name(&named.name, ns);
                self.doc(named);
                self.out.push_str(",\"fields\":[");
                let inner = named.name.namespace.as_deref();
                for (i, f) in record.fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.out.push_str("{\"name\":");
                    self.string(&f.name);
                    self.out.push_str(",\"type\":");
                    self.node(f.ty, inner);
                    if let Some(doc) = &f.doc {
                        self.out.push_str(",\"doc\":");
                        self.string(doc);
                    }
                    if let Some(default) = &f.default {
                        self.out.push_str(",\"default\":");
                        self.value(default);
                    }
                    match f.order {
                        FieldOrder::Ascending => {}
                        FieldOrder::Descending => self.out.push_str(",\"order\":\"descending\""),
                        FieldOrder::Ignore => self.out.push_str(",\"order\":\"ignore\""),
                    }
                    if !f.aliases.is_empty() {
                        let mut aliases: Vec<&String> = f.aliases.iter().collect();
                        if self.style == Style::Normalized {
                            aliases.sort();
                        }
                        self.out.push_str(",\"aliases\":[");
                        for (j, a) in aliases.iter().enumerate() {
                            if j > 0 {
                                self.out.push(',');
                            }
                            self.string(a);
                        }
                        self.out.push(']');
                    }
                    self.props(&f.props, false);
                    self.out.push('}');
                }
                self.out.push(']');
                self.props(&named.props, false);
                self.aliases(named);
                self.out.push('}');
            }
            Node::Enum {
                named,
                symbols,
                default,
            } => {
                self.out.push_str("{\"type\":\"enum\"");
                self.name(&named.name, ns);
                self.doc(named);
                self.out.push_str(",\"symbols\":[");
                for (i, s) in symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(s);
                }
                self.out.push(']');
                if let Some(d) = default {
                    self.out.push_str(",\"default\":");
                    self.string(d);
                }
                self.props(&named.props, false);
                self.aliases(named);
                self.out.push('}');
            }
            Node::Fixed { named, size } => {
                self.out.push_str("{\"type\":\"fixed\"");
                self.name(&named.name, ns);
                self.doc(named);
                let _ = write!(self.out, ",\"size\":{size}");
                self.props(&named.props, true);
                self.aliases(named);
                self.out.push('}');
            }
            // Never left in a finished arena; writing nothing keeps this total.
            Node::Pending => self.out.push_str("null"),
        }
    }

    /// `"name"` and, when it differs from the enclosing one, `"namespace"` (Avro Java writes
    /// `""` for a null namespace inside a non-null one, so that reading it back stays right).
    fn name(&mut self, name: &Name, ns: Option<&str>) {
        self.out.push_str(",\"name\":");
        self.string(&name.name);
        match (&name.namespace, ns) {
            (Some(own), enclosing) if Some(own.as_str()) != enclosing => {
                self.out.push_str(",\"namespace\":");
                self.string(own);
            }
            (None, Some(_)) => self.out.push_str(",\"namespace\":\"\""),
            _ => {}
        }
    }

    fn doc(&mut self, named: &Named) {
        if let Some(doc) = &named.doc {
            if self.style == Style::Normalized && doc.is_empty() {
                return;
            }
            self.out.push_str(",\"doc\":");
            self.string(doc);
        }
    }

    fn aliases(&mut self, named: &Named) {
        if named.aliases.is_empty() {
            return;
        }
        let mut aliases: Vec<&Name> = named.aliases.iter().collect();
        if self.style == Style::Normalized {
            aliases.sort_by_cached_key(|a| a.full());
        }
        self.out.push_str(",\"aliases\":[");
        let own_ns = named.name.namespace.as_deref();
        for (i, a) in aliases.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let text = a.qualified_in(own_ns);
            self.string(&text);
        }
        self.out.push(']');
    }

    /// Custom properties: as written (canonical) or sorted (normalized). With `logical`, a
    /// logical type's own properties lead in the normalized form, as Confluent writes them.
    fn props(&mut self, props: &Props, logical: bool) {
        if self.style == Style::Canonical {
            for (k, v) in props {
                self.prop(k, v);
            }
            return;
        }
        let mut first: Vec<&str> = Vec::new();
        if logical {
            let get = |key: &str| props.iter().find(|(k, _)| k == key).map(|(_, v)| v);
            if let Some(lt @ Value::String(name)) = get("logicalType") {
                self.prop("logicalType", lt);
                first.push("logicalType");
                if name == "decimal" {
                    if let Some(p) = get("precision") {
                        self.prop("precision", p);
                        first.push("precision");
                    }
                    if let Some(s) = get("scale").filter(|s| s.as_u64() != Some(0)) {
                        self.prop("scale", s);
                        first.push("scale");
                    }
                }
            }
        }
        let mut rest: Vec<&(String, Value)> = props
            .iter()
            .filter(|(k, _)| !first.contains(&k.as_str()))
            .collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in rest {
            self.prop(k, v);
        }
    }

    fn prop(&mut self, key: &str, value: &Value) {
        self.out.push(',');
        self.string(key);
        self.out.push(':');
        self.value(value);
    }

    fn string(&mut self, s: &str) {
        write_string(&mut self.out, s);
    }

    fn value(&mut self, value: &Value) {
        write_value(&mut self.out, value);
    }
}

pub(crate) fn write_string(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(text) => out.push_str(&text),
        // Serializing a str cannot fail; keep the output valid JSON regardless.
        Err(_) => out.push_str("\"\""),
    }
}

/// JSON as Jackson writes the tree Avro Java parsed (see the module rules on numbers).
pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => write_string(out, s),
        Value::Number(n) => out.push_str(&java_number(&n.to_string())),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// A JSON number as Jackson prints what it parsed from `text`.
pub(crate) fn java_number(text: &str) -> String {
    if text.contains(['.', 'e', 'E']) {
        match text.parse::<f64>() {
            Ok(d) if d.is_finite() => java_double(d),
            // Beyond a double, Jackson's output is not worth imitating; keep the text.
            _ => text.to_string(),
        }
    } else if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Java's `Double.toString` (shortest digits that round-trip, as JDK 19+ prints them).
pub(crate) fn java_double(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{d}");
        if s.contains('.') { s } else { s + ".0" }
    } else {
        let s = format!("{d:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exponent}")
        } else {
            format!("{mantissa}.0E{exponent}")
        }
    }
}
