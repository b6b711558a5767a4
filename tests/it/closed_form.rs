//! Cases with a closed-form answer.

use crate::*;

#[test]
fn a_fixed_fleet_costs_tasks_times_seconds_times_the_rate() {
    // N = 3 tasks, min = max = 3, for T = 2 h 17 min: cost = 3 × 8220 s × rate, whatever the load.
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "fixed.toml",
        r#"
version = 1
name = "fixed"
duration = "2h 17m"
[loads.flat]
shape = "constant"
value = 250.0
[services.web]
load = "flat"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 3
min_capacity = 3
max_capacity = 3
"#,
    );
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    let total = &summary(&out)["total"];
    let expected = 3.0 * 8220.0 * HALF_VCPU_1GB_PER_SECOND;
    assert!(rounded_close(total["cost_usd"].as_f64().unwrap(), expected));
    assert!(rounded_close(total["cost_vcpu_usd"].as_f64().unwrap(), 3.0 * 8220.0 * 0.5 * 0.04048 / 3600.0));
    assert_eq!(total["billed_task_hours"].as_f64().unwrap(), 3.0 * 8220.0 / 3600.0);
    // 250 requests/s on 300 of capacity: all served, utilization 250/300.
    assert_eq!(total["requests_unserved"].as_f64().unwrap(), 0.0);
    assert!(rounded_close(total["running_capacity_utilization_share"].as_f64().unwrap(), 250.0 / 300.0));

    // The cumulative cost column ends at the total, and the interval costs add up to it (each
    // written to 6 decimals, so within half a unit of the last digit per row).
    let series = read_csv(&out.join("timeseries.csv"));
    assert_eq!(series.len(), 137);
    let last: f64 = series.last().unwrap()["cumulative_allocated_cost_usd"].parse().unwrap();
    let sum: f64 = series.iter().map(|r| r["allocated_cost_usd"].parse::<f64>().unwrap()).sum();
    assert!((last - expected).abs() <= 0.5e-6);
    assert!((sum - expected).abs() <= 137.0 * 0.5e-6);
}

#[test]
fn arm_tasks_cost_the_arm_rate() {
    // 1 vCPU / 2 GB on ARM for one hour: 0.03238 + 2 × 0.00356 = 0.0395 dollars.
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "arm.toml",
        r#"
version = 1
name = "arm"
duration = "1h"
[loads.flat]
shape = "constant"
value = 10.0
[services.worker]
load = "flat"
cpu = 1024
memory = 2048
cpu_architecture = "ARM64"
requests_per_task = 100.0
desired_count = 1
min_capacity = 1
max_capacity = 1
"#,
    );
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    assert!(rounded_close(summary(&out)["total"]["cost_usd"].as_f64().unwrap(), 0.0395));
}

#[test]
fn a_price_file_sets_the_rates_of_another_region() {
    // The format of shared/data/pricing/fargate.csv, with made-up round rates: $0.10 per
    // vCPU-hour and $0.01 per GB-hour → 2 tasks × 0.5 vCPU / 1 GB × 1 h = 2 × 0.06 = 0.12.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "prices.csv",
        "region,os,arch,capacity,vcpu_hour_usd,gb_hour_usd\nxx-test-1,linux,x86_64,on_demand,0.10,0.01\n",
    );
    let scenario = write(
        dir.path(),
        "region.toml",
        r#"
version = 1
name = "region"
duration = "1h"
region = "xx-test-1"
prices = "prices.csv"
[loads.flat]
shape = "constant"
value = 10.0
[services.web]
load = "flat"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 2
max_capacity = 2
"#,
    );
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    assert!(rounded_close(summary(&out)["total"]["cost_usd"].as_f64().unwrap(), 0.12));
}
