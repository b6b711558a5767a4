//! The `ecsim` command: parses arguments, calls the library, maps results to exit codes
//! (0 success, 1 a run failed, 2 bad usage or input).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use ecsim::batch::Batch;
use ecsim::scenario::{self, Overrides};

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
    },
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
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
        /// Output folders of runs, the first one the reference.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where comparison.csv goes [default: .].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

const INPUT_ERROR: u8 = 2;
const RUN_ERROR: u8 = 1;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { files, out, seed, prices, catalog, quiet } => {
            run(&files, out, &Overrides { seed, prices, catalog }, quiet)
        }
        Command::Validate { files } => validate(&files),
        Command::Compare { dirs, out } => compare(&dirs, out),
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

fn run(files: &[PathBuf], out: Option<PathBuf>, overrides: &Overrides, quiet: bool) -> ExitCode {
    let mut input_error = false;
    let mut batch = Batch::default();
    for file in files {
        let loaded = match scenario::load(file, overrides) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{e}");
                input_error = true;
                continue;
            }
        };
        for warning in loaded.warnings.iter().chain(loaded.variants.iter().flat_map(|v| &v.warnings)) {
            eprintln!("warning: {}: {warning}", file.display());
        }
        if let Err(dir) = batch.add(loaded, out.as_deref(), files.len() > 1) {
            let file = file.display();
            eprintln!(
                "error: {file}: another scenario already writes to {}; give each a different `name`",
                dir.display()
            );
            input_error = true;
        }
    }
    let started = Instant::now();
    let results = batch.run();
    let elapsed = started.elapsed().as_secs_f64();
    let mut run_error = false;
    for (job, result) in batch.jobs.iter().zip(&results) {
        match result {
            Ok(summary) if !quiet => {
                print!("{}\n{}results: {}\n\n", summary.headline(), summary.table(), job.dir.display())
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {}: {e}", job.scenario.name);
                run_error = true;
            }
        }
    }
    for (folder, comparison) in batch.comparisons(&results) {
        if !quiet {
            print!("{}comparison: {}\n\n", comparison.table(), folder.join("comparison.csv").display());
        }
        if let Err(e) = ecsim::report::write_comparison(&folder, &comparison) {
            eprintln!("error: {e}");
            run_error = true;
        }
    }
    if !quiet && !batch.jobs.is_empty() {
        println!("{} run(s) in {elapsed:.2} s", batch.jobs.len());
    }
    if input_error {
        ExitCode::from(INPUT_ERROR)
    } else if run_error {
        ExitCode::from(RUN_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        match scenario::load(file, &Overrides::default()) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    eprintln!("warning: {}: {warning}", file.display());
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

fn compare(dirs: &[PathBuf], out: Option<PathBuf>) -> ExitCode {
    let runs = match ecsim::report::read_summaries(dirs) {
        Ok(runs) => runs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let comparison = ecsim::report::Comparison::new(&runs);
    let out = out.unwrap_or_else(|| PathBuf::from("."));
    print!("{}", comparison.table());
    match ecsim::report::write_comparison(&out, &comparison) {
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
