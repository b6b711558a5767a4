//! Target tracking for ECS services (reference §1).
//!
//! Each policy owns two alarms that AAS would create: AlarmHigh, metric > target for 3 of 3
//! one-minute datapoints, and AlarmLow, metric < 0.9 × target for 15 of 15 (AWS does not
//! document these; an AWS workshop and GitHub reports give them, §1.2 and §11.2, so they are
//! settings). While an alarm stays in ALARM, the policy is invoked every minute.
//!
//! The new capacity is `ceil(running × metric / target)`, clamped to [min, max] (§1.3; the
//! formula is not published, this is the model consistent with every AWS example). Several
//! policies combine as AWS documents (§1.6): scale out if any wants to, scale in only if all
//! scale-in-enabled ones do, and the largest capacity wins.

use serde::Serialize;

use super::{Alarm, AlarmState, CapacityView, Comparison};
use crate::engine::SimTime;

/// The count a policy scales from (§1.3, §11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleFrom {
    /// ECS's documented rule: "the actual running task count … is the value that Service Auto
    /// Scaling uses as its starting point, as opposed to the desired count". A scale-out during
    /// the scale-out cooldown still happens when it asks for more than the desired count the
    /// earlier one set ("a larger scale out"), so the cooldown adds no further delay.
    RunningCount,
    /// The desired count, as AAS treats most other targets: scale-outs wait for the scale-out
    /// cooldown to end, since the capacity in flight is not yet in the metric.
    DesiredCount,
}

/// One target-tracking policy's settings, with AWS's defaults filled in.
#[derive(Clone, Debug, Serialize)]
pub struct TargetTracking {
    /// The AWS predefined metric name, e.g. `ECSServiceAverageCPUUtilization`.
    pub metric: &'static str,
    pub target_value: f64,
    /// Default 300 s for ECS services (§1.4).
    pub scale_out_cooldown_ms: u64,
    /// Default 300 s for ECS services (§1.4).
    pub scale_in_cooldown_ms: u64,
    pub disable_scale_in: bool,
    pub scale_from: ScaleFrom,
    /// Datapoints (of as many minutes) above target for AlarmHigh: 3 (§1.2).
    pub scale_out_datapoints: u32,
    /// Datapoints (of as many minutes) below the scale-in threshold for AlarmLow: 15 (§1.2).
    pub scale_in_datapoints: u32,
    /// AlarmLow threshold as a fraction of the target: 0.9 (§1.2).
    pub scale_in_threshold_ratio: f64,
}

/// The pair of alarms AAS creates for one policy, and the newest datapoint they saw.
#[derive(Clone, Debug)]
pub struct TargetTrackingAlarms {
    pub high: Alarm,
    pub low: Alarm,
    pub latest: Option<f64>,
}

impl TargetTrackingAlarms {
    pub fn new(policy: &TargetTracking) -> Self {
        let n_high = policy.scale_out_datapoints;
        let n_low = policy.scale_in_datapoints;
        TargetTrackingAlarms {
            high: Alarm::new(policy.target_value, Comparison::GreaterThanThreshold, n_high, n_high),
            low: Alarm::new(
                policy.target_value * policy.scale_in_threshold_ratio,
                Comparison::LessThanThreshold,
                n_low,
                n_low,
            ),
            latest: None,
        }
    }

    pub fn push(&mut self, datapoint: Option<f64>) {
        self.high.push(datapoint);
        self.low.push(datapoint);
        self.latest = datapoint;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Out,
    In,
}

/// What kept a decision from the capacity its formula asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    MinCapacity,
    MaxCapacity,
    ScaleOutCooldown,
    ScaleInCooldown,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::MinCapacity => "min_capacity",
            Limit::MaxCapacity => "max_capacity",
            Limit::ScaleOutCooldown => "scale_out_cooldown",
            Limit::ScaleInCooldown => "scale_in_cooldown",
        }
    }
}

/// A policy evaluation worth recording: it changed the desired count, or a cooldown stopped
/// it from doing so (then `new_desired` equals the current desired count).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub direction: Direction,
    /// Index of the winning policy.
    pub policy: usize,
    /// The datapoint the formula used.
    pub metric: f64,
    /// The count the formula scaled from.
    pub base: u32,
    /// `ceil(base × metric / target)` before clamping.
    pub proposed: u32,
    pub new_desired: u32,
    pub limited_by: Option<Limit>,
}

/// `ceil(base × metric / target)`. A relative tolerance of 1e-9 keeps a metric that is equal
/// to a round ratio up to floating-point noise from adding a task.
pub fn proposed_capacity(base: u32, metric: f64, target: f64) -> u32 {
    let exact = f64::from(base) * metric / target;
    (exact - exact.abs() * 1e-9).ceil().max(0.0) as u32
}

fn clamp_with_limit(proposed: u32, view: &CapacityView) -> (u32, Option<Limit>) {
    if proposed > view.max_capacity {
        (view.max_capacity, Some(Limit::MaxCapacity))
    } else if proposed < view.min_capacity {
        (view.min_capacity, Some(Limit::MinCapacity))
    } else {
        (proposed, None)
    }
}

fn in_cooldown(last: Option<SimTime>, cooldown_ms: u64, now: SimTime) -> bool {
    last.is_some_and(|at| now < at.after(cooldown_ms))
}

/// Evaluates every target-tracking policy of a service after a new datapoint.
pub fn evaluate_target_tracking(
    policies: &[TargetTracking],
    alarms: &[TargetTrackingAlarms],
    view: &CapacityView,
) -> Option<Decision> {
    let candidate = |i: usize, direction: Direction| -> Option<Decision> {
        let policy = &policies[i];
        let metric = alarms[i].latest?;
        let base = match policy.scale_from {
            ScaleFrom::RunningCount => view.running,
            ScaleFrom::DesiredCount => view.desired,
        };
        let proposed = proposed_capacity(base, metric, policy.target_value);
        let (new_desired, limited_by) = clamp_with_limit(proposed, view);
        Some(Decision { direction, policy: i, metric, base, proposed, new_desired, limited_by })
    };
    let largest = |a: Option<Decision>, b: Decision| match a {
        Some(a) if a.new_desired >= b.new_desired => Some(a),
        _ => Some(b),
    };

    // Scale out if any policy's AlarmHigh is in ALARM.
    let scale_out = (0..policies.len())
        .filter(|&i| alarms[i].high.state() == AlarmState::Alarm)
        .filter_map(|i| candidate(i, Direction::Out))
        .fold(None, largest);
    if let Some(mut decision) = scale_out {
        if decision.new_desired <= view.desired {
            return None; // a scale-out never lowers the desired count
        }
        let policy = &policies[decision.policy];
        if policy.scale_from == ScaleFrom::DesiredCount
            && in_cooldown(view.last_scale_out, policy.scale_out_cooldown_ms, view.now)
        {
            decision.new_desired = view.desired;
            decision.limited_by = Some(Limit::ScaleOutCooldown);
        }
        return Some(decision);
    }

    // Scale in only if every scale-in-enabled policy (there must be one) has AlarmLow in ALARM.
    let mut enabled = (0..policies.len()).filter(|&i| !policies[i].disable_scale_in).peekable();
    enabled.peek()?;
    if enabled.clone().any(|i| alarms[i].low.state() != AlarmState::Alarm) {
        return None;
    }
    let mut decision = enabled.filter_map(|i| candidate(i, Direction::In)).fold(None, largest)?;
    if decision.new_desired >= view.desired {
        return None; // at (or below) min already: nothing to remove
    }
    let cooldown = policies[decision.policy].scale_in_cooldown_ms;
    if in_cooldown(view.last_scale_in, cooldown, view.now) {
        decision.new_desired = view.desired;
        decision.limited_by = Some(Limit::ScaleInCooldown);
    }
    Some(decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(target: f64) -> TargetTracking {
        TargetTracking {
            metric: "ECSServiceAverageCPUUtilization",
            target_value: target,
            scale_out_cooldown_ms: 300_000,
            scale_in_cooldown_ms: 300_000,
            disable_scale_in: false,
            scale_from: ScaleFrom::RunningCount,
            scale_out_datapoints: 3,
            scale_in_datapoints: 15,
            scale_in_threshold_ratio: 0.9,
        }
    }

    fn view(running: u32, desired: u32) -> CapacityView {
        CapacityView {
            now: SimTime::from_millis(3_600_000),
            running,
            desired,
            min_capacity: 2,
            max_capacity: 50,
            last_scale_out: None,
            last_scale_in: None,
        }
    }

    /// Evaluates a single policy.
    fn one(p: &TargetTracking, a: &TargetTrackingAlarms, v: &CapacityView) -> Option<Decision> {
        evaluate_target_tracking(std::slice::from_ref(p), std::slice::from_ref(a), v)
    }

    fn alarms_after(policy: &TargetTracking, datapoints: &[f64]) -> TargetTrackingAlarms {
        let mut alarms = TargetTrackingAlarms::new(policy);
        for &d in datapoints {
            alarms.push(Some(d));
        }
        alarms
    }

    #[test]
    fn the_capacity_formula_rounds_up() {
        // (base, metric, target, expected), worked by hand.
        for (base, metric, target, expected) in [
            (4, 90.0, 60.0, 6),   // 4 × 1.5 = 6 exactly: no extra task
            (4, 61.0, 60.0, 5),   // 4.07 → 5
            (10, 80.0, 70.0, 12), // 11.43 → 12 (the Nomad example of §1.3)
            (2, 200.0, 100.0, 4), // the capacity-provider example of §1.3
            (10, 30.0, 60.0, 5),  // scale-in: 5 exactly
            (10, 31.0, 60.0, 6),  // 5.17 → 6: never removes too much
            (0, 90.0, 60.0, 0),
        ] {
            assert_eq!(proposed_capacity(base, metric, target), expected, "{base} × {metric}/{target}");
        }
        // A metric equal to 66 up to float noise gives 11, not 12.
        assert_eq!(proposed_capacity(10, 66.000000000001, 60.0), 11);
    }

    #[test]
    fn scale_out_needs_three_datapoints_above_target_and_uses_the_running_count() {
        let p = policy(60.0);
        let two = alarms_after(&p, &[90.0, 90.0]);
        assert_eq!(one(&p, &two, &view(4, 4)), None);
        let three = alarms_after(&p, &[90.0, 90.0, 90.0]);
        // Running 4 (desired 5: one task still starting): ceil(4 × 90 / 60) = 6.
        let d = one(&p, &three, &view(4, 5)).unwrap();
        assert_eq!((d.direction, d.base, d.proposed, d.new_desired, d.limited_by), (Direction::Out, 4, 6, 6, None));
    }

    #[test]
    fn scale_out_is_clamped_to_max_and_never_lowers_desired() {
        let p = policy(50.0);
        let a = alarms_after(&p, &[100.0; 3]);
        let mut v = view(30, 30);
        v.max_capacity = 40;
        let d = one(&p, &a, &v).unwrap();
        assert_eq!((d.proposed, d.new_desired, d.limited_by), (60, 40, Some(Limit::MaxCapacity)));
        // Running 4 of desired 9: the formula asks for 8 < 9, so nothing happens.
        assert_eq!(one(&p, &a, &view(4, 9)), None);
    }

    #[test]
    fn desired_below_min_is_raised_to_min_on_scale_out_but_not_touched_on_scale_in() {
        // §1.7: desired 1 < min 2. A scale-out alarm computes ceil(1 × 61/60) = 2 → min 2.
        let p = policy(60.0);
        let high = alarms_after(&p, &[61.0; 3]);
        let d = one(&p, &high, &view(1, 1)).unwrap();
        assert_eq!(d.new_desired, 2);
        let low = alarms_after(&p, &[10.0; 15]);
        assert_eq!(one(&p, &low, &view(1, 1)), None);
    }

    #[test]
    fn scale_in_needs_fifteen_datapoints_below_ninety_percent_of_target() {
        let p = policy(60.0);
        // 54 is 0.9 × 60: not below it.
        let at_threshold = alarms_after(&p, &[54.0; 15]);
        assert_eq!(one(&p, &at_threshold, &view(10, 10)), None);
        let mut points = vec![30.0; 14];
        let fourteen = alarms_after(&p, &points);
        assert_eq!(one(&p, &fourteen, &view(10, 10)), None);
        points.push(30.0);
        let fifteen = alarms_after(&p, &points);
        // ceil(10 × 30 / 60) = 5.
        let d = one(&p, &fifteen, &view(10, 10)).unwrap();
        assert_eq!((d.direction, d.new_desired, d.limited_by), (Direction::In, 5, None));
    }

    #[test]
    fn scale_in_is_blocked_by_its_cooldown_and_clamped_to_min() {
        let p = policy(60.0);
        let low = alarms_after(&p, &[6.0; 15]);
        let mut v = view(10, 10);
        // ceil(10 × 6 / 60) = 1 → min 2.
        let d = one(&p, &low, &v).unwrap();
        assert_eq!((d.proposed, d.new_desired, d.limited_by), (1, 2, Some(Limit::MinCapacity)));
        // A scale-in 299 s ago: blocked; 300 s ago: allowed.
        v.last_scale_in = Some(SimTime::from_millis(3_600_000 - 299_000));
        let d = one(&p, &low, &v).unwrap();
        assert_eq!((d.new_desired, d.limited_by), (10, Some(Limit::ScaleInCooldown)));
        v.last_scale_in = Some(SimTime::from_millis(3_600_000 - 300_000));
        assert_eq!(one(&p, &low, &v).unwrap().new_desired, 2);
    }

    #[test]
    fn disable_scale_in_keeps_capacity() {
        let mut p = policy(60.0);
        p.disable_scale_in = true;
        let low = alarms_after(&p, &[6.0; 15]);
        assert_eq!(one(&p, &low, &view(10, 10)), None);
    }

    #[test]
    fn several_policies_scale_out_if_any_and_in_only_if_all_largest_wins() {
        let (a, b) = (policy(60.0), policy(50.0));
        // a wants out (ceil(10 × 75/60) = 13), b wants out more (ceil(10 × 75/50) = 15).
        let both_high = [alarms_after(&a, &[75.0; 3]), alarms_after(&b, &[75.0; 3])];
        let d = evaluate_target_tracking(&[a.clone(), b.clone()], &both_high, &view(10, 10)).unwrap();
        assert_eq!((d.policy, d.new_desired), (1, 15));
        // a is low, b is not: no scale-in.
        let split = [alarms_after(&a, &[20.0; 15]), alarms_after(&b, &[48.0; 15])];
        assert_eq!(evaluate_target_tracking(&[a.clone(), b.clone()], &split, &view(10, 10)), None);
        // Both low: a asks for ceil(10 × 20/60) = 4, b for ceil(10 × 20/50) = 4... use 25 for b: 5.
        let both_low = [alarms_after(&a, &[20.0; 15]), alarms_after(&b, &[25.0; 15])];
        let d = evaluate_target_tracking(&[a, b], &both_low, &view(10, 10)).unwrap();
        assert_eq!((d.policy, d.new_desired), (1, 5));
    }

    #[test]
    fn scaling_from_the_desired_count_waits_for_the_scale_out_cooldown() {
        let mut p = policy(60.0);
        p.scale_from = ScaleFrom::DesiredCount;
        let high = alarms_after(&p, &[90.0; 3]);
        let mut v = view(4, 6);
        v.last_scale_out = Some(SimTime::from_millis(3_600_000 - 120_000));
        let d = one(&p, &high, &v).unwrap();
        assert_eq!((d.base, d.proposed, d.new_desired, d.limited_by), (6, 9, 6, Some(Limit::ScaleOutCooldown)));
        v.last_scale_out = Some(SimTime::from_millis(3_600_000 - 300_000));
        assert_eq!(one(&p, &high, &v).unwrap().new_desired, 9);
    }
}
