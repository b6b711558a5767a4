//! Target tracking for ECS services (reference §1).
//!
//! Each policy owns the two alarms AAS would create: AlarmHigh, metric > target for 3 of 3
//! one-minute datapoints, and AlarmLow, metric < 0.9 × target for 15 of 15 (AWS does not
//! document these; an AWS workshop and GitHub reports give them, §1.2 and §11.2, so they are
//! settings). The new capacity is `ceil(base × metric / target)` (§1.3; the formula is not
//! published, this is the model consistent with every AWS example).

use serde::Serialize;

use super::alarm::{AlarmConfig, Comparison, MissingData};
use super::metric::{Metric, Statistic};

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

/// "Application Auto Scaling provides a default value of 300 for … ECS services" (§1.4) for
/// both cooldowns; the step-scaling `Cooldown` defaults to 300 s too (§2.1).
pub const DEFAULT_COOLDOWN_MS: u64 = 300_000;
/// AlarmHigh: 3 of 3 one-minute datapoints above the target (§1.2, observed, not documented).
pub const DEFAULT_SCALE_OUT_DATAPOINTS: u32 = 3;
/// AlarmLow: 15 of 15 below the scale-in threshold (§1.2, observed, not documented).
pub const DEFAULT_SCALE_IN_DATAPOINTS: u32 = 15;
/// AlarmLow's threshold, 0.9 × target (§1.2: the AWS workshop's 27 for a target of 30).
pub const DEFAULT_SCALE_IN_THRESHOLD_RATIO: f64 = 0.9;

/// One target-tracking policy's settings, with AWS's defaults filled in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetTracking {
    pub metric: Metric,
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

impl TargetTracking {
    /// A policy on `metric` with every other setting at AWS's default.
    pub fn new(metric: Metric, target_value: f64) -> Self {
        TargetTracking {
            metric,
            target_value,
            scale_out_cooldown_ms: DEFAULT_COOLDOWN_MS,
            scale_in_cooldown_ms: DEFAULT_COOLDOWN_MS,
            disable_scale_in: false,
            scale_from: ScaleFrom::RunningCount,
            scale_out_datapoints: DEFAULT_SCALE_OUT_DATAPOINTS,
            scale_in_datapoints: DEFAULT_SCALE_IN_DATAPOINTS,
            scale_in_threshold_ratio: DEFAULT_SCALE_IN_THRESHOLD_RATIO,
        }
    }

    /// AlarmHigh and AlarmLow. RequestCountPerTarget is read with Sum, which "represents the
    /// average" per target (§1.2); the utilizations with Average.
    pub fn alarms(&self) -> [AlarmConfig; 2] {
        let statistic =
            if self.metric == Metric::AlbRequestCountPerTarget { Statistic::Sum } else { Statistic::Average };
        let alarm = |comparison, threshold, n| AlarmConfig {
            metric: self.metric,
            statistic,
            period_minutes: 1,
            evaluation_periods: n,
            datapoints_to_alarm: n,
            comparison,
            threshold,
            treat_missing_data: MissingData::Missing,
        };
        [
            alarm(Comparison::GreaterThanThreshold, self.target_value, self.scale_out_datapoints),
            alarm(
                Comparison::LessThanThreshold,
                self.target_value * self.scale_in_threshold_ratio,
                self.scale_in_datapoints,
            ),
        ]
    }
}

/// `ceil(base × metric / target)`. A relative tolerance of 1e-9 keeps a metric that is equal
/// to a round ratio up to floating-point noise from adding a task.
pub fn proposed_capacity(base: u32, metric: f64, target: f64) -> u32 {
    let exact = f64::from(base) * metric / target;
    (exact - exact.abs() * 1e-9).ceil().max(0.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_alarms_aws_creates() {
        let mut policy = TargetTracking::new(Metric::CpuUtilization, 30.0);
        // The workshop's target 30: "> 30 for 3 datapoints within 3 minutes", "< 27 for 15 … 15".
        let [high, low] = policy.alarms();
        assert_eq!(
            (high.comparison, high.threshold, high.datapoints_to_alarm, high.evaluation_periods),
            (Comparison::GreaterThanThreshold, 30.0, 3, 3)
        );
        assert_eq!(
            (low.comparison, low.threshold, low.datapoints_to_alarm, low.evaluation_periods),
            (Comparison::LessThanThreshold, 27.0, 15, 15)
        );
        assert_eq!(high.statistic, Statistic::Average);
        policy.metric = Metric::AlbRequestCountPerTarget;
        assert_eq!(policy.alarms()[0].statistic, Statistic::Sum);
    }
}
