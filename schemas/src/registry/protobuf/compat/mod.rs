//! The directional check: can a consumer using `reader` read what `writer` wrote?
//!
//! Confluent's Protobuf rules, learnt from its published behaviour: the writer is the
//! "original" schema, the reader the "update". Every message of the file is compared, matched by
//! name at each nesting level; fields are matched by number. A difference has a type (the names
//! are Confluent's, so operators can look them up) and only the types outside
//! [`DiffType::is_compatible`] fail the check. Scalars are grouped by wire compatibility, enums
//! count as the varint group, field labels are not compared, a renumbered field is a removal
//! plus an addition (both allowed), and a field whose type is a message compares that message
//! recursively (so imported types are checked through the references).
//! Rule: the check terminates on recursive types and costs at most one comparison per pair of
//! messages (memoised), so no input makes it exponential.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use prost_reflect::{FieldDescriptor, FileDescriptor, MessageDescriptor};

mod types;

use super::print::{is_synthetic, real_oneof};
pub use types::{DiffType, Difference};
use types::{FieldType, local_name, scalar_group};

/// All differences between the writer (original) and the reader (update), compatible or not.
pub fn differences(writer: &FileDescriptor, reader: &FileDescriptor) -> Vec<Difference> {
    let mut checker = Checker::default();
    let mut out = Vec::new();
    if writer.package_name() != reader.package_name() {
        out.push(Difference {
            kind: DiffType::PackageChanged,
            path: "#/".to_string(),
            description: format!(
                "The package changed from '{}' in the old schema to '{}' in the new schema",
                writer.package_name(),
                reader.package_name()
            ),
        });
    }
    let mut path = Vec::new();
    checker.message_lists(
        &mut path,
        &mut out,
        writer.messages().collect(),
        reader.messages().collect(),
    );
    out
}

/// The incompatible differences as messages, without repeats.
pub fn incompatibilities(writer: &FileDescriptor, reader: &FileDescriptor) -> Vec<String> {
    let mut seen = HashSet::new();
    differences(writer, reader)
        .into_iter()
        .filter(|d| !d.kind.is_compatible())
        .map(|d| d.message())
        .filter(|m| seen.insert(m.clone()))
        .collect()
}

/// How deep message-typed fields are followed into other messages. Messages of the root file
/// are all compared on their own anyway; the limit bounds the stack on long chains of types.
const MAX_TYPE_DEPTH: usize = 64;

#[derive(Default)]
struct Checker {
    /// Message-typed fields being followed right now.
    depth: usize,
    /// Writer messages being compared on the current stack (recursive types end here).
    in_progress: HashSet<String>,
    /// (writer message, reader message) -> "is the reader's incompatible".
    memo: HashMap<(String, String), bool>,
}

fn path_text(path: &[String]) -> String {
    format!("#/{}", path.join("/"))
}

fn push(out: &mut Vec<Difference>, path: &[String], kind: DiffType, description: String) {
    out.push(Difference {
        kind,
        path: path_text(path),
        description,
    });
}

/// Messages declared at one level, without map entries (they are part of their map field).
fn declared(messages: Vec<MessageDescriptor>) -> BTreeMap<String, MessageDescriptor> {
    messages
        .into_iter()
        .filter(|m| !m.is_map_entry())
        .map(|m| (m.name().to_string(), m))
        .collect()
}

impl Checker {
    fn message_lists(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
        writer: Vec<MessageDescriptor>,
        reader: Vec<MessageDescriptor>,
    ) {
        let writer = declared(writer);
        let reader = declared(reader);
        for (name, old) in &writer {
            path.push(name.clone());
            match reader.get(name) {
                None => push(
                    out,
                    path,
                    DiffType::MessageRemoved,
                    format!(
                        "The new schema has no message '{}' that the old schema declares",
                        old.full_name()
                    ),
                ),
                Some(new) => self.message(path, out, old, new),
            }
            path.pop();
        }
        for (name, new) in &reader {
            if !writer.contains_key(name) {
                path.push(name.clone());
                push(
                    out,
                    path,
                    DiffType::MessageAdded,
                    format!("The new schema adds message '{}'", new.full_name()),
                );
                path.pop();
            }
        }
    }

    fn message(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
        old: &MessageDescriptor,
        new: &MessageDescriptor,
    ) {
        let key = old.full_name().to_string();
        if !self.in_progress.insert(key.clone()) {
            return;
        }
        self.fields(path, out, old, new);
        self.message_lists(
            path,
            out,
            old.child_messages().collect(),
            new.child_messages().collect(),
        );
        self.in_progress.remove(&key);
    }

    fn fields(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
        old: &MessageDescriptor,
        new: &MessageDescriptor,
    ) {
        let mut old_top: BTreeMap<u32, FieldDescriptor> = BTreeMap::new();
        let mut old_all: BTreeMap<u32, FieldDescriptor> = BTreeMap::new();
        let mut old_oneof_of: HashMap<u32, String> = HashMap::new();
        for f in old.fields() {
            match real_oneof(&f) {
                Some(o) => {
                    old_oneof_of.insert(f.number(), o.name().to_string());
                }
                None => {
                    old_top.insert(f.number(), f.clone());
                }
            }
            old_all.insert(f.number(), f);
        }
        let mut new_top: BTreeMap<u32, FieldDescriptor> = BTreeMap::new();
        let mut new_all: BTreeMap<u32, FieldDescriptor> = BTreeMap::new();
        let mut new_oneof_of: HashMap<u32, String> = HashMap::new();
        for f in new.fields() {
            match real_oneof(&f) {
                Some(o) => {
                    new_oneof_of.insert(f.number(), o.name().to_string());
                }
                None => {
                    new_top.insert(f.number(), f.clone());
                }
            }
            new_all.insert(f.number(), f);
        }

        // Fields that move into a oneof of the reader.
        let new_oneofs: Vec<_> = new.oneofs().filter(|o| !is_synthetic(o)).collect();
        for oneof in &new_oneofs {
            path.push(oneof.name().to_string());
            let mut moved = Vec::new();
            let mut existing = 0;
            for f in oneof.fields() {
                if let Some(was) = old_top.remove(&f.number()) {
                    moved.push(was.name().to_string());
                } else if old_oneof_of.contains_key(&f.number()) {
                    existing += 1;
                }
            }
            if moved.len() > 1 {
                push(
                    out,
                    path,
                    DiffType::MultipleFieldsMovedToOneof,
                    format!(
                        "Oneof '{}' of message '{}' in the new schema takes fields {} that were separate fields in the old schema",
                        oneof.name(),
                        new.full_name(),
                        moved
                            .iter()
                            .map(|n| format!("'{n}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            } else if moved.len() == 1 && existing > 0 {
                push(
                    out,
                    path,
                    DiffType::FieldMovedToExistingOneof,
                    format!(
                        "Field '{}' of message '{}' moved into oneof '{}', which already existed in the old schema",
                        moved[0],
                        new.full_name(),
                        oneof.name()
                    ),
                );
            }
            path.pop();
        }

        // Oneofs matched by name.
        let old_oneofs: BTreeMap<String, _> = old
            .oneofs()
            .filter(|o| !is_synthetic(o))
            .map(|o| (o.name().to_string(), o))
            .collect();
        let new_oneofs: BTreeMap<String, _> = new_oneofs
            .into_iter()
            .map(|o| (o.name().to_string(), o))
            .collect();
        let names: BTreeSet<&String> = old_oneofs.keys().chain(new_oneofs.keys()).collect();
        for name in names {
            path.push(name.clone());
            match (old_oneofs.get(name), new_oneofs.get(name)) {
                (Some(_), None) => push(
                    out,
                    path,
                    DiffType::OneofRemoved,
                    format!(
                        "The new schema drops oneof '{name}' of message '{}'",
                        old.full_name()
                    ),
                ),
                (None, Some(_)) => push(
                    out,
                    path,
                    DiffType::OneofAdded,
                    format!(
                        "The new schema adds oneof '{name}' to message '{}'",
                        new.full_name()
                    ),
                ),
                (Some(o), Some(n)) => {
                    let o_fields: BTreeMap<u32, FieldDescriptor> =
                        o.fields().map(|f| (f.number(), f)).collect();
                    let n_fields: BTreeMap<u32, FieldDescriptor> =
                        n.fields().map(|f| (f.number(), f)).collect();
                    let tags: BTreeSet<u32> = o_fields.keys().chain(n_fields.keys()).copied().collect();
                    for tag in tags {
                        path.push(tag.to_string());
                        match (o_fields.get(&tag), n_fields.get(&tag)) {
                            // A field that left the oneof but still exists elsewhere was moved.
                            (Some(f), None) if !new_all.contains_key(&tag) => push(
                                out,
                                path,
                                DiffType::OneofFieldRemoved,
                                format!(
                                    "Field '{}' (number {tag}) of oneof '{name}' in message '{}' is missing from the new schema",
                                    f.name(),
                                    old.full_name()
                                ),
                            ),
                            (None, Some(f)) => push(
                                out,
                                path,
                                DiffType::OneofFieldAdded,
                                format!(
                                    "The new schema adds field '{}' (number {tag}) to oneof '{name}'",
                                    f.name()
                                ),
                            ),
                            (Some(of), Some(nf)) => self.field(path, out, old, of, nf),
                            _ => {}
                        }
                        path.pop();
                    }
                }
                (None, None) => {}
            }
            path.pop();
        }

        // Fields outside oneofs, matched by number.
        let tags: BTreeSet<u32> = old_top.keys().chain(new_top.keys()).copied().collect();
        for tag in tags {
            path.push(tag.to_string());
            match (old_top.get(&tag), new_top.get(&tag)) {
                (Some(f), None) => {
                    let (kind, what) = if f.is_required() {
                        (DiffType::RequiredFieldRemoved, "required field")
                    } else {
                        (DiffType::FieldRemoved, "field")
                    };
                    push(
                        out,
                        path,
                        kind,
                        format!(
                            "The new schema drops {what} '{}' (number {tag}) of message '{}'",
                            f.name(),
                            old.full_name()
                        ),
                    );
                }
                (None, Some(f)) => {
                    let (kind, what) = if f.is_required() {
                        (DiffType::RequiredFieldAdded, "required field")
                    } else {
                        (DiffType::FieldAdded, "field")
                    };
                    push(
                        out,
                        path,
                        kind,
                        format!(
                            "The new schema adds {what} '{}' (number {tag}) to message '{}'",
                            f.name(),
                            new.full_name()
                        ),
                    );
                }
                (Some(of), Some(nf)) => self.field(path, out, old, of, nf),
                (None, None) => {}
            }
            path.pop();
        }

        // Fields whose oneof membership changed are compared by number too.
        for (tag, of) in &old_all {
            let Some(nf) = new_all.get(tag) else { continue };
            let (o, n) = (old_oneof_of.get(tag), new_oneof_of.get(tag));
            let same_place = match (o, n) {
                (None, None) => true,
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            if !same_place {
                path.push(tag.to_string());
                self.field(path, out, old, of, nf);
                path.pop();
            }
        }
    }

    fn field(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
        message: &MessageDescriptor,
        old: &FieldDescriptor,
        new: &FieldDescriptor,
    ) {
        if old.name() != new.name() {
            push(
                out,
                path,
                DiffType::FieldNameChanged,
                format!(
                    "Field number {} of message '{}' is named '{}' in the old schema and '{}' in the new schema",
                    old.number(),
                    message.full_name(),
                    old.name(),
                    new.name()
                ),
            );
        }
        let label = format!(
            "field '{}' (number {}) of message '{}'",
            new.name(),
            new.number(),
            message.full_name()
        );
        self.types(path, out, &label, &FieldType::of(old), &FieldType::of(new));
    }

    fn types(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<Difference>,
        label: &str,
        old: &FieldType,
        new: &FieldType,
    ) {
        match (old, new) {
            (FieldType::Scalar(o), FieldType::Scalar(n)) => {
                if scalar_group(o) != scalar_group(n) {
                    push(
                        out,
                        path,
                        DiffType::FieldScalarKindChanged,
                        format!(
                            "The type of {label} changed from {} to {}, which do not share a wire encoding",
                            old.describe(),
                            new.describe()
                        ),
                    );
                }
            }
            (FieldType::Map(ok, ov), FieldType::Map(nk, nv)) => {
                self.types(path, out, &format!("the keys of {label}"), ok, nk);
                self.types(path, out, &format!("the values of {label}"), ov, nv);
            }
            (FieldType::Message(o), FieldType::Message(n)) => {
                self.named(path, out, label, o, n);
            }
            _ => push(
                out,
                path,
                DiffType::FieldKindChanged,
                format!(
                    "The type of {label} changed from a {} ({}) to a {} ({})",
                    old.kind_name(),
                    old.describe(),
                    new.kind_name(),
                    new.describe()
                ),
            ),
        }
    }

    fn named(
        &mut self,
        path: &[String],
        out: &mut Vec<Difference>,
        label: &str,
        old: &MessageDescriptor,
        new: &MessageDescriptor,
    ) {
        if local_name(old) != local_name(new) {
            push(
                out,
                path,
                DiffType::FieldNamedTypeChanged,
                format!(
                    "The type of {label} changed from message '{}' to message '{}'",
                    old.full_name(),
                    new.full_name()
                ),
            );
            return;
        }
        let key = (old.full_name().to_string(), new.full_name().to_string());
        let incompatible = match self.memo.get(&key) {
            Some(known) => *known,
            None => {
                if self.in_progress.contains(old.full_name()) || self.depth >= MAX_TYPE_DEPTH {
                    return;
                }
                self.depth += 1;
                let mut sub_path: Vec<String> = local_name(old).split('.').map(str::to_string).collect();
                let mut sub = Vec::new();
                self.message(&mut sub_path, &mut sub, old, new);
                self.depth -= 1;
                let incompatible = sub.iter().any(|d| !d.kind.is_compatible());
                out.extend(sub);
                self.memo.insert(key, incompatible);
                incompatible
            }
        };
        if incompatible {
            push(
                out,
                path,
                DiffType::FieldNamedTypeChanged,
                format!(
                    "The message type '{}' of {label} changed incompatibly",
                    new.full_name()
                ),
            );
        }
    }
}
