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
    // Named as a scenario's catalog, the file adds the types ecsim does not build in.
    let m5n = rows.iter().find(|r| &r[column("instance_type")] == "m5n.large").unwrap();
    let text = |catalog: &str| {
        format!(
            "version = 1\nname = \"c\"\nduration = \"1h\"\n{catalog}\n[loads.l]\nshape = \"constant\"\nvalue = 1.0\n[capacity_providers.p]\ninstance_types = [\"m5n.large\", \"m5.large\"]\nmin_size = 1\nmax_size = 1\n[services.s]\nload = \"l\"\ncapacity_provider_strategy = [{{ capacity_provider = \"p\" }}]\ncpu = 256\nmemory = 512\nrequests_per_task = 10.0\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1\n"
        )
    };
    let parse = |text: String| {
        ecsim::scenario::parse(Path::new("c.toml"), &text, Path::new("."), &ecsim::scenario::Overrides::default())
    };
    let with_file = parse(text(&format!("catalog = \"{}\"", path.display()))).expect("m5n.large is in the file");
    let types = &with_file.scenario.providers[0].instance_types;
    assert_eq!(types[0].instance.on_demand_hour_usd, m5n[column("on_demand_hour_usd")].parse::<f64>().unwrap());
    assert_eq!(types[1].instance, *builtin.get("m5.large").unwrap(), "built-in figures stay");
    let error = parse(text("")).expect_err("m5n.large is not built in").to_string();
    assert!(error.contains("instance_types[0]") && error.contains("not in the instance catalog"), "{error}");
}

/// Reference §6.3: AWS's m4.large registers `floor(8373026816 B / 2^20)` = 7985 MiB. Taken from
/// the public catalog, an m4.large holds a task of 7985 MiB and refuses one of 7986; an
/// m6i.large, with no published figure, registers floor(8192 × 0.974) = 7979.
#[test]
fn an_m4_large_registers_what_aws_shows() {
    let path = shared("pricing/ec2_us_east_1.csv");
    let text = |types: &str, memory: u32| {
        format!(
            "version = 1\nname = \"m\"\nduration = \"1h\"\ncatalog = \"{}\"\n[loads.l]\nshape = \"constant\"\nvalue = 1.0\n[capacity_providers.p]\ninstance_types = [{types}]\nmin_size = 1\nmax_size = 1\n[services.s]\nload = \"l\"\ncapacity_provider_strategy = [{{ capacity_provider = \"p\" }}]\ncpu = 256\nmemory = {memory}\nrequests_per_task = 10.0\ndesired_count = 1\nmin_capacity = 1\nmax_capacity = 1\n",
            path.display()
        )
    };
    let parse = |text: String| {
        ecsim::scenario::parse(Path::new("m.toml"), &text, Path::new("."), &ecsim::scenario::Overrides::default())
    };
    let fits = parse(text("\"m4.large\"", 7985)).expect("7985 MiB fits an m4.large");
    assert_eq!(fits.scenario.providers[0].instance_types[0].registered.memory_mib, 7985);
    let error = parse(text("\"m4.large\"", 7986)).expect_err("7986 MiB does not").to_string();
    assert!(error.contains("registers 2048 units and 7985 MiB"), "{error}");
    let error = parse(text("\"m6i.large\"", 7980)).expect_err("the default share").to_string();
    assert!(error.contains("registers 2048 units and 7979 MiB"), "{error}");
}
