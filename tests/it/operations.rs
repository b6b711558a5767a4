//! Operations that move capacity: rolling deployments (reference §8), the circuit breaker and
//! its rollback, scale-in suspended meanwhile (§1.8), and desired counts set by hand (§1.7),
//! each run from a scenario file and checked against a timeline worked out by hand.

use crate::*;

type Row = std::collections::BTreeMap<String, String>;

/// Four 0.5 vCPU / 1 GB Fargate tasks serving 100 requests/s, held at 4: PROVISIONING 10 s,
/// PENDING 50 s, stop timeout 30 s, no load balancer (a task counts as healthy 40 s after
/// RUNNING). `extra` is appended: the deployment, or a load balancer.
pub(crate) fn four_tasks(extra: &str) -> String {
    format!(
        r#"version = 1
name = "four"
start = "2026-01-05T00:00:00Z"
duration = "30m"
seed = 1

[loads.web]
shape = "constant"
value = 100.0

[services.api]
load = "web"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 4
min_capacity = 4
max_capacity = 4
provisioning = "10s"
startup = "50s"
stop_timeout = "30s"
{extra}"#
    )
}

pub(crate) fn run(dir: &Path, text: &str) -> PathBuf {
    let scenario = write(dir, "scenario.toml", text);
    let out = dir.join("out");
    run_ok(&scenario, &out, &["--no-charts"]);
    out
}

/// The task state changes from `from_s` on, as (second, task, from, to, reason).
pub(crate) fn task_changes(out: &Path, from_s: u64) -> Vec<(u64, u64, String, String, String)> {
    read_csv(&out.join("events-tasks.csv"))
        .into_iter()
        .filter(|r| r["time_s"].parse::<u64>().unwrap() >= from_s)
        .map(|r| {
            let time = r["time_s"].parse().unwrap();
            (time, r["task"].parse().unwrap(), r["from_state"].clone(), r["to_state"].clone(), r["reason"].clone())
        })
        .collect()
}

/// At `time_s`, the tasks that went `from` → `to`.
pub(crate) fn tasks_at(changes: &[(u64, u64, String, String, String)], time_s: u64, from: &str, to: &str) -> Vec<u64> {
    let mut tasks: Vec<u64> =
        changes.iter().filter(|c| c.0 == time_s && c.2 == from && c.3 == to).map(|c| c.1).collect();
    tasks.sort_unstable();
    tasks
}

pub(crate) fn only_deployment(out: &Path) -> Row {
    let rows = read_csv(&out.join("deployments.csv"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

/// 50 % / 100 % of 4: at least ceil(2) healthy, at most floor(4) RUNNING or PENDING. At 5:00 two
/// old tasks stop (SIGTERM, STOPPED 30 s later) and two new ones start in the room: PENDING at
/// 5:10, RUNNING at 6:00, healthy at 6:40. Then 4 are healthy, so the last two old ones stop and
/// two more new ones start (RUNNING 7:40, healthy 8:20): the deployment completes at 8:20.
/// Tasks beyond the 4 desired: the two old ones stopping, 5:00–5:30 and 6:40–7:10, 120 s.
#[test]
fn at_50_100_a_deployment_stops_two_old_tasks_then_starts_two_new_ones_minute_by_minute() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &four_tasks("[[services.api.deployments]]\nat = \"5m\"\nminimum_healthy_percent = 50\nmaximum_percent = 100\n"),
    );
    let changes = task_changes(&out, 300);
    let stopped_first = tasks_at(&changes, 300, "RUNNING", "STOPPING");
    assert_eq!(stopped_first.len(), 2, "{changes:?}");
    assert_eq!(tasks_at(&changes, 300, "", "PROVISIONING"), vec![5, 6]);
    assert_eq!(tasks_at(&changes, 310, "PROVISIONING", "PENDING"), vec![5, 6]);
    assert_eq!(tasks_at(&changes, 330, "STOPPING", "STOPPED"), stopped_first);
    assert_eq!(tasks_at(&changes, 360, "PENDING", "RUNNING"), vec![5, 6]);
    let stopped_second = tasks_at(&changes, 400, "RUNNING", "STOPPING");
    let mut old: Vec<u64> = stopped_first.iter().chain(&stopped_second).copied().collect();
    old.sort_unstable();
    assert_eq!(old, vec![1, 2, 3, 4], "every old task stops once");
    assert_eq!(tasks_at(&changes, 400, "", "PROVISIONING"), vec![7, 8]);
    assert_eq!(tasks_at(&changes, 460, "PENDING", "RUNNING"), vec![7, 8]);
    assert!(changes.iter().all(|c| c.0 <= 460), "nothing after the last new tasks are RUNNING: {changes:?}");

    let d = only_deployment(&out);
    assert_eq!((d["outcome"].as_str(), d["started_s"].as_str(), d["ended_s"].as_str()), ("completed", "300", "500"));
    assert_eq!((d["peak_extra_tasks"].as_str(), d["extra_task_seconds"].as_str()), ("2", "120"));
    let surge: f64 = d["surge_cost_usd"].parse().unwrap();
    assert!(rounded_close(surge, 120.0 * HALF_VCPU_1GB_PER_SECOND), "{surge}");
    assert_eq!(d["unserved_requests"], "0", "two tasks serve the 100 requests/s");
}

/// 100 % / 200 %: four new tasks start at once (RUNNING 6:00, healthy 6:40); then 8 are
/// healthy, so all four old ones stop (STOPPED 7:10) and the deployment completes at 7:10.
/// Four extra tasks from 5:00 to 7:10: 520 task-seconds.
#[test]
fn at_100_200_the_new_tasks_start_first_and_the_old_ones_stop_once_they_are_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &four_tasks("[[services.api.deployments]]\nat = \"5m\"\n"));
    let changes = task_changes(&out, 300);
    assert_eq!(tasks_at(&changes, 300, "", "PROVISIONING"), vec![5, 6, 7, 8]);
    assert!(tasks_at(&changes, 300, "RUNNING", "STOPPING").is_empty(), "the minimum keeps all four");
    assert_eq!(tasks_at(&changes, 400, "RUNNING", "STOPPING"), vec![1, 2, 3, 4]);
    assert_eq!(tasks_at(&changes, 430, "STOPPING", "STOPPED"), vec![1, 2, 3, 4]);
    let d = only_deployment(&out);
    assert_eq!((d["outcome"].as_str(), d["ended_s"].as_str()), ("completed", "430"));
    assert_eq!((d["peak_extra_tasks"].as_str(), d["extra_task_seconds"].as_str()), ("4", "520"));
    let surge: f64 = d["surge_cost_usd"].parse().unwrap();
    assert!(rounded_close(surge, 520.0 * HALF_VCPU_1GB_PER_SECOND), "{surge}");
}

/// A revision whose every task fails its load balancer's health checks (checks every 10 s,
/// unhealthy after 2: 20 s; a 60 s grace period), with the circuit breaker and rollback. Its
/// threshold for 4 tasks is max(ceil(4 / 2), 10) = 10. New tasks launched at 5:00 are RUNNING
/// at 6:00 and found failing at 7:00 (the grace period, longer than the 20 s): 4 failures, 4
/// replacements; the same at 9:00 (8) and at 11:00 the 9th and the 10th trip the breaker. The
/// rollback keeps the 4 old tasks, which run the last completed revision, and stops the new
/// ones left (deregistered 30 s, SIGTERM 30 s): rolled back at 12:00.
#[test]
fn a_failing_revision_trips_the_circuit_breaker_at_its_threshold_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = r#"load_balancer = { health_check_interval = "10s", healthy_threshold_count = 3, deregistration_delay = "30s" }

[[services.api.deployments]]
at = "5m"
failing_share = 1.0
health_check_grace_period = "60s"
circuit_breaker = { rollback = true }
"#;
    let out = run(dir.path(), &four_tasks(deployment));
    let steps = read_csv(&out.join("events-deployments.csv"));
    let failures: Vec<(u64, u32)> = steps
        .iter()
        .filter(|s| s["step"] == "task_failed")
        .map(|s| (s["time_s"].parse().unwrap(), s["failures"].parse().unwrap()))
        .collect();
    let expected: Vec<(u64, u32)> =
        [420, 420, 420, 420, 540, 540, 540, 540, 660, 660].into_iter().zip(1..=10).collect();
    assert_eq!(failures, expected);
    assert!(steps.iter().all(|s| s["failure_threshold"] == "10"));
    let failed = steps.iter().position(|s| s["step"] == "failed").expect("the breaker trips");
    assert_eq!(steps[failed]["time_s"], "660");
    assert_eq!((steps[failed + 1]["step"].as_str(), steps[failed + 1]["rollback"].as_str()), ("started", "true"));
    let d = only_deployment(&out);
    assert_eq!(
        (d["outcome"].as_str(), d["ended_s"].as_str(), d["failed_tasks"].as_str()),
        ("rolled_back", "720", "10")
    );
    let reasons = task_changes(&out, 0).into_iter().filter(|c| c.4 == "Task failed ELB health checks").count();
    assert_eq!(reasons, 10);
    let old_stopped = task_changes(&out, 0).into_iter().any(|c| c.1 <= 4 && c.3 == "STOPPED");
    assert!(!old_stopped, "the old tasks were never stopped: the minimum of 100 % kept them");

    // `ecsim explain` tells where the deployment stood at 10:00 (the failures of 9:00 were the
    // latest) and how it ended.
    let told = ecsim(&["explain", out.to_str().unwrap(), "--service", "api", "--at", "10m"]);
    assert!(told.status.success(), "{}", stderr(&told));
    let story = String::from_utf8(told.stdout).unwrap();
    assert!(story.contains("circuit breaker 8 of 10 failures"), "{story}");
    assert!(story.contains("Its next step came at 2026-01-05T00:11:00Z (660 s): task_failed"), "{story}");
    assert!(story.contains("It ended at 720 s, rolled back"), "{story}");
}

/// Without rollback the deployment fails at the threshold and the service goes on with the
/// last completed revision; a larger service's threshold is half its desired count.
#[test]
fn without_rollback_the_deployment_fails_and_a_larger_service_has_a_higher_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let text = four_tasks(
        "[[services.api.deployments]]\nat = \"5m\"\nfailing_share = 1.0\ncircuit_breaker = { rollback = false }\n",
    )
    .replace(
        "desired_count = 4\nmin_capacity = 4\nmax_capacity = 4",
        "desired_count = 25\nmin_capacity = 25\nmax_capacity = 25",
    )
    .replace("value = 100.0", "value = 1000.0");
    let out = run(dir.path(), &text);
    let steps = read_csv(&out.join("events-deployments.csv"));
    // 25 tasks: ceil(12.5) = 13 (AWS's example).
    assert!(steps.iter().all(|s| s["failure_threshold"] == "13"));
    // Without a load balancer a task that never becomes healthy exits as it starts: all 25
    // new ones at 6:00 (stage 1), 13 of them trip the breaker.
    let failed: Vec<&Row> = steps.iter().filter(|s| s["step"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0]["time_s"].as_str(), failed[0]["failures"].as_str()), ("360", "13"));
    let d = only_deployment(&out);
    assert_eq!((d["outcome"].as_str(), d["ended_s"].as_str()), ("failed", "360"));
    let exited = task_changes(&out, 0).iter().filter(|c| c.4 == "Essential container in task exited").count();
    assert_eq!(exited, 25, "every new task launched at 5:00 exits at 6:00");
    let summary = summary(&out);
    assert_eq!(summary["services"][0]["peak_running_tasks"], 25, "the old tasks served throughout");
}

/// A service at 50 % CPU whose load falls to a quarter at 10:00, when a deployment starts whose
/// new revision takes 30 minutes to start. Its scale-in alarm (15 datapoints below 45 %) is in
/// ALARM from about 25:00, but "Application Auto Scaling turns off scale-in processes while
/// Amazon ECS deployments are in progress": the first scale-in comes after the deployment.
#[test]
fn scale_in_waits_for_the_deployment_to_end() {
    let service = |deployment: &str| {
        format!(
            r#"version = 1
name = "suspended"
start = "2026-01-05T00:00:00Z"
duration = "90m"
seed = 1

[loads.web]
shape = "step"
steps = [{{ at = "0s", value = 400.0 }}, {{ at = "10m", value = 100.0 }}]

[services.api]
load = "web"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 8
min_capacity = 1
max_capacity = 20
startup = "30s"

[[services.api.target_tracking]]
metric = "cpu"
target_value = 50.0
{deployment}"#
        )
    };
    let first_scale_in = |out: &Path| -> u64 {
        read_csv(&out.join("events-scaling.csv"))
            .iter()
            .find(|r| r["event"] == "scale_in" && r["won"] == "true")
            .map(|r| r["time_s"].parse().unwrap())
            .expect("a scale-in")
    };
    let plain = tempfile::tempdir().unwrap();
    let without = first_scale_in(&run(plain.path(), &service("")));
    assert!((24 * 60..=27 * 60).contains(&without), "15 minutes after the fall: {without}");

    let deploying = tempfile::tempdir().unwrap();
    let out = run(deploying.path(), &service("[[services.api.deployments]]\nat = \"10m\"\nstartup = \"30m\"\n"));
    let d = only_deployment(&out);
    assert_eq!(d["outcome"], "completed");
    let ended: u64 = d["ended_s"].parse().unwrap();
    // Launched at 10:00, RUNNING at 40:00, healthy at 40:40; the old tasks then stop (30 s).
    assert_eq!(ended, 40 * 60 + 40 + 30);
    let with = first_scale_in(&out);
    assert!(with >= ended, "no scale-in before the deployment ended at {ended}: {with}");
    let held: Vec<Row> = read_csv(&out.join("events-scaling.csv"))
        .into_iter()
        .filter(|r| r["event"] == "scale_in" && r["time_s"].parse::<u64>().unwrap() < ended)
        .collect();
    assert!(held.iter().all(|r| r["desired_after"] == r["desired_before"]), "{held:?}");
}

/// A service of 0.5 vCPU tasks serving 100 requests/s each, CPU target tracking at 50 %, a
/// constant `load`, `(desired, min, max)` tasks, and an update at 5:00 setting `update`.
fn updated(load: f64, (desired, min, max): (u32, u32, u32), update: u32) -> String {
    format!(
        r#"version = 1
name = "updated"
start = "2026-01-05T00:00:00Z"
duration = "60m"
seed = 1

[loads.web]
shape = "constant"
value = {load:.1}

[services.api]
load = "web"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = {desired}
min_capacity = {min}
max_capacity = {max}
startup = "30s"

[[services.api.target_tracking]]
metric = "cpu"
target_value = 50.0

[[services.api.updates]]
name = "by-hand"
at = "5m"
desired_count = {update}
"#
    )
}

/// The first decision of `event` after the update at 5:00, and every decision after it.
fn after_update(out: &Path, event: &str) -> (Row, Vec<Row>) {
    let after: Vec<Row> = read_csv(&out.join("events-scaling.csv"))
        .into_iter()
        .filter(|r| r["time_s"].parse::<u64>().unwrap() > 300)
        .collect();
    let first = after.iter().find(|r| r["event"] == event).cloned().unwrap_or_else(|| panic!("a {event}"));
    (first, after)
}

/// A service at its maximum of 6 (60 % CPU, its scale-out held there) set to 10 by an update
/// at 5:00. A scale-out "does not adjust the desired count" above the maximum; at 36 % CPU the
/// scale-in alarm fires and the new count, ceil(10 × 36 / 50) = 8, is clamped to the maximum:
/// "scales the desired count to the maximum capacity value and then continues to scale in".
#[test]
fn a_desired_count_set_above_the_maximum_is_scaled_in_to_the_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &updated(360.0, (6, 2, 6), 10));
    let updates = read_csv(&out.join("events-scheduled.csv"));
    assert_eq!(updates.len(), 1);
    assert_eq!(
        (updates[0]["action"].as_str(), updates[0]["desired_before"].as_str(), updates[0]["desired_after"].as_str()),
        ("by-hand", "6", "10")
    );
    let (first_in, after) = after_update(&out, "scale_in");
    assert_eq!(
        (first_in["desired_before"].as_str(), first_in["proposed"].as_str(), first_in["desired_after"].as_str()),
        ("10", "8", "6")
    );
    assert_eq!(first_in["limited_by"], "max_capacity");
    assert!(after.iter().all(|r| r["event"] != "scale_out" || r["desired_after"] == r["desired_before"]));
}

/// Set to 1 below its minimum of 4, the service's one task runs at 100 % CPU; the scale-out
/// alarm "scales the desired count up to the minimum capacity value and then continues to scale
/// out as required": ceil(1 × 100 / 50) = 2 is below the minimum, so 4.
#[test]
fn a_desired_count_set_below_the_minimum_is_scaled_out_to_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &updated(300.0, (6, 4, 10), 1));
    let (first_out, _) = after_update(&out, "scale_out");
    assert_eq!(
        (first_out["desired_before"].as_str(), first_out["proposed"].as_str(), first_out["desired_after"].as_str()),
        ("1", "2", "4")
    );
    assert_eq!(first_out["limited_by"], "min_capacity");
}

/// AWS's own EC2 examples of per-second billing with a 60-second minimum (reference §6.1): an
/// instance that lives 20 s is billed 60 s, one that lives 3 min 40 s is billed 220 s. Two
/// m6i.large instances ($0.096 an hour) start at 10:00 (no pending or boot time, so billing
/// starts at launch) by a scheduled action of their group; one is taken away at 10:20 by a
/// second action lowering max_size to 1, the other at 13:40 by a third lowering it to 0.
#[test]
fn group_scheduled_actions_make_instances_that_bill_at_least_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"version = 1
name = "instance-minimum"
start = "2026-01-05T00:00:00Z"
duration = "30m"
seed = 1

[loads.none]
shape = "constant"
value = 0.0

[capacity_providers.group]
instance_types = ["m6i.large"]
min_size = 0
max_size = 2
desired_capacity = 0
pending = "0s"
boot = "0s"

[[capacity_providers.group.scheduled_actions]]
name = "up"
at = "10m"
desired_capacity = 2

[[capacity_providers.group.scheduled_actions]]
name = "down-one"
start_time = "2026-01-05T00:10:20Z"
max_size = 1

[[capacity_providers.group.scheduled_actions]]
name = "down-all"
at = "13m40s"
max_size = 0

[services.idle]
load = "none"
capacity_provider_strategy = [{ capacity_provider = "group" }]
cpu = 256
memory = 512
requests_per_task = 100.0
desired_count = 0
min_capacity = 0
max_capacity = 1
"#;
    let out = run(dir.path(), text);
    let mut instances: Vec<(String, String, String)> = read_csv(&out.join("instances.csv"))
        .into_iter()
        .map(|r| (r["terminated_s"].clone(), r["billed_s"].clone(), r["cost_usd"].clone()))
        .collect();
    instances.sort();
    let cost = |seconds: f64| format!("{}", (0.096 * seconds / 3600.0 * 1e6).round() / 1e6);
    assert_eq!(
        instances,
        vec![("620".to_owned(), "60".to_owned(), cost(60.0)), ("820".to_owned(), "220".to_owned(), cost(220.0)),]
    );
    let actions: Vec<(String, String, String, String)> = read_csv(&out.join("events-groups.csv"))
        .into_iter()
        .map(|r| {
            (r["time_s"].clone(), r["scheduled_action"].clone(), r["desired_after"].clone(), r["max_size"].clone())
        })
        .collect();
    let expected = [("600", "up", "2", "2"), ("620", "down-one", "1", "1"), ("820", "down-all", "0", "0")];
    let expected: Vec<(String, String, String, String)> =
        expected.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect();
    assert_eq!(actions, expected);
}

/// An hourly job (EventBridge Scheduler, `rate(1 hour)`) on Fargate for 30 days: 719 starts
/// (the first an hour in, none at the end). Each 0.5 vCPU / 1 GB task is billed from PENDING
/// (10 s provisioning is not billed) to its exit: 20 s of image pull, then a run time uniform
/// on 2–10 minutes, mean 360 s and standard deviation 480 / √12 = 138.6 s. The bill's
/// expectation is 719 × 380 s × the per-second price; over 719 draws the sum's sd is
/// √719 × 138.6 s, and the run stays within 4 sd of it (plus a second per task of rounding up).
#[test]
fn a_jobs_cost_follows_its_run_time_distributions_mean() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"version = 1
name = "hourly"
start = "2026-01-05T00:00:00Z"
duration = "30d"
seed = 3

[loads.web]
shape = "constant"
value = 100.0

[services.web]
load = "web"
cpu = 256
memory = 512
requests_per_task = 100.0
desired_count = 1
min_capacity = 1
max_capacity = 1

[jobs.report]
cpu = 512
memory = 1024
schedule = "rate(1 hour)"
provisioning = "10s"
startup = "20s"
run_time = { distribution = "uniform", min = "2m", max = "10m" }
"#;
    let out = run(dir.path(), text);
    let jobs = read_csv(&out.join("jobs.csv"));
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    for key in ["starts", "tasks_started", "tasks_completed"] {
        assert_eq!(job[key], "719", "{key}");
    }
    assert_eq!((job["tasks_failed_to_place"].as_str(), job["mean_wait_s"].as_str()), ("0", "30"));
    let cost: f64 = job["cost_usd"].parse().unwrap();
    let expected = 719.0 * 380.0 * HALF_VCPU_1GB_PER_SECOND;
    let bound = (4.0 * 719f64.sqrt() * 480.0 / 12f64.sqrt() + 719.0) * HALF_VCPU_1GB_PER_SECOND;
    assert!((cost - expected).abs() <= bound, "{cost} against {expected} ± {bound}");
    // The job's tasks are in the run's bill, beside the service's.
    let summary = summary(&out);
    let total = summary["total"]["cost_usd"].as_f64().unwrap();
    let web = summary["services"][0]["cost_usd"].as_f64().unwrap();
    assert!(rounded_close(total, web + cost), "{total} = {web} + {cost}");
}

/// A job whose tasks find no room on the one instance of a group without managed scaling (a
/// service holds all its CPU): the RunTask fails at 10:00 and EventBridge retries it after 1,
/// 2 and 4 minutes (its first delay, doubling); after the third retry it gives up, and the 3
/// tasks count as failed to place. With `maximum_event_age = "2m"` it gives up sooner: the
/// second retry would come 3 minutes after the event.
#[test]
fn a_job_that_finds_no_capacity_is_retried_then_fails_as_eventbridge_would() {
    let job = |retry: &str| {
        format!(
            r#"version = 1
name = "job-fail"
start = "2026-01-05T00:00:00Z"
duration = "1h"
seed = 3

[loads.web]
shape = "constant"
value = 100.0

[capacity_providers.group]
instance_types = ["m6i.large"]
min_size = 1
max_size = 1
desired_capacity = 1

[services.web]
load = "web"
capacity_provider_strategy = [{{ capacity_provider = "group" }}]
network_mode = "bridge"
cpu = 2048
memory = 1024
requests_per_task = 1000.0
desired_count = 1
min_capacity = 1
max_capacity = 1

[jobs.batch]
capacity_provider_strategy = [{{ capacity_provider = "group" }}]
network_mode = "bridge"
cpu = 512
memory = 1024
count = 3
schedule = "at(2026-01-05T00:10:00)"
run_time = "5m"
retry = {{ {retry} }}
"#
        )
    };
    for (retry, retries) in [("maximum_retry_attempts = 3", "3"), ("maximum_event_age = \"2m\"", "1")] {
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), &job(retry));
        let jobs = read_csv(&out.join("jobs.csv"));
        let j = &jobs[0];
        assert_eq!(
            (
                j["starts"].as_str(),
                j["tasks_started"].as_str(),
                j["retries"].as_str(),
                j["tasks_failed_to_place"].as_str()
            ),
            ("1", "0", retries, "3"),
            "{retry}"
        );
        let failures = read_csv(&out.join("events-placement.csv"));
        assert_eq!(failures[0]["time_s"], "600");
        assert_eq!(failures[0]["service"], "batch");
    }
}

/// Six Fargate tasks spread over three zones, two in each, held at 6. us-east-1b is lost from
/// 10:00 to 30:00: its two tasks stop at once, and their replacements start in the zones left
/// (the fewest first: a, then c), RUNNING after the default 45 s start-up: back to 6 at the
/// 11:00 tick. Nothing is placed in b until it returns.
#[test]
fn tasks_lost_in_a_zone_are_replaced_outside_it_and_none_go_there_until_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let text = four_tasks("[[outages]]\nzone = \"us-east-1b\"\nstart = \"10m\"\nlength = \"20m\"\n")
        .replace(
            "desired_count = 4\nmin_capacity = 4\nmax_capacity = 4",
            "desired_count = 6\nmin_capacity = 6\nmax_capacity = 6",
        )
        .replace("provisioning = \"10s\"\nstartup = \"50s\"\n", "");
    let out = run(dir.path(), &text);
    let events = read_csv(&out.join("events-tasks.csv"));
    let in_b = |r: &&Row| r["availability_zone"] == "us-east-1b";
    let lost: Vec<&Row> = events.iter().filter(in_b).filter(|r| r["time_s"] == "600").collect();
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(lost.iter().all(|r| r["to_state"] == "STOPPED"));
    let in_outage = |r: &Row| -> bool {
        let t: f64 = r["time_s"].parse().unwrap();
        (600.0..1800.0).contains(&t)
    };
    let placed_in_b: Vec<&Row> =
        events.iter().filter(|r| in_outage(r) && in_b(r) && r["to_state"] != "STOPPED").collect();
    assert!(placed_in_b.is_empty(), "{placed_in_b:?}");
    let mut launched: Vec<String> = events
        .iter()
        .filter(|r| r["time_s"] == "600" && r["from_state"].is_empty())
        .map(|r| r["availability_zone"].clone())
        .collect();
    launched.sort();
    assert_eq!(launched, vec!["us-east-1a", "us-east-1c"]);
    let rows = read_csv(&out.join("outages.csv"));
    let service = rows.iter().find(|r| r["kind"] == "service").unwrap();
    assert_eq!((service["lost"].as_str(), service["recovery_s"].as_str()), ("2", "60"));
    assert_eq!((service["start_s"].as_str(), service["end_s"].as_str()), ("600", "1800"));

    // `ecsim explain` half a minute in tells the outage's story.
    let told = ecsim(&["explain", out.to_str().unwrap(), "--service", "api", "--at", "10m30s"]);
    assert!(told.status.success(), "{}", stderr(&told));
    let story = String::from_utf8(told.stdout).unwrap();
    assert!(
        story.contains("Availability Zone us-east-1b was lost from 600 s to 1800 s (outage 1): api lost 2 task(s) there, was back to its count of tasks 60 s after"),
        "{story}"
    );
}

/// The same on EC2: three m6i.xlarge instances, one per zone, without managed scaling, and six
/// 1-vCPU tasks spread over them. When us-east-1b goes, its instance goes with its two tasks;
/// the group launches a replacement in a zone left, and the tasks are placed on the instances
/// in a and c, which have room. No instance is launched in b, and no task placed there, until it
/// returns.
#[test]
fn on_ec2_a_lost_zone_takes_its_instances_and_nothing_launches_there() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"version = 1
name = "zone-ec2"
start = "2026-01-05T00:00:00Z"
duration = "40m"
seed = 1

[loads.web]
shape = "constant"
value = 300.0

[[outages]]
zone = "b"
start = "10m"
length = "20m"

[capacity_providers.group]
instance_types = ["m6i.xlarge"]
min_size = 0
max_size = 6
desired_capacity = 3

[services.api]
load = "web"
capacity_provider_strategy = [{ capacity_provider = "group" }]
network_mode = "bridge"
placement_strategy = [{ type = "spread", field = "attribute:ecs.availability-zone" }]
cpu = 1024
memory = 2048
requests_per_task = 100.0
desired_count = 6
min_capacity = 6
max_capacity = 6
"#;
    let out = run(dir.path(), text);
    let in_outage = |r: &Row| -> bool {
        let t: f64 = r["time_s"].parse().unwrap();
        (600.0..1800.0).contains(&t)
    };
    let instances = read_csv(&out.join("events-instances.csv"));
    let lost: Vec<&Row> = instances.iter().filter(|r| r["to_state"] == "terminated").collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0]["time_s"].as_str(), lost[0]["availability_zone"].as_str(), lost[0]["reason"].as_str()),
        ("600", "us-east-1b", "its Availability Zone became unavailable")
    );
    let launched: Vec<&Row> = instances.iter().filter(|r| in_outage(r) && r["from_state"].is_empty()).collect();
    assert_eq!(launched.len(), 1, "one replacement: {launched:?}");
    assert_ne!(launched[0]["availability_zone"], "us-east-1b");
    let tasks = read_csv(&out.join("events-tasks.csv"));
    let stopped_in_b = tasks.iter().filter(|r| r["time_s"] == "600" && r["to_state"] == "STOPPED").count();
    assert_eq!(stopped_in_b, 2);
    let placed_in_b: Vec<&Row> = tasks
        .iter()
        .filter(|r| in_outage(r) && r["availability_zone"] == "us-east-1b" && r["to_state"] != "STOPPED")
        .collect();
    assert!(placed_in_b.is_empty(), "{placed_in_b:?}");
    let rows = read_csv(&out.join("outages.csv"));
    let service = rows.iter().find(|r| r["kind"] == "service").unwrap();
    assert_eq!(service["lost"], "2");
    assert!(!service["recovery_s"].is_empty(), "the two tasks were replaced");
    let provider = rows.iter().find(|r| r["kind"] == "provider").unwrap();
    assert_eq!(provider["lost"], "1");
}
