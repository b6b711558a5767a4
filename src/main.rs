//! The `ecsim` command: parses arguments, calls the library, maps results to exit codes
//! (0 success, 1 a run failed, 2 bad usage or input).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, CommandFactory, Parser, Subcommand};
use ecsim::batch::shard::{self, Shard};
use ecsim::batch::{Batch, sweep};
use ecsim::calibration;
use ecsim::report::{self, Outputs, Progress};
use ecsim::scenario::{self, Overrides};
use ecsim::stats::best::{Constraint, Goal};

#[derive(Parser)]
#[command(name = "ecsim", version, about = "Discrete-event capacity and cost simulator for Amazon ECS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios (in parallel when there are several) and write their results.
    Run {
        /// Scenario files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output folder for one scenario; for several, the folder that gets one subfolder per
        /// scenario name [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed, instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Fargate price table (columns of shared/data/pricing/fargate.csv), instead of the
        /// scenario's `prices` or the built-in us-east-1 rates.
        #[arg(long)]
        prices: Option<PathBuf>,
        /// EC2 instance catalog (columns of shared/data/pricing/ec2_us_east_1.csv), adding to
        /// the built-in us-east-1 types, instead of the scenario's `catalog`.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Write no charts (charts/ beside the files).
        #[arg(long)]
        no_charts: bool,
        /// Treat warnings (settings legal but almost surely wrong) as errors: nothing runs.
        #[arg(long)]
        deny_warnings: bool,
        /// What to write, a comma-separated list of summary (summary.json and .csv, run.json,
        /// instances.csv: always written), series (timeseries.csv, providers.csv) and events
        /// (events-*.csv). Charts and report.html need series and events.
        #[arg(long, default_value = "summary,series,events", value_parser = Outputs::parse)]
        outputs: Outputs,
        /// Print every service in the terminal's table, not only the costliest.
        #[arg(long)]
        all: bool,
    },
    /// Run a sweep: every point of a scenario's [sweep] (or of a sweep file naming a scenario),
    /// every variant, each replication; writes runs.csv, points.csv (means and 95 % intervals),
    /// pareto.csv and sweep.json.
    Sweep {
        /// A scenario with a [sweep] table, or a sweep file (`scenario = "FILE"` and [sweep]).
        file: PathBuf,
        /// The sweep's folder [default: output/<name>]; a shard writes into its
        /// shard-I-of-N subfolder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs at once [default: one per core].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        jobs: Option<u32>,
        /// Replications of each point, instead of the sweep's `replications`.
        #[arg(long)]
        replications: Option<u32>,
        /// The seed replication 0 runs on, instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Fargate price table, instead of the scenario's `prices`.
        #[arg(long)]
        prices: Option<PathBuf>,
        /// EC2 instance catalog, instead of the scenario's `catalog`.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Also write each run's own folder (time series, events) under runs/.
        #[arg(long)]
        keep_runs: bool,
        /// Go on from what an interrupted start of the same sweep finished.
        #[arg(long)]
        resume: bool,
        /// Run the I-th of N slices of the runs (0 ≤ I < N) [default: from SLURM_ARRAY_TASK_ID,
        /// JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX when set].
        #[arg(long)]
        shard: Option<Shard>,
        /// How many shards an array job has, where its variables do not say (Kubernetes).
        #[arg(long)]
        shards: Option<u32>,
        #[command(flatten)]
        goal: GoalArgs,
        /// Add replications to the points near the --best decision until their 95 % intervals
        /// are this tight: a share of the mean, e.g. 2%.
        #[arg(long, value_parser = parse_share)]
        precision: Option<f64>,
        /// The most runs of one point --precision may make.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(2..=10_000))]
        max_replications: u32,
        /// Print nothing but errors and the --best answer.
        #[arg(long, short)]
        quiet: bool,
        /// Write no charts.
        #[arg(long)]
        no_charts: bool,
    },
    /// Join the folders of a sweep's shards into the files one machine would have written.
    Merge {
        /// Shard folders (or folders holding shard-I-of-N subfolders).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged files go.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        goal: GoalArgs,
        /// Write no charts.
        #[arg(long)]
        no_charts: bool,
    },
    /// Make a scenario from the JSON the AWS CLI printed for a running setup (see
    /// scripts/export-from-aws.sh): DIR/scenario.toml and its load traces, each value with a
    /// comment naming the JSON field it came from, and a warning for what could not be mapped.
    Import {
        /// The folder of AWS CLI outputs (`*.json`, recognised by content).
        aws_dir: PathBuf,
        /// Where to write scenario.toml and its traces.
        #[arg(long)]
        out: PathBuf,
    },
    /// Estimate from CloudWatch history (get-metric-data JSON: RequestCount, CPUUtilization,
    /// RunningTaskCount, DesiredTaskCount, MemoryUtilization) the requests one task serves at
    /// 100 % CPU, the start-up delay and memory_use, with how well they fit, then replay the
    /// calibrated scenario against the history (running tasks and CPU, minute by minute).
    Calibrate {
        /// The scenario whose service is calibrated.
        scenario: PathBuf,
        /// The folder of get-metric-data output.
        #[arg(long)]
        metrics: PathBuf,
        /// The service [default: the scenario's only one].
        #[arg(long)]
        service: Option<String>,
        /// Write the calibrated scenario here (the input file only if named).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Use the history from this time on (RFC 3339, e.g. 2026-11-17T00:00:00Z): the
        /// period like the one you ask about, after a release that changed the service.
        #[arg(long, value_parser = parse_time)]
        since: Option<i64>,
    },
    /// Check scenario files without running them.
    Validate {
        /// Scenario or sweep files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Treat warnings as errors (exit 2), for CI.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print the JSON Schema of scenario and sweep files, for editors: save it and point a TOML
    /// language server at it (README.md says how).
    Schema,
    /// Print the shell completions of ecsim for SHELL, to be saved where the shell loads them
    /// (README.md says where).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Tell why a service's capacity was what it was at one moment of a run.
    Explain {
        /// A run's output folder.
        dir: PathBuf,
        /// The service.
        #[arg(long)]
        service: String,
        /// The moment: a time since the start ("1h38m") or an RFC 3339 time.
        #[arg(long)]
        at: String,
    },
    /// Compare runs side by side: cost, capacity, service, each against the first; writes
    /// comparison.csv in the current folder (or --out).
    Compare {
        /// Output folders of runs, the first one the reference; a folder of runs (a
        /// scenario's variants) stands for the runs inside it.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where comparison.csv goes [default: the one folder of runs given, else .].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write no charts.
        #[arg(long)]
        no_charts: bool,
    },
    /// Draw again the charts and report.html of output folders (a run, a scenario's variants,
    /// a sweep) from their files alone.
    Plot {
        /// Output folders: a run's, the folder of a scenario's variants (or of `ecsim compare
        /// --out`), a sweep's or a merge's.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

/// What the best point of a sweep is.
#[derive(Args)]
struct GoalArgs {
    /// Print the best points that meet a service level, judged on the end of each point's 95 %
    /// interval: 'FIGURE <= NUMBER' or 'FIGURE >= NUMBER', e.g. 'unserved_share <= 0.001'.
    #[arg(long)]
    best: Option<Constraint>,
    /// The figure the best point keeps lowest [default: cost_usd].
    #[arg(long)]
    minimize: Option<String>,
    /// The figure the best point keeps highest.
    #[arg(long, conflicts_with = "minimize")]
    maximize: Option<String>,
}

impl GoalArgs {
    /// The goal, if any of the three was given.
    fn goal(self) -> Option<Goal> {
        if self.best.is_none() && self.minimize.is_none() && self.maximize.is_none() {
            return None;
        }
        let maximize = self.maximize.is_some();
        let objective = self.maximize.or(self.minimize).unwrap_or_else(|| "cost_usd".into());
        Some(Goal { constraint: self.best, objective, maximize })
    }
}

/// An RFC 3339 time as Unix seconds.
fn parse_time(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| format!("found {text:?}; expected an RFC 3339 time, e.g. 2026-11-17T00:00:00Z"))
}

/// "2%" or "0.02".
fn parse_share(text: &str) -> Result<f64, String> {
    let share = match text.trim().strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.trim().parse::<f64>(),
    }
    .map_err(|_| format!("found \"{text}\"; expected a share such as 2% or 0.02"))?;
    if share > 0.0 && share < 1.0 {
        Ok(share)
    } else {
        Err(format!("found \"{text}\"; expected more than 0 and less than 100%"))
    }
}

const INPUT_ERROR: u8 = 2;
const RUN_ERROR: u8 = 1;

fn main() -> ExitCode {
    // Output piped into `head` ends the process quietly, as it does other Unix tools, instead
    // of a panic on the first write after the pipe closed.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match Cli::parse().command {
        Command::Run { files, out, seed, prices, catalog, quiet, no_charts, deny_warnings, outputs, all } => {
            let settings = RunSettings { quiet, charts: !no_charts, deny_warnings, outputs, all };
            run(&files, out, &Overrides { seed, prices, catalog }, &settings)
        }
        Command::Sweep {
            file,
            out,
            jobs,
            replications,
            seed,
            prices,
            catalog,
            keep_runs,
            resume,
            shard,
            shards,
            goal,
            precision,
            max_replications,
            quiet,
            no_charts,
        } => {
            let overrides = Overrides { seed, prices, catalog };
            let charts = !no_charts;
            let settings =
                SweepArgs { charts, out, jobs, keep_runs, resume, shard, shards, precision, max_replications, quiet };
            run_sweep(&file, &overrides, replications, settings, goal.goal())
        }
        Command::Merge { dirs, out, goal, no_charts } => merge(&dirs, &out, goal.goal(), !no_charts),
        Command::Import { aws_dir, out } => import(&aws_dir, &out),
        Command::Calibrate { scenario, metrics, service, out, since } => {
            calibrate(&scenario, &metrics, service, out.as_deref(), since)
        }
        Command::Validate { files, deny_warnings } => validate(&files, deny_warnings),
        Command::Compare { dirs, out, no_charts } => compare(&dirs, out, !no_charts),
        Command::Plot { dirs } => plot(&dirs),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "ecsim", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Schema => {
            println!("{:#}", scenario::json_schema());
            ExitCode::SUCCESS
        }
        Command::Explain { dir, service, at } => match ecsim::report::explain(&dir, &service, &at) {
            Ok(story) => {
                print!("{story}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(INPUT_ERROR)
            }
        },
    }
}

/// Each warning once, though a scenario's variants repeat its base's; with `deny`, they are
/// errors. Returns whether they stop the command.
fn print_warnings<'w>(file: &std::path::Path, warnings: impl Iterator<Item = &'w String>, deny: bool) -> bool {
    let mut seen: Vec<&String> = Vec::new();
    for warning in warnings {
        if !seen.contains(&warning) {
            let kind = if deny { "error (--deny-warnings)" } else { "warning" };
            eprintln!("{kind}: {}: {warning}", file.display());
            seen.push(warning);
        }
    }
    deny && !seen.is_empty()
}

/// How `run` runs and what it prints.
struct RunSettings {
    quiet: bool,
    charts: bool,
    deny_warnings: bool,
    outputs: Outputs,
    /// Every service in the terminal table.
    all: bool,
}

fn run(files: &[PathBuf], out: Option<PathBuf>, overrides: &Overrides, settings: &RunSettings) -> ExitCode {
    let RunSettings { quiet, charts, deny_warnings, outputs, all } = *settings;
    let mut bad_input = false;
    let mut batch = Batch::default();
    for file in files {
        let loaded = match scenario::load(file, overrides) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
                continue;
            }
        };
        let warnings = loaded.warnings.iter().chain(loaded.variants.iter().flat_map(|v| &v.warnings));
        if print_warnings(file, warnings, deny_warnings) {
            bad_input = true;
            continue;
        }
        if let Err(why) = batch.add(file, loaded, out.as_deref(), files.len() > 1) {
            eprintln!("error: {}: {why}", file.display());
            bad_input = true;
        }
    }
    // Where the results go, before anything runs: a folder is named after the scenario's
    // `name`, which need not be its file's.
    if !quiet {
        const LISTED: usize = 10;
        for job in batch.jobs.iter().take(LISTED) {
            println!("writing {} into {}", job.label(), job.dir.display());
        }
        if batch.jobs.len() > LISTED {
            println!("… and {} more run(s)", batch.jobs.len() - LISTED);
        }
    }
    let started = Instant::now();
    let progress = Progress::simulated(batch.simulated_ms(), !quiet);
    let results = batch.run(&progress, outputs, charts);
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let mut run_error = false;
    for (job, result) in batch.jobs.iter().zip(&results) {
        match result {
            Ok(summary) => {
                if !quiet {
                    print!("{}\n{}results: {}\n\n", summary.headline(), summary.table(all), job.dir.display());
                }
                let warnings = job.result_warnings(summary);
                let of_run = |w: &String| match &job.scenario.variant {
                    Some(v) => format!("{w} (variant {v})"),
                    None => w.clone(),
                };
                bad_input |=
                    print_warnings(&job.file, warnings.iter().map(of_run).collect::<Vec<_>>().iter(), deny_warnings);
            }
            Err(e) => {
                eprintln!("error: {}: {e}", job.scenario.name);
                run_error = true;
            }
        }
    }
    for (folder, comparison, runs) in batch.comparisons(&results) {
        if !quiet {
            print!("{}comparison: {}\n\n", comparison.table(), folder.join("comparison.csv").display());
        }
        if let Err(e) = ecsim::report::write_comparison(&folder, &comparison, &runs, charts && outputs.chartable()) {
            eprintln!("error: {e}");
            run_error = true;
        }
    }
    if !quiet && !batch.jobs.is_empty() {
        println!("{} run(s) in {elapsed:.2} s", batch.jobs.len());
    }
    if bad_input {
        ExitCode::from(INPUT_ERROR)
    } else if run_error {
        ExitCode::from(RUN_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// The sweep settings of the command line, before the shard is known.
struct SweepArgs {
    charts: bool,
    out: Option<PathBuf>,
    jobs: Option<u32>,
    keep_runs: bool,
    resume: bool,
    shard: Option<Shard>,
    shards: Option<u32>,
    precision: Option<f64>,
    max_replications: u32,
    quiet: bool,
}

fn input_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(INPUT_ERROR)
}

fn run_sweep(
    file: &std::path::Path,
    overrides: &Overrides,
    replications: Option<u32>,
    args: SweepArgs,
    goal: Option<Goal>,
) -> ExitCode {
    let shard = match args.shard {
        Some(shard) => Some(shard),
        None => match shard::from_environment(|name| std::env::var(name).ok(), args.shards) {
            Ok(Some((shard, engine))) => {
                if !args.quiet {
                    eprintln!("ecsim: shard {shard} of the sweep, from {engine}'s array job");
                }
                Some(shard)
            }
            Ok(None) if args.shards.is_some() => {
                return input_error(
                    "--shards needs --shard I/N, or an array job's index (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)",
                );
            }
            Ok(None) => None,
            Err(e) => return input_error(e),
        },
    };
    let plan = match scenario::load_sweep(file, overrides, replications) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    for warning in &plan.warnings {
        eprintln!("warning: {}: {warning}", file.display());
    }
    let max_replications = args.max_replications;
    let settings = sweep::Settings {
        out: args.out.unwrap_or_else(|| PathBuf::from("output").join(&plan.name)),
        jobs: args.jobs.map(|j| j as usize),
        keep_runs: args.keep_runs,
        resume: args.resume,
        shard,
        goal: goal.clone(),
        precision: args.precision.map(|share| sweep::Precision { share, max_replications }),
    };
    let started = Instant::now();
    let progress = Progress::runs(!args.quiet);
    let outcome = sweep::run(&plan, &settings, &progress);
    progress.finish();
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e @ sweep::SweepError::Start(_)) => return input_error(e),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(RUN_ERROR);
        }
    };
    report_failures(&outcome.failed);
    let cap = settings.precision.as_ref().map(|p| p.max_replications.max(plan.replications) as usize);
    let best = match goal.as_ref().map(|g| report::sweep::best_text(&outcome.points, &outcome.columns, g, cap)) {
        Some(Err(e)) => return input_error(e),
        Some(Ok(text)) => Some(text),
        None => None,
    };
    // A shard's charts would show a slice: the merge draws the sweep's.
    if args.charts
        && shard.is_none()
        && let Err(e) = ecsim::report::illustrate_sweep(&outcome.dir, best.as_deref())
    {
        eprintln!("error: {e}");
        return ExitCode::from(RUN_ERROR);
    }
    if !args.quiet {
        let taken = outcome.runs - outcome.ran;
        let resumed = if taken > 0 { format!(" ({taken} taken up from the earlier start)") } else { String::new() };
        println!(
            "ecsim sweep: {} — {} point(s) × {} variant(s), {} run(s){resumed} in {:.2} s, {} failed",
            plan.name,
            plan.points.len(),
            plan.variants.len(),
            outcome.runs,
            started.elapsed().as_secs_f64(),
            outcome.failed.len(),
        );
        println!("results: {}", outcome.dir.display());
    }
    finish(best, outcome.failed.len())
}

/// One line on standard error for each failed run.
fn report_failures(failed: &[report::sweep::RunRow]) {
    for row in failed {
        let why = row.result.as_ref().err().map_or("", String::as_str);
        eprintln!(
            "error: run {} (point {}, {}, replication {}) failed: {why}",
            row.run, row.point, row.variant, row.replication
        );
    }
}

/// Prints the `--best` answer, if asked; exit 1 if runs failed.
fn finish(best: Option<String>, failed: usize) -> ExitCode {
    if let Some(text) = best {
        print!("{text}");
    }
    if failed > 0 { ExitCode::from(RUN_ERROR) } else { ExitCode::SUCCESS }
}

fn merge(dirs: &[PathBuf], out: &std::path::Path, goal: Option<Goal>, charts: bool) -> ExitCode {
    let shards = match report::sweep::Shards::open(dirs) {
        Ok(shards) => shards,
        Err(e) => return input_error(e),
    };
    if let Some(Err(e)) = goal.as_ref().map(|g| g.resolve(&shards.columns.figures)) {
        return input_error(e);
    }
    match shards.merge_into(out) {
        Ok(merged) => {
            report_failures(&merged.failed);
            let best = match goal.as_ref().map(|g| report::sweep::best_text(&merged.points, &merged.columns, g, None)) {
                Some(Err(e)) => return input_error(e),
                Some(Ok(text)) => Some(text),
                None => None,
            };
            if charts && let Err(e) = ecsim::report::illustrate_sweep(out, best.as_deref()) {
                eprintln!("error: {e}");
                return ExitCode::from(RUN_ERROR);
            }
            println!(
                "ecsim merge: {} run(s) of {} point(s), {} failed; results: {}",
                merged.runs,
                merged.points.len(),
                merged.failed.len(),
                out.display()
            );
            finish(best, merged.failed.len())
        }
        Err(e) => input_error(e),
    }
}

/// Exit 2 if a folder is not results it can read, else 1 if drawing or writing failed.
fn plot(dirs: &[PathBuf]) -> ExitCode {
    let (mut bad_input, mut failed) = (false, false);
    for dir in dirs {
        match ecsim::report::plot(dir) {
            Ok(charts) => println!("{}: {charts} chart(s) in {}", dir.display(), dir.join("charts").display()),
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                if e.is_input() { bad_input = true } else { failed = true }
            }
        }
    }
    match (bad_input, failed) {
        (true, _) => ExitCode::from(INPUT_ERROR),
        (false, true) => ExitCode::from(RUN_ERROR),
        (false, false) => ExitCode::SUCCESS,
    }
}

fn import(aws_dir: &Path, out: &Path) -> ExitCode {
    let imported = match scenario::import::import(aws_dir) {
        Ok(imported) => imported,
        Err(e) => return input_error(e),
    };
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let file = match report::write_imported(out, &imported) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            return ExitCode::from(RUN_ERROR);
        }
    };
    // What was written must be a scenario ecsim accepts.
    if let Err(e) = scenario::load(&file, &Overrides::default()) {
        return input_error(format!("the imported scenario does not validate; edit {} by hand\n{e}", file.display()));
    }
    println!("imported: {}", file.display());
    if !imported.calibrate {
        return ExitCode::SUCCESS;
    }
    match calibration::calibrate_scenario(&file, &imported.scenario, None, aws_dir, None) {
        Ok(calibrated) => finish_calibration(&calibrated, &file),
        Err(e) => {
            eprintln!(
                "warning: not calibrated: {e}; the placeholder stays (`ecsim calibrate` once the history is complete)"
            );
            ExitCode::SUCCESS
        }
    }
}

fn calibrate(file: &Path, metrics: &Path, service: Option<String>, out: Option<&Path>, since: Option<i64>) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return input_error(format!("{}: {e}", file.display())),
    };
    match calibration::calibrate_scenario(file, &text, service.as_deref(), metrics, since) {
        Ok(calibrated) => match out {
            Some(out) => finish_calibration(&calibrated, out),
            None => {
                print_calibration(&calibrated);
                ExitCode::SUCCESS
            }
        },
        Err(e) => input_error(e),
    }
}

fn print_calibration(calibrated: &calibration::Calibrated) {
    let (lines, warnings) = report::calibration_lines(calibrated);
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    for line in lines {
        println!("{line}");
    }
}

/// Prints the calibration and writes the calibrated scenario to `out`.
fn finish_calibration(calibrated: &calibration::Calibrated, out: &Path) -> ExitCode {
    print_calibration(calibrated);
    if let Err(e) = report::write_scenario(out, &calibrated.text) {
        eprintln!("error: {}: {e}", out.display());
        return ExitCode::from(RUN_ERROR);
    }
    println!("calibrated: {}", out.display());
    ExitCode::SUCCESS
}

fn validate(files: &[PathBuf], deny_warnings: bool) -> ExitCode {
    let mut failed = false;
    for file in files {
        let checked = match scenario::declares_sweep(file) {
            true => scenario::load_sweep(file, &Overrides::default(), None).map(|plan| plan.warnings),
            false => scenario::load(file, &Overrides::default()).map(|loaded| {
                let variants = loaded.variants.into_iter().flat_map(|v| v.warnings);
                loaded.warnings.into_iter().chain(variants).collect()
            }),
        };
        match checked {
            Ok(warnings) => {
                if print_warnings(file, warnings.iter(), deny_warnings) {
                    failed = true;
                    continue;
                }
                println!("ok: {}", file.display());
            }
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::from(INPUT_ERROR) } else { ExitCode::SUCCESS }
}

fn compare(dirs: &[PathBuf], out: Option<PathBuf>, charts: bool) -> ExitCode {
    let read = ecsim::report::run_folders(dirs)
        .and_then(|folders| ecsim::report::read_summaries(&folders).map(|runs| (folders, runs)));
    let (folders, runs) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let comparison = ecsim::report::Comparison::new(&runs);
    // The parent folder of the runs compared, when one was given, else here.
    let parent = match dirs {
        [dir] if !dir.join("summary.json").exists() => dir.clone(),
        _ => PathBuf::from("."),
    };
    let out = out.unwrap_or(parent);
    print!("{}", comparison.table());
    let labelled: Vec<(String, PathBuf)> = runs.iter().map(|(label, _)| label.clone()).zip(folders).collect();
    match ecsim::report::write_comparison(&out, &comparison, &labelled, charts) {
        Ok(()) => {
            println!("comparison: {}", out.join("comparison.csv").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(RUN_ERROR)
        }
    }
}
