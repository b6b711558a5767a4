//! A new user's first hour: scenarios written as a planner describes them, results read at a
//! glance.

use super::{ecsim, run_ok, stderr, summary, write};

const SERVICE: &str = "[services.api]\nload = \"api\"\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\ndesired_count = 3\nmin_capacity = 3\nmax_capacity = 3\n";

/// "1 month" is 730 hours, as AWS's pricing pages count one: a fixed fleet of three 0.5 vCPU /
/// 1 GB tasks for 730 h costs 3 × 730 × (0.5 × 0.04048 + 1 × 0.004445) USD, and its cost per
/// month is the same number.
#[test]
fn a_month_is_730_hours_and_the_table_gives_the_cost_per_month() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "version = 1\nname = \"month\"\nduration = \"1 month\"\n[loads.api]\nshape = \"constant\"\nvalue = 100.0\n{SERVICE}"
    );
    let file = write(dir.path(), "month.toml", &text);
    let output =
        ecsim(&["run", file.to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap(), "--no-charts"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("30 days 10 hours simulated"), "{printed}");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["duration_s"], 730.0 * 3600.0);
    let expected = 3.0 * 730.0 * (0.5 * 0.04048 + 0.004445);
    assert!(super::rounded_close(s["total"]["cost_usd"].as_f64().unwrap(), expected));
    let total = printed.lines().find(|l| l.starts_with("TOTAL")).unwrap();
    let per_month = format!("{expected:.2}");
    assert!(total.split_whitespace().nth(2) == Some(per_month.as_str()), "{total}");
}

/// A diurnal load as a planner gives it: `min` and `max` is the cosine between them, the same
/// load as `mean` 300 with `amplitude` 2/3; `mean` with `peak_value` 900 keeps the day's mean
/// (the unit tests check the curve); two forms at once are refused at the table's line.
#[test]
fn diurnal_loads_take_mean_and_peak_or_min_and_max() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |load: &str| {
        format!("version = 1\nname = \"d\"\nduration = \"2d\"\n[loads.api]\nshape = \"diurnal\"\n{load}\n{SERVICE}")
    };
    let offered = |load: &str, name: &str| {
        let file = write(dir.path(), &format!("{name}.toml"), &scenario(load));
        let out = dir.path().join(name);
        run_ok(&file, &out, &["--no-charts"]);
        summary(&out)["total"]["requests_offered"].as_f64().unwrap()
    };
    let by_range = offered("min = 100.0\nmax = 500.0", "range");
    let by_amplitude = offered("mean = 300.0\namplitude = 0.6666666666666666", "amplitude");
    assert!(super::close(by_range, by_amplitude, 1e-9), "{by_range} {by_amplitude}");
    // Two whole days from midnight: the offered load is the mean × 2 days.
    assert!(super::close(offered("mean = 300.0\npeak_value = 900.0", "peak"), 300.0 * 2.0 * 86_400.0, 1e-6));
    let file = write(dir.path(), "both.toml", &scenario("mean = 300.0\namplitude = 0.5\nmin = 100.0\nmax = 500.0"));
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("one form only"), "{}", stderr(&output));
}

/// A run's folder is named after the scenario's `name`: in every bundled scenario it is the
/// file's name, so `scenarios/bench/services-100.toml` writes `output/services-100/`; and the
/// run says where before it starts.
#[test]
fn bundled_scenarios_are_named_as_their_files_and_the_folder_is_said_first() {
    for path in bundled_files() {
        let table: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(table["name"].as_str(), Some(stem), "{}", path.display());
    }
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("q");
    let quickstart = super::root().join("scenarios/quickstart.toml");
    let output = ecsim(&["run", quickstart.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--no-charts"]);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(printed.lines().next(), Some(format!("writing quickstart into {}", dir.display()).as_str()));
}

/// Every `.toml` of `scenarios/` and `scenarios/bench/`, in name order.
fn bundled_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/bench", "scenarios/imported-example", "scenarios/imported-example/history"] {
        for entry in std::fs::read_dir(super::root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 15);
    files
}

/// A utilization target of 0.6 is legal (0.6 %) but almost surely meant 60 %: a warning with
/// its line and key, printed once although the comparison example's five variants inherit it;
/// with `--deny-warnings` it is an error and nothing runs.
#[test]
fn a_fraction_for_a_percent_target_is_warned_once_and_denied_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(super::root().join("scenarios/compare-ec2-fargate-spot.toml")).unwrap();
    assert!(example.contains("target_value = 60.0"));
    let file = write(dir.path(), "pct.toml", &example.replace("target_value = 60.0", "target_value = 0.6"));
    let line = example.lines().position(|l| l.starts_with("target_value = 60.0")).unwrap() + 1;
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert!(output.status.success());
    let text = stderr(&output);
    let expected = format!(
        "line {line}, `services.web.target_tracking[0].target_value`: a utilization target is a percentage: 0.6 means 0.6 %, not 60 %"
    );
    assert_eq!(text.matches(&expected).count(), 1, "{text}");
    let out = dir.path().join("out");
    let output = ecsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--deny-warnings"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("error (--deny-warnings)"), "{}", stderr(&output));
    assert!(!out.exists(), "nothing ran");
}

/// A FARGATE_SPOT strategy without a `[fargate_spot]` table runs with the table's defaults and
/// no interruption, and the warning points at the strategy.
#[test]
fn fargate_spot_without_its_table_runs_uninterrupted_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version = 1\nname = \"spot\"\nduration = \"1h\"\n[loads.api]\nshape = \"constant\"\nvalue = 100.0\n[services.api]\nload = \"api\"\ncapacity_provider_strategy = [{ capacity_provider = \"FARGATE_SPOT\" }]\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\ndesired_count = 2\nmin_capacity = 2\nmax_capacity = 2\n";
    let file = write(dir.path(), "spot.toml", text);
    let out = dir.path().join("out");
    let output = ecsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-charts", "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("line 9, `services.api.capacity_provider_strategy`: FARGATE_SPOT with no [fargate_spot] table")
    );
    let s = summary(&out);
    assert_eq!(s["services"][0]["fargate_spot_interruptions"], 0);
    // 2 tasks for an hour at the default Spot share, 31.245 % of 0.5 × 0.04048 + 1 × 0.004445.
    let expected = 2.0 * 0.31245 * (0.5 * 0.04048 + 0.004445);
    assert!(super::rounded_close(s["total"]["cost_usd"].as_f64().unwrap(), expected), "{}", s["total"]["cost_usd"]);
}

/// A trace's `requests` column counts each bucket's requests (`unit = "per_bucket"`, the
/// default), or is a rate (`unit = "per_second"`), the rows of one bucket averaged. Two
/// one-minute buckets of 600 and 1200 requests are 10 and 20 requests/s; the same load as
/// rates, two rows a minute (8 and 12, then 20 and 20), averages to 10 and 20: both offer
/// 600 + 1200 = 1800 requests in the two minutes.
#[test]
fn a_trace_gives_requests_per_bucket_or_per_second() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "counts.csv", "timestamp_seconds,requests\n1000,600\n1060,1200\n");
    write(dir.path(), "rates.csv", "timestamp_seconds,requests\n1000,8\n1030,12\n1060,20\n1090,20\n");
    let offered = |name: &str, trace: &str| {
        let text = format!(
            "version = 1\nname = \"{name}\"\nduration = \"2m\"\n[loads.api]\nshape = \"trace\"\nbucket = \"1m\"\n{trace}\n{SERVICE}"
        );
        let file = write(dir.path(), &format!("{name}.toml"), &text);
        let out = dir.path().join(name);
        run_ok(&file, &out, &["--no-charts"]);
        summary(&out)["total"]["requests_offered"].as_f64().unwrap()
    };
    assert_eq!(offered("default", "file = \"counts.csv\""), 1800.0);
    assert_eq!(offered("counts", "file = \"counts.csv\"\nunit = \"per_bucket\""), 1800.0);
    assert_eq!(offered("rates", "file = \"rates.csv\"\nunit = \"per_second\""), 1800.0);
    // Any other unit is refused at its line.
    let text = "version = 1\nname = \"bad\"\nduration = \"2m\"\n[loads.api]\nshape = \"trace\"\nbucket = \"1m\"\nfile = \"counts.csv\"\nunit = \"per_minute\"\n";
    let file = write(dir.path(), "bad.toml", &format!("{text}{SERVICE}"));
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains(
            "bad.toml:8:8: `loads.api.unit`: found \"per_minute\"; expected one of \"per_bucket\", \"per_second\""
        ),
        "{text}"
    );
}

/// A service with a load and no `requests_per_task` is refused where the key belongs (the
/// service's table), and the error says how to estimate the figure.
#[test]
fn a_missing_requests_per_task_says_how_to_estimate_it() {
    let dir = tempfile::tempdir().unwrap();
    let service = SERVICE.replace("requests_per_task = 100.0\n", "");
    let text = format!(
        "version = 1\nname = \"r\"\nduration = \"1h\"\n[loads.api]\nshape = \"constant\"\nvalue = 100.0\n{service}"
    );
    let file = write(dir.path(), "r.toml", &text);
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    // Line 7 is `[services.api]`, the table the key is missing from.
    let at = format!(
        "{}:7:1: `services.api.requests_per_task`: a service with a load needs `requests_per_task`: the requests per second one task serves at 100 % of its CPU. Estimate it from a load test of one task, or from CloudWatch at a busy hour as (RequestCount per second ÷ RunningTaskCount) ÷ (CPUUtilization / 100)",
        file.display()
    );
    assert!(text.contains(&at), "{text}");
    assert!(text.contains("600 requests/s on 4 tasks at 50 % CPU gives (600 ÷ 4) ÷ 0.5 = 300"), "{text}");
}

/// The 1-based line of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

/// `ecsim validate` on `text`, passing with warnings; then with `--deny-warnings`, refused.
/// Returns standard error of the first.
fn warned(dir: &std::path::Path, name: &str, text: &str) -> (std::path::PathBuf, String) {
    let file = write(dir, name, text);
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let denied = ecsim(&["validate", file.to_str().unwrap(), "--deny-warnings"]);
    assert_eq!(denied.status.code(), Some(2));
    assert!(stderr(&denied).contains("error (--deny-warnings)"), "{}", stderr(&denied));
    (file, stderr(&output))
}

/// A floor of 20 tasks where the load's peak, 900 requests/s, needs 900 ÷ (100 × 60 %) = 15 at
/// the 60 % CPU target; and a scale-in cooldown of 1 minute for tasks that take 2 to start.
/// Each is warned once at its line, though the variant repeats the base's settings.
#[test]
fn a_floor_above_the_peak_and_a_scale_in_quicker_than_start_up_are_warned_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version = 1\nname = \"w\"\nduration = \"1h\"\n\
        [loads.api]\nshape = \"step\"\nsteps = [{ at = \"0s\", value = 300.0 }, { at = \"30m\", value = 900.0 }]\n\
        [services.api]\nload = \"api\"\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\n\
        desired_count = 20\nmin_capacity = 20\nmax_capacity = 40\nstartup = \"2m\"\n\
        [[services.api.target_tracking]]\nmetric = \"cpu\"\ntarget_value = 60.0\nscale_in_cooldown = \"1m\"\n\
        [variants.bigger.services.api]\nmax_capacity = 50\n";
    let (_, printed) = warned(dir.path(), "w.toml", text);
    let floor = format!(
        "line {}, `services.api.min_capacity`: min_capacity 20 keeps at least 20 tasks, but the load's peak (900 req/s) needs 15 at the 60 % CPU target",
        line_of(text, "min_capacity")
    );
    assert_eq!(printed.matches(&floor).count(), 1, "{printed}");
    let cooldown = format!(
        "line {}, `services.api.target_tracking[0].scale_in_cooldown`: scale_in_cooldown 1m is shorter than a task's start-up (2m, the median of `startup`)",
        line_of(text, "scale_in_cooldown")
    );
    assert_eq!(printed.matches(&cooldown).count(), 1, "{printed}");
    assert_eq!(printed.matches("warning").count(), 2, "{printed}");
    // At a floor of 15, what the peak needs, and a cooldown as long as the start-up: nothing.
    let fine = text.replace("= 20\n", "= 15\n").replace("\"1m\"", "\"2m\"");
    let output = ecsim(&["validate", write(dir.path(), "fine.toml", &fine).to_str().unwrap(), "--deny-warnings"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
}

/// A 10-minute tick: a policy can act once a tick, so its 2-minute scale-out cooldown (given)
/// and 5-minute scale-in cooldown (the default) last a tick. The first is warned at the
/// cooldown, the second, which the file leaves out, at the tick; a step policy's cooldown too.
#[test]
fn a_tick_longer_than_a_cooldown_is_warned_where_it_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version = 1\nname = \"t\"\nduration = \"1h\"\ntick = \"10m\"\n\
        [loads.api]\nshape = \"constant\"\nvalue = 100.0\n\
        [services.api]\nload = \"api\"\ncpu = 512\nmemory = 1024\nrequests_per_task = 100.0\n\
        desired_count = 2\nmin_capacity = 1\nmax_capacity = 10\n\
        [[services.api.target_tracking]]\nmetric = \"cpu\"\ntarget_value = 60.0\nscale_out_cooldown = \"2m\"\n\
        [[services.api.step_scaling]]\nadjustment_type = \"ChangeInCapacity\"\ncooldown = \"3m\"\n\
        step_adjustments = [{ metric_interval_lower_bound = 0.0, scaling_adjustment = 1 }]\n\
        alarm = { metric = \"cpu\", evaluation_periods = 1, comparison_operator = \"GreaterThanThreshold\", threshold = 80.0 }\n";
    let (_, printed) = warned(dir.path(), "t.toml", text);
    for (line, key, policy, cooldown) in [
        (
            line_of(text, "scale_out_cooldown"),
            "services.api.target_tracking[0].scale_out_cooldown",
            "target_tracking[0]",
            "scale_out_cooldown of services.api.target_tracking[0] (2m)",
        ),
        (
            line_of(text, "tick"),
            "tick",
            "target_tracking[0]",
            "scale_in_cooldown of services.api.target_tracking[0] (5m, the default)",
        ),
        (
            line_of(text, "cooldown"),
            "services.api.step_scaling[0].cooldown",
            "step_scaling[0]",
            "cooldown of services.api.step_scaling[0] (3m)",
        ),
    ] {
        let expected = format!(
            "line {line}, `{key}`: the tick (10m) is longer than the {cooldown}: policies are evaluated once a tick"
        );
        assert_eq!(printed.matches(&expected).count(), 1, "{policy}: {printed}");
    }
    assert_eq!(printed.matches("warning").count(), 3, "{printed}");
}

/// Spot at Spot's price but never interrupted: Fargate Spot with 0 interruptions per task-hour
/// and no storm, and an Auto Scaling group's Spot instances at 0 per hour. Each is warned at
/// its rate; a storm that interrupts is enough for Fargate Spot.
#[test]
fn spot_that_is_never_interrupted_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version = 1\nname = \"s\"\nduration = \"1h\"\n\
        [loads.api]\nshape = \"constant\"\nvalue = 100.0\n\
        [fargate_spot]\ninterruptions_per_task_hour = 0.0\n\
        [capacity_providers.group]\ninstance_types = [\"m5.large\"]\nmin_size = 1\nmax_size = 1\n\
        spot = { price = 0.4, interruptions_per_hour = 0.0 }\n\
        [services.api]\nload = \"api\"\ncapacity_provider_strategy = [{ capacity_provider = \"FARGATE_SPOT\" }]\n\
        cpu = 512\nmemory = 1024\nrequests_per_task = 100.0\ndesired_count = 2\nmin_capacity = 2\nmax_capacity = 2\n";
    let (_, printed) = warned(dir.path(), "s.toml", text);
    let fargate = format!(
        "line {}, `fargate_spot.interruptions_per_task_hour`: 0 interruptions per task-hour and no storm interrupts: the FARGATE_SPOT tasks of api are never taken back, so the run shows Spot's price without its interruptions",
        line_of(text, "interruptions_per_task_hour")
    );
    assert_eq!(printed.matches(&fargate).count(), 1, "{printed}");
    let group = format!(
        "line {}, `capacity_providers.group.spot.interruptions_per_hour`: 0 interruptions per instance-hour: this group's Spot instances are never interrupted, so the run shows Spot's price without its interruptions",
        line_of(text, "spot =")
    );
    assert_eq!(printed.matches(&group).count(), 1, "{printed}");
    assert_eq!(printed.matches("warning").count(), 2, "{printed}");
    let stormy = text.replace(
        "interruptions_per_task_hour = 0.0\n",
        "interruptions_per_task_hour = 0.0\nstorms = [{ start = \"10m\", length = \"10m\", interruptions_per_task_hour = 1.0 }]\n",
    );
    let output = ecsim(&["validate", write(dir.path(), "stormy.toml", &stormy).to_str().unwrap()]);
    assert!(!stderr(&output).contains("fargate_spot"), "{}", stderr(&output));
}

/// `ecsim schema` prints a draft-7 JSON Schema that every bundled scenario and sweep file meets
/// (read as TOML, handed over as JSON, as an editor's TOML language server does), and that
/// refuses a key the simulator does not know: at the top, in a service, in a policy, in a load,
/// in a sweep file; outside a load's shapes the message names the key.
#[test]
fn the_printed_schema_takes_every_bundled_file_and_refuses_unknown_keys() {
    let output = ecsim(&["schema"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |text: &str| serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap();
    for path in bundled_files() {
        let file = as_json(&std::fs::read_to_string(&path).unwrap());
        let errors: Vec<String> = validator.iter_errors(&file).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    let quickstart = std::fs::read_to_string(super::root().join("scenarios/quickstart.toml")).unwrap();
    assert!(validator.is_valid(&as_json(&quickstart)));
    let sweep = std::fs::read_to_string(super::root().join("scenarios/bench/sweep-1000.toml")).unwrap();
    // (file, what it says, what it says instead, the key a message names)
    for (file, written, instead, named) in [
        (&quickstart, "duration =", "durration =", Some("durration")),
        (&quickstart, "requests_per_task =", "request_per_task =", Some("request_per_task")),
        (&quickstart, "target_value =", "target_valu =", Some("target_valu")),
        (&quickstart, "shape = \"diurnal\"", "shape = \"diurnal\"\npeak_hour = \"14:00\"", None),
        (&sweep, "replications =", "replication =", Some("replication")),
        (&sweep, "name = \"sweep-1000\"", "name = \"sweep-1000\"\nduration = \"1h\"", Some("duration")),
    ] {
        assert!(file.contains(written), "{written}");
        let bad = as_json(&file.replacen(written, instead, 1));
        assert!(!validator.is_valid(&bad), "{instead} passed");
        let said: Vec<String> = validator.iter_errors(&bad).map(|e| e.to_string()).collect();
        if let Some(key) = named {
            assert!(said.iter().any(|m| m.contains(&format!("'{key}'"))), "{instead}: {said:?}");
        }
    }
}

/// `ecsim completions bash` writes a bash completion function whose first word offers every
/// subcommand; the other shells get theirs, and a shell clap_complete does not know is refused.
#[test]
fn completions_offer_the_subcommands() {
    let output = ecsim(&["completions", "bash"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.starts_with("_ecsim() {"), "{script}");
    assert!(script.contains("complete -F _ecsim"), "{script}");
    // The words offered after `ecsim`: its options and subcommands.
    let first = script.lines().find(|l| l.contains("opts=\"") && l.contains("--version")).unwrap();
    let offered: Vec<&str> = first.split('"').nth(1).unwrap().split_whitespace().collect();
    for subcommand in
        ["run", "sweep", "merge", "validate", "schema", "completions", "explain", "compare", "plot", "help"]
    {
        assert!(offered.contains(&subcommand), "{subcommand}: {first}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = ecsim(&["completions", shell]);
        assert!(output.status.success() && output.stdout.len() > 1000, "{shell}: {}", stderr(&output));
    }
    assert_eq!(ecsim(&["completions", "tcsh"]).status.code(), Some(2));
}

/// A warning caused by a sweep's axis is reported at the axis's value in the sweep file,
/// naming the key it sets: the point with a floor of 40 tasks, where quickstart's peak of
/// 400 × 1.5 = 600 req/s needs 600 ÷ (100 × 60 %) = 10.
#[test]
fn a_warning_a_sweep_point_causes_is_reported_at_its_axis() {
    let dir = tempfile::tempdir().unwrap();
    let quickstart = std::fs::read_to_string(super::root().join("scenarios/quickstart.toml")).unwrap();
    write(dir.path(), "quickstart.toml", &quickstart);
    let sweep = "scenario = \"quickstart.toml\"\nname = \"floor\"\n[sweep]\n\
        axes = [\n  { key = \"services.api.min_capacity\", values = [2, 40] },\n  { key = \"services.api.desired_count\", values = [2, 40] },\n]\n\
        zip = [[\"services.api.min_capacity\", \"services.api.desired_count\"]]\n";
    let (_, printed) = warned(dir.path(), "floor.toml", sweep);
    let expected = "line 5: sweep.axes[0] = 40 at services.api.min_capacity: min_capacity 40 keeps at least 40 tasks, but the load's peak (600 req/s) needs 10 at the 60 % CPU target";
    assert_eq!(printed.matches(expected).count(), 1, "{printed}");
    assert_eq!(printed.matches("warning").count(), 1, "{printed}");
}

/// An error in the base of a scenario with two variants is found in all three scenarios, and
/// printed once.
#[test]
fn an_error_in_the_base_is_printed_once_with_variants() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "v.toml",
        r#"version = 1
name = "v"
duration = "1h"
[loads.flat]
shape = "constant"
value = 100.0
[services.web]
load = "flat"
cpu = 500
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 1
max_capacity = 4
[variants.a]
services.web.desired_count = 3
[variants.b]
services.web.desired_count = 4
"#,
    );
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let errors: Vec<String> = stderr(&output).lines().filter(|l| l.starts_with("error")).map(String::from).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("v.toml:9:7: `services.web.cpu`: found 500"), "{}", errors[0]);
}
