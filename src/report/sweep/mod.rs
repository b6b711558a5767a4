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
//! [`Shards`] joins shards' folders into exactly the files one machine would have written.
//!
//! Here: the figures, a row and the columns, `sweep.json`; `journal` writes and reads
//! `runs.csv`, `points` sums the runs into points (and says which is best), `merge` joins
//! shards.

mod journal;
mod merge;
mod points;

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use journal::{RunsJournal, RunsReader};
pub use merge::{Merged, Shards};
pub use points::{PointSummary, Tally, best_text, pareto, write_points};

use super::atomic::write_file;
use super::compare::{ComparisonRow, row as comparison_row};
use super::summary::Summary;

pub const RUNS: &str = "runs.csv";
pub(super) const RUNS_PARTIAL: &str = "runs.csv.partial";
pub const POINTS: &str = "points.csv";
pub const PARETO: &str = "pareto.csv";
pub const SWEEP: &str = "sweep.json";

/// Hours in a month as AWS's pricing pages and Pricing Calculator count them (730 h).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The figures of a run a sweep keeps, in their column order; `cost_usd_capacity_NAME`
/// columns for each capacity come after `cost_per_month_usd`.
const FIGURES_BEFORE_CAPACITIES: [&str; 2] = ["cost_usd", "cost_per_month_usd"];
const FIGURES_AFTER_CAPACITIES: [&str; 26] = [
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
    "under_provisioning_accuracy_pct",
    "over_provisioning_accuracy_pct",
    "under_provisioning_timeshare_pct",
    "over_provisioning_timeshare_pct",
    "instability_pct",
    "jitter_per_hour",
    "unserved_cost_usd",
    "cost_with_unserved_usd",
];

/// The figure names of a sweep whose points have these Auto Scaling group providers.
pub fn figure_names(providers: &[String]) -> Vec<String> {
    let capacities: Vec<String> =
        ["FARGATE", "FARGATE_SPOT"].into_iter().map(String::from).chain(providers.iter().cloned()).collect();
    FIGURES_BEFORE_CAPACITIES
        .into_iter()
        .map(String::from)
        .chain(super::rounding::columns(CAPACITY_COST, &capacities))
        .chain(FIGURES_AFTER_CAPACITIES.into_iter().map(String::from))
        .collect()
}

/// The prefix of a capacity's cost column, as in `comparison.csv`.
const CAPACITY_COST: &str = "cost_usd_capacity";

/// The value of each figure in `names` for a run's summary.
pub fn figures(summary: &Summary, names: &[String]) -> Vec<Option<f64>> {
    let row = comparison_row("", summary);
    let capacity_names: Vec<String> = row.by_capacity.iter().map(|(name, _)| name.clone()).collect();
    let capacity_columns = super::rounding::columns(CAPACITY_COST, &capacity_names);
    names.iter().map(|name| figure(summary, &row, &capacity_columns, name)).collect()
}

fn figure(s: &Summary, row: &ComparisonRow, capacity_columns: &[String], name: &str) -> Option<f64> {
    Some(match name {
        "cost_usd" => s.total.cost_usd,
        "cost_per_month_usd" => row.cost_per_month_usd,
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
        "under_provisioning_accuracy_pct" => return row.under_provisioning_accuracy_pct,
        "over_provisioning_accuracy_pct" => return row.over_provisioning_accuracy_pct,
        "under_provisioning_timeshare_pct" => return row.under_provisioning_timeshare_pct,
        "over_provisioning_timeshare_pct" => return row.over_provisioning_timeshare_pct,
        "instability_pct" => return row.instability_pct,
        "jitter_per_hour" => return row.jitter_per_hour,
        "unserved_cost_usd" => return row.unserved_cost_usd,
        "cost_with_unserved_usd" => return row.cost_with_unserved_usd,
        _ if name.starts_with(CAPACITY_COST) => {
            capacity_columns.iter().position(|c| c == name).map_or(0.0, |i| row.by_capacity[i].1)
        }
        _ => return None,
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
    pub(super) fn runs_header(&self) -> Vec<String> {
        let mut header: Vec<String> = RUN_KEYS.map(String::from).to_vec();
        header.extend(self.axes.iter().cloned());
        header.extend(RUN_MIDDLE.map(String::from));
        header.extend(self.figures.iter().cloned());
        header
    }

    /// The columns a `runs.csv` header names.
    pub(super) fn from_runs_header(header: &[String]) -> Option<Columns> {
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

    pub(super) fn points_header(&self) -> Vec<String> {
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
pub(super) fn number(value: f64) -> String {
    value.to_string()
}

pub(super) fn optional(value: Option<f64>) -> String {
    value.map_or(String::new(), number)
}

pub(super) fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(fields).expect("CSV into memory");
    writer.into_inner().expect("CSV into memory")
}

impl RunRow {
    /// The row's fields under a header with `figures` figure columns.
    pub(super) fn fields(&self, figures: usize) -> Vec<String> {
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

    pub(super) fn parse(record: &csv::StringRecord, columns: &Columns) -> Result<RunRow, String> {
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

pub(super) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SweepFileError + '_ {
    move |source| SweepFileError::Io { path: path.display().to_string(), source }
}

pub(super) fn bad(path: &Path, message: impl Into<String>) -> SweepFileError {
    SweepFileError::Bad { path: path.display().to_string(), message: message.into() }
}

/// `sweep.json`: what was swept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub ecsim_version: String,
    /// The results' name (the sweep file's `name`, else the scenario's).
    pub name: String,
    /// The scenario's own `name`.
    pub scenario: String,
    /// Hex of the plan's fingerprint: what the files say, and the settings.
    pub fingerprint: String,
    pub seed: u64,
    pub replications: u32,
    /// The rule replication seeds follow.
    pub seeds: String,
    pub axes: Vec<AxisRecord>,
    /// Axes that move together, by key.
    pub zip: Vec<Vec<String>>,
    pub variants: Vec<String>,
    pub points: usize,
    /// Runs the plan has before `--precision` adds any, over all shards.
    pub planned_runs: u64,
    /// The `--best` decision `--precision` refined, if it did.
    pub precision: Option<PrecisionRecord>,
    pub shard: Option<ShardRecord>,
}

/// The settings of `--precision`: a resumed sweep must have the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecord {
    pub best: Option<String>,
    pub objective: String,
    pub maximize: bool,
    pub precision: f64,
    pub max_replications: u32,
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

pub(super) fn json(record: &SweepRecord) -> Vec<u8> {
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
        let what = if existing.shard != record.shard {
            "another shard of the sweep"
        } else if existing.precision != record.precision {
            "other --best, --minimize/--maximize, --precision or --max-replications settings: resume with the same ones"
        } else if existing.ecsim_version != record.ecsim_version {
            "another version of ecsim"
        } else {
            "another sweep: the scenario or the sweep changed, or --seed, --replications, --prices or --catalog"
        };
        return Err(bad(&path, format!("it was written by {what}; run without --resume to start again")));
    }
    write_file(&path, &json(record)).map_err(io_error(&path))
}

pub(super) fn read_record(path: &Path) -> Result<SweepRecord, SweepFileError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    serde_json::from_str(&text).map_err(|e| bad(path, format!("not an ecsim sweep.json: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_names_put_each_capacity_after_the_total() {
        let names = figure_names(&["web".to_owned()]);
        assert_eq!(
            &names[..5],
            [
                "cost_usd",
                "cost_per_month_usd",
                "cost_usd_capacity_FARGATE",
                "cost_usd_capacity_FARGATE_SPOT",
                "cost_usd_capacity_web"
            ]
        );
        assert_eq!(names.len(), 5 + 26);
    }
}
