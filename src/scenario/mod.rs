//! Scenario files: the only input boundary.
//!
//! A scenario is TOML. [`load`] reads it, rejects unknown keys, checks every value, reads the
//! trace and price files it names, and returns the model's [`Scenario`] plus warnings — or
//! every problem found, each with its file, line, column and key. Nothing runs before a
//! scenario has passed. The format is documented key by key in `scenarios/README.md`.

pub mod calibrate;
mod data;
mod error;
mod file;
pub mod import;
mod limits;
mod sweep;
mod translate;

use std::path::{Path, PathBuf};

pub use error::{Problem, ScenarioError};
pub use sweep::{Axis, MAX_RUNS, SweepPlan, load_sweep};

use crate::config::Scenario;
use data::DataCache;
use error::{KeyPath, Locator};

/// Command-line settings that take precedence over the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub prices: Option<PathBuf>,
    /// An instance catalog file, in place of the scenario's `catalog`.
    pub catalog: Option<PathBuf>,
}

/// A validated scenario and what is worth telling the user about it, with its variants.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<String>,
    /// The `[variants.NAME]` of the file, in file order, each a whole scenario.
    pub variants: Vec<Variant>,
}

#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub scenario: Scenario,
    pub warnings: Vec<String>,
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Loaded, ScenarioError> {
    let text = read(path, "scenario")?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    parse(path, &text, base_dir, overrides)
}

/// The JSON Schema of the files `ecsim` reads, a scenario or a sweep file, generated from the
/// types that read them: for editors (a TOML language server such as taplo completes keys and
/// flags unknown ones with it). Draft 7, which editors' JSON Schema support reads widely. It
/// knows the keys and their types; the values' checks (durations, ranges, combinations) are
/// `ecsim validate`'s.
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<file::AnyFile>().to_value();
    without_null(&mut schema);
    schema
}

/// `schema` without the "or null" schemars gives an `Option`: TOML has no null, an optional
/// key is one left out (and a validator's message for `anyOf: [T, null]` names no key).
/// `T`'s own keywords move up, or under `allOf` beside the option's description (draft 7
/// ignores the siblings of a `$ref`).
fn without_null(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let null = serde_json::json!({ "type": "null" });
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get("anyOf")
                && options.len() == 2
                && options.contains(&null)
            {
                let other = options.iter().find(|o| **o != null).cloned().expect("two options");
                map.remove("anyOf");
                match other {
                    Value::Object(inner) if map.is_empty() => map.extend(inner),
                    other => {
                        map.insert("allOf".into(), Value::Array(vec![other]));
                    }
                }
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// Whether the file at `path` declares a sweep: a `[sweep]` table, or a sweep file's
/// `scenario` key. A file that cannot be read or parsed does not (loading it says why).
pub fn declares_sweep(path: &Path) -> bool {
    let table = read(path, "scenario").ok().and_then(|text| toml::from_str::<toml::Table>(&text).ok());
    table.is_some_and(|t| t.contains_key("sweep") || t.contains_key("scenario"))
}

/// Where `key` (a dotted path such as `services.api.max_capacity`) is set for `variant` in the
/// scenario at `file`, as a warning says it: "line 24, `services.api.max_capacity`"; a key not
/// written is placed at the deepest table on its path that is. For warnings about a run's
/// results, which come after the scenario was read.
pub fn locate_key(file: &Path, variant: Option<&str>, key: &str) -> String {
    let (Ok(text), Ok(path)) = (read(file, "scenario"), KeyPath::parse(key)) else {
        return format!("`{key}`");
    };
    let base = Locator::new(file, &text);
    let locator = match variant {
        Some(name) => base.for_variant(KeyPath::root().key("variants").key(name)),
        None => base,
    };
    let problem = locator.at(&path, String::new());
    format!("line {}, `{}`", problem.line, problem.key)
}

/// Whether `name` may name an output folder: one path component of letters, digits, '-', '_'
/// and '.', not `.` or `..`, at most 100 characters (file systems allow 255 bytes).
fn folder_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// The text of the file at `path`; `what` names it in the error.
fn read(path: &Path, what: &str) -> Result<String, ScenarioError> {
    data::read_text(path, MAX_SCENARIO_BYTES).map_err(|(line, message)| {
        ScenarioError::single(Problem {
            file: path.to_owned(),
            line,
            column: 0,
            key: String::new(),
            message: message.replacen("the file", &format!("the {what}"), 1),
            source_line: String::new(),
        })
    })
}

/// The largest scenario or sweep file ecsim reads: 4 MiB, twice what 5,000 services (AWS's
/// quota per cluster) take; parsing holds several copies of a file in memory.
const MAX_SCENARIO_BYTES: u64 = 4 << 20;

/// A TOML error in the file's words, at the place it points to.
fn toml_problem(locator: &Locator, text: &str, e: &toml::de::Error) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let message = match e.message().trim_end() {
        // TOML's words name no key: the key is where the error points.
        "duplicate key" => {
            let key = text.get(span.clone()).unwrap_or("this key").trim();
            format!("`{}` is set twice in its table; keep one", translate::shorten(key))
        }
        other => error::serde_in_words(other),
    };
    ScenarioError::single(locator.at_offset(span.start, key_before(text, span.start), message))
}

/// Validates scenario `text`, as if read from `path`; relative data paths start at `base_dir`.
/// Each `[variants.NAME]` table is merged over the rest of the document — tables key by key,
/// any other value (arrays included) replaced whole — and validated as a scenario of its own.
pub fn parse(path: &Path, text: &str, base_dir: &Path, overrides: &Overrides) -> Result<Loaded, ScenarioError> {
    let locator = Locator::new(path, text);
    // TOML's own reading of the text, which the typed one may be laxer than (an integer above
    // 2^63 − 1 is no TOML integer): an error in either is the file's.
    let document = toml::from_str::<toml::Table>(text);
    // Nothing but comments and blank lines: say so, not that `version` is missing.
    if document.as_ref().is_ok_and(|t| t.is_empty()) {
        let message = "the file is empty; a scenario needs `version = 1`, `name`, `duration`, a [loads.NAME] and a [services.NAME] table (scenarios/quickstart.toml is one)";
        return Err(ScenarioError::single(locator.at_offset(0, "", message.to_owned())));
    }
    let mut file: file::ScenarioFile = toml::from_str(text).map_err(|e| {
        if document.as_ref().is_ok_and(|t| t.contains_key("scenario")) {
            let message = "this is a sweep file (it names a scenario): run it with `ecsim sweep`".to_owned();
            return ScenarioError::single(locator.at(&KeyPath::root().key("scenario"), message));
        }
        toml_problem(&locator, text, &e)
    })?;
    let mut document = document.map_err(|e| toml_problem(&locator, text, &e))?;
    let variant_tables = std::mem::take(&mut file.variants);
    let has_sweep = file.sweep.is_some();
    let mut problems = Vec::new();
    let data = DataCache::default();
    let base = translate::Translator::new(&locator, base_dir, &data).scenario(file, overrides);
    let mut variants = Vec::new();
    if !variant_tables.is_empty() {
        document.remove("variants");
        document.remove("sweep");
        for (name, table) in &variant_tables {
            match variant(&locator, base_dir, &data, overrides, &document, name, table) {
                Ok(v) => variants.push(v),
                Err(mut more) => problems.append(&mut more),
            }
        }
    }
    match base {
        Ok((scenario, mut warnings)) if problems.is_empty() => {
            if has_sweep {
                warnings.push(
                    "this file has a [sweep] table, which a single run leaves aside: `ecsim sweep` runs it".into(),
                );
            }
            Ok(Loaded { scenario, warnings, variants })
        }
        Ok(_) => Err(ScenarioError { problems: each_once(problems) }),
        Err(mut base_problems) => {
            base_problems.append(&mut problems);
            Err(ScenarioError { problems: each_once(base_problems) })
        }
    }
}

/// The key of the `key = value` line whose value starts at `offset`, or "" when the offset is
/// not in a value: serde's errors point at the value and name no key.
fn key_before(text: &str, offset: usize) -> &str {
    let before = text.get(..offset).unwrap_or("");
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() && !key.contains(['[', '{', '"']) => key.trim(),
        _ => "",
    }
}

/// Each problem once, in the order first found: a problem in the base of a scenario is found
/// again in every variant that inherits it.
fn each_once(problems: Vec<Problem>) -> Vec<Problem> {
    let mut unique: Vec<Problem> = Vec::with_capacity(problems.len());
    for problem in problems {
        if !unique.contains(&problem) {
            unique.push(problem);
        }
    }
    unique
}

/// One variant: the base document with the variant's table merged over it.
fn variant(
    locator: &Locator,
    base_dir: &Path,
    data: &DataCache,
    overrides: &Overrides,
    document: &toml::Table,
    name: &str,
    table: &toml::Value,
) -> Result<Variant, Vec<Problem>> {
    let over = variant_table(locator, name, table)?;
    let path = variant_path(name);
    let mut merged = document.clone();
    merge(&mut merged, over);
    let file: file::ScenarioFile = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| {
        let message = e.message().trim_end();
        // The merged table has no places: an unknown key is looked for in the variant's own.
        let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`')).map(|(k, _)| k);
        let at = unknown.and_then(|key| find_key(over, key, &path)).unwrap_or_else(|| path.clone());
        vec![locator.at(&at, format!("with this variant: {}", error::serde_in_words(message)))]
    })?;
    let variant_locator = locator.for_variant(path);
    let (mut scenario, warnings) =
        translate::Translator::new(&variant_locator, base_dir, data).scenario(file, overrides)?;
    scenario.variant = Some(name.to_owned());
    Ok(Variant { name: name.to_owned(), scenario, warnings })
}

/// The first place in `table` (at `path`), depth first, where `key` is a key.
fn find_key(table: &toml::Table, key: &str, path: &KeyPath) -> Option<KeyPath> {
    if table.contains_key(key) {
        return Some(path.key(key));
    }
    table.iter().find_map(|(name, value)| match value {
        toml::Value::Table(inner) => find_key(inner, key, &path.key(name)),
        toml::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| match item {
            toml::Value::Table(inner) => find_key(inner, key, &path.key(name).index(i)),
            _ => None,
        }),
        _ => None,
    })
}

fn variant_path(name: &str) -> KeyPath {
    KeyPath::root().key("variants").key(name)
}

/// A variant's table of changes, once its name and keys are checked.
fn variant_table<'t>(locator: &Locator, name: &str, table: &'t toml::Value) -> Result<&'t toml::Table, Vec<Problem>> {
    let path = variant_path(name);
    let fail = |message: String| vec![locator.at(&path, message)];
    if !folder_name_ok(name) || name.eq_ignore_ascii_case("base") {
        return Err(fail(format!(
            "found \"{}\"; a variant's name is letters, digits, '-', '_' and '.', and not \".\", \"..\" or \"base\" (it names a folder beside the base run's)",
            translate::shorten(name)
        )));
    }
    let toml::Value::Table(over) = table else {
        return Err(fail("a variant is a table of the keys it changes, e.g. [variants.fargate.services.api]".into()));
    };
    if let Some(key) = ["name", "version", "variants", "sweep"].into_iter().find(|k| over.contains_key(*k)) {
        return Err(vec![locator.at(&path.key(key), format!("a variant cannot change `{key}`"))]);
    }
    Ok(over)
}

/// Tables merge key by key; any other value replaces what was there.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over_inner)) => merge(inner, over_inner),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn an_optional_key_is_its_type_without_null() {
        let mut schema = json!({ "properties": {
            "tick": { "type": ["string", "null"] },
            "noise": { "anyOf": [{ "$ref": "#/definitions/NoiseFile" }, { "type": "null" }] },
            "spot": { "description": "Spot", "anyOf": [{ "$ref": "#/definitions/SpotFile" }, { "type": "null" }] },
            "both": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
        }});
        super::without_null(&mut schema);
        assert_eq!(
            schema,
            json!({ "properties": {
                "tick": { "type": "string" },
                "noise": { "$ref": "#/definitions/NoiseFile" },
                "spot": { "description": "Spot", "allOf": [{ "$ref": "#/definitions/SpotFile" }] },
                "both": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
            }})
        );
    }
}
