//! The combined evaluator, rule by rule, with numbers worked out from the AWS texts.

use super::*;

fn tt(target: f64) -> Policy {
    Policy { name: "tt".into(), kind: PolicyKind::TargetTracking(TargetTracking::new(Metric::CpuUtilization, target)) }
}

fn tt_mut(policy: &mut Policy) -> &mut TargetTracking {
    match &mut policy.kind {
        PolicyKind::TargetTracking(tt) => tt,
        _ => unreachable!(),
    }
}

/// Step scaling on a backlog alarm `≥ threshold for 1 of 1`, ChangeInCapacity.
fn step(threshold: f64, steps: &[(Option<f64>, Option<f64>, i64)], comparison: Comparison) -> Policy {
    Policy {
        name: "step".into(),
        kind: PolicyKind::StepScaling(StepScaling {
            alarm: AlarmConfig {
                metric: Metric::Backlog,
                statistic: Statistic::Average,
                period_minutes: 1,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                comparison,
                threshold,
                treat_missing_data: MissingData::Missing,
            },
            adjustment_type: AdjustmentType::ChangeInCapacity,
            step_adjustments: steps
                .iter()
                .map(|&(lower, upper, scaling_adjustment)| StepAdjustment { lower, upper, scaling_adjustment })
                .collect(),
            min_adjustment_magnitude: None,
            cooldown_ms: 300_000,
            metric_aggregation_type: Aggregation::Average,
        }),
    }
}

const NOW: u64 = 3_600_000;

fn view(running: u32, desired: u32) -> CapacityView {
    CapacityView {
        now: SimTime::from_millis(NOW),
        running,
        desired,
        min_capacity: 2,
        max_capacity: 50,
        last_scale_out: None,
        last_scale_in: None,
    }
}

/// States after feeding each policy's alarms the given minutes of its metric.
fn states(policies: &[Policy], minutes: &[&[f64]]) -> Vec<PolicyState> {
    policies
        .iter()
        .zip(minutes)
        .map(|(policy, values)| {
            let mut state = PolicyState::new(policy);
            for &v in values.iter() {
                for alarm in &mut state.alarms {
                    alarm.push_minute(Some(&Sample::uniform(v, 1.0)));
                }
            }
            state
        })
        .collect()
}

fn decide(policies: &[Policy], minutes: &[&[f64]], view: &CapacityView) -> Vec<Decision> {
    evaluate(policies, &states(policies, minutes), Suspension::default(), view)
}

fn winner(decisions: &[Decision]) -> Option<(usize, u32)> {
    decisions.iter().find(|d| d.won).map(|d| (d.policy, d.new_desired))
}

#[test]
fn scale_out_needs_three_datapoints_above_target_and_uses_the_running_count() {
    let p = [tt(60.0)];
    assert!(decide(&p, &[&[90.0, 90.0]], &view(4, 4)).is_empty());
    // Running 4 (desired 5: one task still starting): ceil(4 × 90 / 60) = 6.
    let d = decide(&p, &[&[90.0, 90.0, 90.0]], &view(4, 5));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].direction, d[0].base, d[0].proposed, d[0].new_desired, d[0].won), (Direction::Out, 4, 6, 6, true));
}

#[test]
fn scale_out_is_clamped_to_max_and_never_lowers_desired() {
    let p = [tt(50.0)];
    let mut v = view(30, 30);
    v.max_capacity = 40;
    let d = decide(&p, &[&[100.0; 3]], &v);
    assert_eq!((d[0].proposed, d[0].new_desired, d[0].limited_by), (60, 40, Some(Limit::MaxCapacity)));
    // At max already: recorded as held by max_capacity, nothing won.
    v.desired = 40;
    let d = decide(&p, &[&[100.0; 3]], &v);
    assert_eq!((d[0].new_desired, d[0].limited_by, d[0].won), (40, Some(Limit::MaxCapacity), false));
    // Running 4 of desired 9: the formula asks for 8 < 9, so nothing happens.
    assert!(decide(&p, &[&[100.0; 3]], &view(4, 9)).is_empty());
}

#[test]
fn desired_below_min_is_raised_to_min_on_scale_out_but_not_touched_on_scale_in() {
    // §1.7: desired 1 < min 2. A scale-out alarm computes ceil(1 × 61/60) = 2 → min 2.
    let p = [tt(60.0)];
    assert_eq!(winner(&decide(&p, &[&[61.0; 3]], &view(1, 1))), Some((0, 2)));
    assert_eq!(winner(&decide(&p, &[&[10.0; 15]], &view(1, 1))), None);
}

#[test]
fn desired_above_max_is_lowered_to_max_on_scale_in_but_not_touched_on_scale_out() {
    // §1.7: desired 60 > max 50 (max lowered by hand). Scale-in: ceil(60 × 50/60) = 50.
    let p = [tt(60.0)];
    assert_eq!(winner(&decide(&p, &[&[50.0; 15]], &view(60, 60))), Some((0, 50)));
    assert_eq!(winner(&decide(&p, &[&[90.0; 3]], &view(60, 60))), None);
}

#[test]
fn scale_in_needs_fifteen_datapoints_below_ninety_percent_of_target() {
    let p = [tt(60.0)];
    // 54 is 0.9 × 60: not below it.
    assert!(decide(&p, &[&[54.0; 15]], &view(10, 10)).is_empty());
    assert!(decide(&p, &[&[30.0; 14]], &view(10, 10)).is_empty());
    // ceil(10 × 30 / 60) = 5.
    assert_eq!(winner(&decide(&p, &[&[30.0; 15]], &view(10, 10))), Some((0, 5)));
}

#[test]
fn scale_in_is_blocked_by_its_cooldown_and_clamped_to_min() {
    let p = [tt(60.0)];
    let mut v = view(10, 10);
    // ceil(10 × 6 / 60) = 1 → min 2.
    let d = decide(&p, &[&[6.0; 15]], &v);
    assert_eq!((d[0].proposed, d[0].new_desired, d[0].limited_by), (1, 2, Some(Limit::MinCapacity)));
    // A scale-in 299 s ago: blocked; 300 s ago: allowed.
    v.last_scale_in = Some(SimTime::from_millis(NOW - 299_000));
    let d = decide(&p, &[&[6.0; 15]], &v);
    assert_eq!((d[0].new_desired, d[0].limited_by, d[0].won), (10, Some(Limit::ScaleInCooldown), false));
    v.last_scale_in = Some(SimTime::from_millis(NOW - 300_000));
    assert_eq!(winner(&decide(&p, &[&[6.0; 15]], &v)), Some((0, 2)));
}

#[test]
fn disable_scale_in_keeps_capacity() {
    let mut p = [tt(60.0)];
    tt_mut(&mut p[0]).disable_scale_in = true;
    assert!(decide(&p, &[&[6.0; 15]], &view(10, 10)).is_empty());
}

#[test]
fn target_tracking_policies_scale_out_if_any_and_in_only_if_all_and_the_largest_wins() {
    let p = [tt(60.0), tt(50.0)];
    // Both high: ceil(10 × 75/60) = 13 and ceil(10 × 75/50) = 15: 15 wins.
    assert_eq!(winner(&decide(&p, &[&[75.0; 3], &[75.0; 3]], &view(10, 10))), Some((1, 15)));
    // One low, the other not: no scale-in.
    assert_eq!(winner(&decide(&p, &[&[20.0; 15], &[48.0; 15]], &view(10, 10))), None);
    // Both low: ceil(10 × 20/60) = 4 and ceil(10 × 25/50) = 5: the larger, 5, wins.
    assert_eq!(winner(&decide(&p, &[&[20.0; 15], &[25.0; 15]], &view(10, 10))), Some((1, 5)));
}

#[test]
fn scaling_from_the_desired_count_waits_for_the_scale_out_cooldown() {
    let mut p = [tt(60.0)];
    tt_mut(&mut p[0]).scale_from = ScaleFrom::DesiredCount;
    let mut v = view(4, 6);
    v.last_scale_out = Some(SimTime::from_millis(NOW - 120_000));
    let d = decide(&p, &[&[90.0; 3]], &v);
    assert_eq!((d[0].base, d[0].proposed, d[0].new_desired, d[0].limited_by), (6, 9, 6, Some(Limit::ScaleOutCooldown)));
    v.last_scale_out = Some(SimTime::from_millis(NOW - 300_000));
    assert_eq!(winner(&decide(&p, &[&[90.0; 3]], &v)), Some((0, 9)));
}

#[test]
fn scaling_from_the_desired_count_applies_to_scale_in_too() {
    let mut p = [tt(60.0)];
    tt_mut(&mut p[0]).scale_from = ScaleFrom::DesiredCount;
    // 8 running of 10 desired, CPU 30: from the desired count ceil(10 × 30/60) = 5, not 4.
    let d = decide(&p, &[&[30.0; 15]], &view(8, 10));
    assert_eq!((d[0].base, d[0].new_desired, d[0].won), (10, 5, true));
}

#[test]
fn scale_from_zero_goes_to_the_minimum_possible_amount() {
    // §1.3: a metric that shows demand at zero running tasks scales out by the minimum amount.
    let mut p = [tt(60.0)];
    tt_mut(&mut p[0]).metric = Metric::RequestsPerTask;
    let mut v = view(0, 0);
    v.min_capacity = 0;
    assert_eq!(winner(&decide(&p, &[&[500.0; 3]], &v)), Some((0, 1)));
}

#[test]
fn from_zero_one_datapoint_is_enough_and_from_one_task_the_alarm_is_needed() {
    // §1.3: "when actual capacity is 0 … Service Auto Scaling waits for one data point to be
    // sent before scaling out", not for AlarmHigh's 3 of 3.
    let mut p = [tt(60.0)];
    tt_mut(&mut p[0]).metric = Metric::BacklogPerTask;
    let mut v = view(0, 0);
    v.min_capacity = 0;
    let s = states(&p, &[&[0.0, 0.0, 500.0]]);
    assert_ne!(s[0].alarms[0].state(), AlarmState::Alarm, "AlarmHigh has one breaching datapoint of three");
    let d = evaluate(&p, &s, Suspension::default(), &v);
    assert_eq!(
        (d.len(), d[0].base, d[0].proposed, d[0].new_desired, d[0].won, d[0].from_zero),
        (1, 0, 1, 1, true, true)
    );
    // At zero with a datapoint that shows no demand, nothing.
    assert!(decide(&p, &[&[0.0, 0.0, 30.0]], &v).is_empty());
    // With one task running, one breaching datapoint is not enough: the alarm's 3 of 3 is.
    assert!(decide(&p, &[&[0.0, 0.0, 500.0]], &view(1, 1)).is_empty());
    let d = decide(&p, &[&[500.0; 3]], &view(1, 1));
    assert_eq!((d[0].base, d[0].new_desired, d[0].from_zero), (1, 9, false)); // ceil(1 × 500/60)
    // Scaling from the desired count, a desired count above zero is not "from zero".
    tt_mut(&mut p[0]).scale_from = ScaleFrom::DesiredCount;
    assert!(decide(&p, &[&[0.0, 0.0, 500.0]], &view(0, 3)).is_empty());
}

#[test]
fn a_step_policy_from_zero_adds_one_task_after_one_datapoint() {
    // A 3-of-3 step alarm: at zero running tasks its first breaching datapoint scales out to
    // one task, not by the +3 step (§1.3: "by the minimum possible amount as a starting point").
    let mut p = [step(100.0, &[(Some(0.0), None, 3)], Comparison::GreaterThanOrEqualToThreshold)];
    let PolicyKind::StepScaling(s) = &mut p[0].kind else { unreachable!() };
    (s.alarm.evaluation_periods, s.alarm.datapoints_to_alarm) = (3, 3);
    let at_min_zero = |running, desired| CapacityView { min_capacity: 0, ..view(running, desired) };
    let d = decide(&p, &[&[0.0, 0.0, 150.0]], &at_min_zero(0, 0));
    assert_eq!((d[0].base, d[0].proposed, d[0].new_desired, d[0].won, d[0].from_zero), (0, 1, 1, true, true));
    // The task is starting (desired 1, none running): the next datapoint changes nothing.
    assert!(decide(&p, &[&[0.0, 150.0, 150.0]], &at_min_zero(0, 1)).is_empty());
    // Once it runs, the step scales from the running count when the alarm is in ALARM: 1 + 3.
    assert!(decide(&p, &[&[0.0, 150.0, 150.0]], &at_min_zero(1, 1)).is_empty());
    assert_eq!(winner(&decide(&p, &[&[150.0; 3]], &at_min_zero(1, 1))), Some((0, 4)));
}

#[test]
fn a_step_scale_out_during_its_cooldown_adds_only_the_excess() {
    // §2.4: +2 starts a cooldown; the alarm triggers again at the +3 step: only 1 is added.
    let p =
        [step(100.0, &[(Some(0.0), Some(50.0), 2), (Some(50.0), None, 3)], Comparison::GreaterThanOrEqualToThreshold)];
    let v = view(10, 10);
    assert_eq!(winner(&decide(&p, &[&[120.0]], &v)), Some((0, 12)));
    let mut s = states(&p, &[&[160.0]]);
    s[0].last_activity = Some((SimTime::from_millis(NOW - 60_000), Direction::Out, 10));
    // Still 10 running (the 2 are starting), desired 12: from the earlier base 10 + 3 = 13.
    let d = evaluate(&p, &s, Suspension::default(), &view(10, 12));
    assert_eq!((d[0].base, d[0].proposed, d[0].new_desired, d[0].won), (10, 13, 13, true));
    // The +2 step again during the cooldown, once the 2 new tasks run (12 running): from the
    // running count it would ask for 14, but the earlier increase already covers it: held.
    let mut s = states(&p, &[&[120.0]]);
    s[0].last_activity = Some((SimTime::from_millis(NOW - 60_000), Direction::Out, 10));
    let d = evaluate(&p, &s, Suspension::default(), &view(12, 12));
    assert_eq!((d[0].new_desired, d[0].limited_by, d[0].won), (12, Some(Limit::ScaleOutCooldown), false));
    // After the cooldown, +2 from the running count.
    s[0].last_activity = Some((SimTime::from_millis(NOW - 300_000), Direction::Out, 10));
    assert_eq!(winner(&evaluate(&p, &s, Suspension::default(), &view(12, 12))), Some((0, 14)));
}

#[test]
fn a_step_scale_in_waits_for_its_cooldown() {
    let p = [step(10.0, &[(None, Some(0.0), -1)], Comparison::LessThanOrEqualToThreshold)];
    let mut s = states(&p, &[&[5.0]]);
    assert_eq!(winner(&evaluate(&p, &s, Suspension::default(), &view(10, 10))), Some((0, 9)));
    s[0].last_activity = Some((SimTime::from_millis(NOW - 200_000), Direction::In, 10));
    let d = evaluate(&p, &s, Suspension::default(), &view(9, 9));
    assert_eq!((d[0].limited_by, d[0].won), (Some(Limit::ScaleInCooldown), false));
}

#[test]
fn a_step_scale_in_is_not_held_back_by_target_tracking() {
    // §1.6: target tracking is not ready to scale in (CPU 55 ≥ 54), the step policy is.
    let p = [tt(60.0), step(10.0, &[(None, Some(0.0), -2)], Comparison::LessThanThreshold)];
    assert_eq!(winner(&decide(&p, &[&[55.0; 15], &[3.0]], &view(10, 10))), Some((1, 8)));
    // A scale-out by either beats any scale-in: the largest capacity wins.
    assert_eq!(winner(&decide(&p, &[&[90.0; 15], &[3.0]], &view(10, 10))), Some((0, 15)));
}

#[test]
fn percent_and_exact_steps_in_a_combined_policy() {
    // The PutScalingPolicy example (§1.6): one policy adds 3, another 200 %, capacity 10 → 30.
    let mut plus_three = step(0.0, &[(Some(0.0), None, 3)], Comparison::GreaterThanOrEqualToThreshold);
    let mut double = plus_three.clone();
    if let PolicyKind::StepScaling(s) = &mut double.kind {
        s.adjustment_type = AdjustmentType::PercentChangeInCapacity;
        s.step_adjustments[0].scaling_adjustment = 200;
    }
    plus_three.name = "plus-three".into();
    let p = [plus_three, double];
    assert_eq!(winner(&decide(&p, &[&[5.0], &[5.0]], &view(10, 10))), Some((1, 30)));
}

#[test]
fn suspension_flags_stop_their_direction_only() {
    let p = [tt(60.0)];
    let out = states(&p, &[&[90.0; 3]]);
    let suspended_out = Suspension { dynamic_scaling_out_suspended: true, ..Suspension::default() };
    assert!(evaluate(&p, &out, suspended_out, &view(10, 10)).is_empty());
    let low = states(&p, &[&[10.0; 15]]);
    assert_eq!(winner(&evaluate(&p, &low, suspended_out, &view(10, 10))), Some((0, 2)));
    let suspended_in = Suspension { dynamic_scaling_in_suspended: true, ..Suspension::default() };
    assert!(evaluate(&p, &low, suspended_in, &view(10, 10)).is_empty());
}
