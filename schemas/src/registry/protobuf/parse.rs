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
                i = block_comment_end(bytes, i);
                continue;
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
            // Identifiers are skipped whole, so a digit seen below always starts a token.
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                continue;
            }
            b'0'..=b'9' => {
                let start = i;
                let (end, octal_trouble) = number_token(bytes, i);
                if octal_trouble {
                    let (line, column) = line_column(text, start);
                    return Err(SchemaError::new(format!(
                        "{name}: invalid octal integer '{}' at line {line}, column {column}",
                        String::from_utf8_lossy(&bytes[start..end])
                    )));
                }
                i = end;
                continue;
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                // `.5`, `.5e3`, `.5f`: a float token.
                i = float_tail(bytes, i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Where the block comment opening at `start` (`/*`) ends, as protox ends it: block comments
/// nest, and when the text ends with some still open, the comment ends after the last `*/`
/// seen and protox lexes on from there (fuzz finding: `/* /* */ 08` reaches the lexer's
/// octal rule).
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let (mut depth, mut i, mut last_end) = (1usize, start + 2, None);
    while i < bytes.len() {
        if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
            last_end = Some(i);
        } else if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    last_end.unwrap_or(bytes.len())
}

/// The end of the number token starting at `start` (a digit), as protox's lexer splits it
/// (longest match of its integer and float patterns), and whether it is an integer with a
/// leading 0 holding an 8 or 9 (protox's octal rule trips a debug assertion on those).
/// protox lexes `1f` as a float and `008` after it as the next token, so the end must be
/// exact: skipping to the end of the "word" would miss `1f008`.
fn number_token(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut i = start;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let digits = &bytes[start..i];
    if digits == b"0"
        && matches!(bytes.get(i), Some(b'x' | b'X'))
        && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
    {
        let mut end = i + 1;
        while end < bytes.len() && bytes[end].is_ascii_hexdigit() {
            end += 1;
        }
        return (end, false);
    }
    if bytes.get(i) == Some(&b'.') {
        return (float_tail(bytes, i), false);
    }
    if let Some(end) = exponent_end(bytes, i) {
        return (float_suffix(bytes, end), false);
    }
    // `0f` and `[1-9][0-9]*f` are floats; `00f` is the octal `00` then the identifier `f`.
    if matches!(bytes.get(i), Some(b'f' | b'F')) && (digits == b"0" || digits[0] != b'0') {
        return (i + 1, false);
    }
    let octal_trouble =
        digits.len() > 1 && digits[0] == b'0' && digits.iter().any(|b| matches!(b, b'8' | b'9'));
    (i, octal_trouble)
}

/// From a `.`: the fraction digits, an optional exponent and an optional `f` suffix.
fn float_tail(bytes: &[u8], dot: usize) -> usize {
    let mut i = dot + 1;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    float_suffix(bytes, exponent_end(bytes, i).unwrap_or(i))
}

/// The end of an exponent with digits (`e5`, `E-5`) starting at `i`; a bare `e` is none.
fn exponent_end(bytes: &[u8], i: usize) -> Option<usize> {
    if !matches!(bytes.get(i), Some(b'e' | b'E')) {
        return None;
    }
    let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
    let mut end = i + 1 + sign;
    if !bytes.get(end).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    Some(end)
}

fn float_suffix(bytes: &[u8], i: usize) -> usize {
    if matches!(bytes.get(i), Some(b'f' | b'F')) {
        i + 1
    } else {
        i
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The text as .proto source or as a descriptor. A descriptor's `syntax` must be unset,
/// `proto2` or `proto3`: prost-reflect indexes a file it has not stored yet when it reports any
/// other value (a panic, found by fuzzing protobuf_parse), so Weir refuses it first.
fn source_of(what: &str, text: &str) -> Result<Source, SchemaError> {
    match decode_descriptor(text) {
        Some((file, bytes)) => {
            if let Some(syntax) = file.syntax.as_deref()
                && !matches!(syntax, "proto2" | "proto3")
            {
                return Err(SchemaError::new(format!(
                    "{what}: the descriptor's syntax {syntax:?} is not supported (proto2 or proto3)"
                )));
            }
            Ok(Source::Descriptor {
                name: file.name.filter(|n| !n.is_empty()),
                bytes,
            })
        }
        None => Ok(Source::Text(text.to_string())),
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
        let source = source_of(&format!("import '{}'", reference.name), &reference.schema)?;
        if let Source::Text(t) = &source {
            check_nesting(&format!("import '{}'", reference.name), t)?;
        }
        files.insert(reference.name.clone(), source);
    }
    let root_source = source_of("schema", text)?;
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
