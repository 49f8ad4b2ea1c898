//! The typed view of a JSON Schema that the compatibility checker walks.
//!
//! Schemas live in an arena ([`Model::nodes`]) and point at each other by [`NodeId`], so a
//! recursive `$ref` is a cycle of ids rather than an infinite tree. The shape mirrors how
//! Confluent's registry (through its JSON Schema library) sees a schema, because its verdicts
//! depend on it: `true`/`{}` is the empty schema, a schema with keywords of several kinds (for
//! example `type` plus `enum`) is an implicit `allOf` of one schema per kind, and a `type` array
//! is an `anyOf` of one schema per listed type.
//!
//! Rule that must stay true: every `NodeId` stored in a node indexes `Model::nodes`.

use serde_json::Value;

pub(crate) type NodeId = usize;

/// The JSON Schema drafts Weir understands; selected by `$schema`, draft 7 when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Draft {
    Draft4,
    Draft6,
    Draft7,
    Draft2019,
    Draft2020,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after the keywords
pub(crate) enum Criterion {
    AllOf,
    AnyOf,
    OneOf,
}

impl Criterion {
    pub(crate) fn keywords(self) -> &'static [&'static str] {
        match self {
            Criterion::AllOf => &["allOf"],
            Criterion::AnyOf => &["anyOf"],
            Criterion::OneOf => &["oneOf"],
        }
    }

    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Criterion::AllOf => "allOf",
            Criterion::AnyOf => "anyOf",
            Criterion::OneOf => "oneOf",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StringRules {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    /// Confluent ignores these three; Weir treats adding or changing one as narrowing.
    pub format: Option<String>,
    pub content_encoding: Option<String>,
    pub content_media_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRules {
    pub integer: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
}

/// What an object accepts beyond its named properties (`additionalProperties`, or in drafts
/// 2019-09 and later `unevaluatedProperties` when `additionalProperties` is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Absent or `true`: anything.
    Any,
    /// `false`: nothing.
    None,
    /// A schema every extra value must match.
    Schema(NodeId),
}

#[derive(Debug, Clone)]
pub(crate) struct ObjectRules {
    pub properties: Vec<(String, NodeId)>,
    pub required: Vec<String>,
    /// `patternProperties`: the regex text, its compiled form (None when it does not compile;
    /// such a pattern is then compared as text only) and its schema.
    pub pattern_properties: Vec<(String, Option<fancy_regex::Regex>, NodeId)>,
    pub additional: Additional,
    pub property_dependencies: Vec<(String, Vec<String>)>,
    pub schema_dependencies: Vec<(String, NodeId)>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub property_names: Option<NodeId>,
}

#[derive(Debug, Clone)]
pub(crate) struct ArrayRules {
    /// `items` as one schema (every item), or `items` (2020-12) without `prefixItems`.
    pub all_items: Option<NodeId>,
    /// Tuple form: `items` as an array (drafts 4 to 2019-09) or `prefixItems` (2020-12).
    pub tuple: Vec<NodeId>,
    /// What follows the tuple: `additionalItems`, or `items` next to `prefixItems`.
    pub additional: Additional,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub contains: Option<NodeId>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `true`, `{}` or a schema with only annotations: accepts everything.
    Empty,
    /// `false`: accepts nothing.
    False,
    Null,
    Boolean,
    String(StringRules),
    Number(NumberRules),
    Object(Box<ObjectRules>),
    Array(Box<ArrayRules>),
    /// `enum`, and `const` as the one-value enum it is.
    Enum(Vec<Value>),
    Combined {
        criterion: Criterion,
        subschemas: Vec<NodeId>,
    },
    Not(NodeId),
    /// `if` / `then` / `else` (Confluent ignores them; Weir compares them).
    Conditional {
        condition: NodeId,
        then: Option<NodeId>,
        otherwise: Option<NodeId>,
    },
    /// A `$ref`, resolved to the node it names (possibly an ancestor: recursion).
    Ref(NodeId),
}

impl Kind {
    /// Two nodes are comparable keyword by keyword only when they are of the same class.
    pub(crate) fn class(&self) -> u8 {
        match self {
            Kind::Empty => 0,
            Kind::False => 1,
            Kind::Null => 2,
            Kind::Boolean => 3,
            Kind::String(_) => 4,
            Kind::Number(_) => 5,
            Kind::Object(_) => 6,
            Kind::Array(_) => 7,
            Kind::Enum(_) => 8,
            Kind::Combined { .. } => 10,
            Kind::Not(_) => 11,
            Kind::Conditional { .. } => 12,
            // Only a reference cycle with nothing else in it stays a `Ref` after `deref`: it
            // constrains nothing, like the empty schema.
            Kind::Ref(_) => 0,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
    /// Where the JSON this node was built from lives; nodes with equal JSON are the same
    /// subschema (Confluent collapses duplicate subschemas of a combined schema this way).
    /// A location rather than a copy, so memory stays linear in the schema's size.
    pub source: Source,
}

/// A node's JSON: the value at `pointer` of document `doc`, or only some of its keywords
/// (the parts of an implicit `allOf`), plus the type name a `type` array gave it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub doc: usize,
    pub pointer: String,
    pub keywords: Option<&'static [&'static str]>,
    pub type_name: Option<&'static str>,
}

impl Node {
    pub(crate) fn new(kind: Kind, source: Source) -> Node {
        Node {
            kind,
            id: None,
            title: None,
            description: None,
            default: None,
            source,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub nodes: Vec<Node>,
    pub root: NodeId,
    /// The documents the nodes were built from (the schema, then its references).
    pub docs: Vec<Value>,
}

impl Model {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Is node `a` of this model the same JSON as node `b` of `other`?
    pub(crate) fn same_json(&self, a: NodeId, other: &Model, b: NodeId) -> bool {
        let (sa, sb) = (&self.node(a).source, &other.node(b).source);
        if sa.keywords != sb.keywords || sa.type_name != sb.type_name {
            return false;
        }
        let va = self.docs.get(sa.doc).and_then(|d| d.pointer(&sa.pointer));
        let vb = other.docs.get(sb.doc).and_then(|d| d.pointer(&sb.pointer));
        match sa.keywords {
            None => va == vb,
            Some(keywords) => keywords
                .iter()
                .all(|k| va.and_then(|v| v.get(k)) == vb.and_then(|v| v.get(k))),
        }
    }

    /// Follows `$ref` nodes to the schema they name. A chain of references that loops back on
    /// itself (`{"$ref": "#"}` at the root) resolves to its last reference node.
    pub(crate) fn deref(&self, mut id: NodeId) -> NodeId {
        for _ in 0..self.nodes.len() + 1 {
            match self.nodes[id].kind {
                Kind::Ref(target) if target != id => id = target,
                _ => return id,
            }
        }
        id
    }
}
