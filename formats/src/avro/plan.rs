//! An Avro schema compiled for the hot path: names resolved to indexes, logical types and
//! Confluent's `connect.*` properties read once, so encoding and decoding a record is a walk of
//! this tree and the bytes, with no lookups by name.
//!
//! Compiled from the schema's JSON text (the registry's canonical text keeps custom properties
//! such as `connect.type`, which `apache_avro::Schema` drops) plus the texts of its references.
//! The registry has already validated the schema with apache-avro; compiling is still careful
//! (no panics) because fuzz targets and external registries feed it too.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

/// How a Connect-facing integer is carried in an Avro `int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntAs {
    Int8,
    Int16,
    Int32,
    /// logicalType `date`
    Date,
    /// logicalType `time-millis`
    TimeMillis,
}

/// How an Avro `long` maps to Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongAs {
    Int64,
    /// logicalType `timestamp-millis`
    TimestampMillis,
}

#[derive(Debug, Clone)]
pub enum Ty {
    Null,
    Boolean,
    Int(IntAs),
    Long(LongAs),
    Float,
    Double,
    /// `bytes`; with logicalType `decimal` (precision, scale).
    Bytes(Option<(u32, i32)>),
    String,
    /// Index into [`Plan::records`].
    Record(usize),
    Enum(Arc<EnumDef>),
    Fixed(Arc<FixedDef>),
    Array(Box<Ty>),
    /// An Avro map (string keys).
    Map(Box<Ty>),
    Union(Arc<UnionDef>),
    /// A primitive, array or map with custom properties (`connect.name`, `connect.parameters`,
    /// `connect.default`, ...): only the Connect mapping reads them; the codec looks through.
    Annotated(Box<Ty>, Arc<Map<String, Json>>),
}

#[derive(Debug)]
pub struct EnumDef {
    pub name: String,
    pub symbols: Vec<String>,
    pub doc: Option<String>,
    /// The enum's `default` symbol.
    pub default: Option<String>,
    pub props: Map<String, Json>,
}

#[derive(Debug)]
pub struct FixedDef {
    pub name: String,
    pub size: usize,
    pub decimal: Option<(u32, i32)>,
    pub props: Map<String, Json>,
}

#[derive(Debug)]
pub struct UnionDef {
    pub branches: Vec<Ty>,
    /// Position of `null` among the branches.
    pub null_index: Option<usize>,
}

#[derive(Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    pub default: Option<Json>,
    pub doc: Option<String>,
}

#[derive(Debug)]
pub struct RecordDef {
    /// Full name.
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<FieldDef>,
    pub props: Map<String, Json>,
    /// The record refers to itself (directly or through other records): the codec then keeps
    /// a stack of the Connect schemas it is inside.
    pub recursive: bool,
}

/// A compiled schema: the root type and every record (records refer to each other by index,
/// so recursive types compile).
#[derive(Debug)]
pub struct Plan {
    pub root: Ty,
    pub records: Vec<RecordDef>,
}

/// A schema that cannot be compiled; the message names the part.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, PlanError> {
    Err(PlanError(message.into()))
}

struct Compiler {
    /// Full name -> compiled named type.
    named: HashMap<String, Ty>,
    records: Vec<RecordDef>,
    /// Named types of the references, as JSON, compiled on first use.
    pending: HashMap<String, (Json, String)>,
    /// Records whose fields are being compiled.
    open: Vec<usize>,
    depth: usize,
}

const MAX_DEPTH: usize = 128;

/// Keys that are structure, not custom properties, on a primitive, array or map.
const PRIMITIVE_RESERVED_AND_STRUCTURE: &[&str] =
    &["type", "logicalType", "precision", "scale", "items", "values"];

impl Plan {
    /// Compiles `text` with the named types defined by `references` (their schema texts).
    pub fn compile(text: &str, references: &[&str]) -> Result<Plan, PlanError> {
        let root: Json =
            serde_json::from_str(text).map_err(|e| PlanError(format!("schema is not JSON: {e}")))?;
        let mut compiler = Compiler {
            named: HashMap::new(),
            records: Vec::new(),
            pending: HashMap::new(),
            open: Vec::new(),
            depth: 0,
        };
        for r in references {
            let json: Json = serde_json::from_str(r)
                .map_err(|e| PlanError(format!("referenced schema is not JSON: {e}")))?;
            compiler.collect_names(&json, "");
        }
        let ty = compiler.compile(&root, "")?;
        Ok(Plan {
            root: ty,
            records: compiler.records,
        })
    }

    pub fn record(&self, index: usize) -> Option<&RecordDef> {
        self.records.get(index)
    }
}

fn full_name(obj: &Map<String, Json>, enclosing: &str) -> Option<(String, String)> {
    let name = obj.get("name")?.as_str()?;
    if name.contains('.') {
        let ns = name.rsplit_once('.').map(|(n, _)| n).unwrap_or("");
        return Some((name.to_owned(), ns.to_owned()));
    }
    let ns = match obj.get("namespace").and_then(Json::as_str) {
        Some(ns) => ns,
        None => enclosing,
    };
    if ns.is_empty() {
        Some((name.to_owned(), String::new()))
    } else {
        Some((format!("{ns}.{name}"), ns.to_owned()))
    }
}

pub(crate) fn props_of(obj: &Map<String, Json>, reserved: &[&str]) -> Map<String, Json> {
    obj.iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn decimal_of(obj: &Map<String, Json>) -> Option<(u32, i32)> {
    if obj.get("logicalType").and_then(Json::as_str) != Some("decimal") {
        return None;
    }
    let precision = obj
        .get("precision")
        .and_then(Json::as_u64)
        .and_then(|p| u32::try_from(p).ok())?;
    let scale = obj
        .get("scale")
        .and_then(Json::as_i64)
        .and_then(|s| i32::try_from(s).ok())
        .unwrap_or(0);
    Some((precision, scale))
}

impl Compiler {
    /// Records the named types a reference defines, to compile when used.
    fn collect_names(&mut self, json: &Json, enclosing: &str) {
        match json {
            Json::Array(branches) => {
                for b in branches {
                    self.collect_names(b, enclosing);
                }
            }
            Json::Object(obj) => {
                let t = obj.get("type").and_then(Json::as_str).unwrap_or("");
                let mut ns = enclosing.to_owned();
                if matches!(t, "record" | "error" | "enum" | "fixed")
                    && let Some((full, inner_ns)) = full_name(obj, enclosing)
                {
                    self.pending.insert(full, (json.clone(), enclosing.to_owned()));
                    ns = inner_ns;
                }
                if let Some(inner @ (Json::Object(_) | Json::Array(_))) = obj.get("type") {
                    self.collect_names(inner, &ns);
                }
                for key in ["items", "values"] {
                    if let Some(inner) = obj.get(key) {
                        self.collect_names(inner, &ns);
                    }
                }
                if let Some(Json::Array(fields)) = obj.get("fields") {
                    for f in fields {
                        if let Some(ft) = f.get("type") {
                            self.collect_names(ft, &ns);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn compile(&mut self, json: &Json, ns: &str) -> Result<Ty, PlanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(format!("schema nests deeper than {MAX_DEPTH} levels"));
        }
        let ty = self.compile_inner(json, ns);
        self.depth -= 1;
        ty
    }

    fn by_name(&mut self, name: &str, ns: &str) -> Result<Ty, PlanError> {
        let candidates = if name.contains('.') || ns.is_empty() {
            vec![name.to_owned()]
        } else {
            vec![format!("{ns}.{name}"), name.to_owned()]
        };
        for c in &candidates {
            if let Some(t) = self.named.get(c) {
                // A reference to a record still being compiled: it (and every record opened
                // since) is recursive.
                if let Ty::Record(i) = t
                    && let Some(at) = self.open.iter().position(|o| o == i)
                {
                    for &r in &self.open[at..] {
                        if let Some(rec) = self.records.get_mut(r) {
                            rec.recursive = true;
                        }
                    }
                }
                return Ok(t.clone());
            }
        }
        for c in &candidates {
            if let Some((json, enclosing)) = self.pending.remove(c) {
                return self.compile(&json, &enclosing);
            }
        }
        err(format!("unknown type name {name:?}"))
    }

    fn compile_inner(&mut self, json: &Json, ns: &str) -> Result<Ty, PlanError> {
        match json {
            Json::String(name) => match primitive(name) {
                Some(t) => Ok(t),
                None => self.by_name(name, ns),
            },
            Json::Array(branches) => {
                let mut out = Vec::with_capacity(branches.len());
                for b in branches {
                    out.push(self.compile(b, ns)?);
                }
                let null_index = out.iter().position(|t| matches!(t, Ty::Null));
                Ok(Ty::Union(Arc::new(UnionDef {
                    branches: out,
                    null_index,
                })))
            }
            Json::Object(obj) => {
                let t = match obj.get("type") {
                    Some(Json::String(t)) => t.as_str(),
                    Some(inner @ (Json::Object(_) | Json::Array(_))) => return self.compile(inner, ns),
                    _ => return err("a schema object without a \"type\""),
                };
                let plain = self.unannotated(obj, t, ns)?;
                let props = props_of(obj, PRIMITIVE_RESERVED_AND_STRUCTURE);
                if props.is_empty() || matches!(plain, Ty::Record(_) | Ty::Enum(_) | Ty::Fixed(_)) {
                    Ok(plain)
                } else {
                    Ok(Ty::Annotated(Box::new(plain), Arc::new(props)))
                }
            }
            _ => err(format!("{json} is not an Avro schema")),
        }
    }

    fn unannotated(&mut self, obj: &Map<String, Json>, t: &str, ns: &str) -> Result<Ty, PlanError> {
        let logical = obj.get("logicalType").and_then(Json::as_str);
        match t {
            "int" => Ok(Ty::Int(
                match (logical, obj.get("connect.type").and_then(Json::as_str)) {
                    (Some("date"), _) => IntAs::Date,
                    (Some("time-millis"), _) => IntAs::TimeMillis,
                    (_, Some("int8")) => IntAs::Int8,
                    (_, Some("int16")) => IntAs::Int16,
                    _ => IntAs::Int32,
                },
            )),
            "long" => Ok(Ty::Long(match logical {
                Some("timestamp-millis") => LongAs::TimestampMillis,
                _ => LongAs::Int64,
            })),
            "bytes" => Ok(Ty::Bytes(decimal_of(obj))),
            "array" => {
                let items = obj
                    .get("items")
                    .ok_or_else(|| PlanError("array without \"items\"".into()))?;
                Ok(Ty::Array(Box::new(self.compile(items, ns)?)))
            }
            "map" => {
                let values = obj
                    .get("values")
                    .ok_or_else(|| PlanError("map without \"values\"".into()))?;
                Ok(Ty::Map(Box::new(self.compile(values, ns)?)))
            }
            "record" | "error" => self.record(obj, ns),
            "enum" => {
                let (name, _) = full_name(obj, ns).ok_or_else(|| PlanError("enum without a name".into()))?;
                let symbols = match obj.get("symbols") {
                    Some(Json::Array(s)) => s.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
                    _ => return err(format!("enum {name} without symbols")),
                };
                let def = Ty::Enum(Arc::new(EnumDef {
                    name: name.clone(),
                    symbols,
                    doc: obj.get("doc").and_then(Json::as_str).map(str::to_owned),
                    default: obj.get("default").and_then(Json::as_str).map(str::to_owned),
                    props: props_of(
                        obj,
                        &[
                            "type",
                            "name",
                            "namespace",
                            "symbols",
                            "doc",
                            "aliases",
                            "default",
                        ],
                    ),
                }));
                self.named.insert(name, def.clone());
                Ok(def)
            }
            "fixed" => {
                let (name, _) = full_name(obj, ns).ok_or_else(|| PlanError("fixed without a name".into()))?;
                let size = obj
                    .get("size")
                    .and_then(Json::as_u64)
                    .and_then(|s| usize::try_from(s).ok())
                    .ok_or_else(|| PlanError(format!("fixed {name} without a size")))?;
                let def = Ty::Fixed(Arc::new(FixedDef {
                    name: name.clone(),
                    size,
                    decimal: decimal_of(obj),
                    props: props_of(
                        obj,
                        &[
                            "type",
                            "name",
                            "namespace",
                            "size",
                            "aliases",
                            "logicalType",
                            "precision",
                            "scale",
                        ],
                    ),
                }));
                self.named.insert(name, def.clone());
                Ok(def)
            }
            other => match primitive(other) {
                Some(t) => Ok(t),
                None => self.by_name(other, ns),
            },
        }
    }

    fn record(&mut self, obj: &Map<String, Json>, ns: &str) -> Result<Ty, PlanError> {
        let (name, inner_ns) = full_name(obj, ns).ok_or_else(|| PlanError("record without a name".into()))?;
        let index = self.records.len();
        // Registered before the fields compile, so a recursive reference finds it.
        self.records.push(RecordDef {
            name: name.clone(),
            doc: obj.get("doc").and_then(Json::as_str).map(str::to_owned),
            fields: Vec::new(),
            props: props_of(obj, &["type", "name", "namespace", "fields", "doc", "aliases"]),
            recursive: false,
        });
        self.named.insert(name.clone(), Ty::Record(index));
        self.open.push(index);
        let Some(Json::Array(fields)) = obj.get("fields") else {
            return err(format!("record {name} without fields"));
        };
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let fname = f
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| PlanError(format!("a field of record {name} without a name")))?;
            let ftype = f
                .get("type")
                .ok_or_else(|| PlanError(format!("field {name}.{fname} without a type")))?;
            out.push(FieldDef {
                name: fname.to_owned(),
                ty: self.compile(ftype, &inner_ns)?,
                default: f.get("default").cloned(),
                doc: f.get("doc").and_then(Json::as_str).map(str::to_owned),
            });
        }
        self.open.pop();
        if let Some(r) = self.records.get_mut(index) {
            r.fields = out;
        }
        Ok(Ty::Record(index))
    }
}

fn primitive(name: &str) -> Option<Ty> {
    Some(match name {
        "null" => Ty::Null,
        "boolean" => Ty::Boolean,
        "int" => Ty::Int(IntAs::Int32),
        "long" => Ty::Long(LongAs::Int64),
        "float" => Ty::Float,
        "double" => Ty::Double,
        "bytes" => Ty::Bytes(None),
        "string" => Ty::String,
        _ => return None,
    })
}
