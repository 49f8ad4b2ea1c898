//! The Protobuf schema language of the registry.
//!
//! - [`parse`](fn@parse): `.proto` text, or confluent-kafka's base64 FileDescriptorProto, compiled by
//!   protox with imports resolved through the references ([`parse.rs`](self::parse)).
//! - [`canonical`] / [`normalize`]: the schema printed back as `.proto` text (`print.rs`).
//! - [`check`]: Confluent's compatibility rules (`compat.rs`).
//! - Helpers for the registry and the converters: the descriptor pool, the root file's
//!   descriptor, message-index paths, [`serialized`] (for `format=serialized`).
//!
//! Rule: a [`ProtobufSchema`] always holds a successfully compiled root file and everything it
//! imports; its canonical text is computed once, at parse.

mod builtin;
pub mod compat;
mod parse;
mod print;

#[cfg(test)]
mod tests_compat;
#[cfg(test)]
mod tests_parse;

use std::fmt;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, MessageDescriptor, ReflectMessage as _};
use prost_types::FileDescriptorProto;

use super::language::{CheckOptions, ResolvedReference, SchemaError};

pub use compat::{DiffType, Difference};

/// A compiled Protobuf schema: the root file and the pool holding it and its imports.
#[derive(Clone)]
pub struct ProtobufSchema {
    pool: DescriptorPool,
    file: FileDescriptor,
    canonical: String,
    from_descriptor: bool,
}

impl fmt::Debug for ProtobufSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtobufSchema")
            .field("file", &self.file.name())
            .field("package", &self.file.package_name())
            .field("messages", &self.message_names())
            .finish()
    }
}

/// Compiles a schema. `text` is `.proto` source or base64 of a FileDescriptorProto (as
/// confluent-kafka's Python serializer registers it); each reference's `name` is the import
/// path it satisfies and its `schema` the file, in either form.
pub fn parse(text: &str, references: &[ResolvedReference]) -> Result<ProtobufSchema, SchemaError> {
    let compiled = parse::compile(text, references)?;
    let file = compiled
        .pool
        .get_file_by_name(&compiled.root)
        .ok_or_else(|| SchemaError::new("the compiled Protobuf schema lost its root file"))?;
    let canonical = print::print_file(&file, false);
    if compiled.from_descriptor {
        // A descriptor can hold what no .proto file can (an empty or malformed name, say);
        // the registry answers .proto text, so the text must compile too.
        parse::compile(&canonical, references).map_err(|e| {
            SchemaError::new(format!(
                "the FileDescriptorProto does not describe a valid .proto file: {}",
                e.message
            ))
        })?;
    }
    Ok(ProtobufSchema {
        pool: compiled.pool,
        file,
        canonical,
        from_descriptor: compiled.from_descriptor,
    })
}

/// The `.proto` text the registry stores and answers, printed from the descriptor.
pub fn canonical(schema: &ProtobufSchema) -> String {
    schema.canonical.clone()
}

/// The normalized text (`normalize=true`): canonical, with imports, options and fields sorted.
pub fn normalize(schema: &ProtobufSchema) -> String {
    print::print_file(&schema.file, true)
}

/// Can a consumer using `reader` read data written with `writer`? Empty: yes.
pub fn check(reader: &ProtobufSchema, writer: &ProtobufSchema, _options: &CheckOptions) -> Vec<String> {
    compat::incompatibilities(&writer.file, &reader.file)
}

/// base64 of the root file's FileDescriptorProto, without source info (`format=serialized`).
pub fn serialized(schema: &ProtobufSchema) -> String {
    base64::engine::general_purpose::STANDARD.encode(schema.descriptor_bytes())
}

impl ProtobufSchema {
    /// The pool with the root file and every file it imports.
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// The root file.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// The root file's descriptor (custom options live in [`FileDescriptor::options`]).
    pub fn file_descriptor_proto(&self) -> &FileDescriptorProto {
        self.file.file_descriptor_proto()
    }

    /// True when the schema was registered as a base64 FileDescriptorProto.
    pub fn from_descriptor(&self) -> bool {
        self.from_descriptor
    }

    /// The root file's package ("" when none).
    pub fn package(&self) -> &str {
        self.file.package_name()
    }

    /// Names of the files the root imports, in declaration order.
    pub fn imports(&self) -> Vec<String> {
        self.file_descriptor_proto().dependency.clone()
    }

    /// Every message of the root file with its message-index path, depth first in
    /// declaration order: `[0]` is the first top-level message, `[1, 0]` the first message
    /// nested in the second. Map entries are not messages here (Confluent's numbering).
    pub fn message_index_paths(&self) -> Vec<(Vec<usize>, MessageDescriptor)> {
        let mut out = Vec::new();
        let mut path = Vec::new();
        collect_messages(self.file.messages(), &mut path, &mut out);
        out
    }

    /// Full names of the root file's messages, in message-index order.
    pub fn message_names(&self) -> Vec<String> {
        self.message_index_paths()
            .into_iter()
            .map(|(_, m)| m.full_name().to_string())
            .collect()
    }

    /// The message a message-index path names (`[]` and `[0]` both name the first message,
    /// as the wire format's single zero byte does).
    pub fn message_by_index_path(&self, path: &[usize]) -> Option<MessageDescriptor> {
        if path.is_empty() {
            return self.file.messages().next();
        }
        let mut current: Option<MessageDescriptor> = None;
        for &index in path {
            let candidates: Vec<MessageDescriptor> = match &current {
                None => self.file.messages().collect(),
                Some(m) => m.child_messages().filter(|c| !c.is_map_entry()).collect(),
            };
            current = Some(candidates.get(index)?.clone());
        }
        current
    }

    /// The message-index path of a message of the root file, by full name.
    pub fn index_path_of(&self, full_name: &str) -> Option<Vec<usize>> {
        let name = full_name.strip_prefix('.').unwrap_or(full_name);
        self.message_index_paths()
            .into_iter()
            .find(|(_, m)| m.full_name() == name)
            .map(|(path, _)| path)
    }

    /// A message of the root file by full name (`shop.Customer`, `shop.Customer.Address`; a
    /// leading dot allowed) or, when no full name matches, by simple name if exactly one
    /// message has it; with its message-index path. The error lists the messages.
    pub fn message_named(&self, name: &str) -> Result<(Vec<usize>, MessageDescriptor), String> {
        let wanted = name.trim();
        let wanted = wanted.strip_prefix('.').unwrap_or(wanted);
        let all = self.message_index_paths();
        if let Some(found) = all.iter().find(|(_, m)| m.full_name() == wanted) {
            return Ok(found.clone());
        }
        let simple: Vec<&(Vec<usize>, MessageDescriptor)> =
            all.iter().filter(|(_, m)| m.name() == wanted).collect();
        let names = || {
            all.iter()
                .map(|(_, m)| m.full_name().to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match simple.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "the schema has no message {wanted} (its messages: {})",
                names()
            )),
            many => Err(format!(
                "{wanted} names several messages ({}); use the full name",
                many.iter()
                    .map(|(_, m)| m.full_name().to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The first message of the root file (what a bare magic-byte frame refers to).
    pub fn first_message(&self) -> Option<MessageDescriptor> {
        self.file.messages().next()
    }

    /// Differences between `writer` (old) and `self` (new), compatible ones included.
    pub fn differences_from(&self, writer: &ProtobufSchema) -> Vec<Difference> {
        compat::differences(&writer.file, &self.file)
    }

    /// The root FileDescriptorProto encoded, custom options kept, source info dropped.
    pub fn descriptor_bytes(&self) -> Vec<u8> {
        let bytes = self.file.encode_to_vec();
        let descriptor = FileDescriptorProto::default().descriptor();
        // prost-reflect can panic re-encoding some fuzzer-made descriptors (found by
        // protobuf_parse): a panic here falls back to the plain descriptor, which drops unknown
        // custom options but never takes the worker down.
        let dynamic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            DynamicMessage::decode(descriptor, bytes.as_slice()).map(|mut message| {
                message.clear_field_by_name("source_code_info");
                message.encode_to_vec()
            })
        }));
        match dynamic {
            Ok(Ok(encoded)) => encoded,
            Ok(Err(_)) | Err(_) => {
                let mut proto = self.file_descriptor_proto().clone();
                proto.source_code_info = None;
                proto.encode_to_vec()
            }
        }
    }
}

fn collect_messages(
    messages: impl Iterator<Item = MessageDescriptor>,
    path: &mut Vec<usize>,
    out: &mut Vec<(Vec<usize>, MessageDescriptor)>,
) {
    for (index, message) in messages.filter(|m| !m.is_map_entry()).enumerate() {
        path.push(index);
        out.push((path.clone(), message.clone()));
        collect_messages(message.child_messages(), path, out);
        path.pop();
    }
}
