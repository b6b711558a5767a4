//! Sweeps: a scenario's keys set to every combination of values, each combination (a point)
//! built and validated as if it had been written in the file, before anything runs.
//!
//! A `[sweep]` table in a scenario, or a sweep file that names one (`scenario = "FILE"`),
//! lists axes: a key path as the scenario file writes it and the values it takes, a list or a
//! numeric range `{ from, to, step }`. The points are the axes' cartesian product, but axes
//! named together in `zip` move together (a task's `cpu` with its `memory`). Every variant of
//! the scenario is swept; an axis sets its key over what the variant says. A problem that an
//! axis value provokes is reported at that value (`sweep.axes[1] = 0 at services.api.cpu: …`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::data::DataCache;
use super::error::{KeyPath, Locator, Pinned, Problem, ScenarioError, Segment};
use super::file::{AxisFile, SweepFile};
use super::{Overrides, file, merge, read, translate, variant_path, variant_table};
use crate::config::Scenario;
use crate::engine::{replication_seed, stable_hash};

/// The most runs one sweep may ask for (points × variants × replications, or the
/// `--max-replications` cap): a slip in a range must not queue a billion runs.
pub const MAX_RUNS: u64 = 1_000_000;
/// The most values one axis may take.
const MAX_VALUES: usize = 10_000;
const MAX_REPLICATIONS: i64 = 10_000;
/// Keys an axis may not set: they name the scenario or its parts, or replications vary them.
const FIXED_KEYS: [&str; 5] = ["version", "name", "seed", "variants", "sweep"];

/// What `ecsim sweep` reads at the top of its file: a scenario's own keys, or a sweep file's
/// `scenario`, `name` and `[sweep]`.
#[derive(Deserialize)]
struct Top {
    scenario: Option<String>,
    name: Option<String>,
    sweep: Option<SweepFile>,
}

/// One axis of a sweep.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The key path, as a scenario file writes it: the axis's column in the outputs.
    pub key: String,
    /// Each value as the outputs show it: its label, or the value as TOML writes it.
    pub labels: Vec<String>,
    path: KeyPath,
    values: Vec<toml::Value>,
    /// The axis in the sweep file, `sweep.axes[i]`.
    at: KeyPath,
    ranged: bool,
}

impl Axis {
    fn value_at(&self, value: usize) -> KeyPath {
        if self.ranged { self.at.clone() } else { self.at.key("values").index(value) }
    }

    fn describe(&self, value: usize) -> String {
        format!("{} = {} at {}", self.at, self.labels[value], self.key)
    }
}

/// A sweep, planned and checked: its axes, its points and how to build each point's scenario.
pub struct SweepPlan {
    /// The folder name of its results: the sweep file's `name`, else the scenario's.
    pub name: String,
    /// The scenario's own `name`.
    pub scenario: String,
    /// The base scenario's seed (before replications).
    pub seed: u64,
    pub replications: u32,
    pub axes: Vec<Axis>,
    /// Axes that move together, by key.
    pub zip: Vec<Vec<String>>,
    /// `base`, then the scenario's variants in file order.
    pub variants: Vec<String>,
    /// Each point: the index of its value on every axis, in the order the axes are declared.
    pub points: Vec<Vec<usize>>,
    /// The Auto Scaling group capacity providers of any point, in the order first seen.
    pub providers: Vec<String>,
    /// Every warning any point gave, once each.
    pub warnings: Vec<String>,
    /// Tells this sweep's results from another's: a hash of what the sweep and scenario files
    /// say (not their comments or layout), the data files they read, and the settings.
    pub fingerprint: u64,
    source: Source,
}

impl std::fmt::Debug for SweepPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepPlan")
            .field("name", &self.name)
            .field("axes", &self.axes)
            .field("variants", &self.variants)
            .field("points", &self.points.len())
            .finish_non_exhaustive()
    }
}

/// Everything needed to build a point's scenario again.
struct Source {
    scenario_path: PathBuf,
    scenario_text: String,
    base_dir: PathBuf,
    sweep_path: PathBuf,
    sweep_text: String,
    overrides: Overrides,
    /// The scenario without `variants` and `sweep`, then with each variant merged over it.
    documents: Vec<toml::Table>,
    data: DataCache,
}

impl SweepPlan {
    /// The scenario of `point` in `variant`, seeded for `replication` (see
    /// [`replication_seed`]).
    pub fn scenario(&self, variant: usize, point: usize, replication: u64) -> Result<Scenario, ScenarioError> {
        let (mut scenario, _) =
            self.build(variant, Some(point), false).map_err(|problems| ScenarioError { problems })?;
        scenario.seed = replication_seed(scenario.seed, replication);
        Ok(scenario)
    }

    /// `key = value` for each axis of `point`.
    pub fn describe(&self, point: usize) -> String {
        let values: Vec<String> =
            self.axes.iter().zip(&self.points[point]).map(|(a, &v)| format!("{} = {}", a.key, a.labels[v])).collect();
        if values.is_empty() { "the scenario as written".into() } else { values.join(", ") }
    }

    /// The scenario of `point` in `variant`, or of the variant as written (no axis set), with
    /// its warnings (all of them if `advise`).
    fn build(
        &self,
        variant: usize,
        point: Option<usize>,
        advise: bool,
    ) -> Result<(Scenario, Vec<String>), Vec<Problem>> {
        let source = &self.source;
        let values: &[usize] = point.map_or(&[], |p| &self.points[p]);
        let mut document = source.documents[variant].clone();
        for (axis, &v) in self.axes.iter().zip(values) {
            set(&mut document, &axis.path, axis.values[v].clone()).map_err(|e| vec![self.at_axis(axis, e)])?;
        }
        let scenario_locator = Locator::new(&source.scenario_path, &source.scenario_text);
        let sweep_locator = Locator::new(&source.sweep_path, &source.sweep_text);
        let file: file::ScenarioFile = toml::Value::Table(document).try_into().map_err(|e: toml::de::Error| {
            let with = point.map_or("the scenario as written".to_owned(), |p| self.describe(p));
            vec![scenario_locator.at(&KeyPath::root(), format!("with {with}: {}", plain(e.message())))]
        })?;
        let pinned = self
            .axes
            .iter()
            .zip(values)
            .map(|(axis, &v)| Pinned {
                path: axis.path.clone(),
                locator: &sweep_locator,
                at: axis.value_at(v),
                prefix: axis.describe(v),
            })
            .collect();
        let locator = match variant {
            0 => scenario_locator.with_pinned(pinned),
            _ => scenario_locator.for_variant(variant_path(&self.variants[variant])).with_pinned(pinned),
        };
        let translator = translate::Translator::new(&locator, &source.base_dir, &source.data);
        let translator = if advise { translator } else { translator.without_advice() };
        let (mut scenario, warnings) = translator.scenario(file, &source.overrides)?;
        scenario.variant = (variant > 0).then(|| self.variants[variant].clone());
        Ok((scenario, warnings))
    }

    fn at_axis(&self, axis: &Axis, message: String) -> Problem {
        let locator = Locator::new(&self.source.sweep_path, &self.source.sweep_text);
        locator.at(&axis.at.key("key"), message)
    }
}

/// Reads the sweep at `path` — a scenario with a `[sweep]` table, or a sweep file naming its
/// scenario — and builds and checks every point of every variant. `replications` replaces the
/// file's.
pub fn load_sweep(path: &Path, overrides: &Overrides, replications: Option<u32>) -> Result<SweepPlan, ScenarioError> {
    let sweep_text = read(path, "sweep")?;
    let sweep_locator = Locator::new(path, &sweep_text);
    let syntax = |e: toml::de::Error| {
        ScenarioError::single(sweep_locator.at_offset(
            e.span().map_or(0, |s| s.start),
            "",
            e.message().trim_end().to_owned(),
        ))
    };
    let top: Top = toml::from_str(&sweep_text).map_err(syntax)?;
    let whole: toml::Table = toml::from_str(&sweep_text).map_err(syntax)?;
    let root = KeyPath::root();
    let Some(sweep) = top.sweep else {
        return Err(ScenarioError::single(sweep_locator.at(
            &root,
            "`ecsim sweep` reads a scenario with a [sweep] table, or a sweep file with `scenario = \"FILE\"` and a [sweep] table; this file has no [sweep]".into(),
        )));
    };
    let (scenario_path, scenario_text) =
        match &top.scenario {
            Some(scenario) => {
                if let Some(key) = whole.keys().find(|k| !["scenario", "name", "sweep"].contains(&k.as_str())) {
                    let elsewhere = if key == "seed" { "or give it with --seed" } else { "or set it with an axis" };
                    return Err(ScenarioError::single(sweep_locator.at(&root.key(key), format!(
                    "a sweep file has `scenario`, `name` and [sweep]; `{key}` belongs in the scenario ({elsewhere})"
                ))));
                }
                let scenario_path = path.parent().unwrap_or(Path::new(".")).join(scenario);
                let text = read(&scenario_path, "scenario the sweep names")?;
                (scenario_path, text)
            }
            None => (path.to_owned(), sweep_text.clone()),
        };
    let scenario_locator = Locator::new(&scenario_path, &scenario_text);
    let mut document: toml::Table = toml::from_str(&scenario_text).map_err(|e| {
        ScenarioError::single(scenario_locator.at_offset(
            e.span().map_or(0, |s| s.start),
            "",
            e.message().trim_end().to_owned(),
        ))
    })?;
    document.remove("sweep");

    let mut problems = Vec::new();
    let variant_tables = document.remove("variants");
    let mut documents = vec![document.clone()];
    let mut variants = vec!["base".to_owned()];
    if let Some(toml::Value::Table(tables)) = variant_tables {
        for (name, table) in &tables {
            match variant_table(&scenario_locator, name, table) {
                Ok(over) if over.contains_key("seed") => problems.push(scenario_locator.at(
                    &variant_path(name).key("seed"),
                    "a swept variant cannot set `seed`: replication k of every point and variant runs on the same seed (common random numbers)".into(),
                )),
                Ok(over) => {
                    let mut merged = document.clone();
                    merge(&mut merged, over);
                    documents.push(merged);
                    variants.push(name.clone());
                }
                Err(mut more) => problems.append(&mut more),
            }
        }
    }

    let sweep_path = KeyPath::root().key("sweep");
    let replications = match (replications, sweep.replications) {
        (Some(n), _) if (1..=MAX_REPLICATIONS as u32).contains(&n) => Some(n),
        (Some(n), _) => {
            problems.push(sweep_locator.at(&root, format!("--replications {n}: expected 1 to {MAX_REPLICATIONS}")));
            None
        }
        (None, None) => Some(1),
        (None, Some(n)) if (1..=MAX_REPLICATIONS).contains(&n) => Some(n as u32),
        (None, Some(n)) => {
            problems.push(sweep_locator.at(
                &sweep_path.key("replications"),
                format!("found {n}; expected 1 to {MAX_REPLICATIONS} runs of each point"),
            ));
            None
        }
    };
    let mut axes = Vec::new();
    for (i, axis) in sweep.axes.iter().enumerate() {
        match read_axis(&sweep_path.key("axes").index(i), axis, &documents, &variants) {
            Ok(axis) => axes.push(axis),
            Err((at, message)) => problems.push(sweep_locator.at(&at, message)),
        }
    }
    if axes.len() < sweep.axes.len() || !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    for (i, a) in axes.iter().enumerate() {
        if let Some(b) = axes[..i].iter().find(|b| a.path.starts_with(&b.path) || b.path.starts_with(&a.path)) {
            problems.push(sweep_locator.at(
                &a.at.key("key"),
                format!("`{}` overlaps the axis on `{}`; each key is swept by one axis", a.key, b.key),
            ));
        }
    }
    let groups = match zip_groups(&sweep.zip, &axes, &sweep_path) {
        Ok(groups) => groups,
        Err((at, message)) => {
            problems.push(sweep_locator.at(&at, message));
            Vec::new()
        }
    };
    if !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    let replications = replications.expect("checked");
    // Counted before the points are listed: a slip in a range must not fill the memory.
    let count = groups.iter().try_fold(1u64, |n, g| n.checked_mul(axes[g[0]].values.len() as u64));
    let runs = count.and_then(|n| n.checked_mul(variants.len() as u64 * u64::from(replications)));
    if runs.is_none_or(|runs| runs > MAX_RUNS) {
        let points = count.map_or("more than 2^64".to_owned(), |n| n.to_string());
        let runs = runs.map_or("more than 2^64".to_owned(), |n| n.to_string());
        return Err(ScenarioError::single(sweep_locator.at(&sweep_path, format!(
            "{points} points × {} variant(s) × {replications} replication(s) = {runs} runs; a sweep may have at most {MAX_RUNS}",
            variants.len()
        ))));
    }
    let points = product(&groups, &axes);
    // Each axis value alone over each variant: a value of the wrong type is blamed on it, a
    // key the scenario format does not have on the axis's key (once).
    for (v, document) in documents.iter().enumerate() {
        for axis in &axes {
            let mut seen: Vec<String> = Vec::new();
            for (j, value) in axis.values.iter().enumerate() {
                let mut one = document.clone();
                let checked = set(&mut one, &axis.path, value.clone()).and_then(|()| {
                    toml::Value::Table(one).try_into::<file::ScenarioFile>().map(drop).map_err(|e| plain(e.message()))
                });
                let Err(message) = checked else { continue };
                if seen.contains(&message) {
                    continue;
                }
                seen.push(message.clone());
                let variant = if v == 0 { String::new() } else { format!(" (variant {})", variants[v]) };
                let problem = if message.starts_with("unknown key") {
                    sweep_locator.at(&axis.at.key("key"), format!("`{}`{variant}: {message}", axis.key))
                } else {
                    let at = sweep_locator.at(&axis.value_at(j), format!("{}{variant}: {message}", axis.describe(j)));
                    Problem { key: String::new(), ..at }
                };
                problems.push(problem);
                if message.starts_with("unknown key") {
                    break;
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError { problems: deduplicated(problems) });
    }

    // Over what the files say, not how they are written: an edited comment changes nothing.
    let canonical = |table: &toml::Table| toml::to_string(table).unwrap_or_default();
    let fingerprint = stable_hash(
        format!(
            "{}\0{}\0{overrides:?}\0{replications}\0{}",
            canonical(&whole),
            documents.iter().map(canonical).collect::<Vec<_>>().join("\0"),
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    );
    let name = match (&top.scenario, top.name) {
        (Some(_), Some(name)) if super::folder_name_ok(&name) => name,
        (Some(_), Some(name)) => {
            return Err(ScenarioError::single(sweep_locator.at(
                &root.key("name"),
                format!("found \"{name}\"; a name is letters, digits, '-', '_' and '.', as it names the output folder"),
            )));
        }
        _ => String::new(),
    };
    let zip = groups.iter().filter(|g| g.len() > 1).map(|g| g.iter().map(|&a| axes[a].key.clone()).collect()).collect();
    let mut plan = SweepPlan {
        name,
        scenario: String::new(),
        zip,
        seed: 0,
        replications,
        axes,
        variants,
        points,
        providers: Vec::new(),
        warnings: Vec::new(),
        fingerprint,
        source: Source {
            base_dir: scenario_path.parent().unwrap_or(Path::new(".")).to_owned(),
            scenario_path,
            scenario_text,
            sweep_path: path.to_owned(),
            sweep_text,
            overrides: overrides.clone(),
            documents,
            data: DataCache::default(),
        },
    };
    check_every_point(&mut plan)?;
    // The data files the points read count too: a changed trace is another sweep.
    let digest = plan.source.data.digest();
    plan.fingerprint = stable_hash(format!("{:016x}{digest:016x}", plan.fingerprint).as_bytes());
    Ok(plan)
}

/// Builds every point of every variant once: the problems (each once; one the scenario as
/// written does not have names the point it first showed in), the warnings, the seed, the
/// providers.
fn check_every_point(plan: &mut SweepPlan) -> Result<(), ScenarioError> {
    let mut problems: Vec<(Problem, usize, (usize, usize))> = Vec::new();
    let mut warnings = Vec::new();
    let mut providers: Vec<String> = Vec::new();
    let mut first: Option<Scenario> = None;
    for variant in 0..plan.variants.len() {
        for point in 0..plan.points.len() {
            match plan.build(variant, Some(point), true) {
                Ok((scenario, more)) => {
                    for warning in more {
                        if !warnings.contains(&warning) {
                            warnings.push(warning);
                        }
                    }
                    for provider in &scenario.providers {
                        if !providers.contains(&provider.name) {
                            providers.push(provider.name.clone());
                        }
                    }
                    first.get_or_insert(scenario);
                }
                Err(found) => {
                    for problem in found {
                        match problems.iter_mut().find(|(p, _, _)| *p == problem) {
                            Some((_, count, _)) => *count += 1,
                            None => problems.push((problem, 1, (variant, point))),
                        }
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        let as_written: Vec<Vec<Problem>> =
            (0..plan.variants.len()).map(|v| plan.build(v, None, false).err().unwrap_or_default()).collect();
        let problems = problems
            .into_iter()
            .map(|(mut problem, count, (variant, point))| {
                if !problem.key.is_empty() && !as_written[variant].contains(&problem) {
                    let variant =
                        if variant == 0 { String::new() } else { format!(", variant {}", plan.variants[variant]) };
                    let others = if count > 1 { format!(", and {} more point(s)", count - 1) } else { String::new() };
                    problem.message = format!(
                        "{} (at sweep point {point}: {}{variant}{others})",
                        problem.message,
                        plan.describe(point)
                    );
                }
                problem
            })
            .collect();
        return Err(ScenarioError { problems });
    }
    let first = first.expect("a sweep has a point");
    plan.seed = first.seed;
    if plan.name.is_empty() {
        plan.name = first.name.clone();
    }
    plan.scenario = first.name;
    plan.warnings = warnings;
    plan.providers = providers;
    Ok(())
}

/// A deserializer's message in the words of the scenario docs.
fn plain(message: &str) -> String {
    super::error::serde_in_words(message.trim())
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
}

fn deduplicated(problems: Vec<Problem>) -> Vec<Problem> {
    let mut kept: Vec<Problem> = Vec::new();
    for problem in problems {
        if !kept.contains(&problem) {
            kept.push(problem);
        }
    }
    kept
}

type Located = (KeyPath, String);

fn read_axis(at: &KeyPath, axis: &AxisFile, documents: &[toml::Table], variants: &[String]) -> Result<Axis, Located> {
    let path = KeyPath::parse(&axis.key).map_err(|e| (at.key("key"), e))?;
    let Some(Segment::Key(top)) = path.segments().first() else { unreachable!("a parsed path starts with a key") };
    if FIXED_KEYS.contains(&top.as_str()) {
        let why = if top == "seed" { "replications vary it" } else { "it names the scenario or its parts" };
        return Err((at.key("key"), format!("an axis cannot set `{top}`: {why}")));
    }
    // Every variant is swept, so the key's place must be in each.
    for (document, variant) in documents.iter().zip(variants) {
        check_parents(document, &path).map_err(|e| {
            let whose = if documents.len() > 1 { format!(" (in variant {variant})") } else { String::new() };
            (at.key("key"), format!("{e}{whose}"))
        })?;
    }
    let (values, ranged) = match (&axis.values, &axis.from, &axis.to, &axis.step) {
        (Some(values), None, None, None) if !values.is_empty() => (values.clone(), false),
        (Some(_), None, None, None) => return Err((at.key("values"), "found no values; expected at least one".into())),
        (None, Some(from), Some(to), Some(step)) => (range(from, to, step).map_err(|e| (at.clone(), e))?, true),
        _ => {
            return Err((
                at.clone(),
                "an axis has `key` and either `values = [...]` or all of `from`, `to` and `step`".into(),
            ));
        }
    };
    if values.len() > MAX_VALUES {
        return Err((at.clone(), format!("{} values; an axis may have at most {MAX_VALUES}", values.len())));
    }
    let labels = match &axis.labels {
        Some(labels) if labels.len() == values.len() => labels.clone(),
        Some(labels) => {
            return Err((
                at.key("labels"),
                format!("found {} labels for {} values; expected one label per value", labels.len(), values.len()),
            ));
        }
        None => values.iter().map(label).collect(),
    };
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() || label.chars().any(char::is_control) {
            return Err((
                at.key("labels").index(i),
                "a value's label (the value as TOML writes it, unless `labels` names it) is one line, not empty".into(),
            ));
        }
        if labels[..i].contains(label) || values[..i].contains(&values[i]) {
            let what = if values[..i].contains(&values[i]) { "value" } else { "label" };
            return Err((at.clone(), format!("the {what} {label} comes twice; each point of an axis is given once")));
        }
    }
    Ok(Axis { key: path.to_string(), labels, path, values, at: at.clone(), ranged })
}

/// A value as the outputs show it: a string as it is, anything else as TOML writes it.
fn label(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Every table on the way to the axis's key must be in the scenario (an axis sets one key; it
/// does not invent a service or a policy), and every list item it names.
fn check_parents(document: &toml::Table, path: &KeyPath) -> Result<(), String> {
    let segments = path.segments();
    let mut walked = KeyPath::root();
    // The value reached so far; `None` at the top of the document.
    let mut value: Option<&toml::Value> = None;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let next = match (segment, value) {
            (Segment::Key(key), None) if !last => document.get(key).ok_or_else(|| missing(&walked, key, document))?,
            (Segment::Key(key), Some(toml::Value::Table(table))) if !last => {
                table.get(key).ok_or_else(|| missing(&walked, key, table))?
            }
            (Segment::Key(_), None | Some(toml::Value::Table(_))) => return Ok(()),
            (Segment::Key(_), Some(_)) => {
                return Err(format!("`{walked}` is a single value in the scenario, not a table with keys"));
            }
            (Segment::Index(index), Some(toml::Value::Array(items))) => items.get(*index).ok_or_else(|| {
                format!("`{walked}` has {} item(s) in the scenario; there is no [{index}]", items.len())
            })?,
            (Segment::Index(index), _) => return Err(format!("`{walked}` is not a list, so it has no item [{index}]")),
        };
        walked = match segment {
            Segment::Key(key) => walked.key(key),
            Segment::Index(index) => walked.index(*index),
        };
        value = Some(next);
    }
    Ok(())
}

fn missing(walked: &KeyPath, key: &str, table: &toml::Table) -> String {
    let place = if walked.segments().is_empty() { "the scenario".to_owned() } else { format!("`{walked}`") };
    let known: Vec<&str> = table.keys().map(String::as_str).collect();
    format!("{place} has no `{key}` (it has: {}); an axis sets a key inside tables the scenario has", known.join(", "))
}

/// Sets `path` in `document` to `value`.
fn set(document: &mut toml::Table, path: &KeyPath, value: toml::Value) -> Result<(), String> {
    let mut root = toml::Value::Table(std::mem::take(document));
    let result = set_in(&mut root, path.segments(), value);
    if let toml::Value::Table(table) = root {
        *document = table;
    }
    result
}

fn set_in(here: &mut toml::Value, segments: &[Segment], value: toml::Value) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        *here = value;
        return Ok(());
    };
    let next = match (first, here) {
        (Segment::Key(key), toml::Value::Table(table)) if rest.is_empty() => {
            table.insert(key.clone(), value);
            return Ok(());
        }
        (Segment::Key(key), toml::Value::Table(table)) => table.get_mut(key),
        (Segment::Index(index), toml::Value::Array(items)) => items.get_mut(*index),
        _ => None,
    };
    set_in(next.ok_or("the key's place is not in the scenario")?, rest, value)
}

/// The values of a numeric range, `from` to `to` inclusive by `step`: integers if all three
/// are, else decimals rounded to the places `from` and `step` are written with.
fn range(from: &toml::Value, to: &toml::Value, step: &toml::Value) -> Result<Vec<toml::Value>, String> {
    if let (toml::Value::Integer(from), toml::Value::Integer(to), toml::Value::Integer(step)) = (from, to, step) {
        if *step <= 0 || to < from {
            return Err(format!("from {from} to {to} by {step}: expected a step above 0 and `to` ≥ `from`"));
        }
        let count = (i128::from(*to) - i128::from(*from)) / i128::from(*step) + 1;
        if count > MAX_VALUES as i128 {
            return Err(format!(
                "from {from} to {to} by {step} is {count} values; an axis may have at most {MAX_VALUES}"
            ));
        }
        return Ok((0..count as i64).map(|j| toml::Value::Integer(from + j * step)).collect());
    }
    let number = |v: &toml::Value| match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    };
    let (Some(low), Some(high), Some(by)) = (number(from), number(to), number(step)) else {
        return Err("`from`, `to` and `step` are finite numbers".into());
    };
    if by <= 0.0 || high < low {
        return Err(format!("from {low} to {high} by {by}: expected a step above 0 and `to` ≥ `from`"));
    }
    let count = ((high - low) / by + 1e-9).floor() + 1.0;
    if !count.is_finite() || count > MAX_VALUES as f64 {
        return Err(format!(
            "from {low} to {high} by {by} is more than {MAX_VALUES} values; an axis may have at most {MAX_VALUES}"
        ));
    }
    let places = decimal_places(low).max(decimal_places(by));
    let scale = 10f64.powi(places as i32);
    Ok((0..count as u32).map(|j| toml::Value::Float(((low + f64::from(j) * by) * scale).round() / scale)).collect())
}

/// The digits after the point in the shortest text of `x` (Rust writes an `f64` without an
/// exponent), at most 12: a finer step gives values that repeat, which an axis refuses.
fn decimal_places(x: f64) -> usize {
    x.to_string().split_once('.').map_or(0, |(_, decimals)| decimals.len().min(12))
}

/// The axes in groups that move together: each `zip` list, and every other axis alone, in the
/// order of their first axis.
fn zip_groups(zip: &[Vec<String>], axes: &[Axis], sweep: &KeyPath) -> Result<Vec<Vec<usize>>, Located> {
    let mut group_of: Vec<Option<usize>> = vec![None; axes.len()];
    for (g, keys) in zip.iter().enumerate() {
        let at = sweep.key("zip").index(g);
        if keys.len() < 2 {
            return Err((at, "a zip list names two or more axes that move together".into()));
        }
        let mut members = Vec::new();
        for (k, key) in keys.iter().enumerate() {
            let path = KeyPath::parse(key).map_err(|e| (at.index(k), e))?;
            let axis = axes.iter().position(|a| a.path == path).ok_or_else(|| {
                (at.index(k), format!("`{key}` is not the key of an axis; zip pairs axes listed in `axes`"))
            })?;
            if group_of[axis].is_some() {
                return Err((at.index(k), format!("`{key}` is already zipped; an axis moves with one group")));
            }
            let (first, count) = (&axes[members.first().copied().unwrap_or(axis)], axes[axis].values.len());
            if count != first.values.len() {
                return Err((
                    at.index(k),
                    format!(
                        "`{key}` has {count} values and `{}` has {}; zipped axes move together, so they have as many",
                        first.key,
                        first.values.len()
                    ),
                ));
            }
            group_of[axis] = Some(g);
            members.push(axis);
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut placed: Vec<(usize, usize)> = Vec::new();
    for (axis, group) in group_of.iter().enumerate() {
        match group.and_then(|g| placed.iter().find(|(zg, _)| *zg == g)) {
            Some(&(_, index)) => groups[index].push(axis),
            None => {
                if let Some(g) = group {
                    placed.push((*g, groups.len()));
                }
                groups.push(vec![axis]);
            }
        }
    }
    Ok(groups)
}

/// The points: every combination of one position per group, the first group changing
/// slowest; a group's axes all take their value at that position.
fn product(groups: &[Vec<usize>], axes: &[Axis]) -> Vec<Vec<usize>> {
    let sizes: Vec<usize> = groups.iter().map(|g| axes[g[0]].values.len()).collect();
    let total: usize = sizes.iter().product();
    (0..total)
        .map(|mut n| {
            let mut point = vec![0; axes.len()];
            for (group, &size) in groups.iter().zip(&sizes).rev() {
                for &axis in group {
                    point[axis] = n % size;
                }
                n /= size;
            }
            point
        })
        .collect()
}

#[cfg(test)]
mod tests;
