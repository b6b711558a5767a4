//! The scaling policies of a service: target tracking, step scaling with its alarm, and
//! scheduled actions (reference §1–§3).

use super::*;

impl Translator<'_, '_> {
    /// The service's target-tracking and step-scaling policies, with unique names.
    pub(super) fn policies(&mut self, path: &KeyPath, file: &ServiceFile) -> Vec<Policy> {
        let mut policies: Vec<Policy> = Vec::new();
        let declared = file.target_tracking.len() + file.step_scaling.len();
        if !self.list_within(path, declared, "scaling policies (target_tracking and step_scaling)", POLICIES_PER_TARGET)
        {
            return policies;
        }
        for (i, tt_file) in file.target_tracking.iter().enumerate() {
            let tt_path = path.key("target_tracking").index(i);
            let Some(tt) = self.target_tracking(&tt_path, tt_file) else { continue };
            let tracked_already =
                policies.iter().any(|p| matches!(&p.kind, PolicyKind::TargetTracking(o) if o.metric == tt.metric));
            if tracked_already {
                self.fail(
                    &tt_path.key("metric"),
                    format!(
                        "a second policy on {}; AWS allows one target tracking policy per metric",
                        tt.metric.name()
                    ),
                );
            }
            let short = Metric::NAMES.iter().find(|(_, _, m)| *m == tt.metric).map_or("metric", |n| n.0);
            let name = tt_file.name.clone().unwrap_or_else(|| format!("{short}-target-tracking"));
            policies.push(Policy { name, kind: PolicyKind::TargetTracking(tt) });
        }
        for (i, step_file) in file.step_scaling.iter().enumerate() {
            let step_path = path.key("step_scaling").index(i);
            let Some(step) = self.step_scaling(&step_path, step_file) else { continue };
            let name = step_file.name.clone().unwrap_or_else(|| format!("step-scaling-{i}"));
            policies.push(Policy { name, kind: PolicyKind::StepScaling(step) });
        }
        for (i, policy) in policies.iter().enumerate() {
            if policies[..i].iter().any(|p| p.name == policy.name) {
                self.fail(
                    path,
                    format!("two policies are named \"{}\"; policy names are unique per service", policy.name),
                );
            }
        }
        policies
    }

    pub(super) fn metric(&mut self, path: &KeyPath, name: &str) -> Option<Metric> {
        match Metric::parse(name) {
            Some(metric) => Some(metric),
            None => {
                let allowed: Vec<String> =
                    Metric::NAMES.iter().map(|(short, aws, _)| format!("\"{short}\" ({aws})")).collect();
                self.fail(
                    path,
                    format!("found \"{name}\", which is not a metric; expected one of {}", allowed.join(", ")),
                );
                None
            }
        }
    }

    pub(super) fn target_tracking(&mut self, path: &KeyPath, file: &TargetTrackingFile) -> Option<TargetTracking> {
        let metric = self.metric(&path.key("metric"), &file.metric);
        let utilization = matches!(metric, Some(Metric::CpuUtilization | Metric::MemoryUtilization));
        if utilization && file.target_value > 0.0 && file.target_value <= 1.0 {
            let t = file.target_value;
            self.warn(
                &path.key("target_value"),
                format!(
                    "a utilization target is a percentage: {t} means {t} %, not {} %; write {} for that",
                    t * 100.0,
                    t * 100.0
                ),
            );
        }
        let most = if utilization { 100.0 } else { MAX_LOAD_RATE };
        let target_value = match file.target_value {
            t if t.is_finite() && t > 0.0 && t <= most => Some(t),
            t => {
                let allowed = if utilization {
                    "a utilization target is a percentage above 0 and at most 100"
                } else {
                    "a target above 0 and at most 1e9"
                };
                self.fail(&path.key("target_value"), format!("found {}; {allowed}", number(t)));
                None
            }
        };
        let scale_out_cooldown_ms = self.optional_duration(
            &path.key("scale_out_cooldown"),
            file.scale_out_cooldown.as_deref(),
            DEFAULT_COOLDOWN_MS,
        );
        let scale_in_cooldown_ms = self.optional_duration(
            &path.key("scale_in_cooldown"),
            file.scale_in_cooldown.as_deref(),
            DEFAULT_COOLDOWN_MS,
        );
        let scale_from = self.choice(
            &path.key("scale_from"),
            file.scale_from.as_deref().unwrap_or("running_count"),
            &[("running_count", ScaleFrom::RunningCount), ("desired_count", ScaleFrom::DesiredCount)],
        );
        let mut datapoints = |key: &str, value: Option<i64>, default: i64| {
            let value = value.unwrap_or(default);
            if (1..=64).contains(&value) {
                Some(value as u32)
            } else {
                self.fail(&path.key(key), format!("found {value}; expected 1 to 64 one-minute datapoints"));
                None
            }
        };
        let scale_out_datapoints =
            datapoints("scale_out_datapoints", file.scale_out_datapoints, i64::from(DEFAULT_SCALE_OUT_DATAPOINTS));
        let scale_in_datapoints =
            datapoints("scale_in_datapoints", file.scale_in_datapoints, i64::from(DEFAULT_SCALE_IN_DATAPOINTS));
        let ratio = file.scale_in_threshold_ratio.unwrap_or(DEFAULT_SCALE_IN_THRESHOLD_RATIO);
        let scale_in_threshold_ratio = if ratio.is_finite() && ratio > 0.0 && ratio <= 1.0 {
            Some(ratio)
        } else {
            self.fail(
                &path.key("scale_in_threshold_ratio"),
                format!("found {ratio}; expected a fraction of the target above 0 and at most 1"),
            );
            None
        };
        Some(TargetTracking {
            metric: metric?,
            target_value: target_value?,
            scale_out_cooldown_ms: scale_out_cooldown_ms?,
            scale_in_cooldown_ms: scale_in_cooldown_ms?,
            disable_scale_in: file.disable_scale_in.unwrap_or(false),
            scale_from: scale_from?,
            scale_out_datapoints: scale_out_datapoints?,
            scale_in_datapoints: scale_in_datapoints?,
            scale_in_threshold_ratio: scale_in_threshold_ratio?,
        })
    }

    pub(super) fn step_scaling(&mut self, path: &KeyPath, file: &StepScalingFile) -> Option<StepScaling> {
        let alarm = self.alarm(&path.key("alarm"), &file.alarm);
        let adjustment_type = self.choice(&path.key("adjustment_type"), &file.adjustment_type, &AdjustmentType::NAMES);
        self.list_within(&path.key("step_adjustments"), file.step_adjustments.len(), "steps", STEPS_PER_POLICY);
        let mut numbers_ok = true;
        for (i, step) in file.step_adjustments.iter().enumerate() {
            let step_path = path.key("step_adjustments").index(i);
            for (key, bound) in [
                ("metric_interval_lower_bound", step.metric_interval_lower_bound),
                ("metric_interval_upper_bound", step.metric_interval_upper_bound),
            ] {
                if let Some(b) = bound.filter(|b| !b.is_finite()) {
                    self.fail(&step_path.key(key), format!("found {b}; expected a finite number"));
                    numbers_ok = false;
                }
            }
            if step.scaling_adjustment.unsigned_abs() > MAX_STEP_ADJUSTMENT {
                self.fail(
                    &step_path.key("scaling_adjustment"),
                    format!(
                        "found {}; expected a whole number from -{MAX_STEP_ADJUSTMENT} to {MAX_STEP_ADJUSTMENT} (tasks, or percent for PercentChangeInCapacity)",
                        step.scaling_adjustment
                    ),
                );
                numbers_ok = false;
            }
        }
        let steps: Vec<StepAdjustment> = file
            .step_adjustments
            .iter()
            .map(|s| StepAdjustment {
                lower: s.metric_interval_lower_bound,
                upper: s.metric_interval_upper_bound,
                scaling_adjustment: s.scaling_adjustment,
            })
            .collect();
        if let Some(kind) = adjustment_type.filter(|_| numbers_ok)
            && let Err(problem) = check_steps(&steps, kind)
        {
            self.fail(&path.key("step_adjustments"), problem);
        }
        let min_adjustment_magnitude = match (file.min_adjustment_magnitude, adjustment_type) {
            (None, _) => Some(None),
            (Some(m), Some(AdjustmentType::PercentChangeInCapacity))
                if (1..=i64::from(TASKS_PER_SERVICE.max)).contains(&m) =>
            {
                Some(u32::try_from(m).ok())
            }
            (Some(m), _) => {
                self.fail(
                    &path.key("min_adjustment_magnitude"),
                    format!("found {m}; it is a count from 1 to 5000 (tasks per service) and applies only to PercentChangeInCapacity"),
                );
                None
            }
        };
        let cooldown_ms = self.optional_duration(&path.key("cooldown"), file.cooldown.as_deref(), DEFAULT_COOLDOWN_MS);
        let aggregation = self.choice(
            &path.key("metric_aggregation_type"),
            file.metric_aggregation_type.as_deref().unwrap_or("Average"),
            &Aggregation::NAMES,
        );
        Some(StepScaling {
            alarm: alarm?,
            adjustment_type: adjustment_type?,
            step_adjustments: steps,
            min_adjustment_magnitude: min_adjustment_magnitude?,
            cooldown_ms: cooldown_ms?,
            metric_aggregation_type: aggregation?,
        })
    }

    pub(super) fn alarm(&mut self, path: &KeyPath, file: &AlarmFile) -> Option<AlarmConfig> {
        let metric = self.metric(&path.key("metric"), &file.metric);
        let statistic =
            self.choice(&path.key("statistic"), file.statistic.as_deref().unwrap_or("Average"), &Statistic::NAMES);
        let period_text = file.period.as_deref().unwrap_or("1m");
        let period_ms = self.positive_duration(&path.key("period"), period_text);
        let period_minutes = match period_ms {
            Some(ms) if ms % MS_PER_MINUTE == 0 => u32::try_from(ms / MS_PER_MINUTE).ok(),
            Some(_) => {
                self.fail(
                    &path.key("period"),
                    format!("found \"{period_text}\"; ecsim's metrics are one-minute, so a period is whole minutes"),
                );
                None
            }
            None => None,
        };
        let n = file.evaluation_periods;
        let evaluation_periods = if (1..=i64::from(MAX_EVALUATION_PERIODS)).contains(&n) {
            u32::try_from(n).ok()
        } else {
            self.fail(&path.key("evaluation_periods"), format!("found {n}; expected 1 to {MAX_EVALUATION_PERIODS}"));
            None
        };
        // PutMetricAlarm: "the maximum value of Period × EvaluationPeriods is one day (86,400 s)
        // for a period under an hour, seven days (604,800 s) otherwise".
        if let (Some(period), Some(periods)) = (period_minutes, evaluation_periods) {
            let most_minutes = if period < 60 { 24 * 60 } else { 7 * 24 * 60 };
            if u64::from(period) * u64::from(periods) > most_minutes {
                self.fail(
                    &path.key("period"),
                    format!(
                        "found \"{}\" × {periods} evaluation periods; CloudWatch allows period × evaluation_periods of at most {}",
                        shorten(period_text),
                        if period < 60 { "one day for a period under an hour" } else { "seven days" }
                    ),
                );
            }
        }
        let m = file.datapoints_to_alarm.unwrap_or(n);
        let datapoints_to_alarm = if (1..=n).contains(&m) {
            u32::try_from(m).ok()
        } else {
            self.fail(&path.key("datapoints_to_alarm"), format!("found {m}; expected 1 to evaluation_periods ({n})"));
            None
        };
        let comparison = self.choice(&path.key("comparison_operator"), &file.comparison_operator, &Comparison::NAMES);
        let threshold = if file.threshold.is_finite() {
            Some(file.threshold)
        } else {
            self.fail(&path.key("threshold"), format!("found {}; expected a finite number", file.threshold));
            None
        };
        let missing = self.choice(
            &path.key("treat_missing_data"),
            file.treat_missing_data.as_deref().unwrap_or("missing"),
            &MissingData::NAMES,
        );
        Some(AlarmConfig {
            metric: metric?,
            statistic: statistic?,
            period_minutes: period_minutes?,
            evaluation_periods: evaluation_periods?,
            datapoints_to_alarm: datapoints_to_alarm?,
            comparison: comparison?,
            threshold: threshold?,
            treat_missing_data: missing?,
        })
    }

    pub(super) fn timestamp(&mut self, path: &KeyPath, text: &str) -> Option<jiff::Timestamp> {
        match text.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(
                    path,
                    format!("found \"{text}\" ({e}); expected an RFC 3339 time such as \"2026-01-05T09:00:00Z\""),
                );
                None
            }
        }
    }

    /// Scheduled actions, with their firing times within `run` (start and end of the run).
    pub(super) fn scheduled_actions(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Vec<ScheduledAction> {
        let mut actions: Vec<ScheduledAction> = Vec::new();
        let declared = file.scheduled_actions.len();
        if !self.list_within(
            &path.key("scheduled_actions"),
            declared,
            "scheduled actions",
            SCHEDULED_ACTIONS_PER_TARGET,
        ) {
            return actions;
        }
        for (i, action) in file.scheduled_actions.iter().enumerate() {
            let path = path.key("scheduled_actions").index(i);
            let when =
                When::scheduled(None, Some(&action.schedule), [&action.timezone, &action.start_time, &action.end_time]);
            let fire_times_ms = self.firings(&path, &when, run);
            let min = action.min_capacity.map(|m| self.count_within(&path.key("min_capacity"), m, TASKS_PER_SERVICE));
            let max = action.max_capacity.map(|m| self.count_within(&path.key("max_capacity"), m, TASKS_PER_SERVICE));
            if min.is_none() && max.is_none() {
                self.fail(&path, "a scheduled action sets min_capacity, max_capacity or both");
            }
            if let (Some(Some(lo)), Some(Some(hi))) = (min, max)
                && lo > hi
            {
                self.fail(
                    &path.key("min_capacity"),
                    format!("found {lo}, greater than the action's max_capacity ({hi})"),
                );
            }
            let name = action.name.clone().unwrap_or_else(|| format!("scheduled-action-{i}"));
            if actions.iter().any(|a| a.name == name) {
                self.fail(
                    &path.key("name"),
                    format!("a second action named \"{name}\"; action names are unique per service"),
                );
            }
            let (Some(fire_times_ms), Some(min_capacity), Some(max_capacity)) =
                (fire_times_ms, settled(min), settled(max))
            else {
                continue;
            };
            actions.push(ScheduledAction {
                name,
                schedule: action.schedule.clone(),
                timezone: action.timezone.clone().unwrap_or_else(|| "UTC".to_owned()),
                min_capacity,
                max_capacity,
                fire_times_ms,
            });
        }
        actions
    }
}
