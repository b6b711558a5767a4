//! Service auto scaling as Application Auto Scaling does it: CloudWatch-style alarms over
//! one-minute metrics, and policies that turn an alarm into a new desired count.
//!
//! [`evaluate`] is a decision over a read-only [`CapacityView`] and the policies' alarms; the
//! simulation applies what it returns. Several policies combine as AWS documents (§1.6): scale
//! out if any wants to; target tracking scales in only if all its scale-in-enabled policies
//! agree, while a step scale-in is not held back by them; the largest capacity wins.

mod alarm;
mod metric;
mod scheduled;
mod step;
mod target_tracking;

use serde::Serialize;

pub use alarm::{Alarm, AlarmConfig, AlarmState, Comparison, MAX_EVALUATION_PERIODS, MissingData};
pub use metric::{Metric, Sample, Statistic};
pub use scheduled::{Schedule, ScheduledAction, fire_times, reranged};
pub use step::{AdjustmentType, Aggregation, StepAdjustment, StepScaling, check_steps, find_step, stepped_capacity};
pub use target_tracking::{
    DEFAULT_COOLDOWN_MS, DEFAULT_SCALE_IN_DATAPOINTS, DEFAULT_SCALE_IN_THRESHOLD_RATIO, DEFAULT_SCALE_OUT_DATAPOINTS,
    ScaleFrom, TargetTracking, proposed_capacity,
};

use crate::engine::SimTime;

/// A named scaling policy of one service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    pub kind: PolicyKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PolicyKind {
    TargetTracking(TargetTracking),
    StepScaling(StepScaling),
}

impl Policy {
    /// The alarms the policy acts on: [AlarmHigh, AlarmLow] for target tracking, the user's
    /// alarm for step scaling.
    pub fn alarms(&self) -> Vec<AlarmConfig> {
        match &self.kind {
            PolicyKind::TargetTracking(tt) => tt.alarms().to_vec(),
            PolicyKind::StepScaling(step) => vec![step.alarm.clone()],
        }
    }

    /// A name for alarm `index` of this policy.
    pub fn alarm_name(&self, index: usize) -> &'static str {
        match (&self.kind, index) {
            (PolicyKind::TargetTracking(_), 0) => "AlarmHigh",
            (PolicyKind::TargetTracking(_), _) => "AlarmLow",
            (PolicyKind::StepScaling(_), _) => "alarm",
        }
    }
}

/// `SuspendedState` of the scalable target (§1.8); all default to false.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Suspension {
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

/// What a policy may read about its service when it decides.
#[derive(Clone, Copy, Debug)]
pub struct CapacityView {
    pub now: SimTime,
    /// RUNNING tasks: the starting point AAS uses for ECS, not the desired count (§1.3).
    pub running: u32,
    pub desired: u32,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// The service's last policy scale-out and scale-in.
    pub last_scale_out: Option<SimTime>,
    pub last_scale_in: Option<SimTime>,
}

/// One policy's working state: its alarms and its own last activity (step cooldowns).
#[derive(Clone, Debug)]
pub struct PolicyState {
    pub alarms: Vec<Alarm>,
    /// When this policy last changed the desired count, which way, and from what base.
    pub last_activity: Option<(SimTime, Direction, u32)>,
}

impl PolicyState {
    pub fn new(policy: &Policy) -> Self {
        PolicyState { alarms: policy.alarms().into_iter().map(Alarm::new).collect(), last_activity: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Out,
    In,
}

/// What kept a decision from the capacity its rule asked for.
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

/// A policy invocation that changed, or could have changed, the desired count. When a limit
/// stopped it, `new_desired` is the count it leaves (the current one, or the clamp).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub direction: Direction,
    /// Index of the policy, and of its alarm that is in ALARM.
    pub policy: usize,
    pub alarm: usize,
    /// The metric value the rule used (for step scaling, the aggregate over the alarm's window).
    pub metric: f64,
    /// The count the rule scaled from.
    pub base: u32,
    /// What the rule asked for before clamping.
    pub proposed: u32,
    pub new_desired: u32,
    pub limited_by: Option<Limit>,
    /// Whether this decision set the desired count.
    pub won: bool,
    /// A scale-out from zero running tasks: after one datapoint, by the minimum amount (§1.3).
    pub from_zero: bool,
}

fn clamp(proposed: u32, view: &CapacityView) -> (u32, Option<Limit>) {
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

/// A policy's ask, before the limits.
struct Ask {
    direction: Direction,
    policy: usize,
    alarm: usize,
    metric: f64,
    base: u32,
    proposed: u32,
    /// A cooldown that holds the change back.
    blocked: Option<Limit>,
    from_zero: bool,
}

/// Records `ask` if it changes the desired count or a limit stopped it from doing so.
fn consider(decisions: &mut Vec<Decision>, view: &CapacityView, ask: Ask) {
    let (clamped, clamp_limit) = clamp(ask.proposed, view);
    let (changes, wanted) = match ask.direction {
        Direction::Out => (clamped > view.desired, ask.proposed > view.desired),
        Direction::In => (clamped < view.desired, ask.proposed < view.desired),
    };
    let (new_desired, limited_by) = match (changes, ask.blocked) {
        (true, Some(limit)) => (view.desired, Some(limit)),
        (true, None) => (clamped, clamp_limit),
        (false, _) if wanted && clamp_limit.is_some() => (view.desired, clamp_limit),
        (false, _) => return,
    };
    decisions.push(Decision {
        direction: ask.direction,
        policy: ask.policy,
        alarm: ask.alarm,
        metric: ask.metric,
        base: ask.base,
        proposed: ask.proposed,
        new_desired,
        limited_by,
        won: false,
        from_zero: ask.from_zero,
    });
}

/// Whether any policy may act this minute: an alarm is in ALARM, or the service runs no task
/// and an alarm's newest datapoint breaches, which is all a scale-out from zero waits for
/// (§1.3). If neither, no policy acts.
pub fn may_act(states: &[PolicyState], running: u32) -> bool {
    // Asked of every service every minute: plain loops, which compile tighter than the
    // flattened iterators.
    for policy in states {
        for alarm in &policy.alarms {
            if alarm.state() == AlarmState::Alarm || (running == 0 && alarm.latest_breaches()) {
                return true;
            }
        }
    }
    false
}

/// "When actual capacity is 0 and the metric indicates that there is workload demand, Service
/// Auto Scaling waits for one data point to be sent before scaling out. In this case, it scales
/// out by the minimum possible amount as a starting point and then resumes scaling based on the
/// actual running task count" (§1.3): one task, whatever the policy's rule would add.
const FROM_ZERO: u32 = 1;

/// Evaluates every policy of a service after a minute's datapoints. Returns the decisions worth
/// recording, at most one of them marked `won`; the others lost, or were stopped by a limit.
pub fn evaluate(
    policies: &[Policy],
    states: &[PolicyState],
    suspension: Suspension,
    view: &CapacityView,
) -> Vec<Decision> {
    let alarmed = |i: usize, a: usize| states[i].alarms[a].state() == AlarmState::Alarm;
    if !may_act(states, view.running) {
        return Vec::new();
    }
    let mut decisions = Vec::new();
    let mut tt_scale_in_ready = !suspension.dynamic_scaling_in_suspended;
    let mut tt_scale_in_policies = 0;
    for (i, policy) in policies.iter().enumerate() {
        match &policy.kind {
            PolicyKind::TargetTracking(tt) => {
                if !tt.disable_scale_in {
                    tt_scale_in_policies += 1;
                    tt_scale_in_ready &= alarmed(i, 1);
                }
                let base = match tt.scale_from {
                    ScaleFrom::RunningCount => view.running,
                    ScaleFrom::DesiredCount => view.desired,
                };
                // From zero running tasks (and, scaling from the desired count, none desired)
                // one datapoint is enough, as `may_act` lets through.
                let from_zero = base == 0;
                let high = &states[i].alarms[0];
                let first_datapoint = from_zero && view.running == 0 && high.latest_breaches();
                if !(alarmed(i, 0) || first_datapoint) || suspension.dynamic_scaling_out_suspended {
                    continue;
                }
                let Some(metric) = high.latest() else { continue };
                let proposed = if from_zero { FROM_ZERO } else { proposed_capacity(base, metric, tt.target_value) };
                let blocked = (tt.scale_from == ScaleFrom::DesiredCount
                    && in_cooldown(view.last_scale_out, tt.scale_out_cooldown_ms, view.now))
                .then_some(Limit::ScaleOutCooldown);
                let ask =
                    Ask { direction: Direction::Out, policy: i, alarm: 0, metric, base, proposed, blocked, from_zero };
                consider(&mut decisions, view, ask);
            }
            PolicyKind::StepScaling(step) => {
                let alarm = &states[i].alarms[0];
                // From zero, one datapoint is enough (§1.3): it is the metric the step is found by.
                let first_datapoint = view.running == 0 && !alarmed(i, 0) && alarm.latest_breaches();
                if !alarmed(i, 0) && !first_datapoint {
                    continue;
                }
                let metric =
                    if first_datapoint { alarm.latest() } else { step.metric_aggregation_type.of(alarm.datapoints()) };
                let Some(metric) = metric else { continue };
                let (threshold, upper) = (alarm.config().threshold, alarm.config().comparison.is_upper());
                let Some(adjustment) = find_step(&step.step_adjustments, metric - threshold, upper) else { continue };
                let adjustment = adjustment.scaling_adjustment;
                let proposed = stepped_capacity(step, adjustment, view.running);
                let direction = match (step.adjustment_type, adjustment) {
                    (AdjustmentType::ExactCapacity, _) if proposed > view.desired => Direction::Out,
                    (AdjustmentType::ExactCapacity, _) if proposed < view.desired => Direction::In,
                    (AdjustmentType::ExactCapacity, _) | (_, 0) => continue,
                    (_, a) if a > 0 => Direction::Out,
                    _ => Direction::In,
                };
                let suspended = match direction {
                    Direction::Out => suspension.dynamic_scaling_out_suspended,
                    Direction::In => suspension.dynamic_scaling_in_suspended,
                };
                if suspended || first_datapoint && direction == Direction::In {
                    continue;
                }
                if view.running == 0 && direction == Direction::Out {
                    let ask = Ask {
                        direction,
                        policy: i,
                        alarm: 0,
                        metric,
                        base: 0,
                        proposed: FROM_ZERO,
                        blocked: None,
                        from_zero: true,
                    };
                    consider(&mut decisions, view, ask);
                    continue;
                }
                let cooling =
                    states[i].last_activity.filter(|&(at, _, _)| in_cooldown(Some(at), step.cooldown_ms, view.now));
                let mut ask = Ask {
                    direction,
                    policy: i,
                    alarm: 0,
                    metric,
                    base: view.running,
                    proposed,
                    blocked: None,
                    from_zero: false,
                };
                match (direction, cooling) {
                    // "the previous increase … is considered part of the current capacity" (§2.4):
                    // during the cooldown a step counts from the base the earlier scale-out used,
                    // so only the part of a larger step beyond the earlier one is added.
                    (Direction::Out, Some((_, Direction::Out, earlier_base))) => {
                        let from_earlier = stepped_capacity(step, adjustment, earlier_base);
                        if clamp(from_earlier, view).0 > view.desired {
                            (ask.base, ask.proposed) = (earlier_base, from_earlier);
                        } else {
                            ask.blocked = Some(Limit::ScaleOutCooldown);
                        }
                    }
                    (Direction::In, Some(_)) => ask.blocked = Some(Limit::ScaleInCooldown),
                    _ => {}
                }
                consider(&mut decisions, view, ask);
            }
        }
    }

    // Target tracking scales in only when every scale-in-enabled policy's AlarmLow is in ALARM;
    // of their asks, the largest capacity.
    if tt_scale_in_ready && tt_scale_in_policies > 0 {
        let mut largest: Option<(usize, f64, u32, u32)> = None;
        for (i, policy) in policies.iter().enumerate() {
            let PolicyKind::TargetTracking(tt) = &policy.kind else { continue };
            if tt.disable_scale_in {
                continue;
            }
            let Some(metric) = states[i].alarms[1].latest() else { continue };
            let base = match tt.scale_from {
                ScaleFrom::RunningCount => view.running,
                ScaleFrom::DesiredCount => view.desired,
            };
            let proposed = proposed_capacity(base, metric, tt.target_value);
            if largest.is_none_or(|(_, _, _, p)| proposed > p) {
                largest = Some((i, metric, base, proposed));
            }
        }
        if let Some((i, metric, base, proposed)) = largest {
            let PolicyKind::TargetTracking(tt) = &policies[i].kind else {
                unreachable!("chosen among target tracking")
            };
            let blocked =
                in_cooldown(view.last_scale_in, tt.scale_in_cooldown_ms, view.now).then_some(Limit::ScaleInCooldown);
            let ask = Ask {
                direction: Direction::In,
                policy: i,
                alarm: 1,
                metric,
                base,
                proposed,
                blocked,
                from_zero: false,
            };
            consider(&mut decisions, view, ask);
        }
    }

    // The largest capacity wins: any scale-out first, else the mildest scale-in.
    let changing = |k: &usize| decisions[*k].new_desired != view.desired;
    let largest =
        |ks: &mut dyn Iterator<Item = usize>| ks.max_by_key(|&k| (decisions[k].new_desired, std::cmp::Reverse(k)));
    let winner =
        largest(&mut (0..decisions.len()).filter(changing).filter(|&k| decisions[k].direction == Direction::Out))
            .or_else(|| largest(&mut (0..decisions.len()).filter(changing)));
    if let Some(k) = winner {
        decisions[k].won = true;
    }
    decisions
}

#[cfg(test)]
mod tests;
