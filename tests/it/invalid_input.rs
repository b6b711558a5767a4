//! Bad scenarios: each is refused before anything runs, with the file, line, key and what was
//! expected, exit code 2, and no output written.

use crate::*;

const BASE: &str = r#"version = 1
name = "bad"
duration = "1h"
tick = "1m"

[loads.web]
shape = "constant"
value = 100.0

[services.api]
load = "web"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 1
max_capacity = 10

[[services.api.target_tracking]]
metric = "cpu"
target_value = 60.0
"#;

/// An EC2 service on an Auto Scaling group capacity provider: the provider's table is line 9,
/// the service's line 15.
const EC2_BASE: &str = r#"version = 1
name = "bad-ec2"
duration = "1h"

[loads.web]
shape = "constant"
value = 100.0

[capacity_providers.asg]
instance_types = ["m6i.large"]
min_size = 0
max_size = 10
managed_scaling = { target_capacity = 90 }

[services.api]
load = "web"
capacity_provider_strategy = [{ capacity_provider = "asg" }]
placement_constraints = [{ type = "memberOf", expression = "attribute:ecs.instance-type =~ m6i.*" }]
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 1
max_capacity = 10
"#;

/// (what is wrong, the base with one line replaced, the line reported, what stderr must say)
fn cases() -> Vec<(&'static str, String, usize, Vec<&'static str>)> {
    let with = |from: &str, to: &str| {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    };
    let ec2 = |from: &str, to: &str| {
        assert!(EC2_BASE.contains(from), "{from}");
        EC2_BASE.replacen(from, to, 1)
    };
    vec![
        (
            "an instance type missing from the catalog",
            ec2("\"m6i.large\"]", "\"x9.huge\"]"),
            10,
            vec!["`capacity_providers.asg.instance_types[0]`", "\"x9.huge\", which is not in the instance catalog"],
        ),
        (
            "a task larger than every instance type",
            ec2("cpu = 512", "cpu = 8192"),
            19,
            vec![
                "`services.api.cpu`",
                "larger than every instance type",
                "m6i.large, registers 2048 units and 7979 MiB",
            ],
        ),
        (
            "a malformed query expression",
            ec2("=~ m6i.*", "= m6i.*"),
            18,
            vec!["`services.api.placement_constraints[0].expression`", "expected an operator"],
        ),
        (
            "max_size < min_size",
            ec2("min_size = 0", "min_size = 20"),
            11,
            vec!["`capacity_providers.asg.min_size`", "found 20, greater than max_size (10)"],
        ),
        (
            "target capacity out of range",
            ec2("target_capacity = 90", "target_capacity = 0"),
            13,
            vec!["`capacity_providers.asg.managed_scaling.target_capacity`", "from 1 to 100"],
        ),
        (
            "an unknown capacity provider",
            ec2("capacity_provider = \"asg\"", "capacity_provider = \"nope\""),
            17,
            vec![
                "`services.api.capacity_provider_strategy[0].capacity_provider`",
                "not a capacity provider",
                "defined: FARGATE, FARGATE_SPOT, asg",
            ],
        ),
        (
            "Spot without a price",
            ec2("managed_scaling = { target_capacity = 90 }", "spot = { interruptions_per_hour = 0.1 }"),
            13,
            vec!["`capacity_providers.asg.spot`", "give the Spot price"],
        ),
        (
            "two bases in a strategy",
            with(
                "cpu = 512",
                "capacity_provider_strategy = [{ capacity_provider = \"FARGATE\", base = 1 }, { capacity_provider = \"FARGATE_SPOT\", base = 2 }]\ncpu = 512",
            ),
            12,
            vec![
                "`services.api.capacity_provider_strategy[1].base`",
                "only one provider of a strategy may have a base",
            ],
        ),
        (
            "all weights zero",
            with(
                "cpu = 512",
                "capacity_provider_strategy = [{ capacity_provider = \"FARGATE\", weight = 0 }]\ncpu = 512",
            ),
            12,
            vec!["`services.api.capacity_provider_strategy`", "every weight is 0"],
        ),
        (
            "Fargate mixed with an Auto Scaling group provider",
            ec2(
                "[{ capacity_provider = \"asg\" }]",
                "[{ capacity_provider = \"asg\" }, { capacity_provider = \"FARGATE\" }]",
            ),
            17,
            vec!["`services.api.capacity_provider_strategy`", "never both"],
        ),
        (
            "a host port the agent reserves",
            ec2("cpu = 512", "host_port = 51678\ncpu = 512"),
            19,
            vec!["`services.api.host_port`", "reserves"],
        ),
        ("unknown key", with("cpu = 512", "cpuu = 512"), 12, vec!["unknown key `cpuu`; did you mean `cpu`?"]),
        (
            "dangling load",
            with("load = \"web\"", "load = \"nope\""),
            11,
            vec!["`services.api.load`", "\"nope\", which is not a load", "defined loads: web"],
        ),
        (
            "min > max",
            with("min_capacity = 1", "min_capacity = 20"),
            16,
            vec!["`services.api.min_capacity`", "found 20, greater than max_capacity (10)"],
        ),
        (
            "desired outside",
            with("desired_count = 2", "desired_count = 11"),
            15,
            vec!["`services.api.desired_count`", "within [min_capacity, max_capacity] = [1, 10]"],
        ),
        ("zero duration", with("duration = \"1h\"", "duration = \"0s\""), 3, vec!["`duration`", "greater than zero"]),
        ("negative duration", with("duration = \"1h\"", "duration = \"-5m\""), 3, vec!["`duration`", "not a duration"]),
        (
            "NaN rate",
            with("value = 100.0", "value = nan"),
            8,
            vec!["`loads.web.value`", "found NaN; expected a finite number ≥ 0"],
        ),
        ("negative rate", with("value = 100.0", "value = -3.0"), 8, vec!["`loads.web.value`", "found -3"]),
        (
            "a tick that does not divide a minute",
            with("tick = \"1m\"", "tick = \"7s\""),
            4,
            vec!["`tick`", "divides a minute"],
        ),
        ("a tick longer than an hour", with("tick = \"1m\"", "tick = \"2h\""), 4, vec!["`tick`"]),
        (
            "a duration that is not whole ticks",
            with("tick = \"1m\"", "tick = \"1m\"\nseries_interval = \"90s\""),
            5,
            vec!["`series_interval`", "whole number of ticks"],
        ),
        (
            "Fargate memory not allowed for the CPU",
            with("memory = 1024", "memory = 512"),
            13,
            vec!["`services.api.memory`", "with cpu = 512 Fargate allows memory (MiB) of 1024, 2048, 3072, 4096"],
        ),
        (
            "16 vCPU memory off the 8 GB steps",
            with("cpu = 512\nmemory = 1024", "cpu = 16384\nmemory = 36864"),
            13,
            vec!["32768, 40960"],
        ),
        ("Fargate CPU not a size", with("cpu = 512", "cpu = 300"), 12, vec!["`services.api.cpu`", "256, 512, 1024"]),
        (
            "unknown metric",
            with("metric = \"cpu\"", "metric = \"latency\""),
            20,
            vec!["`services.api.target_tracking[0].metric`", "\"latency\", which is not a metric"],
        ),
        (
            "unknown shape",
            with("shape = \"constant\"", "shape = \"sine\""),
            7,
            vec![
                "unknown value `sine`; expected one of `constant`, `ramp`, `step`, `diurnal`, `spike`, `trace`, `sum`, `product`",
            ],
        ),
        (
            "missing trace file",
            with("shape = \"constant\"\nvalue = 100.0", "shape = \"trace\"\nfile = \"missing.csv\"\nbucket = \"1m\""),
            0,
            vec!["missing.csv", "cannot read the file"],
        ),
        (
            "target above 100 %",
            with("target_value = 60.0", "target_value = 160.0"),
            21,
            vec!["`services.api.target_tracking[0].target_value`"],
        ),
        (
            "stop timeout beyond Fargate's range",
            with("max_capacity = 10", "max_capacity = 10\nstop_timeout = \"5m\""),
            18,
            vec!["2s to 120s"],
        ),
        (
            "a region without built-in prices",
            with("tick = \"1m\"", "tick = \"1m\"\nregion = \"eu-west-1\""),
            5,
            vec!["`region`", "built-in Fargate prices for us-east-1 only"],
        ),
        (
            "ALB requests tracked without a load balancer",
            with("metric = \"cpu\"", "metric = \"alb_requests_per_target\""),
            10,
            vec!["`services.api.load_balancer`", "needs a [services.NAME.load_balancer] table"],
        ),
        (
            "overlapping step bounds",
            format!(
                "{BASE}{}",
                step_policy(
                    "{ metric_interval_lower_bound = 0.0, metric_interval_upper_bound = 20.0, scaling_adjustment = 1 }, { metric_interval_lower_bound = 10.0, scaling_adjustment = 2 }"
                )
            ),
            25,
            vec!["`services.api.step_scaling[0].step_adjustments`", "steps overlap between 10 and 20"],
        ),
        (
            "gapped step bounds",
            format!(
                "{BASE}{}",
                step_policy(
                    "{ metric_interval_lower_bound = 0.0, metric_interval_upper_bound = 10.0, scaling_adjustment = 1 }, { metric_interval_lower_bound = 15.0, scaling_adjustment = 2 }"
                )
            ),
            25,
            vec!["a gap between 10 and 15"],
        ),
        (
            "unknown alarm metric",
            format!(
                "{BASE}{}",
                step_policy("{ metric_interval_lower_bound = 0.0, scaling_adjustment = 1 }")
                    .replace("backlog_per_task", "queue_depth")
            ),
            26,
            vec!["`services.api.step_scaling[0].alarm.metric`", "\"queue_depth\", which is not a metric"],
        ),
        (
            "malformed cron",
            format!("{BASE}{}", action("cron(0 9 * * MON-FRI *)", "UTC", "min_capacity = 3")),
            24,
            vec!["`services.api.scheduled_actions[0].schedule`", "exactly one of Day-of-month and Day-of-week"],
        ),
        (
            "unknown time zone",
            format!("{BASE}{}", action("cron(0 9 ? * MON-FRI *)", "Mars/Olympus_Mons", "min_capacity = 3")),
            25,
            vec!["`services.api.scheduled_actions[0].timezone`", "not an IANA time zone"],
        ),
        (
            "min > max in an action",
            format!("{BASE}{}", action("rate(1 hour)", "UTC", "min_capacity = 9\nmax_capacity = 3")),
            26,
            vec![
                "`services.api.scheduled_actions[0].min_capacity`",
                "found 9, greater than the action's max_capacity (3)",
            ],
        ),
    ]
}

/// A step-scaling table on the backlog per task, appended to `BASE`: its header is line 23,
/// `step_adjustments` line 25, `alarm` line 26.
fn step_policy(steps: &str) -> String {
    format!(
        "\n[[services.api.step_scaling]]\nadjustment_type = \"ChangeInCapacity\"\nstep_adjustments = [{steps}]\nalarm = {{ metric = \"backlog_per_task\", evaluation_periods = 1, comparison_operator = \"GreaterThanThreshold\", threshold = 10.0 }}\n"
    )
}

/// A scheduled action appended to `BASE`: its header is line 23, `schedule` line 24,
/// `timezone` line 25, the settings from line 26.
fn action(schedule: &str, timezone: &str, settings: &str) -> String {
    format!("\n[[services.api.scheduled_actions]]\nschedule = \"{schedule}\"\ntimezone = \"{timezone}\"\n{settings}\n")
}

#[test]
fn every_bad_scenario_is_refused_with_its_place_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, text, line, fragments)) in cases().into_iter().enumerate() {
        let file = dir.path().join(format!("case{i}.toml"));
        std::fs::write(&file, &text).unwrap();
        let out = dir.path().join(format!("out{i}"));
        for args in [
            vec!["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()],
            vec!["validate", file.to_str().unwrap()],
        ] {
            let output = ecsim(&args);
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{what}: {err}");
            assert!(!err.contains("panicked"), "{what}: {err}");
            let place = if line > 0 { format!("case{i}.toml:{line}:") } else { String::new() };
            assert!(err.contains(&place), "{what}: expected {place} in\n{err}");
            for fragment in &fragments {
                assert!(err.contains(fragment), "{what}: expected {fragment:?} in\n{err}");
            }
        }
        assert!(!out.exists(), "{what}: output was written");
    }
}

#[test]
fn several_problems_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.toml");
    std::fs::write(
        &file,
        BASE.replace("min_capacity = 1", "min_capacity = 20").replace("value = 100.0", "value = -1.0"),
    )
    .unwrap();
    let err = stderr(&ecsim(&["validate", file.to_str().unwrap()]));
    assert!(err.contains("two.toml:8:") && err.contains("two.toml:16:"), "{err}");
}

#[test]
fn a_cpu_tracked_service_that_may_reach_zero_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zero.toml");
    std::fs::write(&file, BASE.replace("min_capacity = 1", "min_capacity = 0")).unwrap();
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert!(output.status.success());
    assert!(stderr(&output).contains("warning:") && stderr(&output).contains("cannot scale it out from zero"));
}

/// An instance type not in the catalog is the one error: the service that would run on it is
/// not also told its CPU architecture has no instance type.
#[test]
fn an_unknown_instance_type_is_reported_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/ec2-binpack.toml")).unwrap();
    let file = dir.path().join("bad-type.toml");
    std::fs::write(&file, text.replace("\"m6i.xlarge\"", "\"m6i.xlarg\"")).unwrap();
    let output = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let errors: Vec<String> = stderr(&output).lines().filter(|l| l.starts_with("error")).map(String::from).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("\"m6i.xlarg\", which is not in the instance catalog"), "{}", errors[0]);
}
