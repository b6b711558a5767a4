//! A service's scaling: target-tracking and step policies (`describe-scaling-policies`, a step
//! policy's alarm from `describe-alarms`) and scheduled actions
//! (`describe-scheduled-actions`), each written as the scenario table of the same name.

use super::{Importer, Inputs, Item, Service, key, list, quoted};
use crate::scaling::Metric;
use serde_json::Value;
use std::fmt::Write as _;

impl Importer {
    pub(super) fn policies(&mut self, text: &mut String, service: &Service, inputs: &Inputs) {
        for p in service.resource_items(&inputs.policies) {
            match p.json["PolicyType"].as_str() {
                Some("TargetTrackingScaling") => self.target_tracking(text, service, p),
                Some("StepScaling") => self.step_scaling(text, service, p, &inputs.alarms),
                other => self.warn(
                    p.file,
                    &p.at("PolicyType"),
                    format!("found {other:?}; expected TargetTrackingScaling or StepScaling: not imported"),
                ),
            }
        }
    }

    fn target_tracking(&mut self, text: &mut String, service: &Service, p: &Item) {
        let c = &p.json["TargetTrackingScalingPolicyConfiguration"];
        let predefined = c["PredefinedMetricSpecification"]["PredefinedMetricType"].as_str();
        // ecsim's metric of that AWS name (its table names each metric both ways).
        let metric = match Metric::NAMES.iter().find(|(_, aws, _)| Some(*aws) == predefined) {
            Some((name, _, _)) => *name,
            None => {
                self.warn(
                    p.file,
                    &p.at("TargetTrackingScalingPolicyConfiguration"),
                    format!("a customized metric ({predefined:?}) is not imported"),
                );
                return;
            }
        };
        let _ = writeln!(text, "\n[[services.{}.target_tracking]]  # {}: {}", key(&service.name), p.file, p.path);
        let _ = writeln!(text, "name = {}  # PolicyName", quoted(p.json["PolicyName"].as_str().unwrap_or("policy")));
        let _ = writeln!(text, "metric = {}  # PredefinedMetricType", quoted(metric));
        let _ = writeln!(text, "target_value = {:?}  # TargetValue", c["TargetValue"].as_f64().unwrap_or(50.0));
        for (json, key) in [("ScaleOutCooldown", "scale_out_cooldown"), ("ScaleInCooldown", "scale_in_cooldown")] {
            if let Some(seconds) = c[json].as_i64() {
                let _ = writeln!(text, "{key} = \"{seconds}s\"  # {json}");
            }
        }
        if c["DisableScaleIn"].as_bool() == Some(true) {
            let _ = writeln!(text, "disable_scale_in = true  # DisableScaleIn");
        }
    }

    /// A step policy and the CloudWatch alarm that invokes it: named in the policy's `Alarms`,
    /// or the alarm whose `AlarmActions` hold the policy's ARN.
    fn step_scaling(&mut self, text: &mut String, service: &Service, p: &Item, alarms: &[Item]) {
        let c = &p.json["StepScalingPolicyConfiguration"];
        let arn = p.json["PolicyARN"].as_str().unwrap_or("");
        let names: Vec<&str> = list(&p.json["Alarms"]).filter_map(|a| a["AlarmName"].as_str()).collect();
        let invoking: Vec<&Item> = alarms
            .iter()
            .filter(|a| {
                a.json["AlarmName"].as_str().is_some_and(|n| names.contains(&n))
                    || list(&a.json["AlarmActions"]).any(|x| x.as_str() == Some(arn))
            })
            .collect();
        let Some(alarm) = invoking.first() else {
            self.warn(
                p.file,
                &p.at("Alarms"),
                format!(
                    "a step policy needs its alarm, and no describe-alarms output holds {}: not imported",
                    names.first().map_or("one that invokes it".to_owned(), |n| quoted(n))
                ),
            );
            return;
        };
        for other in &invoking[1..] {
            self.warn(
                other.file,
                &other.path,
                "a second alarm invoking the same step policy: ecsim gives a step policy one alarm, this one is left out",
            );
        }
        let Some(alarm_table) = self.alarm(alarm, &service.name) else { return };
        let steps: Vec<String> = list(&c["StepAdjustments"])
            .map(|step| {
                let mut parts = Vec::new();
                for (json, key) in [
                    ("MetricIntervalLowerBound", "metric_interval_lower_bound"),
                    ("MetricIntervalUpperBound", "metric_interval_upper_bound"),
                ] {
                    if let Some(bound) = step[json].as_f64() {
                        parts.push(format!("{key} = {bound:?}"));
                    }
                }
                parts.push(format!("scaling_adjustment = {}", step["ScalingAdjustment"].as_i64().unwrap_or(0)));
                format!("{{ {} }}", parts.join(", "))
            })
            .collect();
        let _ = writeln!(text, "\n[[services.{}.step_scaling]]  # {}: {}", key(&service.name), p.file, p.path);
        let _ = writeln!(text, "name = {}  # PolicyName", quoted(p.json["PolicyName"].as_str().unwrap_or("policy")));
        let _ = writeln!(
            text,
            "adjustment_type = {}  # StepScalingPolicyConfiguration.AdjustmentType",
            quoted(c["AdjustmentType"].as_str().unwrap_or(""))
        );
        let _ = writeln!(text, "step_adjustments = [{}]  # StepAdjustments", steps.join(", "));
        if let Some(magnitude) = c["MinAdjustmentMagnitude"].as_i64() {
            let _ = writeln!(text, "min_adjustment_magnitude = {magnitude}  # MinAdjustmentMagnitude");
        }
        if let Some(cooldown) = c["Cooldown"].as_i64() {
            let _ = writeln!(text, "cooldown = \"{cooldown}s\"  # Cooldown");
        }
        if let Some(aggregation) = c["MetricAggregationType"].as_str() {
            let _ = writeln!(text, "metric_aggregation_type = {}  # MetricAggregationType", quoted(aggregation));
        }
        let _ = writeln!(
            text,
            "alarm = {alarm_table}  # {}: {} ({})",
            alarm.file,
            alarm.path,
            quoted(alarm.json["AlarmName"].as_str().unwrap_or(""))
        );
    }

    /// An alarm of `describe-alarms` as a step policy's `alarm = { … }`; `None`, with a
    /// warning, for a metric ecsim does not model.
    fn alarm(&mut self, alarm: &Item, service: &str) -> Option<String> {
        let a = alarm.json;
        // An ECS alarm must watch this service's metric, not the cluster's or another's.
        if a["Namespace"].as_str() == Some("AWS/ECS") {
            let dimension = list(&a["Dimensions"])
                .find(|d| d["Name"].as_str() == Some("ServiceName"))
                .and_then(|d| d["Value"].as_str());
            if dimension != Some(service) {
                self.warn(
                    alarm.file,
                    &alarm.at("Dimensions"),
                    format!(
                        "the alarm watches {}, not the service {}: the step policy is not imported",
                        dimension.map_or("the cluster (no ServiceName dimension)".to_owned(), |d| format!(
                            "the service {}",
                            quoted(d)
                        )),
                        quoted(service)
                    ),
                );
                return None;
            }
        }
        let metric = match (a["Namespace"].as_str(), a["MetricName"].as_str()) {
            (Some("AWS/ECS"), Some("CPUUtilization")) => "cpu",
            (Some("AWS/ECS"), Some("MemoryUtilization")) => "memory",
            (Some("AWS/ApplicationELB"), Some("RequestCountPerTarget")) => "alb_requests_per_target",
            (namespace, name) => {
                let what = match (namespace, name) {
                    (Some(namespace), Some(name)) => format!("{namespace} {name}"),
                    _ => "metric math (`Metrics`)".to_owned(),
                };
                self.warn(alarm.file, &alarm.at("MetricName"), format!("{what}: ecsim models AWS/ECS CPUUtilization and MemoryUtilization and AWS/ApplicationELB RequestCountPerTarget; the step policy is not imported"));
                return None;
            }
        };
        if a.get("ExtendedStatistic").is_some() {
            self.warn(
                alarm.file,
                &alarm.at("ExtendedStatistic"),
                "a percentile statistic: ecsim's alarm uses Average instead",
            );
        }
        let mut parts = vec![format!("metric = {}", quoted(metric))];
        if let Some(statistic) = a["Statistic"].as_str() {
            parts.push(format!("statistic = {}", quoted(statistic)));
        }
        if let Some(period) = a["Period"].as_i64() {
            parts.push(format!("period = \"{period}s\""));
        }
        parts.push(format!("evaluation_periods = {}", a["EvaluationPeriods"].as_i64().unwrap_or(1)));
        if let Some(m) = a["DatapointsToAlarm"].as_i64() {
            parts.push(format!("datapoints_to_alarm = {m}"));
        }
        parts.push(format!("comparison_operator = {}", quoted(a["ComparisonOperator"].as_str().unwrap_or(""))));
        parts.push(format!("threshold = {:?}", a["Threshold"].as_f64().unwrap_or(0.0)));
        if let Some(missing) = a["TreatMissingData"].as_str() {
            parts.push(format!("treat_missing_data = {}", quoted(missing)));
        }
        Some(format!("{{ {} }}", parts.join(", ")))
    }

    pub(super) fn scheduled_actions(&mut self, text: &mut String, service: &Service, inputs: &Inputs) {
        for action in service.resource_items(&inputs.scheduled_actions) {
            let a = action.json;
            let _ = writeln!(
                text,
                "\n[[services.{}.scheduled_actions]]  # {}: {}",
                key(&service.name),
                action.file,
                action.path
            );
            let _ = writeln!(
                text,
                "name = {}  # ScheduledActionName",
                quoted(a["ScheduledActionName"].as_str().unwrap_or(""))
            );
            let _ = writeln!(text, "schedule = {}  # Schedule", quoted(a["Schedule"].as_str().unwrap_or("")));
            if let Some(zone) = a["Timezone"].as_str() {
                let _ = writeln!(text, "timezone = {}  # Timezone", quoted(zone));
            }
            for (json, key) in [("StartTime", "start_time"), ("EndTime", "end_time")] {
                if let Some(time) = self.utc(action, json) {
                    let _ = writeln!(text, "{key} = \"{time}\"  # {json}");
                }
            }
            for (json, key) in [("MinCapacity", "min_capacity"), ("MaxCapacity", "max_capacity")] {
                if let Some(capacity) = a["ScalableTargetAction"][json].as_i64() {
                    let _ = writeln!(text, "{key} = {capacity}  # ScalableTargetAction.{json}");
                }
            }
        }
    }

    /// An ISO 8601 time of `field` (the CLI prints `2026-01-05T09:00:00+01:00` or with
    /// fractions) in RFC 3339 UTC; `None`, with a warning if it was there but unreadable.
    pub(super) fn utc(&mut self, item: &Item, field: &str) -> Option<String> {
        let value: &Value = &item.json[field];
        let text = value.as_str()?;
        match text.parse::<jiff::Timestamp>() {
            Ok(time) => Some(jiff::Timestamp::from_second(time.as_second()).ok()?.to_string()),
            Err(_) => {
                self.warn(item.file, &item.at(field), format!("found {value}; expected an ISO 8601 time: left out"));
                None
            }
        }
    }

    /// Warns of each alarm that no policy of the folder names or is invoked by (a
    /// target-tracking policy's own alarms are ecsim's to make).
    pub(super) fn unused_alarms(&mut self, inputs: &Inputs) {
        let named: Vec<&str> = (inputs.policies.iter())
            .flat_map(|p| list(&p.json["Alarms"]))
            .filter_map(|a| a["AlarmName"].as_str())
            .collect();
        let policies: Vec<&str> = inputs.policies.iter().filter_map(|p| p.json["PolicyARN"].as_str()).collect();
        for alarm in &inputs.alarms {
            let name = alarm.json["AlarmName"].as_str().unwrap_or("");
            let invokes = list(&alarm.json["AlarmActions"])
                .any(|action| action.as_str().is_some_and(|arn| policies.contains(&arn)));
            if !named.contains(&name) && !invokes {
                self.warn(
                    alarm.file,
                    &alarm.path,
                    format!("alarm {} invokes no scaling policy of the folder: left out", quoted(name)),
                );
            }
        }
    }
}
