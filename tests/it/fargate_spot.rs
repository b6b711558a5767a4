//! Fargate capacity provider strategies and Fargate Spot: the split of tasks by base and
//! weight, Spot prices, interruptions and their replacements, and periods without Spot capacity;
//! Windows and ephemeral storage prices.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{HALF_VCPU_1GB_PER_SECOND, close, read_csv, rounded_close, run_ok, summary};

type Row = BTreeMap<String, String>;

/// A Fargate service of 0.5 vCPU / 1 GB tasks with `strategy`, `spot` as the [fargate_spot]
/// table's body, `extra` appended to the service.
fn scenario(dir: &Path, name: &str, duration: &str, tasks: u32, strategy: &str, spot: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"
version = 1
name = "{name}"
duration = "{duration}"
[loads.l]
shape = "constant"
value = 10.0
[fargate_spot]
{spot}
[services.s]
load = "l"
capacity_provider_strategy = {strategy}
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = {tasks}
min_capacity = 1
max_capacity = {tasks}
{extra}
"#
        ),
    )
    .unwrap();
    path
}

fn task_events(dir: &Path) -> Vec<Row> {
    read_csv(&dir.join("events-tasks.csv"))
}

fn at(row: &Row) -> f64 {
    row["time_s"].parse().unwrap()
}

const MIX: &str =
    r#"[{ capacity_provider = "FARGATE", base = 2, weight = 1 }, { capacity_provider = "FARGATE_SPOT", weight = 3 }]"#;

#[test]
fn base_then_weights_at_launch_and_the_split_kept_on_scale_in() {
    let dir = tempfile::tempdir().unwrap();
    // 10 tasks: 2 base on FARGATE, 8 beyond split 1 : 3 → 2 more on FARGATE, 6 on Spot.
    // At 30 minutes the maximum drops to 6: base 2 + 4 beyond at 1 : 3 → 3 and 3, so one
    // FARGATE task and three Spot tasks stop.
    let action = "[[services.s.scheduled_actions]]\nschedule = \"at(2026-01-05T00:30:00)\"\nmax_capacity = 6";
    let file = scenario(dir.path(), "mix", "1h", 10, MIX, "interruptions_per_task_hour = 0.0", action);
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    let events = task_events(&out);
    let spot_tasks: Vec<&str> = events
        .iter()
        .filter(|e| e["from_state"].is_empty() && e["reason"] == "FARGATE_SPOT")
        .map(|e| e["task"].as_str())
        .collect();
    assert_eq!(spot_tasks.len(), 6);
    let stopped: Vec<&Row> = events.iter().filter(|e| e["to_state"] == "STOPPING").collect();
    assert_eq!(stopped.len(), 4);
    let stopped_on_spot = stopped.iter().filter(|e| spot_tasks.contains(&e["task"].as_str())).count();
    assert_eq!(stopped_on_spot, 3);
    // Each kind billed at its rate: 4 On-Demand and 6 Spot tasks for 30 min (the stopped ones
    // then bill their 30 s stop timeout), then 3 and 3 to the hour.
    let s = summary(&out);
    let od_seconds = 4.0 * 1800.0 + 30.0 + 3.0 * 1800.0;
    let spot_seconds = 6.0 * 1800.0 + 3.0 * 30.0 + 3.0 * 1800.0;
    // The default Spot price: 31.245 % of On-Demand.
    let spot_rate = 0.31245 * HALF_VCPU_1GB_PER_SECOND;
    let expected = od_seconds * HALF_VCPU_1GB_PER_SECOND + spot_seconds * spot_rate;
    assert!(rounded_close(s["total"]["cost_usd"].as_f64().unwrap(), expected), "{}", s["total"]["cost_usd"]);
    assert!(rounded_close(s["total"]["fargate_spot_cost_usd"].as_f64().unwrap(), spot_seconds * spot_rate));

    // timeseries.csv gives the Spot part of the service in its own columns, minute by minute:
    // 6 of the 10 RUNNING tasks until 30:00, then 3 of 6; its cost adds up to the Spot bill.
    let series = read_csv(&out.join("timeseries.csv"));
    assert_eq!(series.len(), 60);
    let number = |r: &Row, column: &str| r[column].parse::<f64>().unwrap();
    for (minute, row) in series.iter().enumerate() {
        let (all, on_spot) = if minute < 30 { (10.0, 6.0) } else { (6.0, 3.0) };
        let means = (number(row, "tasks_running_mean"), number(row, "fargate_spot_tasks_running_mean"));
        assert!(means == (all, on_spot), "minute {minute}: {means:?}");
    }
    let last_spot = number(&series[59], "cumulative_fargate_spot_cost_usd");
    assert!(rounded_close(last_spot, spot_seconds * spot_rate), "{last_spot}");
}

#[test]
fn interruptions_come_at_the_rate_with_sigterm_then_the_stop_timeout_and_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    // 20 Spot tasks for 100 hours at 0.05 interruptions per task-hour: about 100.
    let spot = r#"[{ capacity_provider = "FARGATE_SPOT" }]"#;
    let file =
        scenario(dir.path(), "spot", "100h", 20, spot, "interruptions_per_task_hour = 0.05", "stop_timeout = \"45s\"");
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    let events = task_events(&out);
    let interrupted: Vec<&Row> = events.iter().filter(|e| e["reason"] == "Your Spot Task was interrupted.").collect();
    let s = summary(&out);
    let task_hours = s["total"]["running_task_hours"].as_f64().unwrap();
    let mean = 0.05 * task_hours;
    let count = interrupted.len() as f64;
    assert!((count - mean).abs() <= 4.0 * mean.sqrt(), "{count} interruptions for a mean of {mean:.1}");
    assert_eq!(s["total"]["fargate_spot_interruptions"].as_f64().unwrap(), count);
    assert_eq!(s["total"]["fargate_spot_replacements"].as_f64().unwrap(), count);
    for e in &interrupted {
        // SIGTERM with the warning: RUNNING → STOPPING, STOPPED after the 45 s stop timeout.
        assert_eq!(e["from_state"], "RUNNING");
        let end = events.iter().find(|x| x["task"] == e["task"] && x["to_state"] == "STOPPED").unwrap();
        assert!((at(end) - at(e) - 45.0).abs() < 1e-6);
        // A replacement on Fargate Spot is launched at the same moment.
        let replaced =
            events.iter().any(|x| x["from_state"].is_empty() && at(x) == at(e) && x["reason"] == "FARGATE_SPOT");
        assert!(replaced, "no replacement for task {}", e["task"]);
    }
    assert_eq!(s["total"]["tasks_launched"].as_f64().unwrap(), 20.0 + count);

    // No rate, no interruption.
    let calm = scenario(dir.path(), "calm", "100h", 20, spot, "interruptions_per_task_hour = 0.0", "");
    let out = dir.path().join("calm-out");
    run_ok(&calm, &out, &[]);
    assert!(task_events(&out).iter().all(|e| e["reason"] != "Your Spot Task was interrupted."));
}

#[test]
fn a_storm_concentrates_interruptions_and_spot_outages_hold_launches_unless_they_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let spot = r#"[{ capacity_provider = "FARGATE_SPOT" }]"#;
    // No interruptions but a storm in [2 h, 3 h) at 2 per task-hour; no Spot capacity from
    // 2 h to 4 h: replacements wait and start when it returns (startup 45 s after 4 h).
    let storm = "interruptions_per_task_hour = 0.0\nstorms = [{ start = \"2h\", length = \"1h\", interruptions_per_task_hour = 2.0 }]\nunavailable = [{ start = \"2h\", length = \"2h\" }]";
    let file = scenario(dir.path(), "storm", "6h", 10, spot, storm, "");
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    let events = task_events(&out);
    let interrupted: Vec<f64> =
        events.iter().filter(|e| e["reason"] == "Your Spot Task was interrupted.").map(at).collect();
    assert!(!interrupted.is_empty() && interrupted.iter().all(|&t| (7200.0..10800.0).contains(&t)), "{interrupted:?}");
    let replacements: Vec<&Row> = events.iter().filter(|e| e["from_state"].is_empty() && at(e) > 0.0).collect();
    assert_eq!(replacements.len(), interrupted.len());
    for r in &replacements {
        let pending = events.iter().find(|x| x["task"] == r["task"] && x["to_state"] == "PENDING").unwrap();
        assert_eq!(at(pending), 14400.0, "launched at {}, waits for Spot to return at 4 h", at(r));
    }
    let s = summary(&out);
    let unserved = s["total"]["requests_unserved"].as_f64().unwrap();
    let while_replacing = s["total"]["unserved_while_replacing_spot_tasks"].as_f64().unwrap();
    assert!(unserved > 0.0 && while_replacing > 0.0 && while_replacing <= unserved + 1e-6);

    // With the fallback the replacements go to FARGATE at once.
    let file = scenario(dir.path(), "fallback", "6h", 10, spot, &format!("{storm}\nfallback_to_on_demand = true"), "");
    let out = dir.path().join("fallback-out");
    run_ok(&file, &out, &[]);
    let events = task_events(&out);
    let replacements: Vec<&Row> = events.iter().filter(|e| e["from_state"].is_empty() && at(e) > 0.0).collect();
    assert!(!replacements.is_empty());
    assert!(replacements.iter().all(|r| r["reason"].is_empty()), "fallback launches are On-Demand");
}

#[test]
fn a_spot_price_share_and_the_default_share() {
    // 2 Spot tasks for 1 h at 40 % of On-Demand; then at the default share.
    let dir = tempfile::tempdir().unwrap();
    let spot = r#"[{ capacity_provider = "FARGATE_SPOT" }]"#;
    let file = scenario(dir.path(), "share", "1h", 2, spot, "price = 0.4\ninterruptions_per_task_hour = 0.0", "");
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    let cost = summary(&out)["total"]["cost_usd"].as_f64().unwrap();
    assert!(rounded_close(cost, 2.0 * 3600.0 * 0.4 * HALF_VCPU_1GB_PER_SECOND), "{cost}");
    let file = scenario(dir.path(), "snapshot", "1h", 2, spot, "interruptions_per_task_hour = 0.0", "");
    let out = dir.path().join("snapshot-out");
    run_ok(&file, &out, &[]);
    let cost = summary(&out)["total"]["cost_usd"].as_f64().unwrap();
    // The default share reproduces the us-east-1 snapshot of §5.4 (to 0.001 %, below the
    // millionth of a dollar the summary keeps).
    assert!(rounded_close(cost, 2.0 * (0.5 * 0.01264791 + 0.00138883)), "{cost}");
    assert!(rounded_close(cost, 2.0 * 3600.0 * 0.31245 * HALF_VCPU_1GB_PER_SECOND), "{cost}");
}

#[test]
fn windows_pays_its_licence_and_five_minute_minimum_and_storage_above_twenty_gb_is_billed() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, service: &str| {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "version = 1\nname = \"{name}\"\nduration = \"1h\"\n[loads.l]\nshape = \"constant\"\nvalue = 10.0\n[services.s]\nload = \"l\"\nrequests_per_task = 100.0\n{service}\n"
            ),
        )
        .unwrap();
        path
    };
    // 2 Windows tasks of 1 vCPU / 2 GB, 0.0915 + 0.046 licence + 2 × 0.01 = 0.1575 an hour
    // each; at 2 min one is stopped (2 min 30 s with the stop timeout) and pays the 5-minute
    // minimum, the other the hour.
    let windows = write(
        "windows",
        "operating_system_family = \"WINDOWS_SERVER_2022_CORE\"\ncpu = 1024\nmemory = 2048\ndesired_count = 2\nmin_capacity = 1\nmax_capacity = 2\n[[services.s.scheduled_actions]]\nschedule = \"at(2026-01-05T00:02:00)\"\nmax_capacity = 1",
    );
    let out = dir.path().join("windows-out");
    run_ok(&windows, &out, &[]);
    let s = summary(&out);
    assert!(rounded_close(s["total"]["cost_usd"].as_f64().unwrap(), 0.1575 * (3600.0 + 300.0) / 3600.0));
    // 3 Linux tasks of 0.5 vCPU / 1 GB with 50 GiB of ephemeral storage: 30 GB above the 20
    // included, at 0.000111 per GB-hour.
    let storage = write(
        "storage",
        "cpu = 512\nmemory = 1024\nephemeral_storage = 50\ndesired_count = 3\nmin_capacity = 3\nmax_capacity = 3",
    );
    let out = dir.path().join("storage-out");
    run_ok(&storage, &out, &[]);
    let s = summary(&out);
    assert!(rounded_close(s["total"]["cost_storage_usd"].as_f64().unwrap(), 3.0 * 30.0 * 0.000111));
    assert!(close(
        s["total"]["cost_usd"].as_f64().unwrap(),
        3.0 * 3600.0 * HALF_VCPU_1GB_PER_SECOND + 3.0 * 30.0 * 0.000111,
        1e-9
    ));
    // Windows below 1 vCPU, and Windows on Spot, are refused.
    for (service, says) in [
        (
            "operating_system_family = \"WINDOWS_SERVER_2019_FULL\"\ncpu = 512\nmemory = 1024\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1",
            "1024, 2048 or 4096",
        ),
        (
            "operating_system_family = \"WINDOWS_SERVER_2019_FULL\"\ncapacity_provider_strategy = [{ capacity_provider = \"FARGATE_SPOT\" }]\ncpu = 1024\nmemory = 2048\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1\n[fargate_spot]\ninterruptions_per_task_hour = 0.0",
            "cannot run on FARGATE_SPOT",
        ),
    ] {
        let bad = write("bad", service);
        let output = super::ecsim(&["validate", bad.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2));
        assert!(super::stderr(&output).contains(says), "{}", super::stderr(&output));
    }
}

#[test]
fn services_without_a_strategy_or_launch_type_use_the_cluster_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("default.toml");
    let service = |name: &str, extra: &str| {
        format!(
            "[services.{name}]\nload = \"l\"\n{extra}\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\ndesired_count = 2\nmin_capacity = 2\nmax_capacity = 2\n"
        )
    };
    std::fs::write(
        &path,
        format!(
            "version = 1\nname = \"default\"\nduration = \"1h\"\n[cluster]\ndefault_capacity_provider_strategy = [{{ capacity_provider = \"FARGATE_SPOT\" }}]\n[fargate_spot]\ninterruptions_per_task_hour = 0.0\n[loads.l]\nshape = \"constant\"\nvalue = 10.0\n{}{}",
            service("defaulted", ""),
            service("own", "launch_type = \"FARGATE\"")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&path, &out, &[]);
    let events = task_events(&out);
    let on_spot = |name: &str| events.iter().filter(|e| e["service"] == name && e["reason"] == "FARGATE_SPOT").count();
    assert_eq!((on_spot("defaulted"), on_spot("own")), (2, 0));
    let s = summary(&out);
    assert_eq!(s["services"][0]["capacity"], "FARGATE_SPOT");
    assert_eq!(s["services"][1]["capacity"], "FARGATE");
}
