//! Many runs at once, in parallel (a run itself only hands its CSV writing to a thread of its
//! own: see `report::run_into`).
//!
//! Each run is single-threaded and owns its state, so runs go on rayon's threads side by
//! side and their results come back in input order: the bytes a run writes do not depend on
//! how many threads there are. One run failing does not stop or lose the others.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Scenario;
use crate::report::{self, ReportError, Summary};

/// One run to do: a validated scenario and the folder its results go to.
pub struct Job {
    pub scenario: Scenario,
    pub warnings: Vec<String>,
    pub dir: PathBuf,
}

/// The runs of one command, each with a folder of its own.
#[derive(Default)]
pub struct Batch {
    pub jobs: Vec<Job>,
}

impl Batch {
    /// The folder of a scenario's results: `out` when the command runs one scenario,
    /// `out/<name>` when it runs several, and `output/<name>` without `out`. A scenario with
    /// variants puts each run in a subfolder of it: `base`, then each variant's name.
    pub fn folder(name: &str, out: Option<&Path>, several: bool) -> PathBuf {
        match out {
            Some(dir) if !several => dir.to_owned(),
            Some(dir) => dir.join(name),
            None => PathBuf::from("output").join(name),
        }
    }

    /// Adds a run into `dir`. Two runs may not share a folder: the error names it.
    pub fn add(&mut self, scenario: Scenario, warnings: Vec<String>, dir: PathBuf) -> Result<(), PathBuf> {
        if self.jobs.iter().any(|job| job.dir == dir || job.dir.starts_with(&dir) || dir.starts_with(&job.dir)) {
            return Err(dir);
        }
        self.jobs.push(Job { scenario, warnings, dir });
        Ok(())
    }

    /// Runs every job, in parallel, returning each job's summary (or error) in input order.
    pub fn run(&self) -> Vec<Result<Summary, ReportError>> {
        self.jobs
            .par_iter()
            .map(|job| report::run_into(&job.dir, &job.scenario, &job.warnings).map(|(_, summary)| summary))
            .collect()
    }
}
