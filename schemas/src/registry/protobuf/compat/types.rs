//! The vocabulary of the check: difference types (Confluent's names), differences, and how a
//! field's type is classified (scalar groups, message, map).
//! Rule: `is_compatible` is exactly Confluent's compatible set; scalar groups are its groups.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

use crate::registry::protobuf::print::scalar_name;

/// The kinds of difference Confluent's Protobuf checker reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiffType {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DiffType {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffType::PackageChanged => "PACKAGE_CHANGED",
            DiffType::MessageAdded => "MESSAGE_ADDED",
            DiffType::MessageRemoved => "MESSAGE_REMOVED",
            DiffType::FieldAdded => "FIELD_ADDED",
            DiffType::FieldRemoved => "FIELD_REMOVED",
            DiffType::FieldNameChanged => "FIELD_NAME_CHANGED",
            DiffType::FieldKindChanged => "FIELD_KIND_CHANGED",
            DiffType::FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            DiffType::FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            DiffType::RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            DiffType::RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            DiffType::OneofAdded => "ONEOF_ADDED",
            DiffType::OneofRemoved => "ONEOF_REMOVED",
            DiffType::OneofFieldAdded => "ONEOF_FIELD_ADDED",
            DiffType::OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            DiffType::MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            DiffType::FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Differences a reader copes with (Confluent's compatible set).
    pub fn is_compatible(self) -> bool {
        matches!(
            self,
            DiffType::MessageAdded
                | DiffType::FieldAdded
                | DiffType::FieldRemoved
                | DiffType::FieldNameChanged
                | DiffType::OneofAdded
                | DiffType::OneofRemoved
                | DiffType::OneofFieldAdded
        )
    }
}

/// One difference: its type, Confluent-style path (`#/Message/field-number`), and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub kind: DiffType,
    pub path: String,
    pub description: String,
}

impl Difference {
    /// The message the registry shows, in the shape Confluent's verbose answers use.
    pub fn message(&self) -> String {
        format!(
            "{{errorType:\"{}\", description:\"{} (at path '{}')\"}}",
            self.kind.as_str(),
            self.description,
            self.path
        )
    }
}

/// The type of a field as the checker sees it.
pub(super) enum FieldType {
    Scalar(Kind),
    Message(MessageDescriptor),
    Map(Box<FieldType>, Box<FieldType>),
}

impl FieldType {
    pub(super) fn of(field: &FieldDescriptor) -> FieldType {
        if let Some(entry) = field.kind().as_message().filter(|_| field.is_map()) {
            return FieldType::Map(
                Box::new(FieldType::of(&entry.map_entry_key_field())),
                Box::new(FieldType::of(&entry.map_entry_value_field())),
            );
        }
        match field.kind() {
            Kind::Message(m) => FieldType::Message(m),
            other => FieldType::Scalar(other),
        }
    }

    pub(super) fn kind_name(&self) -> &'static str {
        match self {
            FieldType::Scalar(_) => "scalar",
            FieldType::Message(_) => "message",
            FieldType::Map(..) => "map",
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            FieldType::Scalar(Kind::Enum(e)) => format!("enum {}", e.full_name()),
            FieldType::Scalar(k) => scalar_name(k).to_string(),
            FieldType::Message(m) => m.full_name().to_string(),
            FieldType::Map(k, v) => format!("map<{}, {}>", k.describe(), v.describe()),
        }
    }
}

/// Confluent's scalar groups: kinds within a group read each other's wire bytes.
pub(super) fn scalar_group(kind: &Kind) -> u8 {
    match kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => 0,
        Kind::Sint32 | Kind::Sint64 => 1,
        Kind::String | Kind::Bytes => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Float => 5,
        Kind::Double => 6,
        Kind::Message(_) => 7,
    }
}

/// The name of a message below its package (`Outer.Inner`).
pub(super) fn local_name(message: &MessageDescriptor) -> &str {
    let full = message.full_name();
    let package = message.package_name();
    if package.is_empty() {
        full
    } else {
        full.strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full)
    }
}
