//! `scenarios/step-load.toml`: every scaling step, task transition and dollar worked out by
//! hand in the file's comments from AWS's target-tracking and billing rules.

use crate::*;

#[test]
fn the_step_load_timeline_matches_the_hand_derivation() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/step-load.toml"), out.path(), &[]);
    let events = read_csv(&out.path().join("events-scaling.csv"));

    let decisions: Vec<(String, String, String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["time_s"].clone(),
                e["event"].clone(),
                e["running_count"].clone(),
                e["proposed"].clone(),
                e["desired_after"].clone(),
            )
        })
        .collect();
    let expected =
        [("780", "scale_out", "2", "4", "4"), ("840", "scale_out", "4", "5", "5"), ("1740", "scale_in", "5", "4", "4")];
    let expected: Vec<_> = expected
        .iter()
        .map(|(a, b, c, d, e)| (a.to_string(), b.to_string(), c.to_string(), d.to_string(), e.to_string()))
        .collect();
    assert_eq!(decisions, expected);

    // The datapoints behind each decision: 3 × 100 %; then 100, 100, 73.33; then 53.33 and 14 × 48.
    let windows: Vec<&str> = events.iter().filter(|e| e["event"] != "task").map(|e| e["datapoints"].as_str()).collect();
    assert_eq!(windows[0], "100.00;100.00;100.00");
    assert_eq!(windows[1], "100.00;100.00;73.33");
    assert_eq!(windows[2], format!("53.33{}", ";48.00".repeat(14)));

    // Task 5, launched at 14:00: PENDING at once (no provisioning delay), RUNNING after the
    // 30 s startup, stopped by the scale-in at 29:00 after the 30 s stop timeout.
    let task5: Vec<(String, String)> = read_csv(&out.path().join("events-tasks.csv"))
        .iter()
        .filter(|e| e["task"] == "5")
        .map(|e| (e["time_s"].clone(), e["to_state"].clone()))
        .collect();
    let expected: Vec<(String, String)> =
        [("840", "PROVISIONING"), ("840", "PENDING"), ("870", "RUNNING"), ("1740", "STOPPING"), ("1770", "STOPPED")]
            .iter()
            .map(|(t, s)| (t.to_string(), s.to_string()))
            .collect();
    assert_eq!(task5, expected);

    let summary = summary(out.path());
    let total = &summary["total"];
    assert_eq!(total["requests_unserved"].as_f64().unwrap(), 8400.0); // 40/s × 210 s
    assert_eq!(total["requests_offered"].as_f64().unwrap(), 120.0 * 600.0 + 240.0 * 1800.0);
    let cost = total["cost_usd"].as_f64().unwrap();
    assert!(rounded_close(cost, 8970.0 * HALF_VCPU_1GB_PER_SECOND), "cost {cost}");
    // Under-provisioned ticks: minutes 11–14 of 40.
    assert_eq!(total["underprovisioned_tick_share"].as_f64().unwrap(), 0.1);
}

#[test]
fn the_desired_count_column_follows_the_decisions_minute_by_minute() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/step-load.toml"), out.path(), &[]);
    let series = read_csv(&out.path().join("timeseries.csv"));
    assert_eq!(series.len(), 40);
    let desired_at = |minute: usize| series[minute]["desired_count"].parse::<u32>().unwrap();
    // A row covers [minute, minute + 1) and shows the desired count that held during it: a
    // decision at 13:00 shows from the row of minute 13 on.
    assert_eq!(desired_at(12), 2);
    assert_eq!(desired_at(13), 4);
    assert_eq!(desired_at(14), 5);
    assert_eq!(desired_at(28), 5);
    assert_eq!(desired_at(29), 4);
    assert_eq!(desired_at(39), 4);
    // CPU of minute 13 ([13:00, 14:00)) is 73.33 %, of minute 14 53.33 %, then 48 % until the
    // scale-in, then 60 %.
    assert_eq!(series[13]["cpu_utilization_mean_pct"], "73.333");
    assert_eq!(series[14]["cpu_utilization_mean_pct"], "53.333");
    assert_eq!(series[20]["cpu_utilization_mean_pct"], "48.000");
    assert_eq!(series[30]["cpu_utilization_mean_pct"], "60.000");
}

/// The SPEC RG elasticity metrics of the step load, by hand. One task takes 100 × 60 % = 60
/// requests/s at the target, so the load demands ceil(120 / 60) = 2 tasks until 10:00 and
/// ceil(240 / 60) = 4 after. RUNNING: 2 until 13:30, 4 until 14:30, 5 until 29:00, then 4.
#[test]
fn the_step_loads_elasticity_matches_the_hand_derivation() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/step-load.toml"), out.path(), &[]);
    let s = summary(out.path());
    let line = &s["services"][0];
    let get = |key: &str| line[key].as_f64().unwrap();
    // Short by 2 of 4 for 3.5 of 40 minutes: θU = 100 × (2/4 × 3.5) / 40, τU = 100 × 3.5 / 40.
    assert!((get("under_provisioning_accuracy_pct") - 4.375).abs() < 1e-9);
    assert!((get("under_provisioning_timeshare_pct") - 8.75).abs() < 1e-9);
    // One over 4 from 14:30 to 29:00: θO = 100 × (1/4 × 14.5) / 40, τO = 100 × 14.5 / 40.
    assert!((get("over_provisioning_accuracy_pct") - 9.0625).abs() < 1e-9);
    assert!((get("over_provisioning_timeshare_pct") - 36.25).abs() < 1e-9);
    // Supply moved 3 times, demand once, in 2/3 of an hour: j = (3 − 1) / (2/3) = 3 per hour.
    assert!((get("jitter_per_hour") - 3.0).abs() < 1e-9);
    // At the ends of the 40 ticks, supply and demand move unlike at 4 of 39 steps: demand up at
    // 11:00 (supply not), supply up at 14:00 and 15:00 and down at 30:00 (demand not).
    assert!((get("instability_pct") - 400.0 / 39.0).abs() <= 5e-5, "percentages are kept to 1e-4");
    // One service: the run's figures are its own.
    assert_eq!(s["total"]["under_provisioning_accuracy_pct"], line["under_provisioning_accuracy_pct"]);
}

/// A price on the shortfall: 8,400 unserved requests at 50 USD per million are 0.42 USD,
/// reported beside the bill and never in it.
#[test]
fn unserved_requests_are_priced_apart_from_the_bill() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/step-load.toml")).unwrap();
    let priced = text.replacen("seed = 7\n", "seed = 7\nunserved_cost_per_million = 50.0\n", 1);
    let file = dir.path().join("priced.toml");
    std::fs::write(&file, priced).unwrap();
    let (plain, with_price) = (dir.path().join("plain"), dir.path().join("priced"));
    run_ok(&root().join("scenarios/step-load.toml"), &plain, &[]);
    run_ok(&file, &with_price, &[]);
    let (a, b) = (summary(&plain), summary(&with_price));
    assert_eq!(a["total"]["cost_usd"], b["total"]["cost_usd"], "the bill is the same");
    assert!(a["total"]["unserved_cost_usd"].is_null());
    let unserved = b["total"]["unserved_cost_usd"].as_f64().unwrap();
    assert!((unserved - 8_400.0 * 50.0 / 1e6).abs() < 1e-9, "{unserved}");
    let with = b["total"]["cost_with_unserved_usd"].as_f64().unwrap();
    assert!((with - b["total"]["cost_usd"].as_f64().unwrap() - 0.42).abs() < 1e-9);
}
