//! Many runs at once, in parallel (a run itself only hands its CSV writing to a thread of its
//! own: see `report::run_into`): the scenarios of one command with their variants, and
//! sweeps (`sweep`), with the slices a batch engine's array runs (`shard`).
//!
//! Each run is single-threaded and owns its state, so runs go on rayon's threads side by
//! side and their results come back in input order: the bytes a run writes do not depend on
//! how many threads there are. One run failing does not stop or lose the others.

pub mod shard;
pub mod sweep;

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Scenario;
use crate::report::{self, Comparison, Outputs, Progress, ReportError, Summary};
use crate::scenario::Loaded;

/// One run to do: a validated scenario and the folder its results go to.
pub struct Job {
    pub scenario: Scenario,
    pub warnings: Vec<String>,
    pub dir: PathBuf,
    /// The scenario file, where warnings about the results point.
    pub file: PathBuf,
}

/// The share of a run's ticks a service may end at its `max_capacity` before the run warns
/// that the range, not the policies, sized it.
pub const AT_MAX_WARNING_SHARE: f64 = 0.1;

impl Job {
    /// Warnings the results give, each "line L, `key`: what" in the scenario file: a service
    /// that ended more than [`AT_MAX_WARNING_SHARE`] of its ticks at `max_capacity`.
    pub fn result_warnings(&self, summary: &Summary) -> Vec<String> {
        summary
            .services
            .iter()
            .zip(&self.scenario.services)
            .filter(|(line, _)| line.at_max_capacity_tick_share > AT_MAX_WARNING_SHARE)
            .map(|(line, config)| {
                let key = format!("services.{}.max_capacity", config.name);
                let at = crate::scenario::locate_key(&self.file, self.scenario.variant.as_deref(), &key);
                format!(
                    "{at}: {} sat at its max_capacity ({}) with the load asking for more tasks in {:.0} % of the run's ticks ({:.3} % of requests unserved); the range, not the policies, sized it: raise max_capacity if that was not meant",
                    config.name,
                    config.max_capacity,
                    100.0 * line.at_max_capacity_tick_share,
                    100.0 * line.unserved_share,
                )
            })
            .collect()
    }

    /// The scenario's name, and its variant's: "compare (variant fargate)".
    pub fn label(&self) -> String {
        match &self.scenario.variant {
            Some(v) => format!("{} (variant {v})", self.scenario.name),
            None => self.scenario.name.clone(),
        }
    }
}

/// The runs of one command, each with a folder of its own, and the scenarios with variants whose
/// runs are compared when they have all run.
#[derive(Default)]
pub struct Batch {
    pub jobs: Vec<Job>,
    /// A scenario's folder and the range of its jobs (base, then variants).
    groups: Vec<(PathBuf, Range<usize>)>,
}

impl Batch {
    /// Adds a scenario's runs. Its folder is `out` when the command runs one scenario,
    /// `out/<name>` when it runs several, and `output/<name>` without `out`; with variants each
    /// run goes into a subfolder of it, `base` and then each variant's name. Two runs may not
    /// share a folder, and each folder must be new, empty or an earlier run's: the error says
    /// which folder and why.
    pub fn add(&mut self, file: &Path, loaded: Loaded, out: Option<&Path>, several: bool) -> Result<(), String> {
        let folder = match out {
            Some(dir) if !several => dir.to_owned(),
            Some(dir) => dir.join(&loaded.scenario.name),
            None => PathBuf::from("output").join(&loaded.scenario.name),
        };
        let mut runs = vec![(loaded.scenario, loaded.warnings, folder.clone())];
        let compared = !loaded.variants.is_empty();
        if compared {
            report::check_comparison_folder(&folder).map_err(|e| e.to_string())?;
            runs[0].2 = folder.join("base");
            runs.extend(loaded.variants.into_iter().map(|v| (v.scenario, v.warnings, folder.join(&v.name))));
        }
        // Folders compared as a case-insensitive file system (macOS, Windows) would see them.
        let overlap = |a: &Path, b: &Path| {
            let lower = |p: &Path| PathBuf::from(p.to_string_lossy().to_lowercase());
            let (a, b) = (lower(a), lower(b));
            a.starts_with(&b) || b.starts_with(&a)
        };
        for (i, (_, _, dir)) in runs.iter().enumerate() {
            let earlier = self.jobs.iter().map(|job| job.dir.as_path()).chain(runs[..i].iter().map(|r| r.2.as_path()));
            if earlier.into_iter().any(|other| overlap(other, dir)) {
                return Err(format!(
                    "another run already writes to {}; give each scenario a different `name`",
                    dir.display()
                ));
            }
            report::check_run_folder(dir).map_err(|e| e.to_string())?;
        }
        // Only once every run is accepted, so that a refused scenario leaves no group behind.
        if compared {
            self.groups.push((folder, self.jobs.len()..self.jobs.len() + runs.len()));
        }
        self.jobs.extend(runs.into_iter().map(|(scenario, warnings, dir)| Job {
            scenario,
            warnings,
            dir,
            file: file.to_owned(),
        }));
        Ok(())
    }

    /// Simulated milliseconds over every job: what `run`'s progress counts to.
    pub fn simulated_ms(&self) -> u64 {
        self.jobs.iter().map(|job| job.scenario.duration_ms).sum()
    }

    /// Runs every job, in parallel, writing the `outputs` asked and returning each job's
    /// summary (or error) in input order; with `charts` (and the files they are drawn from),
    /// each run's charts are drawn from its files once they are written.
    pub fn run(&self, progress: &Progress, outputs: Outputs, charts: bool) -> Vec<Result<Summary, ReportError>> {
        let run = |job: &Job| {
            let run = || report::run_into(&job.dir, &job.scenario, &job.warnings, outputs, charts, progress);
            let (_, summary) = guarded(run).map_err(ReportError::Panicked)??;
            Ok(summary)
        };
        // One run goes on this thread: starting a pool costs more than a short run.
        match &self.jobs[..] {
            [job] => vec![run(job)],
            jobs => jobs.par_iter().map(run).collect(),
        }
    }

    /// For each scenario with variants whose runs all succeeded: its folder, the runs side by
    /// side (labelled as `ecsim compare` labels them: `base` and by variant) and each run's
    /// label and folder.
    #[allow(clippy::type_complexity)]
    pub fn comparisons(
        &self,
        results: &[Result<Summary, ReportError>],
    ) -> Vec<(PathBuf, Comparison, Vec<(String, PathBuf)>)> {
        self.groups
            .iter()
            .filter_map(|(folder, jobs)| {
                let runs: Vec<(&Summary, &PathBuf)> = jobs
                    .clone()
                    .map(|j| results[j].as_ref().ok().map(|summary| (summary, &self.jobs[j].dir)))
                    .collect::<Option<_>>()?;
                let labels = report::labels_for(&runs);
                let summaries: Vec<(String, Summary)> =
                    labels.iter().cloned().zip(runs.iter().map(|(s, _)| (*s).clone())).collect();
                let dirs = labels.into_iter().zip(runs.iter().map(|(_, d)| (*d).clone())).collect();
                Some((folder.clone(), Comparison::new(&summaries), dirs))
            })
            .collect()
    }
}

/// `f`'s result, or the message of the panic it raised: one run's panic is that run's
/// failure, and the batch's other runs go on.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        format!("the run panicked (a bug in ecsim; please report it): {message}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_runs_error() {
        assert_eq!(guarded(|| 4), Ok(4));
        let message = guarded(|| -> u32 { panic!("event scheduled in the past") }).unwrap_err();
        assert!(message.ends_with("event scheduled in the past"), "{message}");
        let formatted = guarded(|| -> u32 { panic!("at {}", 7) }).unwrap_err();
        assert!(formatted.ends_with("at 7"), "{formatted}");
    }

    #[test]
    fn a_run_that_panics_fails_alone_and_leaves_no_folder() {
        let out = tempfile::tempdir().unwrap();
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
        let loaded = crate::scenario::load(&file, &Default::default()).unwrap();
        // A scenario validation would refuse: its service names a load that does not exist,
        // and the model indexes past the end of the loads.
        let mut broken = loaded.scenario.clone();
        broken.services[0].load = Some(broken.loads.len());
        let job = |scenario: Scenario, name: &str| Job {
            scenario,
            warnings: Vec::new(),
            dir: out.path().join(name),
            file: file.clone(),
        };
        let batch = Batch {
            jobs: vec![job(loaded.scenario.clone(), "before"), job(broken, "broken"), job(loaded.scenario, "after")],
            groups: Vec::new(),
        };
        let results = batch.run(&Progress::hidden(), Outputs::ALL, false);
        assert!(results[0].is_ok() && results[2].is_ok());
        let failure = results[1].as_ref().map(|_| ()).unwrap_err().to_string();
        assert!(failure.starts_with("the run panicked (a bug in ecsim"), "{failure}");
        let mut left: Vec<String> =
            std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        // The lock files stay; the broken run's half-written folder does not.
        assert_eq!(left, [".after.lock", ".before.lock", ".broken.lock", "after", "before"]);
    }
}
