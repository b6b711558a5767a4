//! ecsim against its peers, whole process against whole process, in one sitting:
//! `cargo bench --bench peers`. The peers are in `../shared/peers/`: the SimPy model a planner
//! would otherwise write (`ecs_simpy_ref.py`) and the same model written by hand in Rust
//! (`ecs_ref_rust`, the floor), on the workload of `scenarios/bench/services-*.toml`.
//!
//! Every command runs 7 times in turn (the SimPy peer fewer), so a busy machine weighs on
//! all of them alike; the medians, their ratios, each process's peak memory and the load average
//! are printed. A peer that cannot run here (no Python with SimPy, no peers folder) is skipped
//! with the reason. `ECSIM_PEERS` points at another peers folder, `ECSIM_PEER_ROUNDS` sets the
//! rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A command and what one run of it took: wall seconds and peak resident memory in KiB.
struct Timed {
    label: &'static str,
    command: Vec<String>,
    rounds: usize,
    seconds: Vec<f64>,
    peak_kib: i64,
}

impl Timed {
    fn new(label: &'static str, command: Vec<String>, rounds: usize) -> Self {
        Timed { label, command, rounds, seconds: Vec::new(), peak_kib: 0 }
    }

    /// Runs the command once, waited for with `wait4` for its own peak memory.
    fn run_once(&mut self) {
        let start = Instant::now();
        #[expect(clippy::zombie_processes, reason = "reaped by wait4 below, for its resource usage")]
        let child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.command[0]));
        let mut status = 0;
        // SAFETY: plain-data out-parameters, and the child's pid, not yet waited for.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        self.seconds.push(start.elapsed().as_secs_f64());
        assert!(waited > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{} failed", self.label);
        self.peak_kib = self.peak_kib.max(usage.ru_maxrss);
    }

    fn median(&self) -> f64 {
        let mut sorted = self.seconds.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let peers = std::env::var_os("ECSIM_PEERS").map_or_else(|| root.join("../shared/peers"), PathBuf::from);
    let rounds: usize = std::env::var("ECSIM_PEER_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(7).max(1);
    let out = tempfile::tempdir().expect("a temporary folder");
    let ecsim = |file: &str, folder: &str, extra: &[&str]| {
        let mut command = vec![
            env!("CARGO_BIN_EXE_ecsim").to_owned(),
            "run".into(),
            "-q".into(),
            root.join("scenarios/bench").join(file).display().to_string(),
            "--out".into(),
            out.path().join(folder).display().to_string(),
        ];
        command.extend(extra.iter().map(|s| s.to_string()));
        command
    };
    let summaries = ["--outputs", "summary", "--no-charts"];

    let floor = build_floor(&peers);
    let simpy = simpy(&peers);
    let mut runs = vec![
        Timed::new("ecsim, 100 services, every output", ecsim("services-100.toml", "a", &[]), rounds),
        Timed::new("ecsim, 100 services, summaries only", ecsim("services-100.toml", "b", &summaries), rounds),
        Timed::new("ecsim, 1 service, every output", ecsim("services-1.toml", "c", &[]), rounds * 3),
        Timed::new("ecsim, 1 service, summaries only", ecsim("services-1.toml", "d", &summaries), rounds * 3),
        Timed::new("ecsim, 1,000 services, summaries only", ecsim("services-1000.toml", "e", &summaries), 3),
        Timed::new(
            "ecsim, 100 services + step + scheduled, every output",
            ecsim("services-100-all-policies.toml", "f", &[]),
            rounds,
        ),
        Timed::new(
            "ecsim, EC2: 20 services on 100-300 instances, every output",
            ecsim("ec2-services-20.toml", "g", &[]),
            rounds,
        ),
    ];
    match &floor {
        Ok(bin) => {
            let floor = |services: &str| {
                vec![
                    bin.display().to_string(),
                    format!("services={services}"),
                    "days=30".into(),
                    "reps=1".into(),
                    "ticks=global".into(),
                ]
            };
            runs.push(Timed::new("Rust floor, 100 services (ticks=global)", floor("100"), rounds));
            runs.push(Timed::new("Rust floor, 1 service (ticks=global)", floor("1"), rounds * 3));
        }
        Err(why) => println!("the Rust floor is skipped: {why}"),
    }
    match &simpy {
        Ok(script) => {
            let simpy = |services: &str| {
                let script = script.display().to_string();
                vec!["python3".into(), script, "--days".into(), "30".into(), "--services".into(), services.into()]
            };
            runs.push(Timed::new("SimPy peer, 100 services", simpy("100"), rounds.div_ceil(2)));
            runs.push(Timed::new("SimPy peer, 1 service", simpy("1"), rounds));
        }
        Err(why) => println!("the SimPy peer is skipped: {why}"),
    }

    println!("load average before: {}", load_average());
    let most = runs.iter().map(|r| r.rounds).max().unwrap_or(0);
    for round in 0..most {
        for run in runs.iter_mut().filter(|r| round < r.rounds) {
            run.run_once();
        }
    }
    println!("load average after:  {}\n", load_average());
    for run in &runs {
        println!(
            "{:<62} median {:>9.1} ms  ({} runs)  peak {:>6.1} MiB",
            run.label,
            run.median() * 1e3,
            run.rounds,
            run.peak_kib as f64 / 1024.0
        );
    }
    let median = |label: &str| runs.iter().find(|r| r.label == label).map(Timed::median);
    println!();
    let ratio = |what: &str, a: &str, b: &str, need: &str| {
        if let (Some(a), Some(b)) = (median(a), median(b)) {
            println!("{what:<62} {:>9.2}   (needed: {need})", b / a);
        }
    };
    ratio(
        "SimPy / ecsim, 100 services, every output",
        "ecsim, 100 services, every output",
        "SimPy peer, 100 services",
        "≥ 100",
    );
    ratio(
        "ecsim / Rust floor, 100 services, summaries only",
        "Rust floor, 100 services (ticks=global)",
        "ecsim, 100 services, summaries only",
        "≤ 1.3",
    );
    ratio(
        "SimPy / ecsim, 1 service, every output",
        "ecsim, 1 service, every output",
        "SimPy peer, 1 service",
        "≥ 60, or 5 ms",
    );
    ratio(
        "SimPy / ecsim, 1 service, summaries only",
        "ecsim, 1 service, summaries only",
        "SimPy peer, 1 service",
        "≥ 60, or 5 ms",
    );
    ratio(
        "ecsim / Rust floor, 1 service, summaries only",
        "Rust floor, 1 service (ticks=global)",
        "ecsim, 1 service, summaries only",
        "—",
    );
    ratio(
        "1,000 services / 100 services, summaries only",
        "ecsim, 100 services, summaries only",
        "ecsim, 1,000 services, summaries only",
        "10 if linear",
    );
    ratio(
        "all policies / target tracking only, every output",
        "ecsim, 100 services, every output",
        "ecsim, 100 services + step + scheduled, every output",
        "—",
    );
    ratio(
        "EC2 20 services / 100 Fargate services, every output",
        "ecsim, 100 services, every output",
        "ecsim, EC2: 20 services on 100-300 instances, every output",
        "—",
    );
}

/// The hand-written Rust peer, built once into `target/peers`.
fn build_floor(peers: &Path) -> Result<PathBuf, String> {
    let manifest = peers.join("ecs_ref_rust/Cargo.toml");
    if !manifest.exists() {
        return Err(format!("no {}", manifest.display()));
    }
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .map_err(|e| e.to_string())?;
    if !built.success() {
        return Err(format!("cargo build of {} failed", manifest.display()));
    }
    Ok(target.join("release/ecs_ref"))
}

/// The SimPy peer's script, if this machine's Python has SimPy.
fn simpy(peers: &Path) -> Result<PathBuf, String> {
    let script = peers.join("ecs_simpy_ref.py");
    if !script.exists() {
        return Err(format!("no {}", script.display()));
    }
    let has = Command::new("python3").args(["-c", "import simpy"]).stderr(Stdio::null()).status();
    match has {
        Ok(status) if status.success() => Ok(script),
        _ => Err("python3 cannot import simpy (python3 -m pip install simpy)".into()),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".into(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}
