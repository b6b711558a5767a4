//! Step scaling (reference §2): the user's own alarm and step adjustments with bounds relative
//! to the alarm threshold.

use serde::Serialize;

use super::alarm::AlarmConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AdjustmentType {
    ChangeInCapacity,
    PercentChangeInCapacity,
    ExactCapacity,
}

impl AdjustmentType {
    pub const NAMES: [(&'static str, AdjustmentType); 3] = [
        ("ChangeInCapacity", AdjustmentType::ChangeInCapacity),
        ("PercentChangeInCapacity", AdjustmentType::PercentChangeInCapacity),
        ("ExactCapacity", AdjustmentType::ExactCapacity),
    ];
}

/// `MetricAggregationType`; null is Average (§2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Aggregation {
    Average,
    Minimum,
    Maximum,
}

impl Aggregation {
    pub const NAMES: [(&'static str, Aggregation); 3] =
        [("Average", Aggregation::Average), ("Minimum", Aggregation::Minimum), ("Maximum", Aggregation::Maximum)];

    /// The aggregate of the datapoints that are present, if any.
    pub fn of(self, datapoints: impl Iterator<Item = Option<f64>>) -> Option<f64> {
        let (mut n, mut sum, mut min, mut max) = (0u32, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for value in datapoints.flatten() {
            n += 1;
            sum += value;
            min = min.min(value);
            max = max.max(value);
        }
        (n > 0).then(|| match self {
            Aggregation::Average => sum / f64::from(n),
            Aggregation::Minimum => min,
            Aggregation::Maximum => max,
        })
    }
}

/// One `StepAdjustment`: bounds relative to the threshold (`None`: unbounded).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepAdjustment {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub scaling_adjustment: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepScaling {
    pub alarm: AlarmConfig,
    pub adjustment_type: AdjustmentType,
    pub step_adjustments: Vec<StepAdjustment>,
    pub min_adjustment_magnitude: Option<u32>,
    /// Default 300 s (§2.1).
    pub cooldown_ms: u64,
    pub metric_aggregation_type: Aggregation,
}

/// The step whose interval holds `value − threshold`. "If the metric value is above the breach
/// threshold, the lower bound is inclusive and the upper bound is exclusive. If the metric
/// value is below the breach threshold, the lower bound is exclusive and the upper bound is
/// inclusive" (§2.2); which side applies follows the alarm's direction.
pub fn find_step(steps: &[StepAdjustment], difference: f64, upper_alarm: bool) -> Option<&StepAdjustment> {
    steps.iter().find(|step| {
        let above_lower = step.lower.is_none_or(|l| if upper_alarm { difference >= l } else { difference > l });
        let below_upper = step.upper.is_none_or(|u| if upper_alarm { difference < u } else { difference <= u });
        above_lower && below_upper
    })
}

/// The capacity change of `PercentChangeInCapacity`: truncated toward zero, but never to zero
/// (§2.3: 12.7 → 12, .67 → 1, −.58 → −1, −6.67 → −6), then at least `min_adjustment_magnitude`.
pub fn percent_change(base: u32, percent: i64, min_adjustment_magnitude: Option<u32>) -> i64 {
    let exact = f64::from(base) * percent as f64 / 100.0;
    let change = if exact == 0.0 {
        0
    } else if exact.abs() < 1.0 {
        exact.signum() as i64
    } else {
        exact.trunc() as i64
    };
    match min_adjustment_magnitude {
        Some(magnitude) if change != 0 && change.abs() < i64::from(magnitude) => change.signum() * i64::from(magnitude),
        _ => change,
    }
}

/// The capacity a step asks for, from `base`, before clamping to [min, max].
pub fn stepped_capacity(policy: &StepScaling, adjustment: i64, base: u32) -> u32 {
    let target = match policy.adjustment_type {
        AdjustmentType::ChangeInCapacity => i64::from(base).saturating_add(adjustment),
        AdjustmentType::PercentChangeInCapacity => {
            i64::from(base).saturating_add(percent_change(base, adjustment, policy.min_adjustment_magnitude))
        }
        AdjustmentType::ExactCapacity => adjustment,
    };
    target.clamp(0, i64::from(u32::MAX)) as u32
}

/// Checks step bounds as `PutScalingPolicy` does (§2.2): no overlaps, no gaps, each bound pair
/// ordered, at most one step open below and one open above, an open-below step whenever a lower
/// bound is negative and an open-above step whenever an upper bound is positive.
pub fn check_steps(steps: &[StepAdjustment], adjustment_type: AdjustmentType) -> Result<(), String> {
    if steps.is_empty() {
        return Err("a step scaling policy needs at least one step adjustment".into());
    }
    for (i, step) in steps.iter().enumerate() {
        if step.lower.is_none() && step.upper.is_none() {
            return Err(format!("step {i} has neither bound; at most one bound may be left open"));
        }
        if let (Some(l), Some(u)) = (step.lower, step.upper)
            && l >= u
        {
            return Err(format!("step {i} has lower bound {l} ≥ upper bound {u}"));
        }
        if adjustment_type == AdjustmentType::ExactCapacity && step.scaling_adjustment < 0 {
            return Err(format!("step {i}: ExactCapacity needs a scaling_adjustment ≥ 0"));
        }
    }
    let open_below = steps.iter().filter(|s| s.lower.is_none()).count();
    let open_above = steps.iter().filter(|s| s.upper.is_none()).count();
    if open_below > 1 || open_above > 1 {
        return Err("at most one step may have no lower bound and one no upper bound".into());
    }
    if open_below == 0 && steps.iter().any(|s| s.lower.is_some_and(|l| l < 0.0)) {
        return Err("a lower bound is negative, so one step must have no lower bound".into());
    }
    if open_above == 0 && steps.iter().any(|s| s.upper.is_some_and(|u| u > 0.0)) {
        return Err("an upper bound is positive, so one step must have no upper bound".into());
    }
    let mut sorted: Vec<&StepAdjustment> = steps.iter().collect();
    sorted.sort_by(|a, b| a.lower.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY)));
    for pair in sorted.windows(2) {
        let (upper, next_lower) = (pair[0].upper, pair[1].lower);
        match (upper, next_lower) {
            (Some(u), Some(l)) if u < l => {
                return Err(format!("a gap between {u} and {l}: the steps must cover the range"));
            }
            (Some(u), Some(l)) if u > l => return Err(format!("steps overlap between {l} and {u}")),
            (None, _) => return Err("a step with no upper bound must come last".into()),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(lower: Option<f64>, upper: Option<f64>, adjustment: i64) -> StepAdjustment {
        StepAdjustment { lower, upper, scaling_adjustment: adjustment }
    }

    #[test]
    fn the_bounds_from_the_api_examples() {
        // Threshold 50: lower 0 / upper 10 ⇒ 50 ≤ m < 60; lower −10 / upper 0 ⇒ 40 < m ≤ 50.
        let above = [step(Some(0.0), Some(10.0), 1)];
        assert!(find_step(&above, 0.0, true).is_some());
        assert!(find_step(&above, 9.999, true).is_some());
        assert!(find_step(&above, 10.0, true).is_none());
        let below = [step(Some(-10.0), Some(0.0), -1)];
        assert!(find_step(&below, 0.0, false).is_some());
        assert!(find_step(&below, -9.999, false).is_some());
        assert!(find_step(&below, -10.0, false).is_none());
    }

    /// AWS's example (§2.5): capacity 10, threshold 50, PercentChangeInCapacity.
    #[test]
    fn the_aws_step_example_bands() {
        let out = [step(Some(0.0), Some(10.0), 0), step(Some(10.0), Some(20.0), 10), step(Some(20.0), None, 30)];
        let r#in = [step(Some(-10.0), Some(0.0), 0), step(Some(-20.0), Some(-10.0), -10), step(None, Some(-20.0), -30)];
        let policy = |steps: &[StepAdjustment]| StepScaling {
            alarm: crate::scaling::AlarmConfig {
                metric: crate::scaling::Metric::CpuUtilization,
                statistic: crate::scaling::Statistic::Average,
                period_minutes: 1,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                comparison: crate::scaling::Comparison::GreaterThanOrEqualToThreshold,
                threshold: 50.0,
                treat_missing_data: crate::scaling::MissingData::Missing,
            },
            adjustment_type: AdjustmentType::PercentChangeInCapacity,
            step_adjustments: steps.to_vec(),
            min_adjustment_magnitude: None,
            cooldown_ms: 300_000,
            metric_aggregation_type: Aggregation::Average,
        };
        let (p_out, p_in) = (policy(&out), policy(&r#in));
        let capacity = |metric: f64| {
            let diff = metric - 50.0;
            let (p, upper) = if diff >= 0.0 { (&p_out, true) } else { (&p_in, false) };
            let s = find_step(&p.step_adjustments, diff, upper).unwrap();
            stepped_capacity(p, s.scaling_adjustment, 10)
        };
        // ≤ 30 → −30 %; 30–40 → −10 %; 40–60 → unchanged; 60–70 → +10 %; ≥ 70 → +30 %.
        for (metric, expected) in [
            (20.0, 7),
            (30.0, 7),
            (30.1, 9),
            (40.0, 9),
            (40.1, 10),
            (50.0, 10),
            (59.9, 10),
            (60.0, 11),
            (69.9, 11),
            (70.0, 13),
            (95.0, 13),
        ] {
            assert_eq!(capacity(metric), expected, "metric {metric}");
        }
        check_steps(&out, AdjustmentType::PercentChangeInCapacity).unwrap();
        check_steps(&r#in, AdjustmentType::PercentChangeInCapacity).unwrap();
    }

    #[test]
    fn percent_changes_round_toward_zero_but_never_to_zero() {
        // §2.3's own numbers: 12.7 → 12, .67 → 1, −.58 → −1, −6.67 → −6; 10 % of 10 → 1.
        for (base, percent, expected) in
            [(127, 10, 12), (67, 1, 1), (58, -1, -1), (667, -1, -6), (10, 10, 1), (10, 0, 0), (0, 50, 0)]
        {
            assert_eq!(percent_change(base, percent, None), expected, "{percent} % of {base}");
        }
        // MinAdjustmentMagnitude: +25 % of 4 = 1, with a minimum of 2 → 2.
        assert_eq!(percent_change(4, 25, Some(2)), 2);
        assert_eq!(percent_change(4, -25, Some(2)), -2);
        assert_eq!(percent_change(40, 25, Some(2)), 10);
    }

    #[test]
    fn adjustment_types_from_the_user_guide() {
        let mut p = StepScaling {
            alarm: crate::scaling::AlarmConfig {
                metric: crate::scaling::Metric::Backlog,
                statistic: crate::scaling::Statistic::Average,
                period_minutes: 1,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                comparison: crate::scaling::Comparison::GreaterThanThreshold,
                threshold: 0.0,
                treat_missing_data: crate::scaling::MissingData::Missing,
            },
            adjustment_type: AdjustmentType::ChangeInCapacity,
            step_adjustments: vec![],
            min_adjustment_magnitude: None,
            cooldown_ms: 0,
            metric_aggregation_type: Aggregation::Average,
        };
        assert_eq!(stepped_capacity(&p, 5, 3), 8); // current 3, +5 → 8
        assert_eq!(stepped_capacity(&p, -5, 3), 0); // never below zero
        p.adjustment_type = AdjustmentType::ExactCapacity;
        assert_eq!(stepped_capacity(&p, 5, 3), 5); // current 3, exact 5 → 5
        p.adjustment_type = AdjustmentType::PercentChangeInCapacity;
        assert_eq!(stepped_capacity(&p, 10, 10), 11); // current 10, +10 % → 11
    }

    #[test]
    fn step_bounds_are_checked_like_the_api() {
        use AdjustmentType::ChangeInCapacity as C;
        let ok = [step(Some(0.0), Some(10.0), 1), step(Some(10.0), None, 2)];
        assert!(check_steps(&ok, C).is_ok());
        let gap = [step(Some(0.0), Some(10.0), 1), step(Some(15.0), None, 2)];
        assert!(check_steps(&gap, C).unwrap_err().contains("gap between 10 and 15"));
        let overlap = [step(Some(0.0), Some(10.0), 1), step(Some(5.0), None, 2)];
        assert!(check_steps(&overlap, C).unwrap_err().contains("overlap"));
        let two_open = [step(Some(0.0), None, 1), step(Some(10.0), None, 2)];
        assert!(check_steps(&two_open, C).unwrap_err().contains("at most one"));
        let closed_positive = [step(Some(0.0), Some(10.0), 1)];
        assert!(check_steps(&closed_positive, C).unwrap_err().contains("no upper bound"));
        let both_open = [step(None, None, 1)];
        assert!(check_steps(&both_open, C).unwrap_err().contains("neither bound"));
        assert!(check_steps(&[step(Some(0.0), None, -1)], AdjustmentType::ExactCapacity).is_err());
    }
}
