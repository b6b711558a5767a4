//! A sweep's files.
//!
//! - `sweep.json`: what was swept (axes, variants, replications, seed, the shard) and a
//!   fingerprint that tells this sweep's files from another's.
//! - `runs.csv`: one row per run, appended and flushed as runs finish, in run order. While the
//!   sweep goes it is `runs.csv.partial`; `--resume` reads it back and goes on from its last
//!   whole row, so an interrupted sweep ends with the bytes of one that never stopped.
//! - `points.csv`: per point, every figure's mean, standard deviation and 95 % interval.
//! - `pareto.csv`: the points no other point beats on both mean cost and mean unserved share.
//!
//! [`merge`] joins shards' folders into exactly the files one machine would have written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::write_file;
use super::compare::{ComparisonRow, row as comparison_row};
use super::summary::Summary;
use crate::batch::best::{Goal, Judgement};
use indexmap::IndexMap;

use crate::stats::{Accumulator, Estimate, pareto_front};

/// Hours in a month as AWS's pricing pages and Pricing Calculator count them (730 h).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The figures of a run a sweep keeps, in their column order; `cost_usd[NAME]` columns for
/// each capacity come after `cost_per_month_usd`.
const FIGURES_BEFORE_CAPACITIES: [&str; 2] = ["cost_usd", "cost_per_month_usd"];
const FIGURES_AFTER_CAPACITIES: [&str; 18] = [
    "ec2_cost_usd",
    "ec2_idle_cost_usd",
    "cost_per_million_served_usd",
    "requests_offered",
    "requests_served",
    "requests_unserved",
    "unserved_share",
    "unserved_while_replacing_spot_tasks",
    "average_tasks",
    "peak_tasks",
    "average_instances",
    "peak_instances",
    "spot_interruptions",
    "scale_outs",
    "scale_ins",
    "underprovisioned_tick_share",
    "placement_failures",
    "tasks_launched",
];

/// The figure names of a sweep whose points have these Auto Scaling group providers.
pub fn figure_names(providers: &[String]) -> Vec<String> {
    let capacities = ["FARGATE", "FARGATE_SPOT"].into_iter().map(String::from).chain(providers.iter().cloned());
    FIGURES_BEFORE_CAPACITIES
        .into_iter()
        .map(String::from)
        .chain(capacities.map(|c| format!("cost_usd[{c}]")))
        .chain(FIGURES_AFTER_CAPACITIES.into_iter().map(String::from))
        .collect()
}

/// Whether `name` is a figure a sweep records (for `--best` and `--minimize`).
pub fn is_figure(name: &str) -> bool {
    FIGURES_BEFORE_CAPACITIES.contains(&name)
        || FIGURES_AFTER_CAPACITIES.contains(&name)
        || (name.starts_with("cost_usd[") && name.ends_with(']'))
}

/// Every figure a sweep records (the `cost_usd[NAME]` columns named by their pattern).
pub fn figure_list() -> String {
    let mut names: Vec<&str> = FIGURES_BEFORE_CAPACITIES.to_vec();
    names.push("cost_usd[CAPACITY]");
    names.extend(FIGURES_AFTER_CAPACITIES);
    names.join(", ")
}

/// The value of each figure in `names` for a run's summary.
pub fn figures(summary: &Summary, names: &[String]) -> Vec<Option<f64>> {
    let row = comparison_row("", summary);
    names.iter().map(|name| figure(summary, &row, name)).collect()
}

fn figure(s: &Summary, row: &ComparisonRow, name: &str) -> Option<f64> {
    let hours = s.duration_s / 3600.0;
    Some(match name {
        "cost_usd" => s.total.cost_usd,
        "cost_per_month_usd" => s.total.cost_usd * HOURS_PER_MONTH / hours,
        "ec2_cost_usd" => row.ec2_cost_usd,
        "ec2_idle_cost_usd" => row.ec2_idle_cost_usd,
        "cost_per_million_served_usd" => return row.cost_per_million_served_usd,
        "requests_offered" => s.total.requests_offered,
        "requests_served" => s.total.requests_served,
        "requests_unserved" => s.total.requests_unserved,
        "unserved_share" => s.total.unserved_share,
        "unserved_while_replacing_spot_tasks" => s.total.unserved_while_replacing_spot_tasks,
        "average_tasks" => row.average_tasks,
        "peak_tasks" => f64::from(row.peak_tasks?),
        "average_instances" => row.average_instances,
        "peak_instances" => f64::from(row.peak_instances),
        "spot_interruptions" => f64::from(row.spot_interruptions),
        "scale_outs" => f64::from(s.total.scale_outs),
        "scale_ins" => f64::from(s.total.scale_ins),
        "underprovisioned_tick_share" => s.total.underprovisioned_tick_share,
        "placement_failures" => s.total.placement_failures as f64,
        "tasks_launched" => s.total.tasks_launched as f64,
        _ => {
            let capacity = name.strip_prefix("cost_usd[")?.strip_suffix(']')?;
            row.by_capacity.iter().find(|(c, _)| c == capacity).map_or(0.0, |(_, cost)| *cost)
        }
    })
}

/// One run of a sweep: which it was, and its figures or why it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// The run's place in the sweep's order: rows are written and merged in this order.
    pub run: u64,
    pub point: usize,
    pub variant: String,
    /// The point's value on each axis, as the outputs show it.
    pub axes: Vec<String>,
    pub replication: u64,
    pub seed: u64,
    pub result: Result<Vec<Option<f64>>, String>,
}

/// The columns of a sweep's CSV files: its axes' keys and its figures' names.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    pub axes: Vec<String>,
    pub figures: Vec<String>,
}

const RUN_KEYS: [&str; 3] = ["run", "point", "variant"];
const RUN_MIDDLE: [&str; 4] = ["replication", "seed", "status", "error"];

impl Columns {
    fn runs_header(&self) -> Vec<String> {
        let mut header: Vec<String> = RUN_KEYS.map(String::from).to_vec();
        header.extend(self.axes.iter().cloned());
        header.extend(RUN_MIDDLE.map(String::from));
        header.extend(self.figures.iter().cloned());
        header
    }

    /// The columns a `runs.csv` header names.
    fn from_runs_header(header: &[String]) -> Option<Columns> {
        let start = RUN_KEYS.len();
        if header.len() < start + RUN_MIDDLE.len() || header[..start] != RUN_KEYS {
            return None;
        }
        let middle = header.iter().position(|h| h == RUN_MIDDLE[0])?;
        if header.get(middle..middle + RUN_MIDDLE.len())? != RUN_MIDDLE {
            return None;
        }
        Some(Columns { axes: header[start..middle].to_vec(), figures: header[middle + RUN_MIDDLE.len()..].to_vec() })
    }

    fn points_header(&self) -> Vec<String> {
        let mut header: Vec<String> = ["point", "variant"].map(String::from).to_vec();
        header.extend(self.axes.iter().cloned());
        header.extend(["runs", "failed"].map(String::from));
        for figure in &self.figures {
            header.extend(["mean", "sd", "ci_low", "ci_high"].map(|stat| format!("{figure}_{stat}")));
        }
        header
    }

    pub fn figure(&self, name: &str) -> Option<usize> {
        self.figures.iter().position(|f| f == name)
    }
}

/// A number in the outputs: the shortest text that reads back as the same `f64`, so a
/// resumed or merged sweep computes from exactly the values a whole one held.
fn number(value: f64) -> String {
    value.to_string()
}

fn optional(value: Option<f64>) -> String {
    value.map_or(String::new(), number)
}

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(fields).expect("CSV into memory");
    writer.into_inner().expect("CSV into memory")
}

impl RunRow {
    /// The row's fields under a header with `figures` figure columns.
    fn fields(&self, figures: usize) -> Vec<String> {
        let mut fields = vec![self.run.to_string(), self.point.to_string(), self.variant.clone()];
        fields.extend(self.axes.iter().cloned());
        fields.extend([self.replication.to_string(), self.seed.to_string()]);
        match &self.result {
            Ok(values) => {
                fields.extend(["ok".to_owned(), String::new()]);
                fields.extend(values.iter().map(|v| optional(*v)));
            }
            Err(error) => {
                fields.extend(["failed".to_owned(), error.clone()]);
                fields.extend(std::iter::repeat_n(String::new(), figures));
            }
        }
        fields
    }

    fn parse(record: &csv::StringRecord, columns: &Columns) -> Result<RunRow, String> {
        let field = |i: usize| record.get(i).unwrap_or("");
        let int = |i: usize, what: &str| {
            field(i).parse::<u64>().map_err(|_| format!("{what} \"{}\" is not a whole number", field(i)))
        };
        let axes_end = RUN_KEYS.len() + columns.axes.len();
        let figures_start = axes_end + RUN_MIDDLE.len();
        if record.len() != figures_start + columns.figures.len() {
            return Err(format!("{} fields, the header has {}", record.len(), figures_start + columns.figures.len()));
        }
        let result = match field(axes_end + 2) {
            "ok" => (figures_start..record.len())
                .map(|i| match field(i) {
                    "" => Ok(None),
                    text => text.parse::<f64>().map(Some).map_err(|_| format!("\"{text}\" is not a number")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Ok)?,
            "failed" => Err(field(axes_end + 3).to_owned()),
            other => return Err(format!("status \"{other}\"; expected ok or failed")),
        };
        Ok(RunRow {
            run: int(0, "run")?,
            point: int(1, "point")? as usize,
            variant: field(2).to_owned(),
            axes: (RUN_KEYS.len()..axes_end).map(|i| field(i).to_owned()).collect(),
            replication: int(axes_end, "replication")?,
            seed: int(axes_end + 1, "seed")?,
            result,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepFileError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SweepFileError + '_ {
    move |source| SweepFileError::Io { path: path.display().to_string(), source }
}

fn bad(path: &Path, message: impl Into<String>) -> SweepFileError {
    SweepFileError::Bad { path: path.display().to_string(), message: message.into() }
}

/// `runs.csv` while the sweep goes: rows appended whole, one write each.
pub struct RunsJournal {
    file: File,
    figures: usize,
    partial: PathBuf,
    done: PathBuf,
}

pub const RUNS: &str = "runs.csv";
const RUNS_PARTIAL: &str = "runs.csv.partial";
pub const POINTS: &str = "points.csv";
pub const PARETO: &str = "pareto.csv";
pub const SWEEP: &str = "sweep.json";

impl RunsJournal {
    /// Starts `runs.csv` in `dir` afresh (results of an earlier sweep there are removed), or,
    /// with `resume`, goes on from what an earlier start of the same sweep wrote: the rows it
    /// finished, which are returned.
    pub fn open(dir: &Path, columns: &Columns, resume: bool) -> Result<(RunsJournal, Vec<RunRow>), SweepFileError> {
        let partial = dir.join(RUNS_PARTIAL);
        let done = dir.join(RUNS);
        let header = csv_line(&columns.runs_header());
        if resume && !partial.exists() && done.exists() {
            fs::rename(&done, &partial).map_err(io_error(&done))?;
        }
        if resume && partial.exists() {
            let text = fs::read(&partial).map_err(io_error(&partial))?;
            // A row cut short by a kill is dropped; the run is made again.
            let whole = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            if !text[..whole].starts_with(&header) {
                return Err(bad(
                    &partial,
                    "its header is not this sweep's columns; run without --resume to start again",
                ));
            }
            let rows = read_rows(&partial, &text[header.len()..whole], columns)?;
            let file = OpenOptions::new().append(true).open(&partial).map_err(io_error(&partial))?;
            file.set_len(whole as u64).map_err(io_error(&partial))?;
            let journal = RunsJournal { file, figures: columns.figures.len(), partial, done };
            return Ok((journal, rows));
        }
        for stale in [&done, &dir.join(POINTS), &dir.join(PARETO)] {
            match fs::remove_file(stale) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(stale)(e)),
                _ => {}
            }
        }
        let mut file = File::create(&partial).map_err(io_error(&partial))?;
        file.write_all(&header).map_err(io_error(&partial))?;
        Ok((RunsJournal { file, figures: columns.figures.len(), partial, done }, Vec::new()))
    }

    pub fn append(&mut self, row: &RunRow) -> Result<(), SweepFileError> {
        self.file.write_all(&csv_line(&row.fields(self.figures))).map_err(io_error(&self.partial))
    }

    /// Flushes the rows to disk and gives the file its final name.
    pub fn finish(self) -> Result<(), SweepFileError> {
        self.file.sync_all().map_err(io_error(&self.partial))?;
        fs::rename(&self.partial, &self.done).map_err(io_error(&self.done))
    }
}

fn read_rows(path: &Path, body: &[u8], columns: &Columns) -> Result<Vec<RunRow>, SweepFileError> {
    let reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    RunsReader { path: path.to_owned(), columns: columns.clone(), records: reader.into_records(), line: 1 }.collect()
}

/// The rows of a finished `runs.csv`, read one at a time.
pub struct RunsReader<R: io::Read> {
    path: PathBuf,
    pub columns: Columns,
    records: csv::StringRecordsIntoIter<R>,
    line: usize,
}

impl RunsReader<File> {
    pub fn open(path: &Path) -> Result<Self, SweepFileError> {
        let file = File::open(path).map_err(io_error(path))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(file);
        let header: Vec<String> = match reader.records().next() {
            Some(Ok(record)) => record.iter().map(String::from).collect(),
            _ => return Err(bad(path, "it has no header; is it an ecsim sweep's runs.csv?")),
        };
        let columns = Columns::from_runs_header(&header)
            .ok_or_else(|| bad(path, "its header is not a sweep's runs.csv header"))?;
        Ok(RunsReader { path: path.to_owned(), columns, records: reader.into_records(), line: 1 })
    }
}

impl<R: io::Read> Iterator for RunsReader<R> {
    type Item = Result<RunRow, SweepFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        self.line += 1;
        let line = self.line;
        Some(
            record.map_err(|e| bad(&self.path, format!("line {line}: {e}"))).and_then(|r| {
                RunRow::parse(&r, &self.columns).map_err(|e| bad(&self.path, format!("line {line}: {e}")))
            }),
        )
    }
}

/// What the runs of one point say: its figures' estimates over the runs that finished.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSummary {
    pub point: usize,
    pub variant: String,
    pub axes: Vec<String>,
    pub runs: usize,
    pub failed: usize,
    /// Per figure; `None` where no run had a value.
    pub estimates: Vec<Option<Estimate>>,
}

/// A sweep's rows as they come, summed point by point — the rows themselves are not kept, so
/// memory does not grow with the runs; only the failed ones stay, for their messages.
#[derive(Default)]
pub struct Tally {
    points: IndexMap<(String, usize), PointTally>,
    /// Rows added.
    pub runs: usize,
    pub failed: Vec<RunRow>,
}

struct PointTally {
    axes: Vec<String>,
    rows: u64,
    ok: usize,
    figures: Vec<Accumulator>,
}

impl Tally {
    /// Adds a row; rows come in run order, so the estimates are the same however they came.
    pub fn add(&mut self, row: RunRow) {
        self.runs += 1;
        let point = self.points.entry((row.variant.clone(), row.point)).or_insert_with(|| PointTally {
            axes: row.axes.clone(),
            rows: 0,
            ok: 0,
            figures: Vec::new(),
        });
        point.rows += 1;
        match &row.result {
            Ok(values) => {
                point.ok += 1;
                point.figures.resize(values.len(), Accumulator::default());
                for (accumulator, value) in point.figures.iter_mut().zip(values) {
                    if let Some(value) = value {
                        accumulator.push(*value);
                    }
                }
            }
            Err(_) => self.failed.push(row),
        }
    }

    /// The rows a point has so far, finished or failed: its next replication's number.
    pub fn rows_of(&self, variant: &str, point: usize) -> u64 {
        self.points.get(&(variant.to_owned(), point)).map_or(0, |p| p.rows)
    }

    /// The points, in the order their first rows came, each with `figures` estimates.
    pub fn points(&self, figures: usize) -> Vec<PointSummary> {
        self.points
            .iter()
            .map(|((variant, point), tally)| PointSummary {
                point: *point,
                variant: variant.clone(),
                axes: tally.axes.clone(),
                runs: tally.ok,
                failed: tally.rows as usize - tally.ok,
                estimates: (0..figures).map(|f| tally.figures.get(f).and_then(Accumulator::estimate)).collect(),
            })
            .collect()
    }
}

impl PointSummary {
    fn fields(&self) -> Vec<String> {
        let mut fields = vec![self.point.to_string(), self.variant.clone()];
        fields.extend(self.axes.iter().cloned());
        fields.extend([self.runs.to_string(), self.failed.to_string()]);
        for estimate in &self.estimates {
            let interval = estimate.and_then(|e| e.interval);
            fields.extend([
                optional(estimate.map(|e| e.mean)),
                optional(estimate.and_then(|e| e.sd)),
                optional(interval.map(|i| i.0)),
                optional(interval.map(|i| i.1)),
            ]);
        }
        fields
    }

    pub fn mean(&self, figure: usize) -> Option<f64> {
        self.estimates[figure].map(|e| e.mean)
    }
}

/// The points on the cost × unserved-share front (by their means), cheapest first.
pub fn pareto(points: &[PointSummary], columns: &Columns) -> Vec<usize> {
    let (Some(cost), Some(unserved)) = (columns.figure("cost_usd"), columns.figure("unserved_share")) else {
        return Vec::new();
    };
    let candidates: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].mean(cost).is_some() && points[i].mean(unserved).is_some()).collect();
    let pairs: Vec<(f64, f64)> = candidates
        .iter()
        .map(|&i| (points[i].mean(cost).unwrap_or(0.0), points[i].mean(unserved).unwrap_or(0.0)))
        .collect();
    let mut front: Vec<usize> = pareto_front(&pairs).into_iter().map(|i| candidates[i]).collect();
    front
        .sort_by(|&a, &b| points[a].mean(cost).partial_cmp(&points[b].mean(cost)).unwrap_or(std::cmp::Ordering::Equal));
    front
}

/// Writes `points.csv` and `pareto.csv` into `dir`, each whole or not at all.
pub fn write_points(dir: &Path, columns: &Columns, points: &[PointSummary]) -> Result<(), SweepFileError> {
    let header = csv_line(&columns.points_header());
    let mut all = header.clone();
    for point in points {
        all.extend(csv_line(&point.fields()));
    }
    let mut front = header;
    for &i in &pareto(points, columns) {
        front.extend(csv_line(&points[i].fields()));
    }
    write_file(&dir.join(POINTS), &all).map_err(io_error(&dir.join(POINTS)))?;
    write_file(&dir.join(PARETO), &front).map_err(io_error(&dir.join(PARETO)))
}

/// `sweep.json`: what was swept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub ecsim_version: String,
    pub scenario: String,
    /// Hex of the plan's fingerprint: files, settings and plan.
    pub fingerprint: String,
    pub seed: u64,
    pub replications: u32,
    /// The rule replication seeds follow.
    pub seeds: String,
    pub axes: Vec<AxisRecord>,
    pub variants: Vec<String>,
    pub points: usize,
    /// Runs in the sweep's plan (before `--precision` adds any), over all shards.
    pub runs: u64,
    pub shard: Option<ShardRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisRecord {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
}

fn json(record: &SweepRecord) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(record).expect("plain data serializes");
    bytes.push(b'\n');
    bytes
}

/// Writes `sweep.json`; with `resume`, an existing one must be the same sweep's.
pub fn write_record(dir: &Path, record: &SweepRecord, resume: bool) -> Result<(), SweepFileError> {
    let path = dir.join(SWEEP);
    if resume
        && let Ok(existing) = read_record(&path)
        && existing != *record
    {
        return Err(bad(
            &path,
            "it was written by another sweep (other files, settings or shard); run without --resume to start again",
        ));
    }
    write_file(&path, &json(record)).map_err(io_error(&path))
}

fn read_record(path: &Path) -> Result<SweepRecord, SweepFileError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    serde_json::from_str(&text).map_err(|e| bad(path, format!("not an ecsim sweep.json: {e}")))
}

/// The shard folders of `dirs`: each one itself if it holds a `sweep.json`, else its
/// `shard-*` subfolders.
fn shard_folders(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, SweepFileError> {
    let mut folders = Vec::new();
    for dir in dirs {
        if dir.join(SWEEP).exists() {
            folders.push(dir.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io_error(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("shard-")) && p.join(SWEEP).exists()
            })
            .collect();
        if found.is_empty() {
            return Err(bad(dir, "has no sweep.json and no shard-* folders with one; is it a sweep shard's folder?"));
        }
        found.sort();
        folders.extend(found);
    }
    Ok(folders)
}

/// What `merge` put together.
pub struct Merged {
    pub columns: Columns,
    pub points: Vec<PointSummary>,
    pub runs: usize,
    pub failed: Vec<RunRow>,
}

/// Joins the shards in `dirs` into `out`: `sweep.json`, `runs.csv`, `points.csv` and
/// `pareto.csv` with the bytes one machine running the whole sweep writes. Every shard of the
/// sweep must be there, once, and finished. Run `r` is the `r div N`-th row of shard `r mod N`,
/// so the shards' rows are read in step, one at a time.
pub fn merge(out: &Path, dirs: &[PathBuf]) -> Result<Merged, SweepFileError> {
    let folders = shard_folders(dirs)?;
    let mut first: Option<(SweepRecord, PathBuf)> = None;
    let mut shards: Vec<Option<PathBuf>> = Vec::new();
    for folder in &folders {
        let path = folder.join(SWEEP);
        let record = read_record(&path)?;
        let Some(shard) = record.shard else {
            return Err(bad(&path, "is a whole sweep, not a shard; there is nothing to merge"));
        };
        let whole = SweepRecord { shard: None, ..record };
        match &first {
            None => {
                shards = vec![None; shard.count as usize];
                first = Some((whole, folder.clone()));
            }
            Some((expected, from)) if *expected != whole || shards.len() != shard.count as usize => {
                return Err(bad(&path, format!("is not a shard of the same sweep as {}", from.display())));
            }
            Some(_) => {}
        }
        if let Some(earlier) = &shards[shard.index as usize] {
            return Err(bad(
                &path,
                format!("shard {} of {} is also in {}", shard.index, shard.count, earlier.display()),
            ));
        }
        if !folder.join(RUNS).exists() {
            return Err(bad(
                folder,
                format!(
                    "shard {} of {} has not finished (no runs.csv): run it again with --resume",
                    shard.index, shard.count
                ),
            ));
        }
        shards[shard.index as usize] = Some(folder.clone());
    }
    let (record, _) = first.ok_or_else(|| bad(out, "no shard folders given"))?;
    let missing: Vec<String> =
        shards.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(bad(
            out,
            format!(
                "shard(s) {} of {} are missing: merge needs every shard's folder",
                missing.join(", "),
                shards.len()
            ),
        ));
    }
    let mut readers = shards
        .iter()
        .map(|folder| RunsReader::open(&folder.as_ref().expect("none missing").join(RUNS)))
        .collect::<Result<Vec<_>, _>>()?;
    let columns = readers[0].columns.clone();
    if let Some(other) = readers.iter().find(|r| r.columns != columns) {
        return Err(bad(&other.path, "its columns differ from the other shards'"));
    }
    fs::create_dir_all(out).map_err(io_error(out))?;
    let runs_path = out.join(RUNS);
    let mut runs = super::atomic::AtomicFile::create(&runs_path).map_err(io_error(&runs_path))?;
    runs.write_all(&csv_line(&columns.runs_header())).map_err(io_error(&runs_path))?;
    let mut tally = Tally::default();
    let count = readers.len() as u64;
    for run in 0..record.runs {
        let reader = &mut readers[(run % count) as usize];
        let row = match reader.next() {
            Some(row) => row?,
            None => return Err(bad(&reader.path, format!("ends before run {run}: it is not its shard's whole share"))),
        };
        if row.run != run {
            return Err(bad(&reader.path, format!("holds run {} where run {run} belongs", row.run)));
        }
        runs.write_all(&csv_line(&row.fields(columns.figures.len()))).map_err(io_error(&runs_path))?;
        tally.add(row);
    }
    if let Some(reader) = readers.iter_mut().find_map(|r| r.next().map(|_| r.path.clone())) {
        return Err(bad(&reader, format!("has rows beyond the sweep's {} runs", record.runs)));
    }
    write_file(&out.join(SWEEP), &json(&record)).map_err(io_error(&out.join(SWEEP)))?;
    runs.commit().map_err(io_error(&runs_path))?;
    let points = tally.points(columns.figures.len());
    write_points(out, &columns, &points)?;
    Ok(Merged { columns, points, runs: tally.runs, failed: tally.failed })
}

/// The answer to `--best` in words: what was asked, how many points met it, the best point
/// and those as good within their intervals.
pub fn best_text(points: &[PointSummary], columns: &Columns, goal: &Goal, judgement: &Judgement) -> String {
    let objective = columns.figure(&goal.objective).expect("judged, so the figure exists");
    let lowest = if goal.maximize { "highest" } else { "lowest" };
    let mut out = format!("best: the {lowest} mean {}", goal.objective);
    let constraint = goal.constraint.as_ref().map(|c| (c, columns.figure(&c.figure).expect("judged")));
    if let Some((c, _)) = constraint {
        let (op, end) = if c.at_most { ("<=", "upper") } else { (">=", "lower") };
        out.push_str(&format!(
            " with {} {op} {} at the {end} end of its 95 % interval\n  {} of {} point(s) meet it, {} undecided (the interval straddles {}), {} do not",
            c.figure,
            number(c.bound),
            judgement.met.len(),
            points.len(),
            judgement.undecided.len(),
            number(c.bound),
            points.len() - judgement.met.len() - judgement.undecided.len(),
        ));
    }
    out.push('\n');
    let Some(best) = judgement.best else {
        out.push_str(
            "  no point meets it; more replications (--replications, or --precision) may settle the undecided ones\n",
        );
        return out;
    };
    let describe = |i: usize| {
        let p = &points[i];
        let values: Vec<String> = columns.axes.iter().zip(&p.axes).map(|(k, v)| format!("{k} = {v}")).collect();
        let mut figures = vec![figure_text(&goal.objective, p.estimates[objective])];
        if let Some((c, column)) = constraint {
            figures.push(figure_text(&c.figure, p.estimates[column]));
        }
        let values = if values.is_empty() { String::new() } else { format!(": {}", values.join(", ")) };
        format!("  point {} ({}){values}\n    {}, {} run(s)\n", p.point, p.variant, figures.join(", "), p.runs)
    };
    out.push_str(&describe(best));
    if !judgement.tied.is_empty() {
        out.push_str(&format!("  as good within the intervals ({}):\n", judgement.tied.len()));
        for &i in &judgement.tied {
            out.push_str(&describe(i));
        }
    }
    if points[best].runs < 2 {
        out.push_str("  (one run a point gives no interval: judged on the single run; add replications)\n");
    }
    out
}

fn figure_text(name: &str, estimate: Option<Estimate>) -> String {
    match estimate {
        None => format!("{name} -"),
        Some(e) => match e.interval {
            Some((low, high)) => format!("{name} {} [{}, {}]", short(e.mean), short(low), short(high)),
            None => format!("{name} {}", short(e.mean)),
        },
    }
}

/// Six significant digits, for the terminal.
fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let digits = (5 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{value:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        Columns { axes: vec!["services.api.cpu".into()], figures: vec!["cost_usd".into(), "unserved_share".into()] }
    }

    fn row(run: u64, point: usize, result: Result<Vec<Option<f64>>, String>) -> RunRow {
        RunRow {
            run,
            point,
            variant: "base".into(),
            axes: vec![format!("{}", 512 << point)],
            replication: run,
            seed: 9,
            result,
        }
    }

    #[test]
    fn a_row_reads_back_as_written_bit_for_bit() {
        let columns = columns();
        let rows = [
            row(0, 0, Ok(vec![Some(0.1 + 0.2), Some(1e-17)])),
            row(1, 0, Ok(vec![Some(123456.789), None])),
            row(2, 1, Err("cannot write \"runs/x\": disk full, sorry".into())),
        ];
        let mut text = csv_line(&columns.runs_header());
        for r in &rows {
            text.extend(csv_line(&r.fields(2)));
        }
        let header_len = csv_line(&columns.runs_header()).len();
        let back = read_rows(Path::new("runs.csv"), &text[header_len..], &columns).unwrap();
        assert_eq!(back, rows);
        assert_eq!(Columns::from_runs_header(&columns.runs_header()), Some(columns));
    }

    #[test]
    fn points_summarize_their_ok_runs_in_order() {
        let rows = [
            row(0, 0, Ok(vec![Some(1.0), Some(0.0)])),
            row(1, 0, Ok(vec![Some(3.0), Some(0.5)])),
            row(2, 1, Ok(vec![Some(2.0), Some(0.0)])),
            row(3, 1, Err("boom".into())),
        ];
        let mut tally = Tally::default();
        rows.iter().cloned().for_each(|r| tally.add(r));
        let points = tally.points(2);
        assert_eq!(points.len(), 2);
        assert_eq!((points[0].runs, points[0].failed, points[0].mean(0)), (2, 0, Some(2.0)));
        // mean 2, sd √2, t(0.975, 1) = 12.706: half-width 12.706 × √2 / √2 = 12.706.
        let (low, high) = points[0].estimates[0].unwrap().interval.unwrap();
        assert!((high - 2.0 - 12.706).abs() < 1e-3 && (2.0 - low - 12.706).abs() < 1e-3);
        assert_eq!((points[1].runs, points[1].failed, points[1].mean(0)), (1, 1, Some(2.0)));
        // Point 1 (2.0, 0.0) beats point 0 (2.0, 0.25): the front is point 1 alone.
        assert_eq!(pareto(&points, &columns()), vec![1]);
    }

    #[test]
    fn figure_names_put_each_capacity_after_the_total() {
        let names = figure_names(&["web".to_owned()]);
        assert_eq!(
            &names[..5],
            ["cost_usd", "cost_per_month_usd", "cost_usd[FARGATE]", "cost_usd[FARGATE_SPOT]", "cost_usd[web]"]
        );
        assert!(names.iter().all(|n| is_figure(n)));
        assert!(!is_figure("cost"));
    }
}
