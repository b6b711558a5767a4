//! Invariants over random scenarios (proptest): whatever the load and the policies, capacity
//! stays in its range, requests are conserved, and the bill is consistent with the tasks.

use ecsim::scenario::{self, Overrides};
use ecsim::sim::{self, MemoryRecorder};
use proptest::prelude::*;

/// A scenario text from random settings: a noisy diurnal load with a spike, and a service with
/// target tracking on CPU, a step policy on requests per task, and a scheduled action.
#[allow(clippy::too_many_arguments)]
fn scenario_text(
    mean: f64,
    noise: f64,
    spike: f64,
    min: u32,
    span: u32,
    target: f64,
    startup_s: u32,
    step_threshold: f64,
    scheduled_min: u32,
) -> String {
    let max = min + span;
    let desired = min + span / 2;
    let scheduled_min = scheduled_min.min(max);
    format!(
        r#"
version = 1
name = "prop"
duration = "6h"
seed = 9
[loads.l]
shape = "product"
parts = [
  {{ shape = "diurnal", mean = {mean}, amplitude = 0.6, peak = "02:00" }},
  {{ shape = "spike", start = "1h", length = "20m", multiplier = {spike} }},
]
noise = {{ kind = "normal", sd = {noise} }}
[services.s]
load = "l"
cpu = 256
memory = 512
requests_per_task = 50.0
desired_count = {desired}
min_capacity = {min}
max_capacity = {max}
startup = {{ distribution = "uniform", min = "{startup_s}s", max = "{}s" }}
[[services.s.target_tracking]]
metric = "cpu"
target_value = {target}
[[services.s.step_scaling]]
adjustment_type = "PercentChangeInCapacity"
min_adjustment_magnitude = 1
cooldown = "2m"
step_adjustments = [{{ metric_interval_lower_bound = 0.0, scaling_adjustment = 50 }}]
alarm = {{ metric = "requests_per_task", evaluation_periods = 2, comparison_operator = "GreaterThanThreshold", threshold = {step_threshold} }}
[[services.s.scheduled_actions]]
schedule = "cron(0 3 * * ? *)"
min_capacity = {scheduled_min}
"#,
        startup_s + 60
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn capacity_requests_and_cost_stay_consistent(
        mean in 10.0f64..2000.0,
        noise in 0.0f64..0.5,
        spike in 1.0f64..5.0,
        min in 1u32..4,
        span in 1u32..30,
        target in 20.0f64..90.0,
        startup_s in 0u32..120,
        step_threshold in 10.0f64..100.0,
        scheduled_min in 0u32..20,
    ) {
        let text = scenario_text(mean, noise, spike, min, span, target, startup_s, step_threshold, scheduled_min);
        let loaded = scenario::parse(std::path::Path::new("prop.toml"), &text, std::path::Path::new("."), &Overrides::default())
            .expect("the generated scenario is valid");
        let mut recorder = MemoryRecorder::default();
        let outcome = sim::run(&loaded.scenario, &mut recorder);
        let max = min + span;
        let mut cumulative = 0.0;
        for row in &recorder.series {
            // Never more than max_capacity tasks running, and the desired count in range
            // (the scheduled action only raises min within [0, max]).
            prop_assert!(row.running_max <= max);
            prop_assert!(row.desired >= min.min(scheduled_min.min(max)) && row.desired <= max);
            // Served and unserved add up to what was offered; nothing is served twice.
            prop_assert!(row.served_requests <= row.offered_requests * (1.0 + 1e-9) + 1e-6);
            prop_assert!(row.cost_usd >= -1e-12);
            prop_assert!(row.cumulative_cost_usd >= cumulative - 1e-12);
            cumulative = row.cumulative_cost_usd;
        }
        let s = &outcome.services[0];
        // Every running task-millisecond is billed (billing starts at the pull, before RUNNING).
        prop_assert!(s.billed_ms as f64 >= s.running_task_ms as f64 - 1.0);
        prop_assert!(s.cost_usd() >= 0.0);
        prop_assert!((cumulative - s.cost_usd()).abs() < 1e-6);
        prop_assert!((s.served_requests + s.unserved_requests() - s.offered_requests).abs() <= 1e-6 * s.offered_requests.max(1.0));
        // Each decision that won moved the desired count within the range it had then.
        for event in recorder.scaling.iter().filter(|e| e.decision.won) {
            prop_assert!(event.decision.new_desired != event.desired_before);
            prop_assert!(event.decision.new_desired <= max);
        }
    }
}
