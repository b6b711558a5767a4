//! The scaling examples in `scenarios/`, checked against the timelines worked out by hand in
//! each file's comments.

use crate::*;

type Row = std::collections::BTreeMap<String, String>;

/// A run's task state changes and its decisions.
struct Events {
    tasks: Vec<Row>,
    /// Scheduled actions (`event` = `scheduled_action`, `policy` = the action's name) and
    /// policies' decisions, in time order, an action first at the same moment.
    decisions: Vec<Row>,
}

fn read_events(out: &Path) -> Events {
    let mut decisions: Vec<Row> = read_csv(&out.join("events-scheduled.csv"))
        .into_iter()
        .map(|mut row| {
            row.insert("event".into(), "scheduled_action".into());
            row.insert("policy".into(), row["action"].clone());
            row.insert("limited_by".into(), String::new());
            row
        })
        .collect();
    decisions.extend(read_csv(&out.join("events-scaling.csv")));
    decisions.sort_by_key(|row| row["time_s"].parse::<u64>().unwrap());
    Events { tasks: read_csv(&out.join("events-tasks.csv")), decisions }
}

/// Runs a bundled scenario; returns its events.
fn events_of(name: &str, out: &Path) -> Events {
    run_ok(&root().join("scenarios").join(format!("{name}.toml")), out, &[]);
    read_events(out)
}

/// Decisions as (minute, event, policy, desired after, limited by).
fn decisions(events: &Events) -> Vec<(u64, String, String, u32, String)> {
    events
        .decisions
        .iter()
        .map(|e| {
            (
                e["time_s"].parse::<u64>().unwrap() / 60,
                e["event"].clone(),
                e["policy"].clone(),
                e["desired_after"].parse().unwrap(),
                e["limited_by"].clone(),
            )
        })
        .collect()
}

fn expected(rows: &[(u64, &str, &str, u32, &str)]) -> Vec<(u64, String, String, u32, String)> {
    rows.iter().map(|&(m, e, p, d, l)| (m, e.into(), p.into(), d, l.into())).collect()
}

#[test]
fn the_queue_worker_follows_the_step_rules_minute_by_minute() {
    let out = tempfile::tempdir().unwrap();
    let events = events_of("queue-worker-step", out.path());
    let (out_p, in_p) = ("backlog-out", "idle-in");
    assert_eq!(
        decisions(&events),
        expected(&[
            (5, "scale_in", in_p, 1, "min_capacity"),
            (11, "scale_out", out_p, 4, ""),
            (12, "scale_out", out_p, 4, "scale_out_cooldown"),
            (13, "scale_out", out_p, 7, ""),
            (14, "scale_out", out_p, 7, "scale_out_cooldown"),
            (19, "scale_in", in_p, 6, ""),
            (20, "scale_in", in_p, 6, "scale_in_cooldown"),
            (21, "scale_in", in_p, 5, ""),
            (22, "scale_in", in_p, 5, "scale_in_cooldown"),
            (23, "scale_in", in_p, 4, ""),
            (24, "scale_in", in_p, 4, "scale_in_cooldown"),
            (25, "scale_in", in_p, 3, ""),
            (26, "scale_out", out_p, 4, ""),
            (27, "scale_out", out_p, 4, "scale_out_cooldown"),
            (28, "scale_out", out_p, 5, ""),
            (29, "scale_out", out_p, 5, "scale_out_cooldown"),
        ])
    );
    // The metric behind the first scale-out: 30 messages/s piling up for 60 s on 1 task.
    let first = events.decisions.iter().find(|e| e["event"] == "scale_out").unwrap();
    assert_eq!(first["metric_value"], "1800.0000");
    // The queue: 2700 waiting at 12:00–13:00 (4 tasks keep pace), drained to 0 by 15:00.
    let series = read_csv(&out.path().join("timeseries.csv"));
    assert_eq!(series[12]["backlog"], "2700.000");
    assert_eq!(series[14]["backlog"], "0.000");
    // Nothing is lost with a queue: the 600 still waiting at 29:00 drain at 10/s by 30:00.
    let total = &summary(out.path())["total"];
    assert_eq!(total["requests_offered"].as_f64().unwrap(), 5.0 * 600.0 + 40.0 * 1200.0);
    assert_eq!(total["requests_unserved"].as_f64().unwrap(), 0.0);
}

#[test]
fn the_business_hours_floor_raises_and_releases_the_minimum() {
    let out = tempfile::tempdir().unwrap();
    let events = events_of("business-hours-floor", out.path());
    let tt = "cpu-target-tracking";
    // Mon 08:00 EST = 13:00 UTC = minute 780; 18:00 EST = 23:00 UTC = minute 1380; +1440 a day.
    assert_eq!(
        decisions(&events),
        expected(&[
            (780, "scheduled_action", "business-hours", 6, ""),
            (795, "scale_in", tt, 6, "min_capacity"),
            (1380, "scheduled_action", "evening", 6, ""),
            (1380, "scale_in", tt, 2, ""),
            (2220, "scheduled_action", "business-hours", 6, ""),
            (2235, "scale_in", tt, 6, "min_capacity"),
            (2820, "scheduled_action", "evening", 6, ""),
            (2820, "scale_in", tt, 2, ""),
        ])
    );
    let scheduled: Vec<(String, String)> = events
        .decisions
        .iter()
        .filter(|e| e["event"] == "scheduled_action")
        .map(|e| (e["min_capacity"].clone(), e["max_capacity"].clone()))
        .collect();
    assert_eq!(scheduled[0], ("6".to_string(), "50".to_string()));
    assert_eq!(scheduled[1], ("2".to_string(), "50".to_string()));
    // 4 tasks launched each weekday morning, at once.
    let launched_at_13 =
        events.tasks.iter().filter(|e| e["time_s"] == "46800" && e["to_state"] == "PROVISIONING").count();
    assert_eq!(launched_at_13, 4);
}

#[test]
fn scaling_to_zero_at_night_stops_everything_and_bills_nothing() {
    let out = tempfile::tempdir().unwrap();
    let events = events_of("scale-to-zero-at-night", out.path());
    let stops: Vec<(String, String)> = events
        .tasks
        .iter()
        .filter(|e| e["to_state"] == "STOPPED")
        .map(|e| (e["time_s"].clone(), e["task"].clone()))
        .collect();
    // Mon 22:00:30 (79,230 s) both initial tasks, Tue 22:00:30 (165,630 s) both morning tasks;
    // each pair in reverse launch order (zone b, filled last, before zone a).
    assert_eq!(
        stops,
        [("79230", "2"), ("79230", "1"), ("165630", "4"), ("165630", "3")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let running: Vec<String> = events
        .tasks
        .iter()
        .filter(|e| e["to_state"] == "RUNNING" && e["time_s"] != "0")
        .map(|e| e["time_s"].clone())
        .collect();
    assert_eq!(running, ["108045", "108045"]); // Tue 06:00:45
    let total = &summary(out.path())["total"];
    assert_eq!(total["requests_unserved"].as_f64().unwrap(), 100.0 * (28_845.0 + 7_200.0));
    assert!(rounded_close(total["billed_task_hours"].as_f64().unwrap(), 273_720.0 / 3600.0));
}

#[test]
fn explain_tells_the_story_of_a_moment() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/step-load.toml"), out.path(), &[]);
    let dir = out.path().to_str().unwrap();
    let story = ecsim(&["explain", dir, "--service", "checkout", "--at", "13m"]);
    assert!(story.status.success(), "{}", stderr(&story));
    let story = String::from_utf8(story.stdout).unwrap();
    for expected in [
        "At 2026-01-05T00:13:00Z (780 s):",
        "its AlarmHigh was in ALARM (ECSServiceAverageCPUUtilization Average > 60 for 3 of 3 x 1 min)",
        "100.00, 100.00, 100.00",
        "From 2 running tasks and a metric of 100.0000, it asked to scale out to 4 tasks",
        "The desired count went 2 → 4.",
        "The next decision came at 2026-01-05T00:14:00Z (840 s)",
    ] {
        assert!(story.contains(expected), "missing {expected:?} in\n{story}");
    }
    // Between decisions, the latest one before the moment; a time may be given as RFC 3339.
    let later = ecsim(&["explain", dir, "--service", "checkout", "--at", "2026-01-05T00:20:00Z"]);
    let later = String::from_utf8(later.stdout).unwrap();
    assert!(later.contains("the latest decisions before it, at 2026-01-05T00:14:00Z (840 s)"), "{later}");
    // Bad questions are input errors.
    for args in [
        ["--service", "nope", "--at", "1m"],
        ["--service", "checkout", "--at", "2h"],
        ["--service", "checkout", "--at", "soon"],
    ] {
        let output = ecsim(&[&["explain", dir][..], &args[..]].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn cpu_and_alb_policies_take_the_larger_out_and_agree_on_the_way_in() {
    let out = tempfile::tempdir().unwrap();
    let events = events_of("cpu-and-alb-requests", out.path());
    let (cpu, alb) = ("cpu-target-tracking", "alb_requests_per_target-target-tracking");
    let rows: Vec<(u64, String, u32, String)> = events
        .decisions
        .iter()
        .map(|e| (e["time_s"].parse().unwrap(), e["policy"].clone(), e["proposed"].parse().unwrap(), e["won"].clone()))
        .collect();
    let expected: Vec<(u64, String, u32, String)> = [
        (780, cpu, 5, "false"), // ceil(3 × 100/70)
        (780, alb, 6, "true"),  // ceil(3 × 6000/3000)
        (840, alb, 11, "true"), // ceil(6 × 18000/3.5/3000)
        (1740, alb, 6, "true"), // ceil(11 × 1636.4/3000), larger than CPU's 5
    ]
    .iter()
    .map(|&(t, p, n, w)| (t, p.to_string(), n, w.to_string()))
    .collect();
    assert_eq!(rows, expected);
    let window = &events.decisions.iter().find(|e| e["time_s"] == "840" && e["policy"] == alb).unwrap()["datapoints"];
    assert_eq!(window, "6000.00;6000.00;5142.86");
    // The 5 removed tasks drain 60 s, then take their 30 s stop timeout.
    let count =
        |time: &str, state: &str| events.tasks.iter().filter(|e| e["time_s"] == time && e["to_state"] == state).count();
    assert_eq!((count("1740", "DEACTIVATING"), count("1800", "STOPPING"), count("1830", "STOPPED")), (5, 5, 5));
    // Until the new tasks are healthy, the 3 old ones serve exactly the 300/s: nothing is lost.
    assert_eq!(summary(out.path())["total"]["requests_unserved"].as_f64().unwrap(), 0.0);
}

#[test]
fn suspended_scheduled_scaling_skips_the_actions() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/business-hours-floor.toml"))
        .unwrap()
        .replace("max_capacity = 50\n", "max_capacity = 50\nscheduled_scaling_suspended = true\n");
    let scenario = dir.path().join("suspended.toml");
    std::fs::write(&scenario, text).unwrap();
    run_ok(&scenario, &dir.path().join("out"), &[]);
    assert!(read_csv(&dir.path().join("out/events-scheduled.csv")).is_empty());
    // Without the floor the service stays at 2 tasks on target all along.
    assert_eq!(summary(&dir.path().join("out"))["services"][0]["peak_desired_count"], 2);
}

#[test]
fn an_action_due_at_a_tick_runs_before_that_minutes_policy_evaluation() {
    // 3 tasks at 10 requests/s idle at 3.3 % CPU: AlarmLow fires at 15:00 and target tracking
    // scales in to 1. An action at 20:30 queues the next one, at 21:00, after the 21:00 tick was
    // queued; still, the 21:00 action (min 5) must run first, so the policy, still asking for 1,
    // is recorded as held by min_capacity at 21:00.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("order.toml");
    std::fs::write(
        &scenario,
        r#"
version = 1
name = "order"
duration = "30m"
[loads.l]
shape = "constant"
value = 10.0
[services.s]
load = "l"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 3
min_capacity = 1
max_capacity = 10
[[services.s.target_tracking]]
metric = "cpu"
target_value = 60.0
[[services.s.scheduled_actions]]
name = "early"
schedule = "at(2026-01-05T00:20:30)"
max_capacity = 10
[[services.s.scheduled_actions]]
name = "floor"
schedule = "at(2026-01-05T00:21:00)"
min_capacity = 5
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    // The policy's row at 21:00 is held by the action's new minimum: the action ran first.
    let rows: Vec<(String, String, String, String)> = read_events(&out)
        .decisions
        .iter()
        .map(|e| (e["time_s"].clone(), e["policy"].clone(), e["desired_after"].clone(), e["limited_by"].clone()))
        .collect();
    let expected: Vec<(String, String, String, String)> = [
        ("900", "cpu-target-tracking", "1", ""),
        ("1230", "early", "1", ""),
        ("1260", "floor", "5", ""),
        ("1260", "cpu-target-tracking", "5", "min_capacity"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    assert_eq!(rows, expected);
}
