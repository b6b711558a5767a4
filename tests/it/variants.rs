//! Variants of one scenario, run side by side, and `ecsim compare`.

use std::path::Path;

use super::{close, ecsim, read_csv, root, rounded_close, run_ok, stderr, summary};

fn offered(dir: &Path) -> Vec<String> {
    read_csv(&dir.join("timeseries.csv"))
        .into_iter()
        .filter(|r| r["service"] == "web")
        .map(|r| r["offered_requests"].clone())
        .collect()
}

#[test]
fn variants_run_on_the_same_load_draws_and_are_compared_with_the_first() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), out.path(), &[]);
    let runs = ["base", "ec2-spot", "fargate", "fargate-spot-mix", "fargate-spot"];
    for run in runs {
        assert!(out.path().join(run).join("summary.json").exists(), "{run}");
    }
    // Common random numbers: the noisy load is drawn alike in every variant.
    let base = offered(&out.path().join("base"));
    assert_eq!(base.len(), 7 * 24 * 4);
    for run in &runs[1..] {
        assert_eq!(offered(&out.path().join(run)), base, "{run}");
    }

    // comparison.csv, worked out here from each run's summary.json.
    let rows = read_csv(&out.path().join("comparison.csv"));
    assert_eq!(rows.iter().map(|r| r["run"].as_str()).collect::<Vec<_>>(), runs);
    let summaries: Vec<serde_json::Value> = runs.iter().map(|r| summary(&out.path().join(r))).collect();
    let total = |s: &serde_json::Value| s["total"]["cost_usd"].as_f64().unwrap();
    let first = total(&summaries[0]);
    for (row, s) in rows.iter().zip(&summaries) {
        let cost: f64 = row["total_cost_usd"].parse().unwrap();
        assert!(rounded_close(cost, total(s)));
        assert!(rounded_close(row["difference_usd"].parse().unwrap(), total(s) - first));
        assert!(super::pct_close(row["difference_pct"].parse().unwrap(), 100.0 * (total(s) - first) / first));
    }
    // The Spot variant's instances cost 40 % of On-Demand per hour.
    let hourly = |s: &serde_json::Value| {
        s["providers"][0]["cost_usd"].as_f64().unwrap() / s["providers"][0]["billed_instance_hours"].as_f64().unwrap()
    };
    assert!(rounded_close(hourly(&summaries[0]), 0.192) && rounded_close(hourly(&summaries[1]), 0.4 * 0.192));
    assert!(rows[1]["spot_interruptions"].parse::<u32>().unwrap() > 0);
    assert_eq!(rows[2]["ec2_cost_usd"], "0");
    // The mixed Fargate run's cost is split between FARGATE and FARGATE_SPOT; all-Spot pays least.
    let part = |row: &std::collections::BTreeMap<String, String>, key: &str| row[key].parse::<f64>().unwrap();
    assert!(close(
        part(&rows[3], "cost_usd_capacity_FARGATE") + part(&rows[3], "cost_usd_capacity_FARGATE_SPOT"),
        part(&rows[3], "fargate_cost_usd"),
        1e-9
    ));
    assert!(part(&rows[4], "total_cost_usd") < part(&rows[3], "total_cost_usd"));
    assert!(part(&rows[3], "total_cost_usd") < part(&rows[2], "total_cost_usd"));
    assert!(rows[4]["spot_interruptions"].parse::<u32>().unwrap() > 0);

    // Break-even: the base's reserved share u = 1 − idle / cost; EC2 costs what Fargate does at
    // u × EC2 cost / Fargate cost.
    let ec2 = &summaries[0]["providers"][0];
    let (cost, idle) = (ec2["cost_usd"].as_f64().unwrap(), ec2["idle_cost_usd"].as_f64().unwrap());
    let u = 1.0 - idle / cost;
    let u_star = u * cost / total(&summaries[2]);
    let output = ecsim(&[
        "compare",
        out.path().join("base").to_str().unwrap(),
        out.path().join("fargate").to_str().unwrap(),
        "--out",
        out.path().join("cmp").to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let expected =
        format!("at {:.1} % average utilization of its instances; it ran at {:.1} %", 100.0 * u_star, 100.0 * u);
    assert!(text.contains(&expected), "{expected}\n{text}");
    let two = read_csv(&out.path().join("cmp/comparison.csv"));
    assert_eq!(two.len(), 2);
    assert_eq!(two[1]["total_cost_usd"], rows[2]["total_cost_usd"]);
}

#[test]
fn a_bad_variant_is_reported_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join("scenarios/compare-ec2-fargate-spot.toml")).unwrap();
    for (what, extra, says) in [
        ("a bad value", "\n[variants.big.services.web]\ncpu = 100000\n", "`variants.big.services.web.cpu`"),
        ("an unknown key", "\n[variants.typo.services.web]\ncpuu = 1\n", "unknown key `cpuu`; did you mean `cpu`?"),
        ("the reserved name", "\n[variants.base.services.web]\ncpu = 512\n", "or \"base\""),
        ("the parent folder", "\n[variants.\"..\".services.web]\ncpu = 512\n", "not \".\", \"..\""),
        ("this folder", "\n[variants.\".\".services.web]\ncpu = 512\n", "not \".\", \"..\""),
    ] {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, format!("{base}{extra}")).unwrap();
        let output = ecsim(&["validate", file.to_str().unwrap()]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(says), "{what}: expected {says:?} in {err}");
        let line = base.lines().count() + 2;
        assert!(
            err.contains(&format!("bad.toml:{line}:")) || err.contains(&format!("bad.toml:{}:", line + 1)),
            "{what}: {err}"
        );
    }
}
