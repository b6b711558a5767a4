//! Running a sweep: its runs in order — variant, then point, then replication — sliced for a
//! shard, run in parallel and written in that order; with `--precision`, more replications of
//! the points near the decision, round after round, until their intervals are tight.
//!
//! Rows reach `runs.csv` in run order whatever thread finished first (a run waits for the
//! ones before it), so the file is the same for any `--jobs`, and a sweep stopped at any
//! moment holds a prefix of it, which `--resume` takes up.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use super::best::{self, Goal};
use super::shard::Shard;
use crate::config::Scenario;
use crate::engine::replication_seed;
use crate::report::sweep::{
    AxisRecord, Columns, PointSummary, RunRow, RunsJournal, ShardRecord, SweepFileError, SweepRecord, Tally,
    figure_names, figures, write_points, write_record,
};
use crate::report::{self, Progress};
use crate::scenario::SweepPlan;

/// How to run a sweep.
pub struct Settings {
    /// The sweep's folder; a shard writes into its `shard-I-of-N` subfolder.
    pub out: PathBuf,
    /// Threads; all cores by default.
    pub jobs: Option<usize>,
    /// Write each run's own folder (time series, events) under `runs/`.
    pub keep_runs: bool,
    /// Take up what an earlier start of the same sweep finished.
    pub resume: bool,
    pub shard: Option<Shard>,
    /// `--precision`: more replications near the decision of `goal`.
    pub refine: Option<Refine>,
}

pub struct Refine {
    pub goal: Goal,
    /// The half-width asked for, as a share of the mean (0.02 for 2 %).
    pub precision: f64,
    /// The most finished runs of one point.
    pub max_replications: u32,
}

/// What a sweep did.
pub struct Outcome {
    /// Where its files are.
    pub dir: PathBuf,
    pub columns: Columns,
    pub points: Vec<PointSummary>,
    /// Runs in `runs.csv`.
    pub runs: usize,
    /// The rows of the runs that failed.
    pub failed: Vec<RunRow>,
    /// How many runs were made here (not taken up from an earlier start).
    pub ran: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    File(#[from] SweepFileError),
    #[error("{0}")]
    Setting(String),
}

/// One run: which variant, point and replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunKey {
    variant: usize,
    point: usize,
    replication: u64,
}

/// `sweep.json` for `plan` (and a shard of it).
pub fn record(plan: &SweepPlan, shard: Option<Shard>) -> SweepRecord {
    SweepRecord {
        ecsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        scenario: plan.name.clone(),
        fingerprint: format!("{:016x}", plan.fingerprint),
        seed: plan.seed,
        replications: plan.replications,
        seeds: "replication 0 runs on the scenario's seed, replication k ≥ 1 on the k-th output of SplitMix64 started at it".into(),
        axes: plan.axes.iter().map(|a| AxisRecord { key: a.key.clone(), values: a.labels.clone() }).collect(),
        variants: plan.variants.clone(),
        points: plan.points.len(),
        runs: first_round(plan).len() as u64,
        shard: shard.map(|s| ShardRecord { index: s.index, count: s.count }),
    }
}

/// The columns of `plan`'s files.
pub fn columns(plan: &SweepPlan) -> Columns {
    Columns { axes: plan.axes.iter().map(|a| a.key.clone()).collect(), figures: figure_names(&plan.providers) }
}

/// The folder a sweep with `settings` writes into.
pub fn folder(settings: &Settings) -> PathBuf {
    match settings.shard {
        Some(shard) => settings.out.join(shard.folder()),
        None => settings.out.clone(),
    }
}

/// The runs of the plan before any refinement, in order.
fn first_round(plan: &SweepPlan) -> Vec<RunKey> {
    let mut keys = Vec::new();
    for variant in 0..plan.variants.len() {
        for point in 0..plan.points.len() {
            keys.extend((0..u64::from(plan.replications)).map(|replication| RunKey { variant, point, replication }));
        }
    }
    keys
}

/// Runs the sweep (or its shard), writing its files into [`folder`]; `progress` counts runs.
pub fn run(plan: &SweepPlan, settings: &Settings, progress: &Progress) -> Result<Outcome, SweepError> {
    if settings.refine.is_some() && settings.shard.is_some() {
        return Err(SweepError::Setting(
            "--precision decides which runs to add from all the runs so far, so it cannot run in shards; merge the shards, then pick with `ecsim merge --best`".into(),
        ));
    }
    let columns = columns(plan);
    if let Some(refine) = &settings.refine {
        best::check(&refine.goal, &columns).map_err(SweepError::Setting)?;
    }
    let dir = folder(settings);
    std::fs::create_dir_all(&dir).map_err(|source| SweepFileError::Io { path: dir.display().to_string(), source })?;
    write_record(&dir, &record(plan, settings.shard), settings.resume)?;
    let (mut journal, existing) = RunsJournal::open(&dir, &columns, settings.resume)?;
    let mut existing: VecDeque<RunRow> = existing.into();

    let mut jobs = rayon::ThreadPoolBuilder::new();
    if let Some(n) = settings.jobs {
        jobs = jobs.num_threads(n);
    }
    let pool = jobs.build().map_err(|e| SweepError::Setting(format!("cannot start the threads: {e}")))?;

    let round: Vec<(u64, RunKey)> = first_round(plan)
        .into_iter()
        .enumerate()
        .map(|(i, key)| (i as u64, key))
        .filter(|(run, _)| settings.shard.is_none_or(|s| s.owns(*run)))
        .collect();
    let mut next_run = first_round(plan).len() as u64;
    let mut tally = Tally::default();
    let mut ran = 0;
    progress.grow(round.len() as u64);
    ran += execute(plan, settings, &dir, &round, &mut existing, &mut journal, &mut tally, &pool, progress)?;

    if let Some(refine) = &settings.refine {
        loop {
            let points = tally.points(columns.figures.len());
            let cap = refine.max_replications as usize;
            let wanted = best::more_replications(&points, &columns, &refine.goal, refine.precision, cap)
                .map_err(SweepError::Setting)?;
            if wanted.is_empty() {
                break;
            }
            let mut round = Vec::new();
            for (i, target) in wanted {
                let point = &points[i];
                let variant = plan.variants.iter().position(|v| *v == point.variant).expect("a planned variant");
                let made = tally.rows_of(&point.variant, point.point);
                let more = (target - point.runs) as u64;
                for replication in made..made + more {
                    round.push((next_run, RunKey { variant, point: point.point, replication }));
                    next_run += 1;
                }
            }
            progress.grow(round.len() as u64);
            ran += execute(plan, settings, &dir, &round, &mut existing, &mut journal, &mut tally, &pool, progress)?;
        }
    }
    if !existing.is_empty() {
        return Err(SweepFileError::Bad {
            path: dir.join("runs.csv.partial").display().to_string(),
            message: format!("{} row(s) beyond this sweep's runs; run without --resume to start again", existing.len()),
        }
        .into());
    }
    journal.finish()?;
    let points = tally.points(columns.figures.len());
    write_points(&dir, &columns, &points)?;
    Ok(Outcome { dir, columns, points, runs: tally.runs, failed: tally.failed, ran })
}

/// A point's scenario, built once for all the replications one thread runs of it.
struct Built {
    variant: usize,
    point: usize,
    seed: u64,
    scenario: Scenario,
}

/// The rows of one round: taken from `existing` while it lasts (they must be this round's
/// first runs), the others run in parallel and appended in order. Returns how many ran.
#[allow(clippy::too_many_arguments)]
fn execute(
    plan: &SweepPlan,
    settings: &Settings,
    dir: &Path,
    round: &[(u64, RunKey)],
    existing: &mut VecDeque<RunRow>,
    journal: &mut RunsJournal,
    tally: &mut Tally,
    pool: &rayon::ThreadPool,
    progress: &Progress,
) -> Result<usize, SweepError> {
    let mut taken = 0;
    while let (Some(done), Some(&(run, key))) = (existing.front(), round.get(taken)) {
        let same = done.run == run
            && done.variant == plan.variants[key.variant]
            && done.point == key.point
            && done.replication == key.replication;
        if !same {
            return Err(SweepFileError::Bad {
                path: dir.join("runs.csv.partial").display().to_string(),
                message: format!(
                    "its row for run {} is not this sweep's run {run}; run without --resume to start again",
                    done.run
                ),
            }
            .into());
        }
        tally.add(existing.pop_front().expect("looked at"));
        progress.advance(1);
        taken += 1;
    }
    let to_run = &round[taken..];
    struct InOrder<'a> {
        next: usize,
        waiting: BTreeMap<usize, RunRow>,
        journal: &'a mut RunsJournal,
        tally: &'a mut Tally,
        error: Option<SweepFileError>,
    }
    let state = Mutex::new(InOrder { next: 0, waiting: BTreeMap::new(), journal, tally, error: None });
    pool.install(|| {
        to_run.iter().enumerate().par_bridge().for_each_init(
            || None::<Built>,
            |built, (i, &(run, key))| {
                let row = run_one(plan, settings, dir, run, key, built);
                let mut state = state.lock().expect("no thread panics holding the tally");
                state.waiting.insert(i, row);
                loop {
                    let next = state.next;
                    let Some(row) = state.waiting.remove(&next) else { break };
                    if state.error.is_none()
                        && let Err(e) = state.journal.append(&row)
                    {
                        state.error = Some(e);
                    }
                    state.tally.add(row);
                    state.next += 1;
                    progress.advance(1);
                }
            },
        );
    });
    match state.into_inner().expect("no thread panics holding the tally").error {
        Some(e) => Err(e.into()),
        None => Ok(to_run.len()),
    }
}

/// Makes one run and its row; a failure — the scenario, the run's own files, a panic in the
/// model — is the row's error, and the sweep goes on.
fn run_one(
    plan: &SweepPlan,
    settings: &Settings,
    dir: &Path,
    run: u64,
    key: RunKey,
    built: &mut Option<Built>,
) -> RunRow {
    let values = &plan.points[key.point];
    let axes = plan.axes.iter().zip(values).map(|(axis, &v)| axis.labels[v].clone()).collect();
    let names = figure_names(&plan.providers);
    let mut seed = replication_seed(plan.seed, key.replication);
    let mut result = || -> Result<Vec<Option<f64>>, String> {
        if built.as_ref().is_none_or(|b| (b.variant, b.point) != (key.variant, key.point)) {
            let scenario = plan.scenario(key.variant, key.point, 0).map_err(|e| e.to_string())?;
            *built = Some(Built { variant: key.variant, point: key.point, seed: scenario.seed, scenario });
        }
        let built = built.as_mut().expect("built above");
        seed = replication_seed(built.seed, key.replication);
        built.scenario.seed = seed;
        let scenario = &built.scenario;
        let summary = guarded(|| {
            if settings.keep_runs {
                let folder = dir
                    .join("runs")
                    .join(&plan.variants[key.variant])
                    .join(format!("point-{}", key.point))
                    .join(format!("replication-{}", key.replication));
                report::run_into(&folder, scenario, &[], &Progress::hidden())
                    .map(|(_, summary)| summary)
                    .map_err(|e| e.to_string())
            } else {
                Ok(report::summary_only(scenario))
            }
        })??;
        Ok(figures(&summary, &names))
    };
    let result = result();
    RunRow {
        run,
        point: key.point,
        variant: plan.variants[key.variant].clone(),
        axes,
        replication: key.replication,
        seed,
        result,
    }
}

/// `f`'s result, or the message of the panic it raised.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
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
}
