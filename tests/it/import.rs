//! `ecsim import`: a folder of AWS CLI output (fixtures in the shapes of the AWS CLI
//! reference's example outputs) becomes a scenario that validates and runs, every mapped
//! field checked, and bad folders refused with the file and the JSON path.

use crate::*;

const FIXTURE: &str = "tests/fixtures/aws/fargate-web";

fn import(dir: &Path, out: &Path) -> std::process::Output {
    ecsim(&["import", dir.to_str().unwrap(), "--out", out.to_str().unwrap()])
}

#[test]
fn a_fargate_service_with_its_policies_and_request_history_is_imported_and_runs() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let output = import(&root().join(FIXTURE), &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    let scenario: toml::Value = toml::from_str(&text).unwrap();
    let web = &scenario["services"]["web"];
    // describe-task-definition: task-level cpu "1024" and memory "2048" (strings in the JSON),
    // the containers' memoryReservation 1024 + 256, runtimePlatform.
    assert_eq!((web["cpu"].as_integer(), web["memory"].as_integer()), (Some(1024), Some(2048)));
    assert_eq!(web["memory_reservation"].as_integer(), Some(1280));
    assert_eq!(web["cpu_architecture"].as_str(), Some("ARM64"));
    // describe-services: the strategy, the desired count, the load balancer.
    let strategy = web["capacity_provider_strategy"].as_array().unwrap();
    assert_eq!(
        strategy
            .iter()
            .map(|i| (
                i["capacity_provider"].as_str().unwrap(),
                i["base"].as_integer().unwrap(),
                i["weight"].as_integer().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("FARGATE", 2, 1), ("FARGATE_SPOT", 0, 3)]
    );
    assert_eq!(web["desired_count"].as_integer(), Some(4));
    assert!(web["load_balancer"].is_table());
    // describe-scalable-targets and describe-scaling-policies.
    assert_eq!((web["min_capacity"].as_integer(), web["max_capacity"].as_integer()), (Some(2), Some(20)));
    let policy = &web["target_tracking"][0];
    assert_eq!((policy["metric"].as_str(), policy["target_value"].as_float()), (Some("cpu"), Some(60.0)));
    assert_eq!(
        (policy["scale_out_cooldown"].as_str(), policy["scale_in_cooldown"].as_str()),
        (Some("60s"), Some("300s"))
    );
    // Every value of the service says where it came from.
    let service_lines =
        text.split("[services.web]").nth(1).unwrap().lines().skip(1).take_while(|l| !l.starts_with('['));
    for line in service_lines.filter(|l| l.contains(" = ")) {
        assert!(line.contains("  # "), "no source named: {line}");
    }
    // get-metric-data, two pages newest first, joined: minutes 0–19 of 2026-01-05 but 7
    // (2026-01-01T00:00:00Z is 1,767,225,600 s; four days on, 1,767,571,200), minute m
    // counting 6000 + 600 × (m mod 5) requests.
    let load = &scenario["loads"]["web"];
    assert_eq!((load["bucket"].as_str(), load["gaps"].as_str()), (Some("60s"), Some("zero")));
    assert_eq!(scenario["start"].as_str(), Some("2026-01-05T00:00:00Z"));
    let trace = std::fs::read_to_string(dir.join(load["file"].as_str().unwrap())).unwrap();
    let rows: Vec<(i64, f64)> = trace
        .lines()
        .skip(1)
        .map(|l| {
            let (t, v) = l.split_once(',').unwrap();
            (t.parse().unwrap(), v.parse().unwrap())
        })
        .collect();
    let expected: Vec<(i64, f64)> =
        (0..20).filter(|&m| m != 7).map(|m| (1_767_571_200 + 60 * m, f64::from(6000 + 600 * (m as i32 % 5)))).collect();
    assert_eq!(rows, expected);
    // What could not be mapped is said, with its path.
    for warned in [
        "`ScalingPolicies[1].Alarms`: a step policy needs its alarm, and no describe-alarms output holds \"web-queue-high\"",
        "requests_per_task is a placeholder",
        "1 gap(s)",
    ] {
        assert!(stderr.contains(warned), "{warned}: {stderr}");
    }
    run_ok(&dir.join("scenario.toml"), &out.path().join("run"), &["--no-charts"]);
    // A second import into the same folder does not overwrite it.
    let again = import(&root().join(FIXTURE), &dir);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists"));
}

#[test]
fn a_bad_folder_is_refused_naming_the_file_and_the_json_path() {
    let scratch = tempfile::tempdir().unwrap();
    let copy = |name: &str, text: &str| {
        let dir = scratch.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(root().join(FIXTURE)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        std::fs::write(dir.join("extra.json"), text).unwrap();
        dir
    };
    let page = r#"{"MetricDataResults": [{"Id": "web_requests", "Label": "RequestCount", "Timestamps": ["2026-01-05T00:20:00+00:00", "yesterday"], "Values": [1.0, 2.0], "StatusCode": "Complete"}]}"#;
    for (name, text, expected) in [
        ("truncated", r#"{"services": [{"serviceName": "#, "extra.json: not JSON"),
        ("unknown", r#"{"Reservations": []}"#, "extra.json: not output of a command `import` knows"),
        ("bad-time", page, "extra.json: `MetricDataResults[0].Timestamps[1]`: found \"yesterday\""),
    ] {
        let output = import(&copy(name, text), &scratch.path().join(format!("out-{name}")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!scratch.path().join(format!("out-{name}")).exists(), "{name}: nothing written");
    }
    let output = import(&scratch.path().join("absent"), &scratch.path().join("out-absent"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("absent"));
    // A metric without datapoints: a warning, and the service gets a placeholder load.
    let empty = copy(
        "empty",
        r#"{"MetricDataResults": [{"Id": "other_requests", "Label": "RequestCount other", "Timestamps": [], "Values": []}]}"#,
    );
    for page in ["get-metric-data-1.json", "get-metric-data-2.json"] {
        std::fs::remove_file(empty.join(page)).unwrap();
    }
    let output = import(&empty, &scratch.path().join("out-empty"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.contains("fewer than two datapoints"), "{stderr}");
}

/// Writes ecsim's own per-minute history of `service` (from a run's timeseries.csv) as the
/// get-metric-data JSON CloudWatch would give: RequestCount sums, CPUUtilization and
/// RunningTaskCount averages and DesiredTaskCount, each minute stamped at its start.
fn history_as_cloudwatch(run: &Path, start_s: i64, dir: &Path) {
    let rows = read_csv(&run.join("timeseries.csv"));
    let stamp = |r: &std::collections::BTreeMap<String, String>| {
        let t: i64 = r["time_s"].parse().unwrap();
        jiff::Timestamp::from_second(start_s + t).unwrap().to_string()
    };
    let rows: Vec<_> = rows.iter().filter(|r| !r["cpu_utilization_mean_pct"].is_empty()).collect();
    let series = |id: &str, label: &str, column: &str| {
        serde_json::json!({
            "Id": id, "Label": label, "StatusCode": "Complete",
            "Timestamps": rows.iter().map(|r| stamp(r)).collect::<Vec<_>>(),
            "Values": rows.iter().map(|r| r[column].parse::<f64>().unwrap()).collect::<Vec<_>>(),
        })
    };
    let page = serde_json::json!({ "MetricDataResults": [
        series("requests", "RequestCount", "offered_requests"),
        series("cpu", "CPUUtilization", "cpu_utilization_mean_pct"),
        series("tasks", "RunningTaskCount", "tasks_running_mean"),
        series("desired", "DesiredTaskCount", "desired_count"),
    ]});
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("get-metric-data.json"), page.to_string()).unwrap();
}

/// A day of a diurnal load on tasks that serve 80 requests/s at 100 % CPU and start 90 s
/// after they are asked for, recorded minute by minute by ecsim itself: calibration gives
/// back 80 within 5 % with a high R², and 90 s within one tick, and writes them into the
/// scenario it was asked for.
#[test]
fn calibration_recovers_requests_per_task_from_a_history_ecsim_made() {
    let dir = tempfile::tempdir().unwrap();
    let truth = r#"version = 1
name = "history"
start = "2026-01-05T00:00:00Z"
duration = "1d"
series_interval = "1m"
seed = 3

[loads.web]
shape = "diurnal"
mean = 600.0
amplitude = 0.5
peak = "14:00"
noise = { kind = "normal", sd = 0.05 }

[services.web]
load = "web"
cpu = 512
memory = 1024
requests_per_task = 80.0
startup = "90s"
desired_count = 10
min_capacity = 2
max_capacity = 50

[[services.web.target_tracking]]
metric = "cpu"
target_value = 60.0
"#;
    let run = dir.path().join("run");
    run_ok(&write(dir.path(), "truth.toml", truth), &run, &["--no-charts"]);
    history_as_cloudwatch(&run, 1_767_571_200, &dir.path().join("metrics"));
    let guess = write(
        dir.path(),
        "guess.toml",
        &truth.replace("requests_per_task = 80.0", "requests_per_task = 100.0").replace("startup = \"90s\"\n", ""),
    );
    let out = dir.path().join("calibrated.toml");
    let output = ecsim(&[
        "calibrate",
        guess.to_str().unwrap(),
        "--metrics",
        dir.path().join("metrics").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let scenario: toml::Value = toml::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let fitted = scenario["services"]["web"]["requests_per_task"].as_float().unwrap();
    assert!((fitted - 80.0).abs() <= 0.05 * 80.0, "{fitted}: {stdout}");
    let r_squared: f64 = stdout.split("R² ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(r_squared > 0.95, "{stdout}");
    let startup: f64 = scenario["services"]["web"]["startup"].as_str().unwrap().trim_end_matches('s').parse().unwrap();
    assert!((startup - 90.0).abs() <= 60.0, "{startup}: {stdout}");
    assert_eq!(
        std::fs::read_to_string(&guess).unwrap().matches("requests_per_task = 100.0").count(),
        1,
        "the input is left as it was"
    );
}

const EXAMPLE: &str = "scenarios/imported-example";

/// The numbers after `marker` in `text`, up to the next space or `,`.
fn figure_after(text: &str, marker: &str) -> f64 {
    let rest = text.split(marker).nth(1).unwrap_or_else(|| panic!("no {marker:?} in {text}"));
    rest.trim_start().split([' ', ',', ';']).next().unwrap().trim_end_matches('%').parse().unwrap()
}

/// The example's AWS CLI output (a web service on an Auto Scaling group capacity provider) is
/// imported with every setting mapped; its month of history calibrates, from the release of
/// 16 November on, to the values `history/truth.toml` made it with (50 requests/s per task
/// after the release, start-up times of median 75 s), and the replay stays within the bounds
/// the example's README states. The example's storefront.toml is what the two commands write.
#[test]
fn the_imported_example_is_what_import_and_calibrate_write_and_replays_within_its_bounds() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("imported");
    let aws = root().join(EXAMPLE).join("aws");
    let output = import(&aws, &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The release moved requests_per_task mid-month: import says so, and how to calibrate.
    assert!(stderr.contains("requests_per_task moved during the history"), "{stderr}");
    assert!(stderr.contains("`--since 2026-11-17T00:00:00Z` keeps the last 14 days"), "{stderr}");
    let imported_text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    // The deployment configuration, as a template to give a time.
    for line in [
        "# [[services.storefront.deployments]]",
        "# minimum_healthy_percent = 100",
        "# health_check_grace_period = \"120s\"",
        "# circuit_breaker = { rollback = true }",
    ] {
        assert!(imported_text.contains(line), "{line}: {imported_text}");
    }
    let imported: toml::Value = toml::from_str(&imported_text).unwrap();
    let web = &imported["services"]["storefront"];
    // describe-task-definition: two containers, 896 + 128 CPU units, 1792 + 256 MiB hard and
    // 1536 + 128 MiB soft limits; bridge mode.
    assert_eq!((web["cpu"].as_integer(), web["memory"].as_integer()), (Some(1024), Some(2048)));
    assert_eq!(web["memory_reservation"].as_integer(), Some(1664));
    assert_eq!(web["network_mode"].as_str(), Some("bridge"));
    assert_eq!(web["capacity_provider_strategy"][0]["capacity_provider"].as_str(), Some("shop-asg-cp"));
    assert_eq!(web["placement_strategy"][1]["field"].as_str(), Some("memory"));
    assert_eq!(
        imported["cluster"]["default_capacity_provider_strategy"][0]["capacity_provider"].as_str(),
        Some("shop-asg-cp")
    );
    // describe-capacity-providers and describe-auto-scaling-groups.
    let group = &imported["capacity_providers"]["shop-asg-cp"];
    let types: Vec<&str> = group["instance_types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(types, ["m5.xlarge", "m6i.xlarge"]);
    assert_eq!(
        ["min_size", "max_size", "desired_capacity", "availability_zones"].map(|k| group[k].as_integer().unwrap()),
        [2, 40, 3, 3]
    );
    let managed = &group["managed_scaling"];
    assert_eq!(
        (managed["target_capacity"].as_integer(), managed["maximum_scaling_step_size"].as_integer()),
        (Some(90), Some(10))
    );
    assert_eq!(managed["instance_warmup_period"].as_str(), Some("300s"));
    // The step policy with its alarm's settings from describe-alarms.
    let step = &web["step_scaling"][0];
    assert_eq!((step["adjustment_type"].as_str(), step["cooldown"].as_str()), (Some("ChangeInCapacity"), Some("120s")));
    assert_eq!(step["step_adjustments"][1]["scaling_adjustment"].as_integer(), Some(6));
    assert_eq!(step["step_adjustments"][0]["metric_interval_upper_bound"].as_float(), Some(10.0));
    let alarm = &step["alarm"];
    assert_eq!((alarm["metric"].as_str(), alarm["threshold"].as_float()), (Some("cpu"), Some(85.0)));
    assert_eq!(
        (alarm["evaluation_periods"].as_integer(), alarm["datapoints_to_alarm"].as_integer()),
        (Some(2), Some(2))
    );
    assert_eq!(alarm["comparison_operator"].as_str(), Some("GreaterThanOrEqualToThreshold"));
    // Scheduled actions with their time zone.
    let floor = &web["scheduled_actions"][0];
    assert_eq!(floor["schedule"].as_str(), Some("cron(0 8 ? * MON-FRI *)"));
    assert_eq!((floor["timezone"].as_str(), floor["min_capacity"].as_integer()), (Some("America/New_York"), Some(10)));
    // A month of minute datapoints, two get-metric-data pages joined.
    assert_eq!(imported["start"].as_str(), Some("2026-11-01T00:00:00Z"));
    assert_eq!(imported["duration"].as_str(), Some("30d"));

    // Calibrated from the days after the release.
    let calibrated = out.path().join("calibrated.toml");
    let output = ecsim(&[
        "calibrate",
        dir.join("scenario.toml").to_str().unwrap(),
        "--metrics",
        aws.to_str().unwrap(),
        "--since",
        "2026-11-17T00:00:00Z",
        "--out",
        calibrated.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&calibrated).unwrap();
    let scenario: toml::Value = toml::from_str(&text).unwrap();
    let web = &scenario["services"]["storefront"];
    let per_task = web["requests_per_task"].as_float().unwrap();
    assert!((per_task - 50.0).abs() <= 0.05 * 50.0, "{per_task}");
    let startup: f64 = web["startup"].as_str().unwrap().trim_end_matches('s').parse().unwrap();
    assert!((startup - 75.0).abs() <= 60.0, "{startup} s: within one tick of the median 75 s");
    // The replay's bounds, as the README states them.
    let mae = figure_after(&stdout, "RUNNING tasks off by");
    let within = figure_after(&stdout, "within one task in");
    let cpu = figure_after(&stdout, "CPU off by");
    assert!(mae <= 0.5 && within >= 90.0 && cpu <= 1.0, "{stdout}");

    // The example is exactly that, with the what-ifs below its marker, and its trace the same.
    let example = std::fs::read_to_string(root().join(EXAMPLE).join("storefront.toml")).unwrap();
    let (generated, _what_ifs) = example.split_once("\n# ----").unwrap();
    assert_eq!(text.trim_end(), generated.trim_end(), "re-make the example (see its README)");
    assert_eq!(
        std::fs::read(dir.join("load-storefront.csv")).unwrap(),
        std::fs::read(root().join(EXAMPLE).join("load-storefront.csv")).unwrap()
    );
    // It runs, its variants with it.
    let run = out.path().join("run");
    let output = ecsim(&[
        "run",
        root().join(EXAMPLE).join("storefront.toml").to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--no-charts",
        "--outputs",
        "summary",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for variant in ["base", "fargate", "fargate-spot-mix", "target-75"] {
        assert!(run.join(variant).join("summary.json").exists(), "{variant}");
    }
}
