//! Everything a run writes: the only output boundary.
//!
//! A run folder holds `timeseries.csv` and `events.csv` (streamed while the run goes),
//! `summary.json`, `summary.csv` and `run.json`, and with EC2 capacity `instances.csv`. Every file is written under a temporary
//! name and renamed when complete, so a failed or interrupted run never leaves a
//! half-written file behind.

mod atomic;
mod csv_out;
mod explain;
mod summary;

use std::path::Path;

use serde::Serialize;

pub use csv_out::{CsvRecorder, EVENTS_HEADER, SERIES_HEADER};
pub use explain::{ExplainError, explain};
pub use summary::{ProviderLine, Summary, SummaryLine};

use crate::config::Scenario;
use crate::sim::{self, RunOutcome};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot write CSV in {path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// `run.json`: what was run, so a result can be traced back and rerun.
#[derive(Serialize)]
struct RunRecord<'a> {
    ecsim_version: &'static str,
    seed: u64,
    warnings: &'a [String],
    scenario: &'a Scenario,
}

/// Runs `scenario`, writing its records into `dir` as they come, then its summaries.
pub fn run_into(dir: &Path, scenario: &Scenario, warnings: &[String]) -> Result<(RunOutcome, Summary), ReportError> {
    let shown = dir.display().to_string();
    let io = |source| ReportError::Io { path: shown.clone(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut recorder = CsvRecorder::create(dir, scenario).map_err(io)?;
    let outcome = sim::run(scenario, &mut recorder);
    recorder.commit().map_err(io)?;

    let summary = Summary::new(scenario, &outcome);
    let record = RunRecord { ecsim_version: env!("CARGO_PKG_VERSION"), seed: scenario.seed, warnings, scenario };
    let summary_csv = summary.to_csv().map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
    let mut files =
        vec![("summary.json", pretty_json(&summary)), ("summary.csv", summary_csv), ("run.json", pretty_json(&record))];
    if !scenario.providers.is_empty() {
        let instances = summary::instances_csv(scenario, &outcome.instances)
            .map_err(|source| ReportError::Csv { path: shown.clone(), source })?;
        files.push(("instances.csv", instances));
    }
    for (name, contents) in files {
        atomic::write_file(&dir.join(name), &contents).map_err(io)?;
    }
    Ok((outcome, summary))
}

/// Pretty JSON with a final newline.
fn pretty_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("plain data serializes");
    bytes.push(b'\n');
    bytes
}
