//! Running bundled scenarios: outputs, determinism, the command line.

use crate::*;

/// What a Fargate run writes (no instance or group files).
const OUTPUT_FILES: [&str; 7] = [
    "timeseries.csv",
    "events-tasks.csv",
    "events-scaling.csv",
    "events-scheduled.csv",
    "summary.json",
    "summary.csv",
    "run.json",
];

#[test]
fn the_quickstart_writes_every_output_and_prints_a_summary() {
    let out = tempfile::tempdir().unwrap();
    let output = ecsim(&["run", "scenarios/quickstart.toml", "--out", out.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("quickstart (seed 42)") && stdout.contains("TOTAL"), "{stdout}");
    for file in OUTPUT_FILES {
        assert!(out.path().join(file).is_file(), "{file} missing");
    }
    // Nothing else but the charts and the report: no temporary file is left behind.
    assert!(out.path().join("charts").is_dir() && out.path().join("report.html").is_file());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), OUTPUT_FILES.len() + 2);

    // 7 days at a 5-minute series interval: 2016 rows for the one service.
    let series = read_csv(&out.path().join("timeseries.csv"));
    assert_eq!(series.len(), 7 * 24 * 12);
    for row in &series {
        let value = |k: &str| row[k].parse::<f64>().unwrap();
        // Served and unserved add up to what was offered.
        assert!(close(value("served_requests") + value("unserved_requests"), value("offered_requests"), 1e-9));
        let desired = value("desired_count");
        assert!((2.0..=50.0).contains(&desired), "desired {desired} outside [min, max]");
        assert!(value("allocated_cost_usd") >= 0.0);
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["seed"], 42);
    assert_eq!(run["scenario"]["services"][0]["name"], "api");
}

#[test]
fn the_same_scenario_and_seed_give_identical_bytes() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let scenario = root().join("scenarios/quickstart.toml");
    run_ok(&scenario, a.path(), &[]);
    run_ok(&scenario, b.path(), &[]);
    for file in OUTPUT_FILES {
        let (x, y) = (std::fs::read(a.path().join(file)).unwrap(), std::fs::read(b.path().join(file)).unwrap());
        assert!(x == y, "{file} differs between two runs");
    }
    // Another seed draws other noise.
    run_ok(&scenario, c.path(), &["--seed", "43"]);
    let series = |d: &Path| std::fs::read(d.join("timeseries.csv")).unwrap();
    assert_ne!(series(a.path()), series(c.path()));
    assert_eq!(summary(c.path())["seed"], 43);
}

#[test]
fn every_bundled_scenario_validates() {
    let mut files: Vec<String> = Vec::new();
    for dir in ["scenarios", "scenarios/bench", "scenarios/imported-example", "scenarios/imported-example/history"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path.to_str().unwrap().to_owned());
            }
        }
    }
    assert!(files.len() >= 5);
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let output = ecsim(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), files.len());
}

#[test]
fn a_missing_scenario_file_is_an_input_error() {
    let output = ecsim(&["run", "scenarios/no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no-such-file.toml: cannot read the scenario"), "{}", stderr(&output));
}

fn run_batch(out: &Path, threads: &str, files: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--quiet", "--out", out.to_str().unwrap()];
    args.extend_from_slice(files);
    std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(&args)
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

#[test]
fn a_batch_writes_the_same_bytes_on_one_thread_or_four() {
    let files = [
        "scenarios/quickstart.toml",
        "scenarios/step-load.toml",
        "scenarios/bench/services-1.toml",
        "scenarios/compare-ec2-fargate-spot.toml",
    ];
    let (one, four) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(run_batch(one.path(), "1", &files).status.success());
    assert!(run_batch(four.path(), "4", &files).status.success());
    // Every file, charts and reports included, byte for byte.
    let (files_one, files_four) = (tree(one.path()), tree(four.path()));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&files_one), names(&files_four));
    for ((name, x), (_, y)) in files_one.iter().zip(&files_four) {
        assert!(x == y, "{name} depends on the thread count");
    }
    for name in ["quickstart", "step-load", "services-1", "compare-ec2-fargate-spot/fargate-spot"] {
        for file in OUTPUT_FILES.iter().chain(&["report.html", "charts/cost.png"]) {
            assert!(files_one.iter().any(|(n, _)| *n == format!("{name}/{file}")), "{name}/{file} missing");
        }
    }
    assert!(files_one.iter().any(|(n, _)| n == "compare-ec2-fargate-spot/comparison.csv"));
}

#[test]
fn a_bad_file_in_a_batch_does_not_lose_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "version = 1\nname = \"bad\"\n").unwrap();
    let out = dir.path().join("out");
    let output = run_batch(&out, "2", &["scenarios/step-load.toml", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bad.toml:"), "{}", stderr(&output));
    assert!(out.join("step-load").join("summary.json").is_file());
    assert!(!out.join("bad").exists());
}
