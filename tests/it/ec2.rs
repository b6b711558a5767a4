//! The EC2 examples, run through the real binary and checked against the timelines worked out
//! by hand in their comments: instance launches, warm-up holds, placements, scale-in choices,
//! terminations and the EC2 bill.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{close, read_csv, root, rounded_close, run_ok, summary};

type Row = BTreeMap<String, String>;

/// A run's EC2 records: task and instance events, group decisions, the providers' series.
struct Ec2Files {
    tasks: Vec<Row>,
    instances: Vec<Row>,
    groups: Vec<Row>,
    providers: Vec<Row>,
}

fn read_ec2(dir: &Path) -> Ec2Files {
    Ec2Files {
        tasks: read_csv(&dir.join("events-tasks.csv")),
        instances: read_csv(&dir.join("events-instances.csv")),
        groups: read_csv(&dir.join("events-groups.csv")),
        providers: read_csv(&dir.join("providers.csv")),
    }
}

fn run(name: &str) -> (tempfile::TempDir, Ec2Files, serde_json::Value) {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios").join(name), out.path(), &[]);
    let files = read_ec2(out.path());
    let summary = summary(out.path());
    (out, files, summary)
}

fn at(row: &Row) -> u64 {
    row["time_s"].parse().unwrap()
}

/// `(time, from, to)` of one instance.
fn instance_life(files: &Ec2Files, instance: &str) -> Vec<(u64, String, String)> {
    files
        .instances
        .iter()
        .filter(|e| e["instance"] == instance)
        .map(|e| (at(e), e["from_state"].clone(), e["to_state"].clone()))
        .collect()
}

/// `(time, to_state, instance)` of one task.
fn task_life(files: &Ec2Files, task: &str) -> Vec<(u64, String, String)> {
    files
        .tasks
        .iter()
        .filter(|e| e["task"] == task)
        .map(|e| (at(e), e["to_state"].clone(), e["instance"].clone()))
        .collect()
}

/// Tasks that went from RUNNING to STOPPING at `time`, in the order they stopped.
fn stopped_at(files: &Ec2Files, time: u64) -> Vec<String> {
    files.tasks.iter().filter(|e| at(e) == time && e["from_state"] == "RUNNING").map(|e| e["task"].clone()).collect()
}

fn group_events<'a>(files: &'a Ec2Files, provider: &str) -> Vec<&'a Row> {
    files.groups.iter().filter(|e| e["provider"] == provider).collect()
}

fn owned(rows: &[(u64, &str, &str)]) -> Vec<(u64, String, String)> {
    rows.iter().map(|&(t, a, b)| (t, a.to_owned(), b.to_owned())).collect()
}

fn total_cost(summary: &serde_json::Value) -> f64 {
    summary["total"]["cost_usd"].as_f64().unwrap()
}

#[test]
fn spread_scales_the_group_out_once_and_keeps_every_instance_busy() {
    let (out, files, summary) = run("ec2-spread.toml");
    // 33:00: 150 % → 3 instances; 34:00: the 3 waiting tasks fit on instance 3, launching:
    // M = N = 3, 100 %, nothing to do.
    let group = group_events(&files, "web-asg");
    assert_eq!(group.len(), 1, "one scale-out, no scale-in");
    assert_eq!((at(group[0]), group[0]["capacity_provider_reservation_pct"].as_str()), (1980, "150.0000"));
    assert_eq!((group[0]["desired_before"].as_str(), group[0]["desired_after"].as_str()), ("2", "3"));
    let at_34 = files.providers.iter().find(|r| r["provider"] == "web-asg" && r["time_s"] == "2040").unwrap();
    assert_eq!(at_34["capacity_provider_reservation_pct"], "100.000");
    // Instance 3: pending at 33:00, running (billed) after 30 s, registered after 60 s more.
    assert_eq!(
        instance_life(&files, "3"),
        owned(&[(1980, "", "pending"), (2010, "pending", "running"), (2070, "running", "ACTIVE")])
    );
    assert_eq!(files.instances.iter().filter(|e| e["to_state"] == "terminated").count(), 0);
    // The three new tasks wait unplaced, then start on instance 3 in zone c.
    for task in ["9", "10", "11"] {
        assert_eq!(
            task_life(&files, task)[..3],
            owned(&[(1980, "PROVISIONING", ""), (2070, "PENDING", "3"), (2100, "RUNNING", "3")])[..],
        );
    }
    // 75:00: spread stops one task in the fullest zone each time: b, a, then c.
    assert_eq!(stopped_at(&files, 4500), ["8", "7", "11"]);
    // `explain` tells the cluster's side: at 34:00 three tasks wait for the instance launched
    // at 33:00.
    let story = super::ecsim(&["explain", out.path().to_str().unwrap(), "--service", "api", "--at", "34m"]);
    let story = String::from_utf8_lossy(&story.stdout);
    assert!(story.contains("3 task(s) of api were waiting in PROVISIONING"), "{story}");
    assert!(story.contains("the group went from 2 to 3 instances"), "{story}");
    // The provider's row for 33:00 shows the datapoint that scaled it out.
    let row = files.providers.iter().find(|r| r["provider"] == "web-asg" && r["time_s"] == "1980").unwrap();
    assert_eq!(row["capacity_provider_reservation_pct"], "150.000");
    // 2 instances for 2 h, the third from 33:30: 0.192 × (4 + 5190 / 3600).
    let hours = 4.0 + 5190.0 / 3600.0;
    assert!(rounded_close(total_cost(&summary), 0.192 * hours), "{}", total_cost(&summary));
    assert!(rounded_close(summary["providers"][0]["billed_instance_hours"].as_f64().unwrap(), hours));
}

#[test]
fn binpack_empties_an_instance_and_the_group_scales_in_after_fifteen_minutes() {
    let (out, files, summary) = run("ec2-binpack.toml");
    // Binpack fills instance 1 before instance 2.
    for (task, instance) in [("1", "1"), ("4", "1"), ("5", "2"), ("8", "2")] {
        assert_eq!(task_life(&files, task)[0].2, instance, "task {task}");
    }
    // 75:00: all three stops hit instance 3, the one with the most memory free.
    assert_eq!(stopped_at(&files, 4500), ["11", "10", "9"]);
    // 99 % from 76:00; the 15th minute below is 90:00: 3 → 2, the empty instance goes.
    let group = group_events(&files, "web-asg");
    let scale_in = group.iter().find(|e| e["event"] == "group_scale_in").unwrap();
    assert_eq!((at(scale_in), scale_in["capacity_provider_reservation_pct"].as_str()), (5400, "99.0000"));
    assert_eq!((scale_in["desired_before"].as_str(), scale_in["desired_after"].as_str()), ("3", "2"));
    assert_eq!(instance_life(&files, "3").last().unwrap(), &(5400, "ACTIVE".into(), "terminated".into()));
    // Instance 3 billed 33:30 → 90:00.
    let expected = 0.192 * (4.0 + 3390.0 / 3600.0);
    assert!(rounded_close(total_cost(&summary), expected), "{}", total_cost(&summary));
    // instances.csv: each instance's own bill, adding up to the provider's.
    let instances = read_csv(&out.path().join("instances.csv"));
    let third = instances.iter().find(|r| r["instance"] == "3").unwrap();
    assert_eq!(
        (third["running_s"].as_str(), third["terminated_s"].as_str(), third["billed_s"].as_str()),
        ("2010", "5400", "3390")
    );
    assert!(rounded_close(third["cost_usd"].parse().unwrap(), 0.192 * 3390.0 / 3600.0));
    let sum: f64 = instances.iter().map(|r| r["cost_usd"].parse::<f64>().unwrap()).sum();
    assert!(close(sum, expected, 1e-12));
}

#[test]
fn daemon_tasks_come_first_on_a_new_instance_and_go_last() {
    let (_out, files, summary) = run("ec2-daemon.toml");
    // Time zero: a daemon task on each instance, then api tasks packed 3 and 3.
    assert_eq!(task_life(&files, "1")[0], (0, "RUNNING".into(), "1".into()));
    assert_eq!(task_life(&files, "2")[0], (0, "RUNNING".into(), "2".into()));
    for (task, instance) in [("3", "1"), ("5", "1"), ("6", "2"), ("8", "2")] {
        assert_eq!(task_life(&files, task)[0].2, instance, "task {task}");
    }
    // 31:30: instance 3 registers; its daemon task is the first record there, before the api's.
    let first_on_3 = files.tasks.iter().find(|e| e["instance"] == "3").unwrap();
    assert_eq!(
        (at(first_on_3), first_on_3["service"].as_str(), first_on_3["task"].as_str()),
        (1890, "log-router", "12")
    );
    for task in ["9", "10", "11"] {
        assert_eq!(task_life(&files, task)[1], (1890, "PENDING".into(), "3".into()));
    }
    assert_eq!(stopped_at(&files, 3600), ["11", "10", "9"]);
    // The daemon alone counts as empty: 99 % for 15 minutes, then instance 3 ends with it.
    let scale_in = group_events(&files, "general").into_iter().find(|e| e["event"] == "group_scale_in").unwrap();
    assert_eq!((at(scale_in), scale_in["capacity_provider_reservation_pct"].as_str()), (4500, "99.0000"));
    assert_eq!(task_life(&files, "12").last().unwrap(), &(4500, "STOPPED".into(), "3".into()));
    assert_eq!(instance_life(&files, "3").last().unwrap(), &(4500, "ACTIVE".into(), "terminated".into()));
    let daemon = summary["services"].as_array().unwrap().iter().find(|s| s["service"] == "log-router").unwrap();
    assert_eq!(daemon["peak_running_tasks"], 3);
    let expected = 0.096 * (4.0 + 2670.0 / 3600.0);
    assert!(rounded_close(total_cost(&summary), expected), "{}", total_cost(&summary));
}

#[test]
fn awsvpc_tasks_are_limited_by_enis_unless_trunked() {
    let (_out, files, summary) = run("ec2-awsvpc-eni-limit.toml");
    // plain: 200 % from zero → 2; at 2:00 the 2 launching instances will hold 4 of the 8
    // waiting tasks, the other 4 need 2 more: 200 %, held by warm-up (recorded once); 200 % at
    // 6:00 → 4; at 7:00 the 4 waiting tasks fit on the 2 launching: 100 %.
    let plain: Vec<(u64, String, String)> = group_events(&files, "plain")
        .iter()
        .map(|e| (at(e), e["capacity_provider_reservation_pct"].clone(), e["desired_after"].clone()))
        .collect();
    assert_eq!(plain, owned(&[(60, "200.0000", "2"), (120, "200.0000", "2"), (360, "200.0000", "4")]));
    // Never more than 2 api-plain tasks per instance (3 ENIs, the primary one included).
    let mut per_instance: BTreeMap<String, u32> = BTreeMap::new();
    for e in files.tasks.iter().filter(|e| e["service"] == "api-plain" && e["to_state"] == "PENDING") {
        *per_instance.entry(e["instance"].clone()).or_default() += 1;
    }
    assert_eq!(per_instance.values().copied().collect::<Vec<_>>(), [2, 2, 2, 2]);
    let last_running =
        files.tasks.iter().filter(|e| e["service"] == "api-plain" && e["to_state"] == "RUNNING").map(at).max();
    assert_eq!(last_running, Some(495), "the last tasks start 45 s after 7:30");
    // trunked: all 8 tasks on instance 3; the empty instance 4 goes after 15 minutes at 99 %.
    assert!(
        files
            .tasks
            .iter()
            .filter(|e| e["service"] == "api-trunked")
            .all(|e| e["instance"] == "3" || e["instance"].is_empty())
    );
    assert_eq!(instance_life(&files, "4").last().unwrap(), &(1020, "ACTIVE".into(), "terminated".into()));
    let providers = summary["providers"].as_array().unwrap();
    let plain_cost = 0.096 * (2.0 * 7110.0 + 2.0 * 6810.0) / 3600.0;
    let trunked_cost = 0.096 * (7110.0 + 930.0) / 3600.0;
    assert!(rounded_close(providers[0]["cost_usd"].as_f64().unwrap(), plain_cost));
    assert!(rounded_close(providers[1]["cost_usd"].as_f64().unwrap(), trunked_cost));
    assert!(rounded_close(total_cost(&summary), plain_cost + trunked_cost));
}

#[test]
fn a_service_without_managed_scaling_fails_to_place_and_says_so() {
    // A fixed group of one m5.large (2048 units) and a service of 4 × 1024: 2 fit, the
    // other 2 fail to place at time zero, recorded once, and are retried every tick.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("fixed.toml");
    std::fs::write(
        &scenario,
        r#"
version = 1
name = "fixed"
duration = "10m"
[loads.l]
shape = "constant"
value = 100.0
[capacity_providers.fixed]
instance_types = ["m5.large"]
min_size = 1
max_size = 1
[services.s]
load = "l"
capacity_provider_strategy = [{ capacity_provider = "fixed" }]
cpu = 1024
memory = 1024
requests_per_task = 100.0
desired_count = 4
min_capacity = 4
max_capacity = 4
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    let files = read_ec2(&out);
    let failures = read_csv(&out.join("events-placement.csv"));
    assert_eq!(failures.len(), 1, "recorded once while it keeps failing");
    assert_eq!(at(&failures[0]), 0);
    assert!(failures[0]["reason"].contains("CPU, memory"), "{}", failures[0]["reason"]);
    assert_eq!(files.tasks.len(), 2);
    assert_eq!(summary(&out)["total"]["placement_failures"], 1);
    let story = super::ecsim(&["explain", out.to_str().unwrap(), "--service", "s", "--at", "5m"]);
    assert!(String::from_utf8_lossy(&story.stdout).contains("could not be placed"));
    // One m5.large for 10 minutes.
    assert!(rounded_close(total_cost(&summary(&out)), 0.096 / 6.0));
}

/// A fixed Spot group of `instances` m5.large running one small task each, for `hours`.
fn spot_scenario(dir: &Path, instances: u32, hours: u32, rate: f64, draining: bool, price: &str) -> PathBuf {
    let path = dir.join("spot.toml");
    std::fs::write(
        &path,
        format!(
            r#"
version = 1
name = "spot"
duration = "{hours}h"
seed = 21
[loads.l]
shape = "constant"
value = 10.0
[capacity_providers.spot]
instance_types = ["m5.large"]
min_size = {instances}
max_size = {instances}
availability_zones = 1
spot = {{ {price}, interruptions_per_hour = {rate}, instance_draining = {draining} }}
[services.s]
load = "l"
capacity_provider_strategy = [{{ capacity_provider = "spot" }}]
placement_constraints = [{{ type = "distinctInstance" }}]
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = {instances}
min_capacity = {instances}
max_capacity = {instances}
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn spot_interruptions_come_at_the_hazard_rate_with_a_two_minute_notice() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = spot_scenario(dir.path(), 40, 48, 0.05, false, "price = 0.4");
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    let files = read_ec2(&out);
    let summary = summary(&out);
    let notices: Vec<&Row> = files.instances.iter().filter(|e| e["reason"] == "Spot interruption notice").collect();
    // Interruptions over H instance-hours are Poisson with mean 0.05 × H: within 4 sd.
    let hours = summary["providers"][0]["billed_instance_hours"].as_f64().unwrap();
    let mean = 0.05 * hours;
    let count = notices.len() as f64;
    assert!((count - mean).abs() <= 4.0 * mean.sqrt(), "{count} interruptions, expected about {mean:.1}");
    assert_eq!(summary["providers"][0]["spot_interruptions"].as_f64().unwrap(), count);
    // Every notice is followed by EC2's termination two minutes later; the task on the
    // instance stops then, and the group launches a replacement.
    for notice in &notices {
        let t = notice["time_s"].parse::<f64>().unwrap();
        let end = files
            .instances
            .iter()
            .find(|e| e["instance"] == notice["instance"] && e["to_state"] == "terminated")
            .expect("terminated");
        assert_eq!(end["reason"], "Spot interruption");
        assert!((end["time_s"].parse::<f64>().unwrap() - (t + 120.0)).abs() < 1e-3);
    }
    let launched = summary["providers"][0]["instances_launched"].as_f64().unwrap();
    assert!(launched >= 40.0 + count - 1.0, "replacements: {launched} launched for {count} interruptions");
    // 40 % of On-Demand.
    let cost = summary["providers"][0]["cost_usd"].as_f64().unwrap();
    assert!(cost <= 0.4 * 0.096 * hours * 1.001 && cost >= 0.4 * 0.096 * hours * 0.999, "{cost}");
}

#[test]
fn no_hazard_no_interruption_and_draining_moves_tasks_at_the_notice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calm");
    run_ok(&spot_scenario(dir.path(), 10, 48, 0.0, false, "price = 0.4"), &out, &[]);
    let files = read_ec2(&out);
    assert!(files.instances.iter().all(|e| !e["reason"].starts_with("Spot")));

    let out = dir.path().join("draining");
    run_ok(&spot_scenario(dir.path(), 10, 48, 0.05, true, "price = 0.4"), &out, &[]);
    let files = read_ec2(&out);
    let notice = files
        .instances
        .iter()
        .find(|e| e["reason"] == "Spot interruption notice: draining")
        .expect("a notice in 480 h");
    assert_eq!(notice["to_state"], "DRAINING");
    // The task on it is stopped at the notice, not two minutes later.
    let task_stop =
        files.tasks.iter().find(|e| e["instance"] == notice["instance"] && e["to_state"] == "STOPPING").unwrap();
    assert_eq!(task_stop["time_s"], notice["time_s"]);
}

#[test]
fn a_spot_price_history_is_billed_change_by_change() {
    // The real m5.large history (Jan–Feb 2021), replayed from the run's start: the group's one
    // zone takes the file's first zone by name (us-east-1a). Expected cost worked out here
    // from the file itself: the zone's step function from the file's first timestamp.
    let history = root().join("../shared/data/pricing/ec2_spot_price_history_m5_large_us_east_1_2021.csv");
    let rows = read_csv(&history);
    let first = rows.iter().map(|r| r["timestamp_seconds"].parse::<i64>().unwrap()).min().unwrap();
    let mut zone_a: Vec<(i64, f64)> = rows
        .iter()
        .filter(|r| r["availability_zone"] == "us-east-1a")
        .map(|r| (r["timestamp_seconds"].parse::<i64>().unwrap() - first, r["spot_price_usd"].parse().unwrap()))
        .collect();
    zone_a.sort_by_key(|c| c.0);
    let end = 10 * 86_400;
    let mut expected = 0.0;
    let mut price = zone_a[0].1;
    let mut since = 0;
    for &(t, p) in zone_a.iter().filter(|c| c.0 > 0 && c.0 < end) {
        expected += price * (t - since) as f64 / 3600.0;
        (price, since) = (p, t);
    }
    expected += price * (end - since) as f64 / 3600.0;

    let dir = tempfile::tempdir().unwrap();
    let price = format!("price_history = \"{}\"", history.display());
    let out = dir.path().join("out");
    run_ok(&spot_scenario(dir.path(), 1, 240, 0.0, false, &price), &out, &[]);
    let cost = summary(&out)["providers"][0]["cost_usd"].as_f64().unwrap();
    assert!(rounded_close(cost, expected), "{cost} against {expected}");
    assert!(expected < 0.096 * 240.0 * 0.5, "Spot was under half of On-Demand then");
}

/// Instances 1 and 3 in zone a run 4 tasks each (a constraint keeps the service in zone a),
/// instance 2 in zone b runs none: 100 − 1 = 99 % from the first minute, and at 15:00 the
/// group scales in from 3 to 2.
fn protection_scenario(dir: &Path, protection: bool) -> PathBuf {
    let path = dir.join(format!("protection-{protection}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"
version = 1
name = "protection"
duration = "30m"
[loads.l]
shape = "constant"
value = 400.0
[capacity_providers.asg]
instance_types = ["m6i.xlarge"]
min_size = 1
max_size = 3
desired_capacity = 3
availability_zones = 2
managed_scaling = {{}}
managed_termination_protection = {protection}
[services.s]
load = "l"
capacity_provider_strategy = [{{ capacity_provider = "asg" }}]
placement_constraints = [{{ type = "memberOf", expression = "attribute:ecs.availability-zone == us-east-1a" }}]
placement_strategy = [{{ type = "binpack", field = "memory" }}]
cpu = 1024
memory = 2048
requests_per_task = 100.0
desired_count = 8
min_capacity = 8
max_capacity = 8
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn managed_termination_protection_keeps_busy_instances_and_the_asg_otherwise_balances_zones() {
    let dir = tempfile::tempdir().unwrap();
    // With protection only the empty instance 2 may go: it terminates at 15:00.
    let out = dir.path().join("on");
    run_ok(&protection_scenario(dir.path(), true), &out, &[]);
    let files = read_ec2(&out);
    let group = group_events(&files, "asg");
    assert_eq!(
        (at(group[0]), group[0]["capacity_provider_reservation_pct"].as_str(), group[0]["desired_after"].as_str()),
        (900, "99.0000", "2")
    );
    assert_eq!(instance_life(&files, "2").last().unwrap(), &(900, "ACTIVE".into(), "terminated".into()));
    assert!(files.instances.iter().all(|e| e["to_state"] != "DRAINING"));
    assert!(files.tasks.iter().all(|e| e["to_state"] != "STOPPING"), "no task moved");

    // Without it the ASG keeps its zones balanced: zone a has two instances, so one of them
    // goes (the newest of the two with the fewest tasks, instance 3), drained first.
    let out = dir.path().join("off");
    run_ok(&protection_scenario(dir.path(), false), &out, &[]);
    let files = read_ec2(&out);
    assert_eq!(instance_life(&files, "3")[1], (900, "ACTIVE".into(), "DRAINING".into()));
    assert_eq!(stopped_at(&files, 900).len(), 4, "its 4 tasks are stopped to move");
    assert!(instance_life(&files, "2").iter().all(|(_, _, to)| to != "terminated" && to != "DRAINING"));
}

#[test]
fn a_strategy_over_two_auto_scaling_groups_splits_tasks_and_scales_each_group() {
    // AWS's Spot workshop (reference §4.5): an On-Demand group (base 2, weight 1) and a Spot
    // group (weight 3), both empty at first: 10 tasks split 2 + 2 On-Demand and 6 Spot, each
    // group's CapacityProviderReservation counting only its own waiting tasks (from zero:
    // 200 %, two instances each). At 30 min the maximum drops to 6: "CP-OD will have 2 as per
    // the base configuration, and the remaining 4 tasks will be split with 1 on CP-OD and 3 on
    // CP-SPOT", so one On-Demand task and three Spot tasks stop. At 45 min, to 4: "CP-OD will
    // have 2 in accordance with base and remaining 2 (4-2) will be split with 1 on CP-OD and 1
    // on CP-SPOT": 3 and 1, so two Spot tasks stop. ecsim's earlier rule, undoing launches in
    // reverse (`strategy_split = "reverse_of_launch"`), left 2 and 2.
    let dir = tempfile::tempdir().unwrap();
    let group = |name: &str, extra: &str| {
        format!(
            "[capacity_providers.{name}]\ninstance_types = [\"m6i.large\"]\nmin_size = 0\nmax_size = 10\nmanaged_scaling = {{}}\n{extra}\n"
        )
    };
    let scenario = |split: &str| {
        format!(
            r#"version = 1
name = "two-groups"
duration = "1h"
[loads.l]
shape = "constant"
value = 100.0
{}{}
[services.s]
load = "l"
capacity_provider_strategy = [{{ capacity_provider = "od", base = 2, weight = 1 }}, {{ capacity_provider = "spot", weight = 3 }}]
{split}
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 10
min_capacity = 1
max_capacity = 10
[[services.s.scheduled_actions]]
schedule = "at(2026-01-05T00:30:00)"
max_capacity = 6
[[services.s.scheduled_actions]]
schedule = "at(2026-01-05T00:45:00)"
max_capacity = 4
"#,
            group("od", ""),
            group("spot", "spot = { price = 0.4, interruptions_per_hour = 0.0 }")
        )
    };
    // Tasks stopped at `time` on each group.
    let stopped_on = |files: &Ec2Files, time: u64| {
        let provider_of: BTreeMap<String, String> =
            files.instances.iter().map(|e| (e["instance"].clone(), e["provider"].clone())).collect();
        let stopped = stopped_at(files, time);
        let on = |provider: &str| {
            stopped
                .iter()
                .filter(|t| {
                    let instance = &files.tasks.iter().find(|e| e["task"] == **t && !e["instance"].is_empty()).unwrap()
                        ["instance"];
                    provider_of[instance] == provider
                })
                .count()
        };
        (on("od"), on("spot"))
    };
    let path = dir.path().join("two-groups.toml");
    std::fs::write(&path, scenario("")).unwrap();
    let out = dir.path().join("out");
    run_ok(&path, &out, &[]);
    let files = read_ec2(&out);
    let provider_of: BTreeMap<String, String> =
        files.instances.iter().map(|e| (e["instance"].clone(), e["provider"].clone())).collect();
    let mut tasks_per_provider: BTreeMap<String, u32> = BTreeMap::new();
    for e in files.tasks.iter().filter(|e| e["to_state"] == "PENDING") {
        *tasks_per_provider.entry(provider_of[&e["instance"]].clone()).or_default() += 1;
    }
    assert_eq!(tasks_per_provider, BTreeMap::from([("od".into(), 4), ("spot".into(), 6)]));
    for provider in ["od", "spot"] {
        let first = group_events(&files, provider)[0];
        assert_eq!(
            (at(first), first["capacity_provider_reservation_pct"].as_str(), first["desired_after"].as_str()),
            (60, "200.0000", "2")
        );
    }
    assert_eq!(stopped_on(&files, 1800), (1, 3), "10 → 6: 3 and 3");
    assert_eq!(stopped_on(&files, 2700), (0, 2), "6 → 4: 3 and 1");

    std::fs::write(&path, scenario("strategy_split = \"reverse_of_launch\"")).unwrap();
    let out = dir.path().join("reverse");
    run_ok(&path, &out, &[]);
    let files = read_ec2(&out);
    assert_eq!(stopped_on(&files, 1800), (1, 3));
    assert_eq!(stopped_on(&files, 2700), (1, 1), "undoing launches leaves 2 and 2");
}

/// The instances' elasticity in `ec2-binpack.toml`, by hand. A task takes 100 × 75 % = 75
/// requests/s at the target: 600 req/s demand 8 tasks (2 instances of 4), 780 demand 11 (3).
/// Demand: 2 instances, 3 from 30:00, 2 from 60:00; ACTIVE: 2, 3 from 34:30, 2 from 90:00.
#[test]
fn the_instances_elasticity_follows_the_hand_derivation() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/ec2-binpack.toml"), out.path(), &[]);
    let s = summary(out.path());
    let p = &s["providers"][0];
    let get = |key: &str| p[key].as_f64().unwrap();
    // Short 1 of 3 for 4.5 of 120 minutes; 1 over 2 for 30 minutes.
    assert!((get("under_provisioning_accuracy_pct") - 100.0 * (4.5 / 3.0) / 120.0).abs() < 1e-9);
    assert!((get("under_provisioning_timeshare_pct") - 100.0 * 4.5 / 120.0).abs() < 1e-9);
    assert!((get("over_provisioning_accuracy_pct") - 100.0 * (30.0 / 2.0) / 120.0).abs() < 1e-9);
    assert!((get("over_provisioning_timeshare_pct") - 25.0).abs() < 1e-9);
    // Two changes each: no jitter. Unlike steps at 31:00, 35:00, 61:00 and 91:00, of 119.
    assert_eq!(get("jitter_per_hour"), 0.0);
    assert!((get("instability_pct") - 400.0 / 119.0).abs() <= 5e-5, "percentages are kept to 1e-4");
}
