//! The places where ecsim once differed from AWS's own documented examples, each checked
//! against numbers worked out by hand from AWS's text (reference sections in each test).

use std::path::Path;

use super::{read_csv, root, run_ok, write};

type Row = std::collections::BTreeMap<String, String>;

fn scaling_rows(dir: &Path) -> Vec<Row> {
    read_csv(&dir.join("events-scaling.csv"))
}

/// §1.3: "when actual capacity is 0 and the metric indicates that there is workload demand,
/// Service Auto Scaling waits for one data point to be sent before scaling out … it scales out by
/// the minimum possible amount as a starting point and then resumes scaling based on the actual
/// running task count". The example's messages arrive at 20/s from minute 10, into an empty queue
/// of a worker at zero tasks that works off 10/s per task and starts in 30 s:
/// - minute 11's datapoint: 20 × 60 = 1200 waiting, per task (at least one) 1200 > 100: the
///   first datapoint breaches, so at 660 s the desired count goes 0 → 1 (AlarmHigh's 3 of 3
///   would wait until 780 s);
/// - the task runs from 690 s; minute 12: 1200 + 30 s × 20 + 30 s × (20 − 10) = 2100 per task;
///   minute 13: 2100 + 60 × 10 = 2700. AlarmHigh has 3 of 3 (1200, 2100, 2700) at 780 s and
///   scales from the running count: ceil(1 × 2700 / 100) = 27, clamped to the maximum 10.
#[test]
fn a_worker_at_zero_tasks_scales_out_after_one_datapoint_by_one_task() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/queue-worker-from-zero.toml"), out.path(), &[]);
    let rows = scaling_rows(out.path());
    let fields = |r: &Row| {
        ["time_s", "running_count", "desired_before", "proposed", "desired_after", "limited_by", "metric_value"]
            .map(|k| r[k].clone())
    };
    assert_eq!(fields(&rows[0]), ["660", "0", "0", "1", "1", "", "1200.0000"]);
    assert_eq!(rows[0]["from_zero"], "true");
    assert_eq!(fields(&rows[1]), ["780", "1", "1", "27", "10", "max_capacity", "2700.0000"]);
    assert_eq!(rows[1]["from_zero"], "false");
    assert_eq!(rows[1]["datapoints"], "1200.00;2100.00;2700.00");
}

/// The same from zero for a step policy whose alarm needs 3 of 3: at 660 s one task, not the
/// +3 step; at 780 s the alarm is in ALARM and, inside the 300 s cooldown of the first
/// scale-out, the step counts from that scale-out's base (§2.4: "the previous increase … is
/// considered part of the current capacity"): 0 + 3 = 3.
#[test]
fn a_step_policy_at_zero_tasks_scales_out_after_one_datapoint_by_one_task() {
    let out = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(root().join("scenarios/queue-worker-from-zero.toml")).unwrap();
    let (base, _) = example.split_once("[[services.worker.target_tracking]]").unwrap();
    let step = format!(
        "{base}[[services.worker.step_scaling]]
name = \"backlog-out\"
adjustment_type = \"ChangeInCapacity\"
step_adjustments = [{{ metric_interval_lower_bound = 0.0, scaling_adjustment = 3 }}]
alarm = {{ metric = \"backlog_per_task\", evaluation_periods = 3, datapoints_to_alarm = 3, comparison_operator = \"GreaterThanThreshold\", threshold = 100.0 }}
"
    );
    let file = write(out.path(), "step.toml", &step);
    run_ok(&file, &out.path().join("run"), &[]);
    let rows = scaling_rows(&out.path().join("run"));
    let fields =
        |r: &Row| ["time_s", "running_count", "desired_before", "proposed", "desired_after"].map(|k| r[k].clone());
    assert_eq!(fields(&rows[0]), ["660", "0", "0", "1", "1"]);
    assert_eq!(rows[0]["from_zero"], "true");
    assert_eq!(fields(&rows[1]), ["780", "1", "1", "3", "3"]);
}

/// A run is a window on a longer life: a task or an instance still alive when it ends is billed
/// to the end exactly, with no 60-second minimum (that applies when it stops, after the window),
/// Fargate and EC2 alike. 40 s of an m5.large at $0.096 an hour, and 40 s of a 0.25 vCPU /
/// 0.5 GB Fargate task at $0.04048 per vCPU-hour and $0.004445 per GB-hour (§5.2, §6.1).
#[test]
fn what_is_alive_at_the_end_is_billed_to_the_end_without_a_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "end.toml",
        r#"version = 1
name = "end"
duration = "40s"
tick = "10s"
[loads.l]
shape = "constant"
value = 10.0
[capacity_providers.p]
instance_types = ["m5.large"]
min_size = 0
max_size = 1
desired_capacity = 1
[services.f]
load = "l"
cpu = 256
memory = 512
requests_per_task = 100.0
desired_count = 1
min_capacity = 1
max_capacity = 1
"#,
    );
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    let instances = read_csv(&out.join("instances.csv"));
    assert_eq!((instances.len(), instances[0]["billed_s"].as_str()), (1, "40"));
    let summary = super::summary(&out);
    let ec2 = summary["providers"][0]["cost_usd"].as_f64().unwrap();
    assert!(super::rounded_close(ec2, 0.096 * 40.0 / 3600.0), "{ec2}");
    let fargate = summary["services"][0]["cost_usd"].as_f64().unwrap();
    assert!(super::rounded_close(fargate, 40.0 * (0.25 * 0.04048 + 0.5 * 0.004445) / 3600.0), "{fargate}");
    assert!(super::rounded_close(summary["services"][0]["billed_task_hours"].as_f64().unwrap(), 40.0 / 3600.0));
}

/// Managed scaling counts in M the instances the waiting tasks need beyond those the group has
/// already launched (§4.2: "tasks the customer is trying to run that don't fit on the existing
/// instances"; N counts launched instances too). One m6i.large holds 4 tasks of 512 units
/// (2048 / 512); at 10:00 the minimum goes from 4 to 16: 12 tasks wait, 3 more instances:
/// (1 + 3) / 1 = 400 % → 4 instances. At 11:00 the 12 tasks fit on the 3 launching: M = N = 4,
/// 100 %, nothing more, whatever the warm-up. Counted again, they made 175 % and 7 instances
/// with `instance_warmup_period = "0s"`, and the 3 extra went 15 minutes later.
#[test]
fn tasks_waiting_for_launching_instances_are_not_counted_again() {
    let dir = tempfile::tempdir().unwrap();
    for (label, managed_scaling) in [("no warm-up", "{ instance_warmup_period = \"0s\" }"), ("default", "{}")] {
        let file = write(
            dir.path(),
            "warm.toml",
            &format!(
                r#"version = 1
name = "warm"
duration = "40m"
[loads.l]
shape = "constant"
value = 10.0
[capacity_providers.asg]
instance_types = ["m6i.large"]
min_size = 0
max_size = 10
desired_capacity = 1
managed_scaling = {managed_scaling}
[services.api]
load = "l"
capacity_provider_strategy = [{{ capacity_provider = "asg" }}]
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 4
min_capacity = 4
max_capacity = 20
[[services.api.scheduled_actions]]
schedule = "at(2026-01-05T00:10:00)"
min_capacity = 16
"#
            ),
        );
        let out = dir.path().join(label.replace(' ', "-"));
        run_ok(&file, &out, &[]);
        let group: Vec<Row> = read_csv(&out.join("events-groups.csv"));
        let fields =
            |r: &Row| ["time_s", "event", "capacity_provider_reservation_pct", "desired_after"].map(|k| r[k].clone());
        assert_eq!(
            group.iter().map(fields).collect::<Vec<_>>(),
            [["600", "group_scale_out", "400.0000", "4"]],
            "{label}"
        );
        let summary = super::summary(&out);
        assert_eq!(summary["providers"][0]["instances_launched"], 4, "{label}");
        assert_eq!(summary["providers"][0]["peak_instances"], 4, "{label}");
    }
}

/// Reference §9: with CPU units on the containers only, a task "can use more than its share"
/// and service CPU utilization exceeds 100 % ("If you define CPU units at the task level, the
/// utilization will not go above the defined task-level limit"). One m5.large, 2048 units, two
/// tasks of 512 units that serve 100 requests/s each at their reservation:
/// - `quiet` (a task-level limit) gets 20 requests/s: it uses 20 / 100 × 512 = 102.4 units;
/// - `busy` (container shares) gets 500: it wants 2560 units, more than is left, so it gets
///   the rest, 2048 − 102.4 = 1945.6 units, 3.8 × its reservation: it serves 380 requests/s,
///   76 % of its load, at a CPU utilization of 380 %.
///
/// With a task-level limit instead, `busy` serves 100 requests/s (20 %) at 100 %.
#[test]
fn a_task_with_container_cpu_shares_uses_the_idle_cpu_of_its_instance() {
    let dir = tempfile::tempdir().unwrap();
    let service = |name: &str, extra: &str| {
        format!(
            "[services.{name}]\nload = \"{name}\"\ncapacity_provider_strategy = [{{ capacity_provider = \"asg\" }}]\n{extra}\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1\n"
        )
    };
    let scenario = |limit: &str| {
        format!(
            "version = 1\nname = \"shares\"\nduration = \"10m\"\n[loads.busy]\nshape = \"constant\"\nvalue = 500.0\n[loads.quiet]\nshape = \"constant\"\nvalue = 20.0\n[capacity_providers.asg]\ninstance_types = [\"m5.large\"]\nmin_size = 1\nmax_size = 1\ndesired_capacity = 1\n{}{}",
            service("busy", limit),
            service("quiet", "")
        )
    };
    for (limit, served_rps, cpu) in
        [("cpu_limit = \"container_shares\"", 2048.0 - 0.2 * 512.0, 380.0), ("cpu_limit = \"task\"", 512.0, 100.0)]
    {
        let served_rps = served_rps / 512.0 * 100.0;
        let file = write(dir.path(), "shares.toml", &scenario(limit));
        let out = dir.path().join(if cpu > 100.0 { "shares" } else { "task" });
        run_ok(&file, &out, &[]);
        let summary = super::summary(&out);
        let busy = &summary["services"][0];
        assert!(super::close(busy["requests_served"].as_f64().unwrap(), served_rps * 600.0, 1e-9), "{limit}: {busy}");
        assert_eq!(summary["services"][1]["unserved_share"], 0.0, "quiet is served whole");
        for row in read_csv(&out.join("timeseries.csv")).iter().filter(|r| r["service"] == "busy") {
            assert!(super::close(row["cpu_utilization_mean_pct"].parse().unwrap(), cpu, 1e-6), "{limit}: {row:?}");
        }
    }
}

/// Fargate tasks always have a task-level CPU limit: container shares there is refused.
#[test]
fn container_cpu_shares_are_refused_on_fargate() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "f.toml",
        "version = 1\nname = \"f\"\nduration = \"10m\"\n[loads.l]\nshape = \"constant\"\nvalue = 1.0\n[services.s]\nload = \"l\"\ncpu_limit = \"container_shares\"\ncpu = 256\nmemory = 512\nrequests_per_task = 10.0\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1\n",
    );
    let output = super::ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = super::stderr(&output);
    assert!(
        text.contains("f.toml:9:") && text.contains("cpu_limit") && text.contains("task-level CPU limit"),
        "{text}"
    );
}

/// However many tasks share it, an m5.large's 2048 units serve at most 2048 / 512 × 100 = 400
/// requests/s of a 512-unit, container-shares service: one task alone gets all 2048 units,
/// four get 512 each. At 3:00 the minimum goes from 1 to 4 on a load of 1000 requests/s:
/// every minute serves 400 × 60 = 24,000, while the three new tasks start and after. A DAEMON
/// beside it, with no load, wants no CPU and takes none.
#[test]
fn container_shares_never_serve_more_than_the_instance_has() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "full.toml",
        r#"version = 1
name = "full"
duration = "10m"
series_interval = "1m"
[loads.l]
shape = "constant"
value = 1000.0
[capacity_providers.asg]
instance_types = ["m5.large"]
min_size = 1
max_size = 1
desired_capacity = 1
[services.log]
scheduling_strategy = "DAEMON"
capacity_provider_strategy = [{ capacity_provider = "asg" }]
cpu = 128
memory = 256
[services.busy]
load = "l"
capacity_provider_strategy = [{ capacity_provider = "asg" }]
cpu_limit = "container_shares"
cpu = 448
memory = 1024
requests_per_task = 100.0
desired_count = 1
min_capacity = 1
max_capacity = 4
[[services.busy.scheduled_actions]]
schedule = "at(2026-01-05T00:03:00)"
min_capacity = 4
"#,
    );
    let out = dir.path().join("out");
    run_ok(&file, &out, &[]);
    // 2048 units serve 2048 / 448 × 100 requests/s: the daemon takes none of them.
    let per_minute = 2048.0 / 448.0 * 100.0 * 60.0;
    let rows: Vec<_> = read_csv(&out.join("timeseries.csv")).into_iter().filter(|r| r["service"] == "busy").collect();
    assert_eq!(rows.len(), 10);
    for row in &rows {
        let served: f64 = row["served_requests"].parse().unwrap();
        assert!(super::close(served, per_minute, 1e-6), "{row:?}");
    }
}
