//! Weir's own view of a parsed Avro schema: an arena of nodes built from the schema's JSON.
//!
//! Why not only `apache_avro::Schema`: the crate resolves logical types into their own variants,
//! keeps custom attributes sorted rather than in the order written, and drops the difference
//! between "defined here" and "referred to by name". Confluent's canonical text (Avro Java's
//! `Schema.toString`) depends on all three, and the checker wants cheap identity for named types
//! to guard recursion. So the crate validates (see `parse`) and this arena describes.
//!
//! Rules that must stay true:
//! - a named type is defined by exactly one node; every later use is a [`Node::Ref`] to it, so the
//!   arena can hold recursive schemas and the canonical writer can tell definition from use;
//! - names are resolved the way Avro Java resolves them (namespace inherited from the enclosing
//!   named type, a dotted name overrides `namespace`, an unqualified reference tries the enclosing
//!   namespace first and then the null namespace).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::intern::{self, IdMap, NONE};

pub(crate) type NodeId = usize;

/// Keys Avro Java reserves on a schema object; everything else is a custom property.
const SCHEMA_RESERVED: &[&str] = &[
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
/// Keys reserved on a record field.
const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Primitive {
    pub(crate) fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

/// A full name split the way Avro Java keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub name: String,
    pub namespace: Option<String>,
}

impl Name {
    /// `name` as written, in the context of `namespace` (the explicit or inherited one).
    pub(crate) fn new(name: &str, namespace: Option<&str>) -> Name {
        match name.rfind('.') {
            Some(dot) => Name {
                name: name[dot + 1..].to_string(),
                namespace: non_empty(&name[..dot]),
            },
            None => Name {
                name: name.to_string(),
                namespace: namespace.and_then(non_empty),
            },
        }
    }

    pub(crate) fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The shortest text naming this type inside `namespace` (Avro Java's `getQualified`).
    pub(crate) fn qualified_in(&self, namespace: Option<&str>) -> String {
        match &self.namespace {
            Some(ns) if Some(ns.as_str()) != namespace => self.full(),
            _ => self.name.clone(),
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() { None } else { Some(s.to_string()) }
}

/// What record, enum and fixed share.
#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub name: Name,
    /// Aliases resolved against the type's namespace, in the order written, without duplicates.
    pub aliases: Vec<Name>,
    pub doc: Option<String>,
    pub props: Props,
}

impl Named {
    /// Avro's name rule for compatibility: the same unqualified name, or a reader alias equal to
    /// the writer's full name.
    pub(crate) fn reads_name_of(&self, writer: &Named) -> bool {
        self.name.name == writer.name.name || {
            let writer_full = writer.name.full();
            self.aliases.iter().any(|a| a.full() == writer_full)
        }
    }
}

/// Custom properties in the order written.
pub(crate) type Props = Vec<(String, Value)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldOrder {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub aliases: Vec<String>,
    pub doc: Option<String>,
    pub default: Option<Value>,
    pub order: FieldOrder,
    pub props: Props,
    pub ty: NodeId,
}

/// What the checker needs of a field, packed so that a record's fields sit in one small
/// array: the interned name, the interned plain type (see `intern`), and two flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSig {
    /// Interned field name, or [`NONE`].
    pub name: u32,
    /// Interned plain type (no named type inside, props ignored), or [`NONE`]: two fields
    /// with the same plain type read each other, since every resolution rule is reflexive.
    pub ty: u32,
    pub has_default: bool,
    pub has_aliases: bool,
}

impl FieldSig {
    const UNKNOWN: FieldSig = FieldSig {
        name: NONE,
        ty: NONE,
        has_default: false,
        has_aliases: false,
    };
}

#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub named: Named,
    pub is_error: bool,
    pub fields: Vec<Field>,
    /// Field name -> position, so matching a 1,000-field record stays linear.
    pub by_name: HashMap<String, usize>,
    /// One per field, in field order; filled by [`Arena::index`] (empty before).
    pub sigs: Vec<FieldSig>,
    /// Interned field name -> position; complete only when `all_names_interned`.
    pub by_id: IdMap<u32, usize>,
    pub all_names_interned: bool,
    /// `name << 32 | type` of each field, so that two records' common prefix compares as one
    /// slice; meaningful for the first `plain_prefix` fields (both ids known).
    pub keys: Vec<u64>,
    pub plain_prefix: usize,
    /// From this position on, every field has a default and no alias.
    pub optional_tail: usize,
}

impl Record {
    /// The packed description of field `pos` ([`FieldSig::UNKNOWN`] before indexing; the
    /// checker then takes its general path).
    pub(crate) fn sig(&self, pos: usize) -> FieldSig {
        self.sigs.get(pos).copied().unwrap_or(FieldSig::UNKNOWN)
    }

    /// The position of this record's field that field `pos` of `reader` reads: the same name
    /// (tried at the same position first: evolving records mostly keep positions), else a
    /// reader field alias.
    pub(crate) fn matching(&self, reader: &Record, pos: usize) -> Option<usize> {
        let (rf, rs) = (&reader.fields[pos], reader.sig(pos));
        if let Some(wf) = self.fields.get(pos) {
            let ws = self.sig(pos);
            let same = if rs.name != NONE && ws.name != NONE {
                rs.name == ws.name
            } else {
                wf.name == rf.name
            };
            if same {
                return Some(pos);
            }
        }
        let by_name = if rs.name != NONE && self.all_names_interned {
            self.by_id.get(&rs.name).copied()
        } else {
            self.by_name.get(&rf.name).copied()
        };
        by_name.or_else(|| {
            if rs == FieldSig::UNKNOWN || rs.has_aliases {
                rf.aliases.iter().find_map(|a| self.by_name.get(a).copied())
            } else {
                None
            }
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Primitive {
        prim: Primitive,
        props: Props,
    },
    Array {
        items: NodeId,
        props: Props,
    },
    Map {
        values: NodeId,
        props: Props,
    },
    Union {
        branches: Vec<NodeId>,
    },
    Record(Record),
    Enum {
        named: Named,
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        named: Named,
        size: u64,
    },
    /// A use of a named type defined elsewhere (earlier, or in a referenced schema).
    Ref {
        name: Name,
        target: NodeId,
    },
    /// A record under construction; never left in a finished arena.
    Pending,
}

/// The arena: every node of the main schema and of its references.
#[derive(Debug, Clone, Default)]
pub(crate) struct Arena {
    pub nodes: Vec<Node>,
    /// Full name -> defining node.
    pub names: HashMap<String, NodeId>,
}

impl Arena {
    /// Follows a [`Node::Ref`] to the definition.
    pub(crate) fn deref(&self, id: NodeId) -> NodeId {
        match &self.nodes[id] {
            Node::Ref { target, .. } => *target,
            _ => id,
        }
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[self.deref(id)]
    }

    /// Fills every record's [`FieldSig`]s once all schemas are added (a field's type may refer
    /// to a named type defined later in a reference). Interns under one lock per schema.
    pub(crate) fn index(&mut self) {
        let mut text = String::new();
        struct Built {
            id: NodeId,
            sigs: Vec<FieldSig>,
            by_id: IdMap<u32, usize>,
            all_names_interned: bool,
        }
        let mut built: Vec<Built> = Vec::new();
        intern::with_tables(|tables| {
            for (id, node) in self.nodes.iter().enumerate() {
                let Node::Record(record) = node else { continue };
                let mut sigs = Vec::with_capacity(record.fields.len());
                let mut by_id = IdMap::with_capacity_and_hasher(record.fields.len(), Default::default());
                let mut all_names_interned = true;
                for (pos, field) in record.fields.iter().enumerate() {
                    let name = tables.names.id(&field.name);
                    if name == NONE {
                        all_names_interned = false;
                    } else {
                        by_id.insert(name, pos);
                    }
                    text.clear();
                    let ty = if self.plain_text(field.ty, &mut text) {
                        tables.types.id(&text)
                    } else {
                        NONE
                    };
                    sigs.push(FieldSig {
                        name,
                        ty,
                        has_default: field.default.is_some(),
                        has_aliases: !field.aliases.is_empty(),
                    });
                }
                built.push(Built {
                    id,
                    sigs,
                    by_id,
                    all_names_interned,
                });
            }
        });
        for b in built {
            if let Node::Record(record) = &mut self.nodes[b.id] {
                record.keys = b
                    .sigs
                    .iter()
                    .map(|s| (u64::from(s.name) << 32) | u64::from(s.ty))
                    .collect();
                record.plain_prefix = b
                    .sigs
                    .iter()
                    .position(|s| s.name == NONE || s.ty == NONE)
                    .unwrap_or(b.sigs.len());
                record.optional_tail = b
                    .sigs
                    .iter()
                    .rposition(|s| !s.has_default || s.has_aliases)
                    .map_or(0, |last| last + 1);
                record.sigs = b.sigs;
                record.by_id = b.by_id;
                record.all_names_interned = b.all_names_interned;
            }
        }
    }

    /// Appends the text of a plain type (JSON of its structure, properties left out: logical
    /// types and custom properties change no verdict) to `out`; false when the type holds a
    /// named type. Only named types are shared between nodes, so every plain subtree is
    /// written once per field.
    fn plain_text(&self, id: NodeId, out: &mut String) -> bool {
        match &self.nodes[id] {
            Node::Primitive { prim, .. } => {
                out.push('"');
                out.push_str(prim.name());
                out.push('"');
                true
            }
            Node::Array { items, .. } => {
                out.push_str("{\"type\":\"array\",\"items\":");
                let ok = self.plain_text(*items, out);
                out.push('}');
                ok
            }
            Node::Map { values, .. } => {
                out.push_str("{\"type\":\"map\",\"values\":");
                let ok = self.plain_text(*values, out);
                out.push('}');
                ok
            }
            Node::Union { branches } => {
                out.push('[');
                let mut ok = true;
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ok = ok && self.plain_text(*branch, out);
                }
                out.push(']');
                ok
            }
            Node::Record(_) | Node::Enum { .. } | Node::Fixed { .. } | Node::Ref { .. } | Node::Pending => {
                false
            }
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Adds one schema (JSON already parsed) and returns its root.
    pub(crate) fn add(&mut self, value: &Value) -> Result<NodeId, String> {
        self.build(value, None)
    }

    fn build(&mut self, value: &Value, ns: Option<&str>) -> Result<NodeId, String> {
        match value {
            Value::String(s) => self.build_named_or_primitive(s, ns, &Map::new()),
            Value::Array(branches) => {
                let mut ids = Vec::with_capacity(branches.len());
                for branch in branches {
                    ids.push(self.build(branch, ns)?);
                }
                Ok(self.push(Node::Union { branches: ids }))
            }
            Value::Object(obj) => self.build_object(obj, ns),
            other => Err(format!("not a schema: {other}")),
        }
    }

    fn build_named_or_primitive(
        &mut self,
        name: &str,
        ns: Option<&str>,
        obj: &Map<String, Value>,
    ) -> Result<NodeId, String> {
        if let Some(prim) = Primitive::from_name(name) {
            let props = props_of(obj, SCHEMA_RESERVED);
            return Ok(self.push(Node::Primitive { prim, props }));
        }
        if !valid_full_name(name) {
            return Err(format!("invalid type name {name:?}"));
        }
        let (full, target) = self.lookup(name, ns)?;
        let name = Name::new(&full, None);
        Ok(self.push(Node::Ref { name, target }))
    }

    /// Avro Java's lookup: the name in the enclosing namespace, else as written.
    fn lookup(&self, name: &str, ns: Option<&str>) -> Result<(String, NodeId), String> {
        if !name.contains('.')
            && let Some(ns) = ns.filter(|n| !n.is_empty())
        {
            let full = format!("{ns}.{name}");
            if let Some(&id) = self.names.get(&full) {
                return Ok((full, id));
            }
        }
        match self.names.get(name) {
            Some(&id) => Ok((name.to_string(), id)),
            None => Err(format!("unknown type {name:?}")),
        }
    }

    fn build_object(&mut self, obj: &Map<String, Value>, ns: Option<&str>) -> Result<NodeId, String> {
        let ty = match obj.get("type") {
            Some(Value::String(t)) => t.as_str(),
            // `{"type": {...}}` and `{"type": [...]}` wrap a schema; the wrapper adds nothing.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                if let Some(Value::String(n)) = obj.get("name")
                    && !valid_full_name(n)
                {
                    return Err(format!("invalid name {n:?}"));
                }
                return self.build(inner, ns);
            }
            Some(other) => return Err(format!("\"type\" must be a string, found {other}")),
            None => return Err("a schema object needs \"type\"".to_string()),
        };
        match ty {
            "record" | "error" => self.build_record(obj, ns, ty == "error"),
            "enum" => {
                let named = self.named(obj, ns)?;
                let symbols = strings(obj.get("symbols"), "symbols")?;
                if let Some(bad) = symbols.iter().find(|s| !valid_simple_name(s)) {
                    return Err(format!("invalid symbol {bad:?} in enum {}", named.name.full()));
                }
                let default = match obj.get("default") {
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                };
                let mut named = named;
                named.props.retain(|(k, _)| k != "default");
                let full = named.name.full();
                let id = self.push(Node::Enum {
                    named,
                    symbols,
                    default,
                });
                self.define(full, id)
            }
            "fixed" => {
                let named = self.named(obj, ns)?;
                let size = obj
                    .get("size")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| "fixed needs a non-negative integer \"size\"".to_string())?;
                let full = named.name.full();
                let id = self.push(Node::Fixed { named, size });
                self.define(full, id)
            }
            "array" => {
                let items = obj.get("items").ok_or("array needs \"items\"")?;
                let items = self.build(items, ns)?;
                let props = props_of(obj, SCHEMA_RESERVED);
                Ok(self.push(Node::Array { items, props }))
            }
            "map" => {
                let values = obj.get("values").ok_or("map needs \"values\"")?;
                let values = self.build(values, ns)?;
                let props = props_of(obj, SCHEMA_RESERVED);
                Ok(self.push(Node::Map { values, props }))
            }
            other => self.build_named_or_primitive(other, ns, obj),
        }
    }

    fn build_record(
        &mut self,
        obj: &Map<String, Value>,
        ns: Option<&str>,
        is_error: bool,
    ) -> Result<NodeId, String> {
        let named = self.named(obj, ns)?;
        let full = named.name.full();
        // Defined before its fields so that a field can refer to the record itself.
        let id = self.push(Node::Pending);
        self.define(full, id)?;
        let inner_ns = named.name.namespace.clone();
        let Some(Value::Array(raw_fields)) = obj.get("fields") else {
            return Err(format!("record {} needs a \"fields\" array", named.name.full()));
        };
        let mut fields = Vec::with_capacity(raw_fields.len());
        let mut by_name = HashMap::with_capacity(raw_fields.len());
        for raw in raw_fields {
            let Value::Object(f) = raw else {
                return Err(format!("a field of {} is not an object", named.name.full()));
            };
            let name = match f.get("name") {
                Some(Value::String(n)) => n.clone(),
                _ => return Err(format!("a field of {} has no name", named.name.full())),
            };
            if !valid_simple_name(&name) {
                return Err(format!("invalid field name {name:?} in {}", named.name.full()));
            }
            let raw_ty = f
                .get("type")
                .ok_or_else(|| format!("field {name} of {} has no type", named.name.full()))?;
            let ty = self.build(raw_ty, inner_ns.as_deref())?;
            let order = match f.get("order").and_then(Value::as_str) {
                Some(o) if o.eq_ignore_ascii_case("descending") => FieldOrder::Descending,
                Some(o) if o.eq_ignore_ascii_case("ignore") => FieldOrder::Ignore,
                _ => FieldOrder::Ascending,
            };
            let mut aliases: Vec<String> = Vec::new();
            for a in strings(f.get("aliases"), "aliases")? {
                if !aliases.contains(&a) {
                    aliases.push(a);
                }
            }
            if by_name.insert(name.clone(), fields.len()).is_some() {
                return Err(format!("duplicate field {name} in {}", named.name.full()));
            }
            fields.push(Field {
                name,
                aliases,
                doc: f.get("doc").and_then(Value::as_str).map(str::to_string),
                default: f.get("default").cloned(),
                order,
                props: props_of(f, FIELD_RESERVED),
                ty,
            });
        }
        self.nodes[id] = Node::Record(Record {
            named,
            is_error,
            fields,
            by_name,
            sigs: Vec::new(),
            by_id: IdMap::default(),
            all_names_interned: false,
            keys: Vec::new(),
            plain_prefix: 0,
            optional_tail: 0,
        });
        Ok(id)
    }

    fn define(&mut self, full: String, id: NodeId) -> Result<NodeId, String> {
        if self.names.insert(full.clone(), id).is_some() {
            return Err(format!("type {full} is defined twice"));
        }
        Ok(id)
    }

    fn named(&self, obj: &Map<String, Value>, ns: Option<&str>) -> Result<Named, String> {
        let raw_name = match obj.get("name") {
            Some(Value::String(n)) => n.as_str(),
            _ => return Err("a named type needs a \"name\"".to_string()),
        };
        if !valid_full_name(raw_name) {
            return Err(format!("invalid name {raw_name:?}"));
        }
        let own_ns = match obj.get("namespace") {
            Some(Value::String(n)) => {
                if !n.is_empty() && !valid_full_name(n) {
                    return Err(format!("invalid namespace {n:?}"));
                }
                Some(n.as_str())
            }
            _ => ns,
        };
        let name = Name::new(raw_name, own_ns);
        let mut aliases: Vec<Name> = Vec::new();
        for a in strings(obj.get("aliases"), "aliases")? {
            if !valid_full_name(&a) {
                return Err(format!("invalid alias {a:?} of {}", name.full()));
            }
            let alias = Name::new(&a, name.namespace.as_deref());
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        Ok(Named {
            aliases,
            doc: obj.get("doc").and_then(Value::as_str).map(str::to_string),
            props: props_of(obj, SCHEMA_RESERVED),
            name,
        })
    }
}

fn props_of(obj: &Map<String, Value>, reserved: &[&str]) -> Props {
    obj.iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("\"{what}\" must hold strings, found {other}")),
            })
            .collect(),
        Some(other) => Err(format!("\"{what}\" must be an array, found {other}")),
    }
}

/// Avro's name rule: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn valid_simple_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Simple names joined by dots.
pub(crate) fn valid_full_name(s: &str) -> bool {
    s.split('.').all(valid_simple_name)
}
