//! Turning registered text into descriptors: `.proto` text or a base64 FileDescriptorProto.
//!
//! protox compiles the root file; its imports resolve, in order, to the schema's references
//! (by import path), to the built-in files of [`super::builtin`], then to protox's Google
//! well-known types. Rule: every failure is a [`SchemaError`] carrying protox's words and,
//! when protox knows it, the file, line and column; nothing here panics on outside input.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine as _;
use miette::Diagnostic as _;
use prost::Message as _;
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorProto;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::builtin::builtin_source;
use crate::registry::language::{ResolvedReference, SchemaError, SchemaType};

/// The name the root file gets when the registered text does not name it (.proto text).
const ROOT_NAME: &str = "schema.proto";

/// What the registry was given for one file. A descriptor is kept as its bytes: decoding it
/// into prost-types would drop custom (extension) options.
#[derive(Debug, Clone)]
enum Source {
    Text(String),
    Descriptor { name: Option<String>, bytes: Vec<u8> },
}

/// The compiled root file and everything it imports.
pub(crate) struct Compiled {
    pub pool: DescriptorPool,
    pub root: String,
    pub from_descriptor: bool,
}

/// Detects confluent-kafka's form: the whole text is base64 of a FileDescriptorProto.
/// .proto text never qualifies: it always holds a space, `;` or `{`, none of them base64.
pub(crate) fn decode_descriptor(text: &str) -> Option<(FileDescriptorProto, Vec<u8>)> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || !trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
    {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(trimmed))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    let file = FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    // prost accepts many byte strings as an empty message; a real descriptor names its file
    // or declares something.
    let declares = !file.message_type.is_empty()
        || !file.enum_type.is_empty()
        || !file.service.is_empty()
        || !file.extension.is_empty();
    if file.name.as_deref().is_some_and(|n| !n.is_empty()) || declares {
        Some((file, bytes))
    } else {
        None
    }
}

/// Deepest `{`/`<` nesting a schema may use. protox parses recursively without a limit, so
/// a hostile schema nested thousands deep would overflow the stack; real ones nest a few levels.
const MAX_NESTING: usize = 100;

/// Refuses text nested deeper than [`MAX_NESTING`], and octal literals with an 8 or 9 (protox
/// trips a debug assertion on those); comments and strings are skipped.
fn check_nesting(name: &str, text: &str) -> Result<(), SchemaError> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    // protox ends a string at a newline even after a backslash.
                    let escape = bytes[i] == b'\\' && bytes.get(i + 1) != Some(&b'\n');
                    i += if escape { 2 } else { 1 };
                }
            }
            b'{' | b'<' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let (line, column) = line_column(text, i);
                    return Err(SchemaError::new(format!(
                        "{name}: nesting deeper than {MAX_NESTING} levels at line {line}, column {column}"
                    )));
                }
            }
            b'}' | b'>' => depth = depth.saturating_sub(1),
            b'0'..=b'9' if i == 0 || !is_word_byte(bytes[i - 1]) => {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = &bytes[start..i];
                // A float needs `.` or an exponent with digits (`1e5`, `1e-5`); a bare `e`
                // leaves the digits to the integer rules.
                let exponent = matches!(bytes.get(i), Some(b'e' | b'E')) && {
                    let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
                    bytes.get(i + 1 + sign).is_some_and(u8::is_ascii_digit)
                };
                let float = bytes.get(i) == Some(&b'.') || exponent;
                if !float
                    && digits.len() > 1
                    && digits[0] == b'0'
                    && digits.iter().any(|b| matches!(b, b'8' | b'9'))
                {
                    let (line, column) = line_column(text, start);
                    return Err(SchemaError::new(format!(
                        "{name}: invalid octal integer '{}' at line {line}, column {column}",
                        String::from_utf8_lossy(digits)
                    )));
                }
                while i < bytes.len() && (is_word_byte(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn source_of(text: &str) -> Source {
    match decode_descriptor(text) {
        Some((file, bytes)) => Source::Descriptor {
            name: file.name.filter(|n| !n.is_empty()),
            bytes,
        },
        None => Source::Text(text.to_string()),
    }
}

/// Resolves imports to the registry's references and the built-in files.
struct RegistryFiles {
    files: HashMap<String, Source>,
}

impl FileResolver for RegistryFiles {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(Source::Text(text)) => File::from_source(name, text),
            Some(Source::Descriptor { bytes, .. }) => {
                // The file is known by the name it is imported as: a later `name` field
                // overrides an earlier one when protobuf decodes.
                let mut bytes = bytes.clone();
                prost::encoding::string::encode(1, &name.to_string(), &mut bytes);
                File::decode_file_descriptor_proto(bytes.as_slice())
                    .map_err(|e| protox::Error::new(format!("file '{name}': {e}")))
            }
            None => match builtin_source(name) {
                Some(text) => File::from_source(name, text),
                None => Err(protox::Error::file_not_found(name)),
            },
        }
    }
}

/// Compiles `text` (the root file) with its references.
pub(crate) fn compile(text: &str, references: &[ResolvedReference]) -> Result<Compiled, SchemaError> {
    let mut files: HashMap<String, Source> = HashMap::new();
    for reference in references {
        if reference.schema_type != SchemaType::Protobuf {
            return Err(SchemaError::new(format!(
                "reference '{}' is a {} schema; a Protobuf schema can import only Protobuf schemas",
                reference.name, reference.schema_type
            )));
        }
        let source = source_of(&reference.schema);
        if let Source::Text(t) = &source {
            check_nesting(&format!("import '{}'", reference.name), t)?;
        }
        files.insert(reference.name.clone(), source);
    }
    let root_source = source_of(text);
    if let Source::Text(t) = &root_source {
        check_nesting("schema", t)?;
    }
    let from_descriptor = matches!(root_source, Source::Descriptor { .. });
    let wanted = match &root_source {
        Source::Descriptor { name, .. } => name.clone(),
        Source::Text(_) => None,
    };
    let root = unique_root_name(wanted.as_deref().unwrap_or(ROOT_NAME), &files);
    files.insert(root.clone(), root_source);

    let texts: HashMap<String, String> = files
        .iter()
        .filter_map(|(name, source)| match source {
            Source::Text(text) => Some((name.clone(), text.clone())),
            Source::Descriptor { .. } => None,
        })
        .collect();

    let mut resolver = ChainFileResolver::new();
    resolver.add(RegistryFiles { files });
    resolver.add(GoogleFileResolver::new());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true).include_source_info(false);
        compiler.open_file(&root).map(|c| c.descriptor_pool())
    }));
    match outcome {
        Ok(Ok(pool)) => Ok(Compiled {
            pool,
            root,
            from_descriptor,
        }),
        Ok(Err(err)) => Err(describe(&err, &root, &texts)),
        Err(_) => Err(SchemaError::new(
            "the Protobuf compiler failed on this schema (internal error); please report it",
        )),
    }
}

fn unique_root_name(wanted: &str, files: &HashMap<String, Source>) -> String {
    if !files.contains_key(wanted) {
        return wanted.to_string();
    }
    (1..)
        .map(|n| format!("schema_{n}.proto"))
        .find(|name| !files.contains_key(name))
        .unwrap_or_else(|| ROOT_NAME.to_string())
}

/// protox's message, plus where: "line L, column C", and the import path when the error is
/// in a referenced file.
fn describe(err: &protox::Error, root: &str, texts: &HashMap<String, String>) -> SchemaError {
    let message = err.to_string();
    let file = err.file().map(str::to_string);
    let offset = err
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    let source = file
        .as_deref()
        .and_then(|f| texts.get(f).map(String::as_str).or_else(|| builtin_source(f)));
    let position = match (offset, source) {
        (Some(offset), Some(source)) => {
            let (line, column) = line_column(source, offset);
            Some(format!("line {line}, column {column}"))
        }
        _ => None,
    };
    let text = match (file.as_deref(), position) {
        (Some(f), Some(pos)) if f == root => format!("{message} (at {pos})"),
        (Some(f), Some(pos)) => format!("{message} (in import '{f}', at {pos})"),
        (Some(f), None) if f != root => format!("{message} (in import '{f}')"),
        _ => message,
    };
    SchemaError::new(text)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
