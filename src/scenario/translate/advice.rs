//! Warnings for settings that are legal but almost surely not what was meant, worked out
//! on a scenario that has passed every check: a floor above what the load's peak needs, a
//! scale-in cooldown shorter than a task's start-up, a tick longer than a cooldown, and Spot
//! capacity that is never interrupted.

use std::time::Duration;

use super::*;

impl Translator<'_, '_> {
    /// Every warning of this module for `scenario`, translated from `file`.
    pub(super) fn advise(&mut self, file: &ScenarioFile, scenario: &Scenario) {
        let mut peaks: Vec<Option<f64>> = vec![None; scenario.loads.len()];
        for (service, (name, service_file)) in scenario.services.iter().zip(&file.services) {
            let path = KeyPath::root().key("services").key(name);
            self.floor_above_peak(&path, service, scenario, &mut peaks);
            self.cooldowns(&path, service, service_file, scenario.tick_ms, file.tick.is_some());
        }
        self.spot_never_interrupted(file, scenario);
    }

    /// `min_capacity` above the tasks the load's peak needs at the CPU target: the policy can
    /// never scale in to what the load asks for.
    fn floor_above_peak(
        &mut self,
        path: &KeyPath,
        service: &ServiceConfig,
        scenario: &Scenario,
        peaks: &mut [Option<f64>],
    ) {
        let Some(load) = service.load else { return };
        let Some(target) = service.policies.iter().find_map(|p| match &p.kind {
            PolicyKind::TargetTracking(t) if t.metric == Metric::CpuUtilization => Some(t.target_value),
            _ => None,
        }) else {
            return;
        };
        if service.min_capacity == 0 {
            return;
        }
        let shape = &scenario.loads[load].load.shape;
        let run = (scenario.tick_ms, scenario.duration_ms);
        let per_task = service.requests_per_task * target / 100.0;
        // A thousand of the ticks first: most floors are below what one of them needs, and a
        // month of one-minute ticks of a hundred loads is not read for nothing.
        if tasks_needed(peak_rate(shape, run, 1000), per_task) >= u64::from(service.min_capacity) {
            return;
        }
        let peak = *peaks[load].get_or_insert_with(|| peak_rate(shape, run, u64::MAX));
        let need = tasks_needed(peak, per_task);
        if u64::from(service.min_capacity) > need {
            let min = service.min_capacity;
            self.warn(
                &path.key("min_capacity"),
                format!(
                    "min_capacity {min} keeps at least {min} tasks, but the load's peak ({} req/s) needs {need} at the {target} % CPU target (peak ÷ (requests_per_task {} × {target} %), rounded up): the policy never scales in to what the load asks for",
                    number(peak),
                    number(service.requests_per_task),
                ),
            );
        }
    }

    /// Per policy: a scale-in cooldown shorter than a task's start-up, and cooldowns shorter
    /// than a tick that is longer than the one-minute datapoint.
    fn cooldowns(
        &mut self,
        path: &KeyPath,
        service: &ServiceConfig,
        file: &ServiceFile,
        tick_ms: u64,
        tick_given: bool,
    ) {
        let startup_ms = service.startup.median_ms();
        let tracking = service.policies.iter().filter(|p| matches!(p.kind, PolicyKind::TargetTracking(_)));
        let stepping = service.policies.iter().filter(|p| matches!(p.kind, PolicyKind::StepScaling(_)));
        // The policies come in file order, target tracking first (see `policies`).
        let keyed = tracking
            .zip((0..file.target_tracking.len()).map(|i| path.key("target_tracking").index(i)))
            .chain(stepping.zip((0..file.step_scaling.len()).map(|i| path.key("step_scaling").index(i))));
        for (policy, policy_path) in keyed {
            // (key, cooldown, whether it holds back scale-in)
            let cooldowns: Vec<(&str, u64, bool)> = match &policy.kind {
                PolicyKind::TargetTracking(t) if t.disable_scale_in => {
                    vec![("scale_out_cooldown", t.scale_out_cooldown_ms, false)]
                }
                PolicyKind::TargetTracking(t) => vec![
                    ("scale_out_cooldown", t.scale_out_cooldown_ms, false),
                    ("scale_in_cooldown", t.scale_in_cooldown_ms, true),
                ],
                PolicyKind::StepScaling(s) => vec![("cooldown", s.cooldown_ms, scales_in(s))],
            };
            for (key, cooldown_ms, scale_in) in cooldowns {
                let given = self.locator.has(&policy_path.key(key));
                let shown = format!("{}{}", human(cooldown_ms), if given { "" } else { ", the default" });
                if scale_in && cooldown_ms < startup_ms {
                    self.warn(
                        &policy_path.key(key),
                        format!(
                            "{key} {shown} is shorter than a task's start-up ({}, the median of `startup`): the policy can give tasks up faster than new ones start, so a dip in load costs start-ups it does not save",
                            human(startup_ms)
                        ),
                    );
                }
                if cooldown_ms > 0 && tick_ms > cooldown_ms && tick_ms > MS_PER_MINUTE {
                    // Where the fix most likely is: the cooldown if the file gives it, else the tick.
                    let at = if given || !tick_given { policy_path.key(key) } else { KeyPath::root().key("tick") };
                    self.warn(
                        &at,
                        format!(
                            "the tick ({}) is longer than the {key} of {policy_path} ({shown}): policies are evaluated once a tick, so the cooldown lasts a tick",
                            human(tick_ms)
                        ),
                    );
                }
            }
        }
    }

    /// Spot capacity in use with an interruption rate of zero: the run shows Spot's price
    /// without its interruptions.
    fn spot_never_interrupted(&mut self, file: &ScenarioFile, scenario: &Scenario) {
        const WHY: &str = "so the run shows Spot's price without its interruptions";
        let on_fargate_spot =
            scenario.services.iter().find(|s| matches!(&s.launch, Launch::Fargate(f) if f.uses_spot()));
        if let (Some(service), Some(spot)) = (on_fargate_spot, &file.fargate_spot)
            && spot.interruptions_per_task_hour == 0.0
            && spot.storms.iter().all(|storm| storm.interruptions_per_task_hour == 0.0)
        {
            let storms = if spot.storms.is_empty() { "no storm" } else { "none of its storms" };
            self.warn(
                &KeyPath::root().key("fargate_spot").key("interruptions_per_task_hour"),
                format!(
                    "0 interruptions per task-hour and {storms} interrupts: the FARGATE_SPOT tasks of {} are never taken back, {WHY}",
                    service.name
                ),
            );
        }
        for (name, provider) in &file.capacity_providers {
            if provider.spot.as_ref().is_some_and(|spot| spot.interruptions_per_hour == 0.0) {
                self.warn(
                    &KeyPath::root().key("capacity_providers").key(name).key("spot").key("interruptions_per_hour"),
                    format!(
                        "0 interruptions per instance-hour: this group's Spot instances are never interrupted, {WHY}"
                    ),
                );
            }
        }
    }
}

/// The highest rate of `shape` over the run as the simulation samples it, tick by tick
/// (noise aside: it has mean 1), read at about `samples` of the ticks evenly spread (all of
/// them if there are fewer): so a lower bound of the peak, and the peak itself with all.
fn peak_rate(shape: &Shape, (tick, duration): (u64, u64), samples: u64) -> f64 {
    let stride = (duration / tick / samples).max(1) * tick;
    (0..duration).step_by(stride as usize).map(|t| shape.rate(t, tick)).fold(0.0, f64::max)
}

/// Tasks that serve `peak` requests/s at `per_task` each, rounded up (a hair's float error
/// aside: 900 ÷ 60 is 15, not 16).
fn tasks_needed(peak: f64, per_task: f64) -> u64 {
    (peak / per_task - 1e-9).ceil().max(0.0) as u64
}

/// Whether a step policy takes tasks away: a negative step (ExactCapacity sets a count, which
/// may go either way, and is left aside).
fn scales_in(step: &StepScaling) -> bool {
    step.adjustment_type != AdjustmentType::ExactCapacity
        && step.step_adjustments.iter().any(|s| s.scaling_adjustment < 0)
}

fn human(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms)).to_string()
}

/// A rate or count as a person writes it: whole when it is, else to one decimal.
fn number(x: f64) -> String {
    let rounded = format!("{x:.1}");
    rounded.strip_suffix(".0").map_or(rounded.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Delay;

    #[test]
    fn the_tasks_a_peak_needs_are_rounded_up_but_not_for_float_error() {
        // 900 req/s at 100 × 60 % = 60 per task: 15 tasks exactly; 901 needs a 16th.
        assert_eq!(tasks_needed(900.0, 100.0 * 60.0 / 100.0), 15);
        assert_eq!(tasks_needed(901.0, 60.0), 16);
        assert_eq!(tasks_needed(0.0, 60.0), 0);
    }

    #[test]
    fn the_peak_is_read_at_every_tick_and_a_thousand_of_them_give_a_lower_bound() {
        // 100 req/s for 30 days of one-minute ticks, 900 during minute 1001 alone: the
        // thousand ticks read (every 43rd) miss it, all of them do not.
        let minute = MS_PER_MINUTE;
        let spike = Shape::Spike { start_ms: 1001 * minute, length_ms: minute, multiplier: 9.0 };
        let load = Shape::Product { parts: vec![Shape::Constant { value: 100.0 }, spike] };
        let month = (minute, 30 * 24 * 60 * minute);
        assert_eq!(peak_rate(&load, month, 1000), 100.0);
        assert_eq!(peak_rate(&load, month, u64::MAX), 900.0);
    }

    #[test]
    fn a_start_up_is_read_at_its_median() {
        assert_eq!(Delay::Uniform { min_ms: 30_000, max_ms: 60_000 }.median_ms(), 45_000);
        assert_eq!(Delay::LogNormal { median_ms: 40_000, sigma: 0.5 }.median_ms(), 40_000);
        assert_eq!(Delay::Normal { mean_ms: 50_000, sd_ms: 5_000 }.median_ms(), 50_000);
    }

    #[test]
    fn numbers_are_whole_when_they_are() {
        assert_eq!(number(900.0), "900");
        assert_eq!(number(67.54), "67.5");
        assert_eq!(number(0.04), "0");
    }
}
