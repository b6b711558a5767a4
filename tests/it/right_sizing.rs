//! Right-sizing rollouts: a deployment that brings another task size. The bill, the CPU
//! metric and EC2 placement each follow every task's own size, checked against timelines
//! worked out by hand from AWS's rules.

use crate::operations::{four_tasks, only_deployment, run, task_changes, tasks_at};
use crate::*;

/// The four 0.5 vCPU / 1 GB tasks of `four_tasks` (100 requests/s each at 100 % CPU, under
/// 100 requests/s), deployed at 5:00 as 1 vCPU / 2 GB tasks at 100 % / 200 %. As in the
/// same-size deployment: the new tasks are PENDING (billed) from 5:10, RUNNING at 6:00, healthy
/// at 6:40, when the old ones stop (STOPPED, unbilled, at 7:10).
///
/// Bill: the old tasks 4 × 430 s at the 0.5 vCPU / 1 GB price p; the new ones, twice the
/// vCPU and memory, 4 × (1800 − 310) s at 2p: p × (1,720 + 11,920). Surge: 520 extra task-seconds
/// (four extra tasks 5:00–7:10), at the new size's price 2p. By default a task of twice the
/// CPU serves twice as much: CPU utilization is 100 of 4 × 100 requests/s, 25 %, before and
/// 100 of 4 × 200, 12.5 %, after.
#[test]
fn on_fargate_each_task_is_billed_at_its_own_size_and_the_larger_tasks_serve_more() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &four_tasks("[[services.api.deployments]]\nat = \"5m\"\ncpu = 1024\nmemory = 2048\n"));
    let changes = task_changes(&out, 300);
    assert_eq!(tasks_at(&changes, 310, "PROVISIONING", "PENDING"), vec![5, 6, 7, 8]);
    assert_eq!(tasks_at(&changes, 430, "STOPPING", "STOPPED"), vec![1, 2, 3, 4]);
    let d = only_deployment(&out);
    assert_eq!((d["task_cpu"].as_str(), d["task_memory"].as_str()), ("1024", "2048"));
    assert_eq!(
        (d["outcome"].as_str(), d["ended_s"].as_str(), d["extra_task_seconds"].as_str()),
        ("completed", "430", "520")
    );
    let surge: f64 = d["surge_cost_usd"].parse().unwrap();
    assert!(rounded_close(surge, 520.0 * 2.0 * HALF_VCPU_1GB_PER_SECOND), "{surge}");
    let cost = summary(&out)["services"][0]["cost_usd"].as_f64().unwrap();
    assert!(rounded_close(cost, (1720.0 + 2.0 * 4.0 * 1490.0) * HALF_VCPU_1GB_PER_SECOND), "{cost}");
    let cpu = |from_s: u64| {
        let rows = read_csv(&out.join("timeseries.csv"));
        let row = rows.into_iter().find(|r| r["time_s"] == from_s.to_string()).unwrap();
        row["cpu_utilization_mean_pct"].parse::<f64>().unwrap()
    };
    assert_eq!((cpu(240), cpu(600), cpu(1740)), (25.0, 12.5, 12.5));
}

/// Four 1 vCPU / 2 GiB tasks fill one m6i.xlarge (4 vCPU: 4096 CPU units registered). A
/// right-sizing rollout to 2 vCPU at 5:00: two new tasks fit an instance, none fits the full
/// one, so the four wait in PROVISIONING and managed scaling asks for ceil(4 / 2) = 2 more
/// instances (desired 1 → 3). Each new instance takes two of them; once the old tasks stop,
/// the two new instances are fully reserved in CPU and hold the same 8 GiB the first did,
/// so memory reservation over the group halves.
#[test]
fn on_ec2_the_new_size_is_placed_and_scaled_for_by_its_own_needs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = r#"version = 1
name = "ec2"
start = "2026-01-05T00:00:00Z"
duration = "1h"
seed = 1

[loads.web]
shape = "constant"
value = 100.0

[capacity_providers.asg]
instance_types = ["m6i.xlarge"]
min_size = 0
max_size = 10
desired_capacity = 1
pending = "30s"
boot = "90s"
managed_scaling = { target_capacity = 100 }

[services.api]
load = "web"
capacity_provider_strategy = [{ capacity_provider = "asg" }]
network_mode = "bridge"
cpu = 1024
memory = 2048
requests_per_task = 100.0
desired_count = 4
min_capacity = 4
max_capacity = 4
provisioning = "10s"
startup = "50s"
stop_timeout = "30s"

[[services.api.deployments]]
at = "5m"
cpu = 2048
"#;
    let out = run(dir.path(), scenario);
    let groups = read_csv(&out.join("events-groups.csv"));
    let scale_out = groups.iter().find(|r| r["event"] == "group_scale_out").unwrap();
    assert_eq!(
        (scale_out["time_s"].as_str(), scale_out["tasks_waiting"].as_str(), scale_out["desired_after"].as_str()),
        ("300", "4", "3")
    );
    let placed: Vec<(String, String)> = read_csv(&out.join("events-tasks.csv"))
        .into_iter()
        .filter(|r| r["to_state"] == "PENDING" && r["task"].parse::<u64>().unwrap() > 4)
        .map(|r| (r["task"].clone(), r["instance"].clone()))
        .collect();
    let on = |instance: &str| placed.iter().filter(|(_, i)| i == instance).count();
    assert_eq!((placed.len(), on("2"), on("3")), (4, 2, 2), "{placed:?}");
    let d = only_deployment(&out);
    assert_eq!(
        (d["outcome"].as_str(), d["task_cpu"].as_str(), d["peak_extra_instances"].as_str()),
        ("completed", "2048", "2")
    );
    let providers = read_csv(&out.join("providers.csv"));
    let reserved = |row: &Row, column: &str| row[column].parse::<f64>().unwrap();
    let (first, last) = (&providers[1], providers.last().unwrap());
    assert_eq!((reserved(first, "cpu_reservation_pct"), reserved(last, "cpu_reservation_pct")), (100.0, 100.0));
    let halved = reserved(last, "memory_reservation_pct") / reserved(first, "memory_reservation_pct");
    assert!((halved - 0.5).abs() < 1e-5, "{halved}");
}

type Row = std::collections::BTreeMap<String, String>;

/// A size that Fargate's table, the instance types or the task's memory rule out is refused
/// where it is written.
#[test]
fn a_size_that_cannot_run_is_refused_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    for (deployment, expected) in [
        ("cpu = 512\nmemory = 16384", "deployments[0].memory"),
        ("cpu = 3000", "deployments[0].cpu"),
        ("requests_per_task = 0.0", "deployments[0].requests_per_task"),
    ] {
        let text = four_tasks(&format!("[[services.api.deployments]]\nat = \"5m\"\n{deployment}\n"));
        let scenario = write(dir.path(), "scenario.toml", &text);
        let output = ecsim(&["validate", scenario.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(expected), "{deployment}: {stderr}");
    }
}
