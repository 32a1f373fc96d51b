//! One loader for every configuration file orrery reads (scenarios, sweeps, live configs,
//! federation files, bench suites): TOML text → typed config, with `--set KEY=VALUE`
//! overrides, relative paths resolved against the file, and every error located by file,
//! line, column and key.
//!
//! A [`Source`] is a file as read plus the overrides applied to it; [`Source::parse`] turns it
//! into any `serde` type, and the source stays with the typed config to locate later
//! (semantic) errors with [`Source::error_at`] and to resolve paths with [`Source::resolve`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::InputError;

/// The source named in errors about a key given on the command line.
pub const SET: &str = "--set";

/// A configuration file's text, where it came from, and the overrides applied to it.
#[derive(Debug, Clone)]
pub struct Source {
    path: PathBuf,
    base_dir: PathBuf,
    /// The text as written (keys are located in it).
    text: String,
    /// The `--set KEY=VALUE` overrides.
    sets: Vec<String>,
    /// Keys whose value came from outside the file (normalised), each with its source
    /// (`--set`, or the `[sweep]` table for a sweep point).
    overridden: BTreeMap<String, String>,
    /// Where the file's keys are documented: the hint of an error that has no better one.
    docs: String,
    /// The content last parsed, as a stable hash (see [`Source::content_id`]).
    content: u64,
}

impl Source {
    /// Reads the file at `path`; `what` names the kind of file in the error ("scenario file"),
    /// `hint` says how to fix a path that cannot be read.
    pub fn read(path: &Path, what: &str, hint: &str) -> Result<Source, InputError> {
        let text = crate::input::read_text(path, what, crate::input::MAX_CONFIG_BYTES, hint)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Source::from_text(&text, path, &base_dir))
    }

    /// `text` as if read from `path`, with relative paths resolved against `base_dir`.
    pub fn from_text(text: &str, path: &Path, base_dir: &Path) -> Source {
        Source {
            path: path.to_path_buf(),
            base_dir: base_dir.to_path_buf(),
            text: text.to_string(),
            sets: Vec::new(),
            overridden: BTreeMap::new(),
            docs: "see the documentation of this kind of file for every key and its range".into(),
            content: 0,
        }
    }

    /// This source with `docs` as the hint of errors that have no better one (where the
    /// file's keys and their ranges are documented).
    pub fn documented_in(mut self, docs: &str) -> Source {
        self.docs = docs.to_string();
        self
    }

    /// This source with `--set KEY=VALUE` overrides (applied by [`Source::parse`]).
    pub fn with_sets(mut self, sets: &[String]) -> Source {
        self.sets = sets.to_vec();
        self
    }

    /// The file it came from (or a pseudo-name such as `<embedded default>`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory relative paths in the file resolve against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The `--set` overrides.
    pub fn sets(&self) -> &[String] {
        &self.sets
    }

    /// The file's stem: the name of a config that gives none.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Parses the text into `T` after putting `values` at their dotted keys (a sweep point) and
    /// then the `--set` overrides; records which keys were overridden. Errors are located
    /// (overridden keys name their source), with `hint` saying where the keys are documented.
    pub fn parse<T: DeserializeOwned>(
        &mut self,
        values: &[(String, toml_edit::Value)],
        hint: &str,
    ) -> Result<T, InputError> {
        if self.docs.starts_with("see the documentation") {
            self.docs = hint.to_string();
        }
        let (text, overridden) = self.overridden_text(values)?;
        self.overridden = overridden;
        self.check_numbers(&text)?;
        self.content = content_hash(&text, &self.base_dir);
        let de = toml::Deserializer::new(&text);
        serde_path_to_error::deserialize(de).map_err(|e| self.toml_error(e, &text).hint(hint))
    }

    /// The text with `values` and then the `--set` overrides put in place, and each
    /// overridden key (normalised) with its source. A `--set` value keeps the type of the key
    /// it replaces when that key is a string; otherwise it is read as a TOML value (falling
    /// back to a string), so `--set seed=7` is an integer and `--set workload.trace_dir=/data`
    /// a string.
    pub fn overridden_text(
        &self,
        values: &[(String, toml_edit::Value)],
    ) -> Result<(String, BTreeMap<String, String>), InputError> {
        if values.is_empty() && self.sets.is_empty() {
            return Ok((self.text.clone(), BTreeMap::new()));
        }
        let mut doc: toml_edit::DocumentMut =
            self.text.parse().map_err(|e: toml_edit::TomlError| {
                let mut err = InputError::file(&self.path, one_line(e.message()));
                if let Some(span) = e.span() {
                    err = err.at_offset(&self.text, span.start);
                }
                err
            })?;
        let mut keys = BTreeMap::new();
        let sweep_source = format!("{} [sweep]", self.path.display());
        for (key, value) in values {
            let item = item_at(&mut doc, key, &sweep_source)?;
            *item = toml_edit::Item::Value(value.clone());
            keys.insert(normalise(key), sweep_source.clone());
        }
        for set in &self.sets {
            let Some((key, raw)) = set.split_once('=') else {
                return Err(InputError::file(SET, format!("`{set}` is not KEY=VALUE"))
                    .hint("write e.g. --set policies.placement=first-fit"));
            };
            let key = key.trim();
            let item = item_at(&mut doc, key, SET)?;
            let value: toml_edit::Value = if item.as_str().is_some() {
                raw.into()
            } else {
                raw.parse().unwrap_or_else(|_| raw.into())
            };
            *item = toml_edit::Item::Value(value);
            keys.insert(normalise(key), SET.to_string());
        }
        Ok((doc.to_string(), keys))
    }

    /// An error about `key` (dotted path, `hosts.1.count`): located at the key's line and
    /// column in the file, or naming the override that set it.
    /// The error carries the file's documentation as its hint; give a better one with
    /// [`InputError::hint`].
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        if let Some(source) = self.overridden.get(&normalise(key)) {
            return InputError::file(source, message).key(key).hint(&self.docs);
        }
        error_in_toml(&self.path, &self.text, key, message).hint(&self.docs)
    }

    /// Resolves a path the configuration gives: an absolute path stays as it is, a relative one
    /// is relative to the file's directory, whether the file writes it, a sweep point sets it or
    /// `--set` does (so `--set workload.trace_dir=traces` means the same as
    /// `trace_dir = "traces"` written in the file).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// A stable hash of what was last parsed: the values of every key after overrides (and a
    /// sweep point's values), but not the `[sweep]` table, comments, layout or key order, with
    /// the file's directory made absolute (relative paths in the file resolve against it).
    /// Two configurations with the same content id describe the same run, however their files
    /// are spelled or named on the command line.
    pub fn content_id(&self) -> u64 {
        self.content
    }

    /// Applies the rules every number of every file obeys, whatever its key (see
    /// [`number_rule`]): a syntax error is left to the deserialiser, which locates it.
    fn check_numbers(&self, text: &str) -> Result<(), InputError> {
        let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
            return Ok(());
        };
        let mut found = None;
        visit_numbers(doc.as_item(), &mut String::new(), &mut |key, v| {
            if found.is_none() {
                if let Err(m) = number_rule(key, v) {
                    found = Some((key.to_string(), m));
                }
            }
        });
        match found {
            None => Ok(()),
            Some((key, message)) => Err(self.error_at(&key, message).hint(
                "times are in seconds (keys ending in _s, at most 10^9 s) and intervals at \
                 least 0.001 s; see scenarios/README.md",
            )),
        }
    }

    /// A located error for a deserialisation failure of `text` (the text after overrides).
    fn toml_error(&self, e: serde_path_to_error::Error<toml::de::Error>, text: &str) -> InputError {
        let mut key = normalise(&e.path().to_string());
        let inner = e.into_inner();
        let message = one_line(inner.message());
        if let Some(field) = unknown_field(&message) {
            if !key.ends_with(field) {
                key = if key == "." || key.is_empty() {
                    field.to_string()
                } else {
                    format!("{key}.{field}")
                };
            }
        }
        if key == "." || key.is_empty() {
            let mut err = InputError::file(&self.path, message);
            if let Some(span) = inner.span() {
                err = err.at_offset(text, span.start);
            }
            return err;
        }
        if let Some(source) = self.overridden.get(&key) {
            return InputError::file(source, message).key(key);
        }
        // With overrides the text was rewritten, so locate the key in the file as written.
        let offset = if self.overridden.is_empty() {
            inner.span().map(|s| s.start)
        } else {
            locate(&self.text, &key)
        };
        let mut err = InputError::file(&self.path, message).key(key);
        if let Some(offset) = offset {
            err = err.at_offset(&self.text, offset);
        }
        err
    }
}

/// The content hash of TOML `text` read from a file in `base_dir`: its values as a canonical
/// tree (keys sorted, no comments, no layout) without the `[sweep]` table, and the canonical
/// directory.
fn content_hash(text: &str, base_dir: &Path) -> u64 {
    let mut table: toml::Table = text.parse().unwrap_or_default();
    table.remove("sweep");
    let mut bytes = serde_json::to_vec(&table).expect("a TOML table serialises");
    let dir = std::fs::canonicalize(base_dir).unwrap_or_else(|_| base_dir.to_path_buf());
    bytes.push(0);
    bytes.extend_from_slice(dir.to_string_lossy().as_bytes());
    crate::rng::fnv1a(&bytes)
}

/// The most seconds any time or duration may be (keys ending in `_s`): 10^9 s, about 31.7
/// years. Millisecond arithmetic on such values can never overflow.
pub const MAX_SECONDS: f64 = 1e9;

/// The least any interval may be (keys ending in `interval_s`): one millisecond, the clock's
/// resolution (a shorter one would round to no time at all).
pub const MIN_INTERVAL_S: f64 = 0.001;

/// The rules every number in every configuration file obeys, by the name of its key: it is
/// finite (`nan` and `inf` are refused everywhere); a time or duration in seconds (a key ending
/// in `_s`, other than a rate `…per_s`) is at most [`MAX_SECONDS`] in size; an interval (a key
/// ending in `interval_s`) is at least [`MIN_INTERVAL_S`]; a time in milliseconds (`…_ms`) is at
/// most 10^12 ms.
pub fn number_rule(key: &str, v: f64) -> Result<(), String> {
    if !v.is_finite() {
        return Err(format!("must be a finite number, got {v}"));
    }
    let last = key
        .rsplit('.')
        .find(|p| p.parse::<usize>().is_err())
        .unwrap_or(key);
    if last.ends_with("_s") && !last.contains("per_") {
        if v.abs() > MAX_SECONDS {
            return Err(format!(
                "{v} s is more than the {MAX_SECONDS:e} s (31 years) any time may be"
            ));
        }
        if last.ends_with("interval_s") && v < MIN_INTERVAL_S {
            return Err(format!(
                "an interval must be at least {MIN_INTERVAL_S} s (one millisecond, the clock's \
                 resolution), got {v}"
            ));
        }
    }
    if last.ends_with("_ms") && v.abs() > MAX_SECONDS * 1000.0 {
        return Err(format!("{v} ms is more than the 10^12 ms any time may be"));
    }
    Ok(())
}

/// Calls `f` with the dotted key and value of every number (integer or float) under `item`.
fn visit_numbers(item: &toml_edit::Item, key: &mut String, f: &mut impl FnMut(&str, f64)) {
    match item {
        toml_edit::Item::Value(v) => visit_value(v, key, f),
        toml_edit::Item::Table(t) => {
            for (k, it) in t.iter() {
                with_key(key, k, |key| visit_numbers(it, key, f));
            }
        }
        toml_edit::Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                with_key(key, &i.to_string(), |key| {
                    for (k, it) in t.iter() {
                        with_key(key, k, |key| visit_numbers(it, key, f));
                    }
                });
            }
        }
        toml_edit::Item::None => {}
    }
}

fn visit_value(v: &toml_edit::Value, key: &mut String, f: &mut impl FnMut(&str, f64)) {
    match v {
        toml_edit::Value::Float(x) => f(key, *x.value()),
        toml_edit::Value::Integer(n) => f(key, *n.value() as f64),
        toml_edit::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                with_key(key, &i.to_string(), |key| visit_value(x, key, f));
            }
        }
        toml_edit::Value::InlineTable(t) => {
            for (k, x) in t.iter() {
                with_key(key, k, |key| visit_value(x, key, f));
            }
        }
        _ => {}
    }
}

/// Runs `f` with `part` appended to the dotted `key`, then restores it.
fn with_key(key: &mut String, part: &str, f: impl FnOnce(&mut String)) {
    let len = key.len();
    if !key.is_empty() {
        key.push('.');
    }
    key.push_str(part);
    f(key);
    key.truncate(len);
}

/// An error about `key` (dotted path) in the TOML file `file` whose text is `text`, located at
/// the key's line and column when it is there.
pub fn error_in_toml(file: &Path, text: &str, key: &str, message: impl Into<String>) -> InputError {
    let mut err = InputError::file(file, message).key(key);
    if let Some(offset) = locate(text, key) {
        err = err.at_offset(text, offset);
    }
    err
}

/// toml's messages can span lines; an error is one paragraph.
fn one_line(message: &str) -> String {
    message.trim().replace('\n', "; ")
}

/// The item at dotted path `key` (`hosts.0.count`), created when missing; `source` names the
/// override in errors.
fn item_at<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    key: &str,
    source: &str,
) -> Result<&'d mut toml_edit::Item, InputError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(
            InputError::file(source, format!("`{key}` is not a dotted key path"))
                .key(key)
                .hint("write the key as dotted names and indices, e.g. hosts.0.count"),
        );
    }
    let mut item = doc.as_item_mut();
    for part in &parts {
        if let (Ok(i), Some(n)) = (
            part.parse::<usize>(),
            item.as_array_of_tables().map(|a| a.len()),
        ) {
            if i >= n {
                return Err(InputError::file(
                    source,
                    format!("index {i} is out of range: there are {n}"),
                )
                .key(key)
                .hint(format!("indices count from 0: use 0 to {}", n - 1)));
            }
            item = &mut item[i];
            continue;
        }
        if !(item.is_table_like() || item.is_none()) {
            return Err(InputError::file(
                source,
                format!("`{part}` is inside a value that is not a table"),
            )
            .key(key)
            .hint("override the value itself, or a key of a table"));
        }
        item = &mut item[*part];
    }
    Ok(item)
}

/// The field named by serde's "unknown field `x`" message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// Normalises `hosts[1].count` and `hosts.1.count` to the same form.
fn normalise(key: &str) -> String {
    key.replace('[', ".").replace(']', "")
}

/// Byte offset of the value (or key) at dotted path `key` in `text`.
fn locate(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text.to_string()).ok()?;
    let key = normalise(key);
    let parts: Vec<&str> = key.split('.').collect();
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut offset = None;
    let mut i = 0;
    while i < parts.len() {
        let (k, v) = table.get_key_value(parts[i])?;
        offset = v.span().or_else(|| k.span()).map(|s| s.start).or(offset);
        i += 1;
        if i == parts.len() {
            break;
        }
        match (
            parts[i].parse::<usize>(),
            v.as_array_of_tables(),
            v.as_array(),
        ) {
            (Ok(n), Some(aot), _) => {
                let t = aot.get(n)?;
                offset = t.span().map(|s| s.start).or(offset);
                table = t;
                i += 1;
            }
            (Ok(n), None, Some(arr)) => {
                let item = arr.get(n)?;
                offset = item.span().map(|s| s.start).or(offset);
                i += 1;
                match item.as_inline_table() {
                    Some(t) => table = t,
                    None => break,
                }
            }
            _ => table = v.as_table_like()?,
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_file_whoever_gives_them() {
        let file = Path::new("/data/scenarios/day.toml");
        let text = "trace_dir = \"traces\"\njournal = \"j\"\n";
        let mut source = Source::from_text(text, file, Path::new("/data/scenarios"))
            .with_sets(&["journal=other/j".to_string()]);
        let _: toml::Table = source.parse(&[], "").unwrap();
        let dir = Path::new("/data/scenarios");
        // Written in the file, and given by --set: both relative to the file's directory.
        assert_eq!(source.resolve(Path::new("traces")), dir.join("traces"));
        assert_eq!(source.resolve(Path::new("other/j")), dir.join("other/j"));
        assert_eq!(source.resolve(Path::new("../up")), dir.join("../up"));
        // An absolute path always stays as it is.
        assert_eq!(source.resolve(Path::new("/abs/t")), PathBuf::from("/abs/t"));
        // A file named bare resolves against the working directory, its own directory.
        let bare = Source::from_text(text, Path::new("day.toml"), Path::new(""));
        assert_eq!(bare.resolve(Path::new("traces")), PathBuf::from("traces"));
    }
}
