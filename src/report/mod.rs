//! Everything a run writes: the only output boundary.
//!
//! A run folder holds the time series and the event files (streamed while the run goes, as
//! `--outputs` asks), `summary.json`, `summary.csv` and `run.json`, and with EC2 capacity
//! `instances.csv`. Every file is written under a temporary name and renamed when complete,
//! so a failed or interrupted run never leaves a half-written file behind.

mod atomic;
mod calibration;
mod cells;
pub mod charts;
mod compare;
mod csv_out;
mod explain;
mod html;
mod progress;
pub(crate) mod rounding;
mod summary;
pub mod sweep;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use atomic::FolderError;
pub use calibration::calibration_lines;
pub use compare::{
    BreakEven, CompareError, Comparison, ComparisonRow, labels_for, read_summaries, run_folders, write_comparison,
};
pub use csv_out::{CsvRecorder, Outputs};
pub use explain::{ExplainError, explain};
pub use progress::Progress;
pub use summary::{ProviderLine, Summary, SummaryLine};

use crate::config::Scenario;
use crate::engine::SimTime;
use crate::sim::{
    self, DeploymentEvent, GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder, RunOutcome,
    ScalingEvent, ScheduledEvent, SeriesRow, TaskEvent,
};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot write CSV in {path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    /// A folder given to `ecsim plot` that holds no results it can read.
    #[error("{0}")]
    NotResults(String),
    #[error(transparent)]
    Folder(#[from] atomic::FolderError),
    /// A run that panicked: a bug, reported as that run's failure.
    #[error("{0}")]
    Panicked(String),
}

impl ReportError {
    /// Whether the error is in what the user gave (a folder that is not results, a file that
    /// does not read), not in writing.
    pub fn is_input(&self) -> bool {
        matches!(self, ReportError::NotResults(_) | ReportError::Chart(charts::ChartError::Read { .. }))
    }
}

/// `run.json`: what was run, so a result can be traced back and rerun.
#[derive(Serialize)]
struct RunRecord<'a> {
    ecsim_version: &'static str,
    seed: u64,
    warnings: &'a [String],
    scenario: &'a Scenario,
}

/// Whether a run can be written into `dir` (see [`atomic::StagedFolder`]), before it runs.
/// Writes what `ecsim import` made into `dir` (created if need be): `scenario.toml` and its
/// load traces, each file whole or not at all. An existing `scenario.toml` is not replaced.
pub fn write_imported(dir: &Path, imported: &crate::scenario::import::Imported) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let scenario = dir.join("scenario.toml");
    if scenario.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists; import into a new folder (or remove it) so nothing is overwritten", scenario.display()),
        ));
    }
    for (name, csv) in &imported.traces {
        atomic::write_file(&dir.join(name), csv.as_bytes())?;
    }
    atomic::write_file(&scenario, imported.scenario.as_bytes())?;
    Ok(scenario)
}

/// Writes a scenario's text to `path`, whole or not at all (`ecsim calibrate --out`).
pub fn write_scenario(path: &Path, text: &str) -> std::io::Result<()> {
    atomic::write_file(path, text.as_bytes())
}

pub fn check_run_folder(dir: &Path) -> Result<(), FolderError> {
    atomic::StagedFolder::check(dir).map(|_| ())
}

/// Whether the runs of a scenario's variants and their comparison can be written into `dir`.
pub fn check_comparison_folder(dir: &Path) -> Result<(), FolderError> {
    atomic::check_comparison(dir)
}

/// Draws the charts of the run in `dir` from its files (see [`charts`]) and writes its
/// `report.html`.
pub fn illustrate_run(dir: &Path) -> Result<(), ReportError> {
    let data = charts::RunData::read(dir)?;
    // The report's moments read the event files again: told while the charts are drawn.
    let (drawn, moments) = rayon::join(|| charts::draw_run(dir, &data), || html::moments(dir, &data));
    html::run_report(dir, &data, &drawn?, &moments)
}

/// The charts and `report.html` of the sweep in `dir`, with the `--best` answer if any.
pub fn illustrate_sweep(dir: &Path, best: Option<&str>) -> Result<(), ReportError> {
    let drawn = charts::draw_sweep(dir)?;
    html::sweep_report(dir, &drawn, best)
}

/// What a folder of results is, for `ecsim plot`: a run, the comparison of runs in its
/// subfolders, or a sweep.
pub fn plot(dir: &Path) -> Result<usize, ReportError> {
    if !dir.is_dir() {
        let why = if dir.exists() { "not a folder" } else { "no such folder" };
        return Err(ReportError::NotResults(format!(
            "{why}: give the output folder of a run, a comparison or a sweep"
        )));
    }
    if dir.join("sweep.json").exists() && dir.join("points.csv").exists() {
        illustrate_sweep(dir, None)?;
        return Ok(std::fs::read_dir(charts::folder(dir)).map_or(0, |d| d.count() / 2));
    }
    if dir.join("summary.json").exists() {
        if !dir.join(csv_out::SERIES).exists() || !dir.join(csv_out::TASK_EVENTS).exists() {
            return Err(ReportError::NotResults(
                "this run was written without its series and events (--outputs): its charts are drawn from them; run it again with --outputs summary,series,events".into(),
            ));
        }
        illustrate_run(dir)?;
        return Ok(std::fs::read_dir(charts::folder(dir)).map_or(0, |d| d.count() / 2));
    }
    let comparison = dir.join("comparison.csv");
    if comparison.exists() {
        let labels = compare::labels(&comparison)
            .map_err(|e| ReportError::NotResults(format!("cannot read comparison.csv: {e}")))?;
        let runs: Vec<(String, std::path::PathBuf)> =
            labels.into_iter().map(|(label, folder)| (label, dir.join(folder))).collect();
        if let Some((label, _)) = runs.iter().find(|(_, d)| !d.join("summary.json").exists()) {
            return Err(ReportError::NotResults(format!(
                "comparison.csv names the run {label}, whose folder is not beside it: run `ecsim compare` again with the runs' folders"
            )));
        }
        let summaries = read_summaries(&runs.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>())
            .map_err(|e| ReportError::NotResults(e.to_string()))?;
        for (_, run) in &runs {
            illustrate_run(run)?;
        }
        let comparison = Comparison::new(&summaries);
        let drawn = charts::draw_comparison(dir, &comparison, &runs)?;
        html::comparison_report(dir, &comparison, &runs, &drawn)?;
        return Ok(drawn.len());
    }
    Err(ReportError::NotResults(
        "no summary.json, comparison.csv or sweep.json here: give the output folder of a run, a comparison or a sweep"
            .into(),
    ))
}

/// Runs `scenario` for its summary alone: no record is kept or written (a sweep's runs).
pub fn summary_only(scenario: &Scenario) -> Summary {
    Summary::new(scenario, &sim::run(scenario, &mut sim::Discard))
}

/// Runs `scenario`, writing its records into `dir` as they come, then its summaries, and with
/// `charts` (and the files they are drawn from) its charts and report. The CSV files are
/// formatted and written on a thread of their own while the simulation goes on: the records
/// reach it in order, in batches, so the files are the same as from one thread. The folder
/// appears whole when the run is done, replacing an earlier run's ([`atomic::StagedFolder`]).
/// `progress` advances with the simulated time.
pub fn run_into(
    dir: &Path,
    scenario: &Scenario,
    warnings: &[String],
    outputs: Outputs,
    charts: bool,
    progress: &Progress,
) -> Result<(RunOutcome, Summary), ReportError> {
    let folder = atomic::StagedFolder::begin(dir)?;
    let staging = folder.path();
    let shown = dir.display().to_string();
    let io = |source| ReportError::Io { path: shown.clone(), source };
    let mut recorder = CsvRecorder::create(staging, scenario, outputs).map_err(io)?;
    let outcome = if !outputs.series && !outputs.events {
        // Summaries only: no record is kept, so no writer thread is started.
        let mut batching = Batching { batch: Vec::new(), sender: None, outputs, progress, reached: SimTime::ZERO };
        (sim::run(scenario, &mut batching), recorder)
    } else {
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Record>>(BATCHES_IN_FLIGHT);
            let writer = scope.spawn(move || {
                for batch in receiver {
                    for record in batch {
                        record.replay(&mut recorder);
                    }
                }
                recorder
            });
            let sender = Some(sender);
            let mut batching =
                Batching { batch: Vec::with_capacity(BATCH), sender, outputs, progress, reached: SimTime::ZERO };
            let outcome = sim::run(scenario, &mut batching);
            batching.flush();
            drop(batching);
            let recorder = writer.join().expect("the CSV writer does not panic");
            (outcome, recorder)
        })
    };
    let (outcome, recorder) = outcome;
    recorder.commit().map_err(io)?;

    let summary = Summary::new(scenario, &outcome);
    let record = RunRecord { ecsim_version: env!("CARGO_PKG_VERSION"), seed: scenario.seed, warnings, scenario };
    let summary_csv = summary.to_csv().map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
    let mut files = vec![("summary.json", pretty_json(&summary)), ("summary.csv", summary_csv)];
    if csv_out::uses_ec2(scenario) {
        let instances = summary::instances_csv(scenario, &outcome.instances)
            .map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
        files.push(("instances.csv", instances));
    }
    if scenario.services.iter().any(|s| s.is_job()) {
        let jobs =
            summary::jobs_csv(scenario, &outcome).map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
        files.push(("jobs.csv", jobs));
    }
    if !scenario.outages.is_empty() {
        let outages = summary::outages_csv(scenario, &outcome)
            .map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
        files.push(("outages.csv", outages));
    }
    if csv_out::deploys(scenario) {
        let deployments = summary::deployments_csv(scenario, &outcome.deployments)
            .map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
        files.push(("deployments.csv", deployments));
    }
    // The marker of a run folder, last.
    files.push((atomic::RUN_MARKER, pretty_json(&record)));
    for (name, contents) in files {
        atomic::write_file(&staging.join(name), &contents).map_err(io)?;
    }
    if charts && outputs.chartable() {
        illustrate_run(staging)?;
    }
    folder.publish().map_err(io)?;
    Ok((outcome, summary))
}

/// Records per batch handed to the CSV writer, and batches waiting at most: a few MiB.
const BATCH: usize = 4096;
const BATCHES_IN_FLIGHT: usize = 4;

/// One record on its way to the CSV writer.
enum Record {
    Task(TaskEvent),
    Scaling(ScalingEvent),
    Scheduled(ScheduledEvent),
    Deployment(DeploymentEvent),
    Series(SeriesRow),
    Instance(InstanceEvent),
    GroupScaling(GroupScalingEvent),
    PlacementFailure(PlacementFailure),
    ProviderSeries(ProviderRow),
}

impl Record {
    fn replay(self, to: &mut impl Recorder) {
        match self {
            Record::Task(e) => to.task(&e),
            Record::Scaling(e) => to.scaling(&e),
            Record::Scheduled(e) => to.scheduled(&e),
            Record::Deployment(e) => to.deployment(&e),
            Record::Series(r) => to.series(&r),
            Record::Instance(e) => to.instance(&e),
            Record::GroupScaling(e) => to.group_scaling(&e),
            Record::PlacementFailure(e) => to.placement_failure(&e),
            Record::ProviderSeries(r) => to.provider_series(&r),
        }
    }
}

/// The simulation's recorder: collects records into batches for the writer thread, and moves
/// the progress bar on as the first service's series rows pass.
struct Batching<'p> {
    batch: Vec<Record>,
    /// To the writer thread; none when no record is written.
    sender: Option<std::sync::mpsc::SyncSender<Vec<Record>>>,
    /// Records of a kind no file is written for are not copied or sent (the sweep path writes
    /// summaries only).
    outputs: Outputs,
    progress: &'p Progress,
    reached: SimTime,
}

impl Batching<'_> {
    fn event(&mut self, record: impl FnOnce() -> Record) {
        if self.outputs.events {
            self.push(record());
        }
    }

    fn push(&mut self, record: Record) {
        self.batch.push(record);
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // The writer only stops early if it panicked, which `join` reports.
        if let Some(sender) = &self.sender {
            let _ = sender.send(batch);
        }
    }
}

impl Recorder for Batching<'_> {
    fn task(&mut self, event: &TaskEvent) {
        self.event(|| Record::Task(event.clone()));
    }
    fn scaling(&mut self, event: &ScalingEvent) {
        self.event(|| Record::Scaling(event.clone()));
    }
    fn scheduled(&mut self, event: &ScheduledEvent) {
        self.event(|| Record::Scheduled(event.clone()));
    }
    fn deployment(&mut self, event: &DeploymentEvent) {
        self.event(|| Record::Deployment(event.clone()));
    }
    fn series(&mut self, row: &SeriesRow) {
        if row.end > self.reached {
            self.progress.advance(row.end.since(self.reached));
            self.reached = row.end;
        }
        if self.outputs.series {
            self.push(Record::Series(row.clone()));
        }
    }
    fn instance(&mut self, event: &InstanceEvent) {
        self.event(|| Record::Instance(event.clone()));
    }
    fn group_scaling(&mut self, event: &GroupScalingEvent) {
        self.event(|| Record::GroupScaling(event.clone()));
    }
    fn placement_failure(&mut self, event: &PlacementFailure) {
        self.event(|| Record::PlacementFailure(event.clone()));
    }
    fn provider_series(&mut self, row: &ProviderRow) {
        if self.outputs.series {
            self.push(Record::ProviderSeries(row.clone()));
        }
    }
}

/// Pretty JSON with a final newline.
fn pretty_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("plain data serializes");
    bytes.push(b'\n');
    bytes
}
