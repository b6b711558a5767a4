//! What a run writes, read as a user reads it: names that say what a column holds, numbers
//! rounded to what they mean with totals that add up, the files chosen, the terminal table of a
//! large run, `compare` on a folder of runs, `explain` at any moment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ecsim, read_csv, root, run_ok, stderr, write};

type Row = BTreeMap<String, String>;

/// Every CSV file under `dir`, at any depth.
fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(csv_files(&path));
        } else if path.extension().is_some_and(|e| e == "csv") {
            files.push(path);
        }
    }
    files
}

fn header(path: &Path) -> Vec<String> {
    csv::Reader::from_path(path).unwrap().headers().unwrap().iter().map(str::to_owned).collect()
}

/// A value written as a decimal, in whole millionths: read from the text, not through a float.
fn micro(text: &str) -> i64 {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |rest| (-1, rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(fraction.len() <= 6, "{text} has more than six decimals");
    let fraction = format!("{fraction:0<6}");
    sign * (whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap())
}

/// Over every file of a run with variants (EC2 On-Demand and Spot, Fargate, Fargate Spot),
/// their comparison and a sweep: every column is an identifier, a fraction is named `_share`
/// and lies in [0, 1], a percentage is named `_pct`, and no name holds a fraction without
/// saying which.
#[test]
fn every_output_column_is_an_identifier_and_says_share_or_pct() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), &out.path().join("runs"), &["--no-charts"]);
    let sweep = out.path().join("sweep");
    let output = ecsim(&[
        "sweep",
        "scenarios/sweep-target-value.toml",
        "--out",
        sweep.to_str().unwrap(),
        "--quiet",
        "--no-charts",
        "--replications",
        "2",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let files = csv_files(out.path());
    assert!(files.len() >= 30, "{files:?}");
    // A sweep's axis columns are named by the key swept, as the sweep writes it (documented).
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sweep.join("sweep.json")).unwrap()).unwrap();
    let axes: Vec<&str> = record["axes"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert!(!axes.is_empty());
    let fraction_words = ["share", "utilization", "reservation", "accuracy", "timeshare", "instability", "difference"];
    for file in &files {
        let rows = read_csv(file);
        for column in header(file).into_iter().filter(|c| !axes.contains(&c.as_str())) {
            assert!(
                !column.is_empty()
                    && column.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !column.starts_with(|c: char| c.is_ascii_digit()),
                "{}: `{column}` is not an identifier",
                file.display()
            );
            // points.csv adds _mean, _sd, _ci_low, _ci_high to each figure.
            let figure = ["_mean", "_sd", "_ci_low", "_ci_high"]
                .iter()
                .find_map(|suffix| column.strip_suffix(suffix))
                .unwrap_or(&column);
            let fraction = fraction_words.iter().any(|w| figure.contains(w)) && !figure.ends_with("_usd");
            if fraction {
                assert!(
                    figure.ends_with("_share") || figure.ends_with("_pct"),
                    "{}: `{column}` holds a fraction without saying _share or _pct",
                    file.display()
                );
            }
            if figure.ends_with("_share") && !column.ends_with("_sd") {
                for row in &rows {
                    if let Ok(value) = row[&column].parse::<f64>() {
                        assert!((0.0..=1.0).contains(&value), "{}: {column} = {value}", file.display());
                    }
                }
            }
        }
    }
}

/// The total line of `summary.csv` is the exact sum of the service lines above it (in whole
/// millionths of a dollar), its cost the services' plus the idle EC2 capacity, each line's cost
/// its vCPU, memory and storage parts; no figure has more than six decimals.
#[test]
fn summary_totals_are_the_exact_sums_of_the_rounded_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join("scenarios/ec2-binpack.toml")).unwrap();
    // Three services of awkward sizes on one group: their shares of the instances are long
    // fractions of a dollar.
    for (name, cpu, memory) in [("second", 256, 768), ("third", 768, 1536)] {
        text.push_str(&format!(
            r#"
[services.{name}]
load = "web"
capacity_provider_strategy = [{{ capacity_provider = "web-asg" }}]
network_mode = "bridge"
cpu = {cpu}
memory = {memory}
requests_per_task = 70.0
desired_count = 3
min_capacity = 3
max_capacity = 3
"#
        ));
    }
    let scenario = write(dir.path(), "three.toml", &text);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &["--no-charts"]);
    let lines = read_csv(&out.join("summary.csv"));
    let (total, services) = lines.split_last().unwrap();
    assert_eq!(total["service"], "TOTAL");
    assert!(services.len() == 3, "{lines:?}");
    let sum = |column: &str| services.iter().map(|l| micro(&l[column])).sum::<i64>();
    for column in ["cost_vcpu_usd", "cost_memory_usd", "cost_storage_usd", "requests_offered", "requests_served"] {
        assert_eq!(micro(&total[column]), sum(column), "{column}");
    }
    assert_eq!(micro(&total["cost_usd"]), sum("cost_usd") + micro(&total["idle_cost_usd"]));
    assert!(micro(&total["idle_cost_usd"]) > 0, "the group has idle capacity");
    for line in &lines {
        let parts: i64 = ["cost_vcpu_usd", "cost_memory_usd", "cost_storage_usd", "idle_cost_usd"]
            .iter()
            .map(|c| micro(&line[*c]))
            .sum();
        assert_eq!(micro(&line["cost_usd"]), parts, "{}", line["service"]);
        assert_eq!(
            micro(&line["requests_unserved"]),
            micro(&line["requests_offered"]) - micro(&line["requests_served"]),
            "{}",
            line["service"]
        );
        for value in line.values().filter(|v| v.parse::<f64>().is_ok()) {
            micro(value); // fails on more than six decimals or an exponent
        }
    }
}

/// `--outputs summary` writes the summary files alone, and no charts (they need the series);
/// an unknown output is refused before anything runs.
#[test]
fn outputs_choose_the_files_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&root().join("scenarios/ec2-binpack.toml"), &out, &["--outputs", "summary"]);
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["instances.csv", "run.json", "summary.csv", "summary.json"]);

    run_ok(&root().join("scenarios/ec2-binpack.toml"), &out, &["--outputs", "summary,series", "--no-charts"]);
    assert!(out.join("timeseries.csv").exists() && out.join("providers.csv").exists());
    assert!(!out.join("events-tasks.csv").exists());

    let output = ecsim(&["run", "scenarios/quickstart.toml", "--out", out.to_str().unwrap(), "--outputs", "charts"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown output \"charts\""), "{}", stderr(&output));
}

/// Twelve services: the terminal shows the ten costliest (costliest first), the other two on
/// one line with their summed cost, and the total; `--all` shows all twelve.
#[test]
fn the_terminal_table_of_many_services_shows_the_costliest() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "version = 1\nname = \"many\"\nduration = \"1h\"\n[loads.idle]\nshape = \"constant\"\nvalue = 0.0\n",
    );
    for i in 1..=12 {
        // Service i runs i tasks: its cost grows with i.
        text.push_str(&format!(
            "[services.s{i:02}]\nload = \"idle\"\nrequests_per_task = 10.0\ncpu = 256\nmemory = 512\ndesired_count = {i}\nmin_capacity = {i}\nmax_capacity = {i}\n"
        ));
    }
    let scenario = write(dir.path(), "many.toml", &text);
    let out = dir.path().join("out");
    let table = |extra: &[&str]| {
        let mut args = vec!["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts"];
        args.extend_from_slice(extra);
        let output = ecsim(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let rows: Vec<String> = stdout
            .lines()
            .skip_while(|l| !l.starts_with("service"))
            .skip(1)
            .take_while(|l| !l.starts_with("results:"))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
            .collect();
        (rows, stdout)
    };
    let (rows, stdout) = table(&[]);
    let costliest: Vec<String> = (3..=12).rev().map(|i| format!("s{i:02}")).collect();
    assert_eq!(rows[..10], costliest[..], "{stdout}");
    assert_eq!(rows[10..], ["(2", "TOTAL"], "{stdout}");
    // s01 and s02 run 1 and 2 tasks of 0.25 vCPU and 0.5 GB for an hour: 3 task-hours.
    let others = 3.0 * (0.25 * 0.04048 + 0.5 * 0.004445);
    let line = stdout.lines().find(|l| l.starts_with("(2 more: --all)")).unwrap();
    assert_eq!(line.split_whitespace().nth(3).unwrap(), format!("{others:.4}"), "{line}");
    let (rows, _) = table(&["--all"]);
    assert_eq!(rows.len(), 13);
}

/// `ecsim compare` on the folder of a scenario's variants compares the runs inside it, in the
/// run's order, as the run did; runs of one scenario that differ only by seed are labelled by
/// their seeds.
#[test]
fn compare_takes_a_folder_of_runs_and_labels_runs_by_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), &runs, &["--no-charts"]);
    let written = read_csv(&runs.join("comparison.csv"));
    let again = dir.path().join("again");
    let output = ecsim(&["compare", runs.to_str().unwrap(), "--out", again.to_str().unwrap(), "--no-charts"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let compared = read_csv(&again.join("comparison.csv"));
    let labels = |rows: &[Row]| rows.iter().map(|r| r["run"].clone()).collect::<Vec<_>>();
    assert_eq!(labels(&compared), ["base", "ec2-spot", "fargate", "fargate-spot-mix", "fargate-spot"]);
    assert_eq!(labels(&compared), labels(&written));
    for (a, b) in compared.iter().zip(&written) {
        assert_eq!(a["total_cost_usd"], b["total_cost_usd"]);
        assert_eq!(b["folder"], b["run"], "a variant's folder sits beside the comparison");
    }

    let one = root().join("scenarios/quickstart.toml");
    let (a, b) = (dir.path().join("seed-1"), dir.path().join("seed-2"));
    run_ok(&one, &a, &["--seed", "1", "--outputs", "summary"]);
    run_ok(&one, &b, &["--seed", "2", "--outputs", "summary"]);
    let both = dir.path().join("both");
    let output = ecsim(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        runs.join("base").to_str().unwrap(),
        "--out",
        both.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        labels(&read_csv(&both.join("comparison.csv"))),
        ["quickstart/base seed 1", "quickstart/base seed 2", "compare-ec2-fargate-spot/base seed 42"]
    );
    let seeds = dir.path().join("seeds");
    let output =
        ecsim(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--out", seeds.to_str().unwrap(), "--no-charts"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(labels(&read_csv(&seeds.join("comparison.csv"))), ["seed 1", "seed 2"]);
}

/// A scheduled action raises the floor from 3 to 5 at 10:00; each new task provisions for 30 s
/// and starts in 90 s, so it is RUNNING from 12:00. The series interval is 5 minutes, and its row
/// from 10:00 says 3 + 2 × 180 / 300 = 4.2 tasks on average; `explain` tells each minute as it
/// was: at 11:00 3 running and 2 starting, at 13:00 all 5 running.
#[test]
fn explain_tells_a_minute_between_two_series_rows() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "floor.toml",
        r#"
version = 1
name = "floor"
duration = "30m"
series_interval = "5m"
[loads.flat]
shape = "constant"
value = 100.0
[services.web]
load = "flat"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 3
min_capacity = 3
max_capacity = 10
provisioning = "30s"
startup = "90s"
[[services.web.scheduled_actions]]
name = "floor"
schedule = "at(2026-01-05T00:10:00)"
min_capacity = 5
"#,
    );
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &["--no-charts"]);
    let series = read_csv(&out.join("timeseries.csv"));
    assert_eq!((series[2]["time_s"].as_str(), series[2]["tasks_running_mean"].as_str()), ("600", "4.200"));
    let explain = |at: &str| {
        let output = ecsim(&["explain", out.to_str().unwrap(), "--service", "web", "--at", at]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    let at_11 = explain("11m");
    assert!(
        at_11
            .contains("(660 s): 3 task(s) RUNNING, 2 starting (PROVISIONING or PENDING), 0 stopping; desired count 5."),
        "{at_11}"
    );
    assert!(at_11.contains("interval from 2026-01-05T00:10:00Z (600 s)") && at_11.contains("4.200 tasks"), "{at_11}");
    assert!(at_11.contains("Scheduled action floor"), "{at_11}");
    let at_13 = explain("2026-01-05T00:13:00Z");
    assert!(at_13.contains("(780 s): 5 task(s) RUNNING, 0 starting"), "{at_13}");
    let at_9 = explain("9m");
    assert!(at_9.contains("3 task(s) RUNNING, 0 starting") && at_9.contains("desired count 3."), "{at_9}");
}

/// 800 requests/s at 100 per task and a 60 % CPU target need 14 tasks; `max_capacity = 4`
/// holds the service at 4 from the first scale-out on: after the run a warning points at the
/// line of `max_capacity`, and `--deny-warnings` makes it an error (exit 2, the files written).
/// With room to 20 there is no warning.
#[test]
fn a_service_held_at_its_max_capacity_is_warned_after_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = |max: u32| {
        format!(
            r#"version = 1
name = "capped"
duration = "2h"
[loads.busy]
shape = "constant"
value = 800.0
[services.api]
load = "busy"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 2
max_capacity = {max}
[[services.api.target_tracking]]
metric = "cpu"
target_value = 60.0
"#
        )
    };
    let capped = write(dir.path(), "capped.toml", &text(4));
    let out = dir.path().join("out");
    let output = ecsim(&["run", capped.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let warnings: Vec<String> =
        stderr(&output).lines().filter(|l| l.starts_with("warning")).map(String::from).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("capped.toml: line 14, `services.api.max_capacity`: api sat at its max_capacity (4)"),
        "{}",
        warnings[0]
    );
    let output = ecsim(&["run", capped.to_str().unwrap(), "--out", out.to_str().unwrap(), "--deny-warnings"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(out.join("summary.json").exists());

    let roomy = write(dir.path(), "roomy.toml", &text(20));
    let output = ecsim(&["run", roomy.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts"]);
    assert!(output.status.success() && !stderr(&output).contains("warning"), "{}", stderr(&output));
}

/// The same fixed fleet for one hour and for two costs the same per month: compared, the runs
/// are told apart by their length and the difference is taken per month (0), not in totals.
/// In each run's time series the intervals' costs add up exactly to the running total.
#[test]
fn runs_of_different_lengths_are_compared_per_month() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = |duration: &str| {
        format!(
            "version = 1\nname = \"fleet\"\nduration = \"{duration}\"\n[loads.flat]\nshape = \"constant\"\nvalue = 50.0\n[services.web]\nload = \"flat\"\ncpu = 256\nmemory = 512\nrequests_per_task = 100.0\ndesired_count = 3\nmin_capacity = 3\nmax_capacity = 3\n"
        )
    };
    let (short, long) = (dir.path().join("short"), dir.path().join("long"));
    run_ok(&write(dir.path(), "short.toml", &fleet("1h")), &short, &["--no-charts"]);
    run_ok(&write(dir.path(), "long.toml", &fleet("2h")), &long, &["--no-charts"]);
    for run in [&short, &long] {
        let series = read_csv(&run.join("timeseries.csv"));
        let steps: i64 = series.iter().map(|r| micro(&r["allocated_cost_usd"])).sum();
        assert_eq!(steps, micro(&series.last().unwrap()["cumulative_allocated_cost_usd"]));
    }
    let out = dir.path().join("compared");
    let output = ecsim(&[
        "compare",
        short.to_str().unwrap(),
        long.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-charts",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("compared with the first by its cost per month"));
    let rows = read_csv(&out.join("comparison.csv"));
    // 3 tasks × (0.25 × 0.04048 + 0.5 × 0.004445) USD an hour × 730 hours, both.
    let month = 3.0 * (0.25 * 0.04048 + 0.5 * 0.004445) * 730.0;
    for row in &rows {
        assert!(super::rounded_close(row["cost_per_month_usd"].parse().unwrap(), month), "{row:?}");
    }
    assert_eq!(rows.iter().map(|r| r["run"].as_str()).collect::<Vec<_>>(), ["1 hour", "2 hours"]);
    assert_eq!(rows[1]["difference_usd"], "0");
}
