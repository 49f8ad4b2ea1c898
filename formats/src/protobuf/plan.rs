//! The ProtobufConverter's options, and messages compiled for the hot path.
//!
//! A reader plan ([`MsgPlan`]) is compiled once per (schema id, message-index path) from the
//! descriptor; a writer plan ([`EncMsg`]) once per (Connect schema, registered schema). Both
//! resolve names, field numbers, Confluent's field metadata and the well-known types up front,
//! so decoding and encoding a record walks the plan and the bytes with no lookups by name and
//! no intermediate message object.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use schemas::ConnectError;

use crate::confluent::bool_prop;

/// `ProtobufDataConfig`'s sub-keys, with Confluent's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtobufOptions {
    /// `enhanced.protobuf.schema.support` (false): Connect names keep the package.
    pub enhanced: bool,
    /// `scrub.invalid.names` (false): names that are not Protobuf identifiers are rewritten.
    pub scrub_invalid_names: bool,
    /// `int.for.enums` (false): enums read as int32 instead of string.
    pub int_for_enums: bool,
    /// `optional.for.nullables` (false): optional Connect fields are written `optional`; read
    /// back, only fields with the `optional` keyword are optional.
    pub optional_for_nullables: bool,
    /// `optional.for.proto2` (true): a proto2 `optional` field that is absent reads as null.
    pub optional_for_proto2: bool,
    /// `wrapper.for.nullables` (false): optional primitives are `google.protobuf.*Value`
    /// wrappers, and wrappers read back as optional primitives.
    pub wrapper_for_nullables: bool,
    /// `generate.index.for.unions` (true): a oneof's Connect field is `<oneof>_<index>`.
    pub generate_index_for_unions: bool,
}

impl Default for ProtobufOptions {
    fn default() -> Self {
        ProtobufOptions {
            enhanced: false,
            scrub_invalid_names: false,
            int_for_enums: false,
            optional_for_nullables: false,
            optional_for_proto2: true,
            wrapper_for_nullables: false,
            generate_index_for_unions: true,
        }
    }
}

impl ProtobufOptions {
    pub fn from_props(props: &BTreeMap<String, String>) -> Result<Self, ConnectError> {
        let d = ProtobufOptions::default();
        Ok(ProtobufOptions {
            enhanced: bool_prop(props, "enhanced.protobuf.schema.support", d.enhanced)?,
            scrub_invalid_names: bool_prop(props, "scrub.invalid.names", d.scrub_invalid_names)?,
            int_for_enums: bool_prop(props, "int.for.enums", d.int_for_enums)?,
            optional_for_nullables: bool_prop(props, "optional.for.nullables", d.optional_for_nullables)?,
            optional_for_proto2: bool_prop(props, "optional.for.proto2", d.optional_for_proto2)?,
            wrapper_for_nullables: bool_prop(props, "wrapper.for.nullables", d.wrapper_for_nullables)?,
            generate_index_for_unions: bool_prop(
                props,
                "generate.index.for.unions",
                d.generate_index_for_unions,
            )?,
        })
    }
}

/// A scalar's wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Double,
    Float,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Bool,
    String,
    Bytes,
}

impl Scalar {
    /// The wire type of one value.
    pub fn wire_type(self) -> u8 {
        match self {
            Scalar::Double | Scalar::Fixed64 | Scalar::Sfixed64 => 1,
            Scalar::Float | Scalar::Fixed32 | Scalar::Sfixed32 => 5,
            Scalar::String | Scalar::Bytes => 2,
            _ => 0,
        }
    }
}

/// How an integer scalar appears in Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntAs {
    Int8,
    Int16,
    Int32,
    Int64,
}

/// A protobuf enum: symbols by number (the first symbol of a number wins, as with aliases).
#[derive(Debug)]
pub struct EnumDef {
    pub full_name: String,
    pub by_number: HashMap<i32, String>,
    pub by_name: HashMap<String, i32>,
    /// The value of an unset proto3 enum field (number 0, else the first value).
    pub default: i32,
}

impl EnumDef {
    pub fn name_of(&self, n: i32) -> String {
        match self.by_number.get(&n) {
            Some(s) => s.clone(),
            None => n.to_string(),
        }
    }
}

/// A value that is not a message of its own in Connect.
#[derive(Debug, Clone)]
pub enum Leaf {
    Scalar(Scalar, IntAs),
    /// `as_int`: Connect int32 (`int.for.enums`) instead of the symbol.
    Enum(Arc<EnumDef>, bool),
    /// `google.protobuf.Timestamp` <-> Connect Timestamp (ms).
    Timestamp,
    /// `google.type.Date` <-> Connect Date (days).
    Date,
    /// `google.type.TimeOfDay` <-> Connect Time (ms).
    Time,
    /// `confluent.type.Decimal` <-> Connect Decimal with this scale.
    Decimal(i32),
    /// A `google.protobuf.*Value` wrapper read as its primitive (`wrapper.for.nullables`).
    Wrapper(Scalar, IntAs),
}

#[derive(Debug)]
pub enum Ty<M> {
    Leaf(Leaf),
    Message(Arc<M>),
}

/// Where a wire field's value lands in the Connect struct.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Field(usize),
    /// Member `member` of the union struct at field `field` (with `width` members).
    Oneof {
        field: usize,
        member: usize,
        width: usize,
    },
}

#[derive(Debug)]
pub enum Shape {
    /// `presence`: absent reads as null (messages, `optional`); otherwise as the default.
    Single,
    Repeated,
    /// A map field, or a repeated `XEntry { key = 1; value = 2; }` message (Confluent's form):
    /// the key's type (the slot's `ty` is the value's).
    Map(Box<Ty<MsgPlan>>),
}

#[derive(Debug)]
pub struct Slot {
    pub number: u32,
    pub name: String,
    pub target: Target,
    pub shape: Shape,
    pub ty: Ty<MsgPlan>,
}

/// A message compiled for decoding.
#[derive(Debug)]
pub struct MsgPlan {
    pub slots: Vec<Slot>,
    /// Field number -> slot index + 1 (0: unknown), for numbers below its length.
    pub dense: Vec<u32>,
    /// (number, slot index) for the numbers beyond `dense`, sorted.
    pub sparse: Vec<(u32, usize)>,
    /// The Connect struct before any field is read: defaults, empty arrays and maps, nulls.
    pub initial: Vec<schemas::Value>,
}

impl MsgPlan {
    pub fn slot(&self, number: u32) -> Option<&Slot> {
        let i = match self.dense.get(number as usize) {
            Some(&i) => (i as usize).checked_sub(1)?,
            None => {
                let k = self.sparse.binary_search_by_key(&number, |(n, _)| *n).ok()?;
                self.sparse[k].1
            }
        };
        self.slots.get(i)
    }

    /// Builds the number index once the slots are known.
    pub fn index(&mut self) {
        let max_dense = self
            .slots
            .iter()
            .map(|s| s.number)
            .filter(|n| *n < 1024)
            .max()
            .unwrap_or(0);
        self.dense = vec![0; max_dense as usize + 1];
        self.sparse.clear();
        for (i, s) in self.slots.iter().enumerate() {
            if s.number <= max_dense {
                self.dense[s.number as usize] = i as u32 + 1;
            } else {
                self.sparse.push((s.number, i));
            }
        }
        self.sparse.sort_unstable();
    }
}

/// How one Connect field is written.
#[derive(Debug)]
pub enum EncHow {
    /// `implicit`: proto3 without presence, so a default value is not written.
    Single {
        number: u32,
        ty: Ty<EncMsg>,
        implicit: bool,
    },
    Repeated {
        number: u32,
        ty: Ty<EncMsg>,
        packed: bool,
    },
    Map {
        number: u32,
        key: Ty<EncMsg>,
        value: Ty<EncMsg>,
    },
    /// A Connect union struct: its first non-null member is written as that oneof field
    /// (member index, field number, type; a member the oneof cannot take is an error only when
    /// it holds a value).
    Oneof {
        members: Vec<(usize, u32, Result<Ty<EncMsg>, String>)>,
    },
    /// A field the message has no place for (or of a type it cannot take): fine while null,
    /// as in Confluent's converter; a value is an error with this message.
    Unwritable(String),
}

#[derive(Debug)]
pub struct EncField {
    pub connect: usize,
    pub name: String,
    pub how: EncHow,
}

/// A message compiled for encoding one Connect struct schema; fields in field-number order.
#[derive(Debug)]
pub struct EncMsg {
    pub full_name: String,
    pub fields: Vec<EncField>,
}
