//! Integration tests: the real `ecsim` binary on real scenario files.

mod closed_form;
mod deploy;
mod ec2;
mod ec2_invariants;
mod fargate_spot;
mod fidelity;
mod first_hour;
mod fuzz;
mod import;
mod invalid_input;
mod invariants;
mod operations;
mod outputs;
mod report;
mod right_sizing;
mod robustness;
mod runs;
mod scheduled_and_step;
mod slurm;
mod step_load;
mod sweep;
mod trace_replay;
mod variants;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where `scenarios/` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn ecsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecsim")).args(args).current_dir(root()).output().expect("ecsim runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `scenario` into `out`, asserting success.
pub fn run_ok(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let output = ecsim(&args);
    assert!(output.status.success(), "ecsim run {} failed: {}", scenario.display(), stderr(&output));
}

/// Every file under `dir`, by path relative to it, in sorted order.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The `.toml` files in `dir`, sorted.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Writes `text` into `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A CSV file as rows of named fields.
pub fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.unwrap().iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect())
        .collect()
}

pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Cost of one 0.5 vCPU / 1 GB Linux/x86 task in us-east-1 for one second: AWS's published
/// $0.04048 per vCPU-hour and $0.004445 per GB-hour (reference §5.2).
pub const HALF_VCPU_1GB_PER_SECOND: f64 = (0.5 * 0.04048 + 1.0 * 0.004445) / 3600.0;

/// Outputs keep dollars to a millionth (a sum of rounded parts: vCPU, memory, storage, idle),
/// shares to a millionth and percentages to 1e-4: a figure is within this of the exact one.
pub fn rounded_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 2e-6 * b.abs().max(1.0)
}

/// Percentages (0–100) are kept to 1e-4.
pub fn pct_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 5e-5 + 1e-12
}

pub fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * b.abs().max(1e-12)
}
