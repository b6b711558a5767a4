//! Sweep plans worked out by hand: points, zips, ranges, where errors land.

use super::*;
use crate::config::Launch;
use crate::scaling::PolicyKind;

const SCENARIO: &str = r#"version = 1
name = "api-sweep"
duration = "1h"
seed = 7

[loads.web]
shape = "constant"
value = 300.0

[fargate_spot]
interruptions_per_task_hour = 0.0

[services.api]
load = "web"
launch_type = "FARGATE"
cpu = 512
memory = 1024
requests_per_task = 100.0
desired_count = 2
min_capacity = 1
max_capacity = 20

[[services.api.target_tracking]]
metric = "cpu"
target_value = 60.0
"#;

/// Writes `text` as `name` in a new folder and plans its sweep.
fn plan(name: &str, files: &[(&str, &str)]) -> Result<SweepPlan, ScenarioError> {
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in files {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    load_sweep(&dir.path().join(name), &Overrides::default(), None)
}

fn with_sweep(sweep: &str) -> String {
    format!("{SCENARIO}\n{sweep}")
}

#[test]
fn points_are_the_product_of_the_axes_with_zipped_axes_moving_together() {
    let text = with_sweep(
        r#"[sweep]
replications = 3
axes = [
  { key = "services.api.target_tracking[0].target_value", values = [40.0, 60.0, 80.0] },
  { key = "services.api.cpu", values = [512, 1024] },
  { key = "services.api.memory", values = [1024, 2048] },
]
zip = [["services.api.cpu", "services.api.memory"]]
"#,
    );
    let plan = plan("s.toml", &[("s.toml", &text)]).unwrap();
    assert_eq!(plan.replications, 3);
    assert_eq!(plan.name, "api-sweep");
    assert_eq!(plan.variants, ["base"]);
    // The first axis changes slowest; cpu and memory take their values together.
    let expected: Vec<Vec<usize>> =
        vec![vec![0, 0, 0], vec![0, 1, 1], vec![1, 0, 0], vec![1, 1, 1], vec![2, 0, 0], vec![2, 1, 1]];
    assert_eq!(plan.points, expected);
    assert_eq!(plan.axes[0].key, "services.api.target_tracking[0].target_value");
    assert_eq!(plan.axes[0].labels, ["40.0", "60.0", "80.0"]);
    assert_eq!(
        plan.describe(3),
        "services.api.target_tracking[0].target_value = 60.0, services.api.cpu = 1024, services.api.memory = 2048"
    );

    // Point 3 is built with its values, and replication k gets the documented seed.
    let scenario = plan.scenario(0, 3, 0).unwrap();
    let api = &scenario.services[0];
    assert_eq!((api.cpu, api.memory), (1024, 2048));
    assert!(matches!(&api.policies[0].kind, PolicyKind::TargetTracking(t) if t.target_value == 60.0));
    assert_eq!(scenario.seed, 7);
    assert_eq!(plan.scenario(0, 3, 2).unwrap().seed, replication_seed(7, 2));
}

#[test]
fn ranges_count_from_to_inclusive_without_float_drift() {
    let f = toml::Value::Float;
    let i = toml::Value::Integer;
    assert_eq!(range(&f(40.0), &f(80.0), &f(10.0)).unwrap(), [40.0, 50.0, 60.0, 70.0, 80.0].map(f).to_vec());
    // 0.1 + 2 × 0.1 is 0.30000000000000004 in binary; the range gives 0.3 as written.
    assert_eq!(range(&f(0.1), &f(0.5), &f(0.1)).unwrap(), [0.1, 0.2, 0.3, 0.4, 0.5].map(f).to_vec());
    assert_eq!(range(&i(256), &i(1024), &i(256)).unwrap(), [256, 512, 768, 1024].map(i).to_vec());
    // A step that does not land on `to` stops below it.
    assert_eq!(range(&i(1), &i(10), &i(4)).unwrap(), [1, 5, 9].map(i).to_vec());
    assert!(range(&i(1), &i(10), &i(0)).unwrap_err().contains("step above 0"));
    assert!(range(&f(1.0), &f(0.0), &f(0.5)).unwrap_err().contains("`to` ≥ `from`"));
    assert!(range(&i(0), &i(1_000_000), &i(1)).unwrap_err().contains("at most 10000"));
    assert!(range(&f(0.0), &f(1e300), &f(1e-300)).unwrap_err().contains("more than 10000 values"));
}

#[test]
fn an_axis_value_that_is_wrong_is_reported_at_the_value() {
    let text = with_sweep(
        r#"[sweep]
axes = [
  { key = "services.api.target_tracking[0].target_value", values = [50.0, 60.0] },
  { key = "services.api.cpu", values = [512,
                                       0] },
]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert!(p.message.starts_with("sweep.axes[1] = 0 at services.api.cpu: found 0"), "{}", p.message);
    let line = text.lines().position(|l| l.trim() == "0] },").unwrap() + 1;
    assert_eq!((p.line, p.source_line.trim()), (line, "0] },"));
    assert!(p.file.ends_with("s.toml"));
}

#[test]
fn an_axis_value_of_the_wrong_type_is_blamed_on_the_value() {
    let text = with_sweep(
        r#"[sweep]
axes = [{ key = "services.api.cpu", values = [512, "big"] }]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(
        err.problems[0]
            .message
            .starts_with("sweep.axes[0] = big at services.api.cpu: found the text \"big\"; expected a whole number"),
        "{err}"
    );
}

#[test]
fn an_axis_key_must_lead_to_a_place_the_scenario_has() {
    let cases = [
        ("services.apx.cpu", "`services` has no `apx` (it has: api)"),
        (
            "services.api.target_tracking[1].target_value",
            "`services.api.target_tracking` has 1 item(s) in the scenario; there is no [1]",
        ),
        ("services.api.cpu.units", "`services.api.cpu` is a single value"),
        ("seed", "an axis cannot set `seed`: replications vary it"),
        ("services..cpu", "is not a key path"),
    ];
    for (key, expected) in cases {
        let text = with_sweep(&format!("[sweep]\naxes = [{{ key = \"{key}\", values = [1] }}]\n"));
        let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
        assert!(err.to_string().contains(expected), "{key}: {err}");
        assert_eq!(err.problems[0].key, "sweep.axes[0].key", "{key}");
    }
}

#[test]
fn zipped_axes_need_as_many_values_and_must_be_axes() {
    let text = with_sweep(
        r#"[sweep]
axes = [
  { key = "services.api.cpu", values = [512, 1024] },
  { key = "services.api.memory", values = [1024, 2048, 4096] },
]
zip = [["services.api.cpu", "services.api.memory"]]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert!(err.to_string().contains("`services.api.memory` has 3 values and `services.api.cpu` has 2"), "{err}");
    let text = with_sweep(
        r#"[sweep]
axes = [{ key = "services.api.cpu", values = [512, 1024] }]
zip = [["services.api.cpu", "services.api.memory"]]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert!(err.to_string().contains("`services.api.memory` is not the key of an axis"), "{err}");
}

#[test]
fn a_problem_two_values_make_together_names_the_point() {
    // 512 CPU units take 1–4 GB; 2048 units take 4–16 GB: memory 1024 with cpu 2048 is not a
    // Fargate size (reference §5.1). Memory is not swept, so the problem is at its key.
    let text = with_sweep("[sweep]\naxes = [{ key = \"services.api.cpu\", values = [512, 2048] }]\n");
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.key, "services.api.memory");
    assert!(p.message.ends_with("(at sweep point 1: services.api.cpu = 2048)"), "{}", p.message);
}

#[test]
fn every_variant_is_swept_and_the_axis_wins_over_the_variant() {
    let text = with_sweep(
        r#"[variants.spot.services.api]
capacity_provider_strategy = [{ capacity_provider = "FARGATE_SPOT" }]
cpu = 1024

[sweep]
axes = [{ key = "services.api.cpu", values = [256, 512], labels = ["quarter", "half"] }]
"#,
    )
    .replacen("launch_type = \"FARGATE\"\n", "", 1);
    let plan = plan("s.toml", &[("s.toml", &text)]).unwrap();
    assert_eq!(plan.variants, ["base", "spot"]);
    assert_eq!(plan.axes[0].labels, ["quarter", "half"]);
    let spot = plan.scenario(1, 1, 0).unwrap();
    assert_eq!(spot.variant.as_deref(), Some("spot"));
    assert_eq!(spot.services[0].cpu, 512);
    assert!(matches!(&spot.services[0].launch, Launch::Fargate(f) if f.uses_spot()));
    let base = plan.scenario(0, 0, 0).unwrap();
    assert_eq!((base.variant, base.services[0].cpu), (None, 256));
    assert!(matches!(&base.services[0].launch, Launch::Fargate(f) if !f.uses_spot()));
}

#[test]
fn a_sweep_file_names_its_scenario_and_may_name_its_results() {
    let sweep = r#"scenario = "api.toml"
name = "api-targets"

[sweep]
replications = 2
axes = [{ key = "services.api.target_tracking[0].target_value", from = 40.0, to = 80.0, step = 20.0 }]
"#;
    let plan = plan("sweep.toml", &[("api.toml", SCENARIO), ("sweep.toml", sweep)]).unwrap();
    assert_eq!(plan.name, "api-targets");
    assert_eq!(plan.points.len(), 3);
    assert_eq!(plan.axes[0].labels, ["40.0", "60.0", "80.0"]);

    let stray = "scenario = \"api.toml\"\nduration = \"2h\"\n[sweep]\naxes = []\n";
    let err = self::plan("sweep.toml", &[("api.toml", SCENARIO), ("sweep.toml", stray)]).unwrap_err();
    assert!(err.to_string().contains("`duration` belongs in the scenario"), "{err}");
}

#[test]
fn no_axes_is_one_point_replicated() {
    let plan = plan("s.toml", &[("s.toml", &with_sweep("[sweep]\nreplications = 5\n"))]).unwrap();
    assert_eq!(plan.points, vec![Vec::<usize>::new()]);
    assert_eq!(plan.describe(0), "the scenario as written");
}

#[test]
fn too_many_runs_are_refused_before_anything_is_built() {
    let text = with_sweep(
        r#"[sweep]
replications = 10000
axes = [{ key = "services.api.target_tracking[0].target_value", from = 1, to = 200, step = 1 }]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert!(err.to_string().contains("200 points × 1 variant(s) × 10000 replication(s) = 2000000 runs"), "{err}");
}

#[test]
fn a_problem_inside_a_list_value_says_where_in_it() {
    let text = with_sweep(
        r#"[sweep]
axes = [{ key = "services.api.capacity_provider_strategy", values = [
  [{ capacity_provider = "FARGATE" }],
  [{ capacity_provider = "FARGATE", base = 1 }, { capacity_provider = "FARGATE_SPOT", weight = -3 }],
] }]
"#,
    )
    .replacen("launch_type = \"FARGATE\"\n", "", 1);
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("at services.api.capacity_provider_strategy[1].weight: found -3"), "{message}");
}

#[test]
fn an_axis_takes_each_value_once_and_a_swept_variant_keeps_the_seed() {
    let twice = with_sweep("[sweep]\naxes = [{ key = \"services.api.cpu\", values = [512, 256, 512] }]\n");
    let err = plan("s.toml", &[("s.toml", &twice)]).unwrap_err();
    assert!(err.to_string().contains("the value 512 comes twice"), "{err}");
    let labels =
        with_sweep("[sweep]\naxes = [{ key = \"services.api.cpu\", values = [512, 256], labels = [\"a\", \"a\"] }]\n");
    assert!(plan("s.toml", &[("s.toml", &labels)]).unwrap_err().to_string().contains("the label a comes twice"));
    let seeded = with_sweep("[variants.other]\nseed = 9\n\n[sweep]\nreplications = 2\n");
    let err = plan("s.toml", &[("s.toml", &seeded)]).unwrap_err();
    assert!(err.to_string().contains("a swept variant cannot set `seed`"), "{err}");
}

#[test]
fn an_unknown_last_key_is_reported_once_at_the_key() {
    let text = with_sweep(
        "[sweep]\naxes = [{ key = \"services.api.target_tracking[0].target_valu\", from = 1, to = 500, step = 1 }]\n",
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].key, "sweep.axes[0].key");
    assert!(err.problems[0].message.contains("unknown key `target_valu`; did you mean `target_value`?"), "{err}");
}

#[test]
fn a_sweep_too_big_is_refused_before_its_points_are_listed() {
    // 10,000³ points would not fit in memory; the count is refused first.
    let text = with_sweep(
        r#"[sweep]
axes = [
  { key = "services.api.target_tracking[0].target_value", from = 1, to = 10000, step = 1 },
  { key = "services.api.desired_count", from = 1, to = 10000, step = 1 },
  { key = "services.api.max_capacity", from = 1, to = 10000, step = 1 },
]
"#,
    );
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert!(err.to_string().contains("1000000000000 points"), "{err}");
}

#[test]
fn a_problem_of_the_only_point_still_names_it() {
    let text = with_sweep("[sweep]\naxes = [{ key = \"services.api.cpu\", values = [4096] }]\n");
    let err = plan("s.toml", &[("s.toml", &text)]).unwrap_err();
    assert!(err.to_string().contains("(at sweep point 0: services.api.cpu = 4096)"), "{err}");
}
