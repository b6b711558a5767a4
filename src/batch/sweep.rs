//! Running a sweep: its runs in order — variant, then point, then replication — sliced for a
//! shard, run in parallel and written in that order; with `--precision`, more replications of
//! the points near the decision, round after round, until their intervals are tight.
//!
//! Rows reach `runs.csv` in run order whatever thread finished first (a run waits for the
//! ones before it), so the file is the same for any `--jobs`, and a sweep stopped at any
//! moment holds a prefix of it, which `--resume` takes up.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use super::guarded;
use super::shard::Shard;
use crate::config::Scenario;
use crate::engine::replication_seed;
use crate::report::sweep::{
    AxisRecord, Columns, PointSummary, PrecisionRecord, RunRow, RunsJournal, ShardRecord, SweepFileError, SweepRecord,
    Tally, figure_names, figures, write_points, write_record,
};
use crate::report::{self, Progress};
use crate::scenario::{MAX_RUNS, SweepPlan};
use crate::stats::best::{Goal, Resolved, more_replications};

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
    /// `--best` and `--minimize`/`--maximize`: checked before anything runs.
    pub goal: Option<Goal>,
    /// `--precision`: more replications near the decision of `goal`.
    pub precision: Option<Precision>,
}

pub struct Precision {
    /// The half-width asked for, as a share of the mean (0.02 for 2 %).
    pub share: f64,
    /// The most runs of one point, failed ones included.
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
    /// Nothing ran: a setting, the folder, or an earlier start that is not this sweep's.
    #[error("{0}")]
    Start(String),
    /// The runs' rows could not be written.
    #[error(transparent)]
    File(#[from] SweepFileError),
}

/// One run: which variant, point and replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunKey {
    variant: usize,
    point: usize,
    replication: u64,
}

/// `sweep.json` for `plan` run with `settings`.
pub fn record(plan: &SweepPlan, settings: &Settings) -> SweepRecord {
    SweepRecord {
        ecsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: plan.name.clone(),
        scenario: plan.scenario.clone(),
        fingerprint: format!("{:016x}", plan.fingerprint),
        seed: plan.seed,
        replications: plan.replications,
        seeds: "replication 0 runs on the scenario's seed, replication k ≥ 1 on the k-th output of SplitMix64 started at it".into(),
        axes: plan.axes.iter().map(|a| AxisRecord { key: a.key.clone(), values: a.labels.clone() }).collect(),
        zip: plan.zip.clone(),
        variants: plan.variants.clone(),
        points: plan.points.len(),
        planned_runs: planned_runs(plan),
        precision: settings.precision.as_ref().zip(settings.goal.as_ref()).map(|(p, goal)| PrecisionRecord {
            best: goal.constraint.as_ref().map(ToString::to_string),
            objective: goal.objective.clone(),
            maximize: goal.maximize,
            precision: p.share,
            max_replications: p.max_replications,
        }),
        shard: settings.shard.map(|s| ShardRecord { index: s.index, count: s.count }),
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

/// Runs in the plan before `--precision` adds any.
fn planned_runs(plan: &SweepPlan) -> u64 {
    (plan.variants.len() * plan.points.len()) as u64 * u64::from(plan.replications)
}

/// The runs of the plan before any refinement that belong to `shard`, in order, with their
/// place in the sweep's order.
fn first_round(plan: &SweepPlan, shard: Option<Shard>) -> Vec<(u64, RunKey)> {
    let replications = u64::from(plan.replications);
    (0..planned_runs(plan))
        .filter(|&run| shard.is_none_or(|s| s.owns(run)))
        .map(|run| {
            let cell = (run / replications) as usize;
            let key = RunKey {
                variant: cell / plan.points.len(),
                point: cell % plan.points.len(),
                replication: run % replications,
            };
            (run, key)
        })
        .collect()
}

/// The settings checked against the plan before anything runs: the goal's figures, what
/// `--precision` needs, and the most runs it may make.
fn check(plan: &SweepPlan, settings: &Settings, columns: &Columns) -> Result<Option<Resolved>, SweepError> {
    let goal = settings.goal.as_ref().map(|g| g.resolve(&columns.figures)).transpose().map_err(SweepError::Start)?;
    let Some(precision) = &settings.precision else { return Ok(goal) };
    if goal.is_none() {
        return Err(SweepError::Start(
            "--precision refines a decision: give --best (and --minimize or --maximize)".into(),
        ));
    }
    if settings.shard.is_some() {
        return Err(SweepError::Start(
            "--precision decides which runs to add from all the runs so far, so it cannot run in shards; merge the shards, then pick with `ecsim merge --best`".into(),
        ));
    }
    if !(precision.share > 0.0 && precision.share < 1.0) || precision.max_replications < 2 {
        return Err(SweepError::Start(
            "--precision is a share between 0 and 1, and --max-replications at least 2".into(),
        ));
    }
    let cap = u64::from(precision.max_replications.max(plan.replications));
    let most = (plan.points.len() * plan.variants.len()) as u64 * cap;
    if most > MAX_RUNS {
        return Err(SweepError::Start(format!(
            "{} point(s) × {} variant(s) × up to {cap} replications may reach {most} runs; a sweep may have at most {MAX_RUNS}: lower --max-replications",
            plan.points.len(),
            plan.variants.len()
        )));
    }
    Ok(goal)
}

/// Runs the sweep (or its shard), writing its files into [`folder`]; `progress` counts runs.
pub fn run(plan: &SweepPlan, settings: &Settings, progress: &Progress) -> Result<Outcome, SweepError> {
    let columns = columns(plan);
    let goal = check(plan, settings, &columns)?;
    let dir = folder(settings);
    let start = |e: SweepFileError| SweepError::Start(e.to_string());
    std::fs::create_dir_all(&dir)
        .map_err(|source| start(SweepFileError::Io { path: dir.display().to_string(), source }))?;
    write_record(&dir, &record(plan, settings), settings.resume).map_err(start)?;
    let (mut journal, existing) = RunsJournal::open(&dir, &columns, settings.resume).map_err(start)?;
    let mut existing: VecDeque<RunRow> = existing.into();

    let mut jobs = rayon::ThreadPoolBuilder::new();
    if let Some(n) = settings.jobs {
        jobs = jobs.num_threads(n);
    }
    let pool = jobs.build().map_err(|e| SweepError::Start(format!("cannot start the threads: {e}")))?;

    let run = Run { plan, settings, dir: &dir, figures: &columns.figures, pool: &pool, progress };
    let round = first_round(plan, settings.shard);
    let mut next_run = planned_runs(plan);
    let mut tally = Tally::default();
    progress.grow(round.len() as u64);
    let mut ran = run.round(&round, &mut existing, &mut journal, &mut tally)?;

    if let (Some(precision), Some(goal)) = (&settings.precision, &goal) {
        loop {
            let points = tally.points(columns.figures.len());
            let evidence: Vec<_> = points.iter().map(PointSummary::evidence).collect();
            let cap = precision.max_replications.max(plan.replications) as usize;
            let wanted = more_replications(&evidence, goal, precision.share, cap);
            if wanted.is_empty() {
                break;
            }
            let mut round = Vec::new();
            for (i, rows) in wanted {
                let point = &points[i];
                let variant = plan.variants.iter().position(|v| *v == point.variant).expect("a planned variant");
                let made = tally.rows_of(&point.variant, point.point);
                for replication in made..rows as u64 {
                    round.push((next_run, RunKey { variant, point: point.point, replication }));
                    next_run += 1;
                }
            }
            progress.grow(round.len() as u64);
            ran += run.round(&round, &mut existing, &mut journal, &mut tally)?;
        }
    }
    if !existing.is_empty() {
        return Err(SweepError::Start(format!(
            "{}: {} row(s) beyond this sweep's runs; run without --resume to start again",
            dir.join("runs.csv.partial").display(),
            existing.len()
        )));
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

/// What every run of a sweep shares.
struct Run<'a> {
    plan: &'a SweepPlan,
    settings: &'a Settings,
    dir: &'a Path,
    figures: &'a [String],
    pool: &'a rayon::ThreadPool,
    progress: &'a Progress,
}

impl Run<'_> {
    /// The rows of one round: taken from `existing` while it lasts (they must be this round's
    /// first runs), the others run in parallel and appended in order. Returns how many ran.
    /// Once a row cannot be written, no more runs start.
    fn round(
        &self,
        round: &[(u64, RunKey)],
        existing: &mut VecDeque<RunRow>,
        journal: &mut RunsJournal,
        tally: &mut Tally,
    ) -> Result<usize, SweepError> {
        let mut taken = 0;
        while let (Some(done), Some(&(run, key))) = (existing.front(), round.get(taken)) {
            let same = done.run == run
                && done.variant == self.plan.variants[key.variant]
                && done.point == key.point
                && done.replication == key.replication;
            if !same {
                return Err(SweepError::Start(format!(
                    "{}: its row for run {} is not this sweep's run {run}; run without --resume to start again",
                    self.dir.join("runs.csv.partial").display(),
                    done.run
                )));
            }
            tally.add(existing.pop_front().expect("looked at"));
            self.progress.advance(1);
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
        let lock = || state.lock().expect("no thread panics holding the tally");
        self.pool.install(|| {
            to_run.iter().enumerate().par_bridge().for_each_init(
                || None::<Built>,
                |built, (i, &(run, key))| {
                    if lock().error.is_some() {
                        return;
                    }
                    let row = self.one(run, key, built);
                    let mut state = lock();
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
                        self.progress.advance(1);
                    }
                },
            );
        });
        match state.into_inner().expect("no thread panics holding the tally").error {
            Some(e) => Err(e.into()),
            None => Ok(to_run.len()),
        }
    }

    /// Makes one run and its row; a failure — the scenario, the run's own files, a panic in
    /// the model — is the row's error, and the sweep goes on.
    fn one(&self, run: u64, key: RunKey, built: &mut Option<Built>) -> RunRow {
        let plan = self.plan;
        let values = &plan.points[key.point];
        let axes = plan.axes.iter().zip(values).map(|(axis, &v)| axis.labels[v].clone()).collect();
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
                if self.settings.keep_runs {
                    let folder = self
                        .dir
                        .join("runs")
                        .join(&plan.variants[key.variant])
                        .join(format!("point-{}", key.point))
                        .join(format!("replication-{}", key.replication));
                    report::run_into(&folder, scenario, &[], report::Outputs::ALL, false, &Progress::hidden())
                        .map(|(_, summary)| summary)
                        .map_err(|e| e.to_string())
                } else {
                    Ok(report::summary_only(scenario))
                }
            })??;
            Ok(figures(&summary, self.figures))
        };
        let result = result();
        let variant = plan.variants[key.variant].clone();
        RunRow { run, point: key.point, variant, axes, replication: key.replication, seed, result }
    }
}
