//! Many runs at once: the only place with parallelism.
//!
//! Each run is single-threaded and owns its state, so runs go on rayon's threads side by
//! side and their results come back in input order: the bytes a run writes do not depend on
//! how many threads there are. One run failing does not stop or lose the others.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::Scenario;
use crate::report::{self, ReportError, Summary};

/// One run to do: a validated scenario and the folder its results go to.
pub struct Job {
    pub scenario: Scenario,
    pub warnings: Vec<String>,
    pub dir: PathBuf,
}

/// Runs every job, in parallel, returning each job's summary (or error) in input order.
pub fn run_all(jobs: &[Job]) -> Vec<Result<Summary, ReportError>> {
    jobs.par_iter()
        .map(|job| report::run_into(&job.dir, &job.scenario, &job.warnings).map(|(_, summary)| summary))
        .collect()
}
