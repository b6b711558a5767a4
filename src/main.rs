//! The `ecsim` command: parses arguments, calls the library, maps results to exit codes
//! (0 success, 1 a run failed, 2 bad usage or input).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use ecsim::scenario::{self, Overrides};

#[derive(Parser)]
#[command(name = "ecsim", version, about = "Discrete-event capacity and cost simulator for Amazon ECS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write its results.
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Output folder [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed, instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Fargate price table (columns of shared/data/pricing/fargate.csv), instead of the
        /// scenario's `prices` or the built-in us-east-1 rates.
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

const INPUT_ERROR: u8 = 2;
const RUN_ERROR: u8 = 1;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { file, out, seed, prices, quiet } => run(file, out, Overrides { seed, prices }, quiet),
        Command::Validate { files } => validate(&files),
    }
}

fn run(file: PathBuf, out: Option<PathBuf>, overrides: Overrides, quiet: bool) -> ExitCode {
    let loaded = match scenario::load(&file, &overrides) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let scenario = &loaded.scenario;
    let dir = out.unwrap_or_else(|| PathBuf::from("output").join(&scenario.name));
    let started = Instant::now();
    match ecsim::report::run_into(&dir, scenario, &loaded.warnings) {
        Ok((_, summary)) => {
            if !quiet {
                println!(
                    "ecsim: {} (seed {}), {} simulated in {:.2} s",
                    scenario.name,
                    scenario.seed,
                    humantime::format_duration(std::time::Duration::from_millis(scenario.duration_ms)),
                    started.elapsed().as_secs_f64()
                );
                print!("{}", summary.table());
                println!("results: {}", dir.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(RUN_ERROR)
        }
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
