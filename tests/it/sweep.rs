//! `ecsim sweep` and `ecsim merge` on the bundled sweep example and small sweeps written here.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{ecsim, read_csv, root, stderr, summary};

const EXAMPLE: &str = "scenarios/sweep-target-value.toml";
const FILES: [&str; 4] = ["sweep.json", "runs.csv", "points.csv", "pareto.csv"];

fn sweep_ok(file: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["sweep", file, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = ecsim(&args);
    assert!(output.status.success(), "ecsim sweep {file} {extra:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

fn bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    FILES.iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

fn assert_same_files(a: &Path, b: &Path, what: &str) {
    for ((name, x), (_, y)) in bytes(a).into_iter().zip(bytes(b)) {
        assert!(x == y, "{what}: {name} differs");
    }
}

/// SplitMix64 (Steele, Lea & Flood), written out again here: the seed of replication k ≥ 1
/// is its k-th output from the scenario's seed, replication 0 runs on the seed itself.
fn replication_seed(seed: u64, k: u64) -> u64 {
    if k == 0 {
        return seed;
    }
    let mut z = seed.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn a_point_of_the_sweep_is_the_run_its_values_written_in_the_file_make() {
    let out = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, out.path(), &["--replications", "3"]);
    let runs = read_csv(&out.path().join("runs.csv"));
    assert_eq!(runs.len(), 20 * 3);
    // Run order: point by point, replications innermost.
    for (i, row) in runs.iter().enumerate() {
        assert_eq!(row["run"], i.to_string());
        assert_eq!(row["point"], (i / 3).to_string());
        assert_eq!(row["replication"], (i % 3).to_string());
        assert_eq!(row["seed"], replication_seed(42, (i % 3) as u64).to_string());
        assert_eq!((row["status"].as_str(), row["error"].as_str()), ("ok", ""));
    }
    // Point 13 is target 70 %, 512 CPU units, Fargate base 2 + Spot 1:3 (the axes' order).
    let row = &runs[13 * 3 + 2];
    assert_eq!(row["services.api.target_tracking[0].target_value"], "70.0");
    assert_eq!(row["services.api.cpu"], "512");
    assert_eq!(row["services.api.capacity_provider_strategy"], "fargate-base2-spot1:3");

    // The same scenario with those values typed in, run by `ecsim run` on replication 2's seed.
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let sweep_at = text.find("[sweep]").unwrap();
    let written = text[..sweep_at]
        .replace("target_value = 60.0", "target_value = 70.0")
        .replace(
            "capacity_provider_strategy = [{ capacity_provider = \"FARGATE\" }]",
            "capacity_provider_strategy = [{ capacity_provider = \"FARGATE\", base = 2, weight = 1 }, { capacity_provider = \"FARGATE_SPOT\", weight = 3 }]",
        );
    let scenario = out.path().join("point-13.toml");
    std::fs::write(&scenario, written).unwrap();
    let single = out.path().join("single");
    let seed = replication_seed(42, 2).to_string();
    super::run_ok(&scenario, &single, &["--seed", &seed]);
    let s = summary(&single);
    let total = &s["total"];
    assert_eq!(row["cost_usd"].parse::<f64>().unwrap(), total["cost_usd"].as_f64().unwrap());
    assert_eq!(row["unserved_share"].parse::<f64>().unwrap(), total["unserved_share"].as_f64().unwrap());
    assert_eq!(row["requests_offered"].parse::<f64>().unwrap(), total["requests_offered"].as_f64().unwrap());
    assert_eq!(row["scale_outs"], total["scale_outs"].to_string());
    assert_eq!(row["tasks_launched"], total["tasks_launched"].to_string());
    // A month is 730 hours (AWS's pricing pages); the run is 7 days = 168 hours.
    let month: f64 = row["cost_per_month_usd"].parse().unwrap();
    assert!((month - total["cost_usd"].as_f64().unwrap() * 730.0 / 168.0).abs() < 5e-6, "dollars are kept to 1e-6");
    let spot: f64 = row["cost_usd_capacity_FARGATE_SPOT"].parse().unwrap();
    let on_demand: f64 = row["cost_usd_capacity_FARGATE"].parse().unwrap();
    assert!((spot + on_demand - total["cost_usd"].as_f64().unwrap()).abs() < 1e-9);
    assert!(spot > 0.0 && on_demand > 0.0);
}

#[test]
fn replication_k_of_every_point_sees_the_same_load() {
    let out = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, out.path(), &["--replications", "3"]);
    let runs = read_csv(&out.path().join("runs.csv"));
    for k in 0..3 {
        let offered: Vec<&str> =
            runs.iter().filter(|r| r["replication"] == k.to_string()).map(|r| r["requests_offered"].as_str()).collect();
        assert_eq!(offered.len(), 20);
        assert!(offered.iter().all(|o| *o == offered[0]), "replication {k}: {offered:?}");
    }
    assert_ne!(runs[0]["requests_offered"], runs[1]["requests_offered"], "replications differ");
}

#[test]
fn points_csv_holds_each_points_mean_and_t_interval_of_its_runs() {
    let out = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, out.path(), &[]);
    let runs = read_csv(&out.path().join("runs.csv"));
    let points = read_csv(&out.path().join("points.csv"));
    assert_eq!(points.len(), 20);
    // t(0.975, 9) = 2.262157 (NIST/SEMATECH e-Handbook, table of t critical values).
    let t9 = 2.262157;
    for point in &points {
        for figure in ["cost_usd", "unserved_share", "peak_tasks"] {
            let values: Vec<f64> =
                runs.iter().filter(|r| r["point"] == point["point"]).map(|r| r[figure].parse().unwrap()).collect();
            assert_eq!(values.len(), 10);
            let mean = values.iter().sum::<f64>() / 10.0;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 9.0).sqrt();
            let get = |stat: &str| point[&format!("{figure}_{stat}")].parse::<f64>().unwrap();
            // Written to a millionth; the interval within the figure's range (all three are
            // at least 0).
            let tolerance = 5e-7 + 1e-12 * mean.abs();
            assert!((get("mean") - mean).abs() <= tolerance, "{figure}");
            assert!((get("sd") - sd).abs() <= tolerance, "{figure}");
            let half = t9 * sd / 10f64.sqrt();
            assert!((get("ci_high") - (mean + half)).abs() <= 1e-6 * sd + tolerance);
            assert!((get("ci_low") - (mean - half).max(0.0)).abs() <= 1e-6 * sd + tolerance, "{figure}");
        }
        assert_eq!((point["runs"].as_str(), point["failed"].as_str()), ("10", "0"));
    }
    // pareto.csv: no point of points.csv is both cheaper and serves more than one on the front.
    let front = read_csv(&out.path().join("pareto.csv"));
    assert!(!front.is_empty());
    let mean =
        |r: &std::collections::BTreeMap<String, String>, f: &str| r[&format!("{f}_mean")].parse::<f64>().unwrap();
    for f in &front {
        let beaten = points.iter().any(|p| {
            mean(p, "cost_usd") <= mean(f, "cost_usd")
                && mean(p, "unserved_share") <= mean(f, "unserved_share")
                && (mean(p, "cost_usd") < mean(f, "cost_usd") || mean(p, "unserved_share") < mean(f, "unserved_share"))
        });
        assert!(!beaten, "point {} on the front is beaten", f["point"]);
    }
    for p in &points {
        let on_front = front.iter().any(|f| f["point"] == p["point"]);
        let beaten = points.iter().any(|q| {
            mean(q, "cost_usd") <= mean(p, "cost_usd")
                && mean(q, "unserved_share") <= mean(p, "unserved_share")
                && (mean(q, "cost_usd") < mean(p, "cost_usd") || mean(q, "unserved_share") < mean(p, "unserved_share"))
        });
        assert_eq!(on_front, !beaten, "point {}", p["point"]);
    }
    let costs: Vec<f64> = front.iter().map(|f| mean(f, "cost_usd")).collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "cheapest first");
}

#[test]
fn the_same_bytes_on_one_thread_and_on_several() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, one.path(), &["--replications", "4", "--jobs", "1"]);
    sweep_ok(EXAMPLE, two.path(), &["--replications", "4", "--jobs", "3"]);
    assert_same_files(one.path(), two.path(), "--jobs 1 against --jobs 3");
}

#[test]
fn shards_merge_into_the_bytes_of_one_machine() {
    let whole = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, whole.path(), &["--replications", "2"]);
    // 40 runs: 64 shards leave some empty.
    for count in [1u32, 2, 3, 7, 64] {
        let shards = tempfile::tempdir().unwrap();
        for index in 0..count {
            let shard = format!("{index}/{count}");
            sweep_ok(EXAMPLE, shards.path(), &["--replications", "2", "--shard", &shard, "-q"]);
        }
        let merged = shards.path().join("merged");
        let output = ecsim(&["merge", "--out", merged.to_str().unwrap(), shards.path().to_str().unwrap()]);
        assert!(output.status.success(), "{count} shards: {}", stderr(&output));
        assert_same_files(whole.path(), &merged, &format!("{count} shards"));
        let first = read_csv(&shards.path().join(format!("shard-0-of-{count}")).join("runs.csv"));
        assert_eq!(first.len(), 40usize.div_ceil(count as usize).min(40));
    }
}

#[test]
fn merge_names_a_missing_shard_and_refuses_strangers() {
    let shards = tempfile::tempdir().unwrap();
    for index in [0, 2] {
        sweep_ok(EXAMPLE, shards.path(), &["--replications", "1", "--shard", &format!("{index}/3"), "-q"]);
    }
    let merged = shards.path().join("merged");
    let output = ecsim(&["merge", "--out", merged.to_str().unwrap(), shards.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("shard(s) 1 of 3 are missing"), "{}", stderr(&output));
    assert!(!merged.exists(), "nothing written");

    // A shard of another sweep (other replications) is not merged in.
    let other = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, other.path(), &["--replications", "2", "--shard", "1/3", "-q"]);
    let output = ecsim(&[
        "merge",
        "--out",
        merged.to_str().unwrap(),
        shards.path().join("shard-0-of-3").to_str().unwrap(),
        other.path().join("shard-1-of-3").to_str().unwrap(),
        shards.path().join("shard-2-of-3").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a shard of the same sweep"), "{}", stderr(&output));
}

#[test]
fn a_sweep_killed_at_random_moments_resumes_to_the_same_bytes() {
    let whole = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, whole.path(), &["--jobs", "2"]);
    // Moments drawn afresh each time the test runs; the seed is in every message, and
    // ECSIM_KILL_SEED=N replays a run of the test.
    let seed = std::env::var("ECSIM_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let mut state = seed;
    let mut next_ms = |below: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % below
    };
    let interrupted = tempfile::tempdir().unwrap();
    let out = interrupted.path().to_str().unwrap();
    let mut kills = 0;
    for attempt in 0..8 {
        let mut args = vec!["sweep", EXAMPLE, "--out", out, "--jobs", "2", "-q"];
        if attempt > 0 {
            args.push("--resume");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecsim"))
            .args(&args)
            .current_dir(root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(next_ms(250));
        let started = Instant::now();
        while started.elapsed() < wait && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    // A kill while points.csv was being written leaves its temporary file: the resume clears it.
    std::fs::write(interrupted.path().join(".points.csv.99999.tmp"), "half a file").unwrap();
    let output = ecsim(&["sweep", EXAMPLE, "--out", out, "--resume", "-q"]);
    assert!(output.status.success(), "seed {seed}: {}", stderr(&output));
    assert_same_files(whole.path(), interrupted.path(), &format!("seed {seed}, {kills} kill(s)"));
    let leftovers: Vec<String> = std::fs::read_dir(interrupted.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !FILES.contains(&n.as_str()) && n != "charts" && n != "report.html")
        .collect();
    assert!(leftovers.is_empty(), "seed {seed}: {leftovers:?}");
}

/// A kill can fall after `runs.csv.partial` is created and before its header is whole: a
/// resume starts that journal again instead of refusing it.
#[test]
fn a_journal_cut_inside_its_header_resumes_from_the_start() {
    let whole = tempfile::tempdir().unwrap();
    sweep_ok(EXAMPLE, whole.path(), &[]);
    let header = std::fs::read_to_string(whole.path().join("runs.csv")).unwrap().lines().next().unwrap().to_owned();
    for cut in [0, 7, header.len() - 1] {
        let resumed = tempfile::tempdir().unwrap();
        std::fs::write(resumed.path().join("runs.csv.partial"), &header[..cut]).unwrap();
        let output = ecsim(&["sweep", EXAMPLE, "--out", resumed.path().to_str().unwrap(), "--resume", "-q"]);
        assert!(output.status.success(), "cut at {cut}: {}", stderr(&output));
        assert_same_files(whole.path(), resumed.path(), &format!("cut at {cut}"));
    }
}

#[test]
fn a_run_that_fails_is_a_failed_row_and_the_others_go_on() {
    let out = tempfile::tempdir().unwrap();
    // A file where run 5's folder must go: writing that run's files fails, and only that run.
    let blocked = out.path().join("runs/base/point-2/replication-1");
    std::fs::create_dir_all(blocked.parent().unwrap()).unwrap();
    std::fs::write(&blocked, "in the way").unwrap();
    let output =
        ecsim(&["sweep", EXAMPLE, "--out", out.path().to_str().unwrap(), "--replications", "2", "--keep-runs"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("40 run(s)") && stdout.contains("1 failed"), "{stdout}");
    assert!(stderr(&output).contains("run 5 (point 2, base, replication 1) failed"), "{}", stderr(&output));
    let runs = read_csv(&out.path().join("runs.csv"));
    assert_eq!(runs.len(), 40);
    for row in &runs {
        if row["run"] == "5" {
            assert_eq!(row["status"], "failed");
            assert!(row["error"].contains("cannot write"), "{}", row["error"]);
            assert_eq!(row["cost_usd"], "");
        } else {
            assert_eq!(row["status"], "ok", "run {}", row["run"]);
        }
    }
    // Every other run kept its folder, with the files a run writes.
    assert!(out.path().join("runs/base/point-19/replication-1/timeseries.csv").exists());
    let points = read_csv(&out.path().join("points.csv"));
    assert_eq!((points[2]["runs"].as_str(), points[2]["failed"].as_str()), ("1", "1"));
}

#[test]
fn the_best_point_is_judged_on_its_interval_and_precision_adds_runs_where_it_matters() {
    let out = tempfile::tempdir().unwrap();
    let stdout = sweep_ok(EXAMPLE, out.path(), &["--best", "unserved_share <= 0.001", "--minimize", "cost_usd"]);
    let points = read_csv(&out.path().join("points.csv"));
    let get = |p: &std::collections::BTreeMap<String, String>, k: &str| p[k].parse::<f64>().unwrap();
    // Worked out here from points.csv: those whose upper end is within 0.001, the cheapest mean.
    let met: Vec<&std::collections::BTreeMap<String, String>> =
        points.iter().filter(|p| get(p, "unserved_share_ci_high") <= 0.001).collect();
    let best = met.iter().min_by(|a, b| get(a, "cost_usd_mean").total_cmp(&get(b, "cost_usd_mean"))).unwrap();
    assert!(stdout.contains(&format!("{} of 20 point(s) meet it", met.len())), "{stdout}");
    assert!(stdout.contains(&format!("  point {} (base)", best["point"])), "{stdout}");
    assert!(met.len() < 20, "the example's service level rules some points out");

    // Two replications leave wide intervals: --precision adds runs to the points near the
    // decision until their cost interval is within 1 % (or the cap), and to no other point.
    let refined = tempfile::tempdir().unwrap();
    sweep_ok(
        EXAMPLE,
        refined.path(),
        &[
            "--replications",
            "2",
            "--best",
            "unserved_share <= 0.001",
            "--precision",
            "1%",
            "--max-replications",
            "12",
            "-q",
        ],
    );
    let runs = read_csv(&refined.path().join("runs.csv"));
    let points = read_csv(&refined.path().join("points.csv"));
    let counts: Vec<usize> = points.iter().map(|p| p["runs"].parse().unwrap()).collect();
    assert!(runs.len() > 40 && counts.contains(&2), "{counts:?}");
    // The decision worked out here from points.csv: the best point, those tied with it and the
    // undecided ones that could beat it are each within 1 % or at the cap of 12 runs.
    let half = |p: &std::collections::BTreeMap<String, String>, f: &str| {
        (get(p, &format!("{f}_ci_high")) - get(p, &format!("{f}_ci_low"))) / 2.0
    };
    let met: Vec<_> = points.iter().filter(|p| get(p, "unserved_share_ci_high") <= 0.001).collect();
    let best = met.iter().min_by(|a, b| get(a, "cost_usd_mean").total_cmp(&get(b, "cost_usd_mean"))).unwrap();
    let (best_low, best_high) = (get(best, "cost_usd_ci_low"), get(best, "cost_usd_ci_high"));
    for p in &points {
        let n: usize = p["runs"].parse().unwrap();
        let tied = met.iter().any(|m| m["point"] == p["point"])
            && get(p, "cost_usd_ci_low") <= best_high
            && best_low <= get(p, "cost_usd_ci_high");
        let undecided = get(p, "unserved_share_ci_low") <= 0.001
            && get(p, "unserved_share_ci_high") > 0.001
            && get(p, "cost_usd_ci_low") <= best_high;
        let cost_tight = half(p, "cost_usd") <= 0.01 * get(p, "cost_usd_mean");
        let share_tight = half(p, "unserved_share") <= 0.01 * get(p, "unserved_share_mean").max(0.001);
        if tied {
            assert!(n == 12 || cost_tight, "point {} tied with the best: n {n}", p["point"]);
        }
        if undecided {
            assert!(n == 12 || (cost_tight && share_tight), "point {} undecided: n {n}", p["point"]);
        }
    }
    // Rows stay in run order; a point's later replications follow its first ones.
    for (i, row) in runs.iter().enumerate() {
        assert_eq!(row["run"], i.to_string());
    }
}

#[test]
fn a_sweep_file_names_its_scenario_and_every_variant_is_swept() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap()
        + "\n[variants.arm.services.api]\ncpu_architecture = \"ARM64\"\n";
    std::fs::write(dir.path().join("api.toml"), scenario).unwrap();
    std::fs::write(
        dir.path().join("targets.toml"),
        "scenario = \"api.toml\"\nname = \"targets\"\n\n[sweep]\nreplications = 2\naxes = [{ key = \"services.api.target_tracking[0].target_value\", values = [50.0, 70.0] }]\n",
    )
    .unwrap();
    let file = dir.path().join("targets.toml");
    let out = dir.path().join("out");
    sweep_ok(file.to_str().unwrap(), &out, &[]);
    let runs = read_csv(&out.join("runs.csv"));
    let variants: Vec<(&str, &str)> = runs.iter().map(|r| (r["variant"].as_str(), r["point"].as_str())).collect();
    assert_eq!(
        variants,
        [
            ("base", "0"),
            ("base", "0"),
            ("base", "1"),
            ("base", "1"),
            ("arm", "0"),
            ("arm", "0"),
            ("arm", "1"),
            ("arm", "1")
        ]
    );
    // ARM's rates are lower: every ARM run costs less than its x86 twin on the same seed.
    for i in 0..4 {
        assert!(runs[i + 4]["cost_usd"].parse::<f64>().unwrap() < runs[i]["cost_usd"].parse::<f64>().unwrap());
    }
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!((record["name"].as_str(), record["scenario"].as_str()), (Some("targets"), Some("quickstart")));
    assert_eq!(record["variants"], serde_json::json!(["base", "arm"]));
    // Nothing else on standard error: no progress bar reaches a pipe.
    let output = ecsim(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
}

#[test]
fn a_bad_axis_value_stops_the_sweep_before_it_runs_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap()
        + "\n[sweep]\naxes = [\n  { key = \"services.api.cpu\", values = [512, 0] },\n]\n";
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &text).unwrap();
    let out = dir.path().join("out");
    let output = ecsim(&["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let line = text.lines().position(|l| l.contains("values = [512, 0]")).unwrap() + 1;
    let message = stderr(&output);
    assert!(message.contains(&format!("bad.toml:{line}:")), "{message}");
    assert!(message.contains("sweep.axes[0] = 0 at services.api.cpu: found 0"), "{message}");
    assert!(!out.exists(), "nothing runs, nothing is written");
    // `validate` checks every point too.
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("sweep.axes[0] = 0 at services.api.cpu"));
    // `run` runs the scenario as written, and says the sweep is left aside.
    let single = dir.path().join("single");
    let output = ecsim(&["run", file.to_str().unwrap(), "--out", single.to_str().unwrap(), "-q"]);
    assert!(output.status.success());
    assert!(stderr(&output).contains("`ecsim sweep` runs it"));
}

#[test]
fn a_goal_that_names_no_figure_is_refused_before_anything_runs() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("sweep");
    let output = ecsim(&["sweep", EXAMPLE, "--out", dir.to_str().unwrap(), "--best", "unserved_shar <= 0.001"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`unserved_shar` is not a figure of this sweep"), "{}", stderr(&output));
    assert!(!dir.exists(), "nothing ran, nothing was written");
    let output = ecsim(&["sweep", EXAMPLE, "--out", dir.to_str().unwrap(), "--precision", "2%"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--precision refines a decision"), "{}", stderr(&output));
}

#[test]
fn resuming_another_sweep_is_refused_and_says_what_differs() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    sweep_ok(EXAMPLE, out.path(), &["--replications", "2", "-q"]);
    let output = ecsim(&["sweep", EXAMPLE, "--out", dir, "--replications", "3", "--resume"]);
    assert_eq!(output.status.code(), Some(2), "an input error");
    assert!(stderr(&output).contains("--seed, --replications"), "{}", stderr(&output));
    let output = ecsim(&[
        "sweep",
        EXAMPLE,
        "--out",
        dir,
        "--replications",
        "2",
        "--resume",
        "--best",
        "unserved_share <= 0.001",
        "--precision",
        "5%",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("resume with the same ones"), "{}", stderr(&output));
    // The same sweep resumes, with nothing left to run.
    let stdout = sweep_ok(EXAMPLE, out.path(), &["--replications", "2", "--resume"]);
    assert!(stdout.contains("(40 taken up from the earlier start)"), "{stdout}");
}

#[test]
fn runs_that_keep_failing_stop_at_the_cap() {
    let out = tempfile::tempdir().unwrap();
    // Every run of point 0 fails (its folder is a file); --precision cannot settle it, and
    // stops asking once it has made --max-replications runs of it.
    std::fs::create_dir_all(out.path().join("runs/base")).unwrap();
    std::fs::write(out.path().join("runs/base/point-0"), "in the way").unwrap();
    let output = ecsim(&[
        "sweep",
        EXAMPLE,
        "--out",
        out.path().to_str().unwrap(),
        "--replications",
        "2",
        "--keep-runs",
        "--best",
        "unserved_share <= 0.001",
        "--minimize",
        "cost_usd",
        "--precision",
        "0.1%",
        "--max-replications",
        "6",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let runs = read_csv(&out.path().join("runs.csv"));
    for point in 0..20 {
        let made = runs.iter().filter(|r| r["point"] == point.to_string()).count();
        assert!((2..=6).contains(&made), "point {point}: {made} runs");
    }
    assert!(runs.iter().filter(|r| r["point"] == "0").all(|r| r["status"] == "failed"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 not judged (no run finished)"));
}

#[test]
fn merge_writes_into_a_folder_of_its_own() {
    let shards = tempfile::tempdir().unwrap();
    for index in 0..2 {
        sweep_ok(EXAMPLE, shards.path(), &["--replications", "1", "--shard", &format!("{index}/2"), "-q"]);
    }
    let into_parent = ecsim(&["merge", "--out", shards.path().to_str().unwrap(), shards.path().to_str().unwrap()]);
    assert_eq!(into_parent.status.code(), Some(2));
    assert!(stderr(&into_parent).contains("give the merge a folder of its own"), "{}", stderr(&into_parent));
    let shard = shards.path().join("shard-0-of-2");
    let before = bytes(&shard);
    let into_shard = ecsim(&["merge", "--out", shard.to_str().unwrap(), shards.path().to_str().unwrap()]);
    assert_eq!(into_shard.status.code(), Some(2));
    assert!(!shards.path().join("sweep.json").exists(), "the parent did not become a sweep");
    assert!(bytes(&shard) == before, "the shard's files are untouched");
}

#[test]
fn run_points_a_sweep_file_to_ecsim_sweep() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("scenarios/quickstart.toml"), dir.path().join("api.toml")).unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, "scenario = \"api.toml\"\n[sweep]\nreplications = 2\n").unwrap();
    let output = ecsim(&["run", file.to_str().unwrap(), "--out", dir.path().join("o").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("this is a sweep file (it names a scenario): run it with `ecsim sweep`"));
}
