//! Real data from ../shared/data, read in place: the NASA trace and the Fargate price table.

use crate::*;

fn shared(relative: &str) -> PathBuf {
    root().join("..").join("shared").join("data").join(relative)
}

#[test]
fn the_nasa_week_offers_exactly_the_requests_in_the_trace() {
    // Sum the first 7 days of the trace independently of ecsim.
    let mut reader = csv::Reader::from_path(shared("traces/nasa_http_1995_per_minute.csv")).unwrap();
    let rows: Vec<(i64, f64)> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap())).collect();
    let first = rows[0].0;
    assert_eq!(first, 804_571_200, "the scenario's start is this timestamp");
    let week: f64 = rows.iter().filter(|(t, _)| *t < first + 7 * 86_400).map(|(_, r)| r).sum();

    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/nasa-trace.toml"), out.path(), &[]);
    let total = &summary(out.path())["total"];
    let offered = total["requests_offered"].as_f64().unwrap();
    assert!(close(offered, 100.0 * week, 1e-9), "offered {offered}, trace {}", 100.0 * week);
    // Target tracking keeps up with the trace most of the time.
    assert!(total["unserved_share"].as_f64().unwrap() < 0.05);
    assert!(total["scale_outs"].as_u64().unwrap() > 10);

    // The first minute of the series is the first row of the trace, ×100.
    let series = read_csv(&out.path().join("timeseries.csv"));
    let first_quarter: f64 = series[0]["offered_requests"].parse().unwrap();
    let expected: f64 = rows.iter().filter(|(t, _)| *t < first + 900).map(|(_, r)| r * 100.0).sum();
    assert!(close(first_quarter, expected, 1e-9));
}

#[test]
fn the_shared_price_table_prices_another_region() {
    // ap-southeast-1 Linux/x86 On-Demand in fargate.csv: $0.05056 per vCPU-hour and $0.00553
    // per GB-hour. A fixed 2 tasks of 0.5 vCPU / 1 GB for the quickstart's 7 days:
    // 2 × 168 h × (0.5 × 0.05056 + 0.00553) = 10.35216.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/step-load.toml"))
        .unwrap()
        .replace("duration = \"40m\"", "duration = \"7d\"\nregion = \"ap-southeast-1\"")
        .replace("min_capacity = 1\nmax_capacity = 10", "min_capacity = 2\nmax_capacity = 2");
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let prices = shared("pricing/fargate.csv");
    run_ok(&scenario, &dir.path().join("out"), &["--prices", prices.to_str().unwrap()]);
    let cost = summary(&dir.path().join("out"))["total"]["cost_usd"].as_f64().unwrap();
    assert!(close(cost, 10.35216, 1e-12), "cost {cost}");
}

#[test]
fn the_builtin_instance_types_match_the_public_price_list() {
    // Read the file independently of ecsim and compare every built-in type with its row.
    let path = shared("pricing/ec2_us_east_1.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let builtin = ecsim::catalog::Catalog::builtin();
    assert_eq!(builtin.types().len(), 134);
    for t in builtin.types() {
        let row = rows
            .iter()
            .find(|r| r[column("instance_type")] == *t.name)
            .unwrap_or_else(|| panic!("{} not in the file", t.name));
        assert_eq!(row[column("vcpu")].parse::<u32>().unwrap(), t.vcpu, "{}", t.name);
        assert_eq!(
            (row[column("memory_gib")].parse::<f64>().unwrap() * 1024.0).round() as u32,
            t.memory_mib,
            "{}",
            t.name
        );
        assert_eq!(row[column("on_demand_hour_usd")].parse::<f64>().unwrap(), t.on_demand_hour_usd, "{}", t.name);
        assert_eq!(row[column("max_enis")].parse::<u32>().unwrap(), t.max_enis, "{}", t.name);
        assert_eq!(&row[column("eni_trunking_compatible")] == "1", t.eni_trunking, "{}", t.name);
        let arm = &row[column("arch")] == "arm64";
        assert_eq!(arm, t.arch == ecsim::pricing::CpuArchitecture::Arm64, "{}", t.name);
    }
    // Loading the file as a catalog for us-east-1 keeps the built-in figures and adds the rest.
    let loaded = ecsim::scenario::load_catalog(&path, "us-east-1").unwrap();
    assert_eq!(loaded.get("m5.large"), builtin.get("m5.large"));
    assert!(loaded.get("m5n.large").is_some() && builtin.get("m5n.large").is_none());
}
