//! Serde types that mirror the scenario file, key for key. Unknown keys are errors. Values
//! stay raw here (durations as strings); `translate` checks and converts them. The same types
//! give `ecsim schema` its JSON Schema (schemars reads the serde attributes: renames, tags,
//! defaults, unknown keys refused).

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::json;

/// The schema of both files `ecsim` reads (for the schema alone: each is read by its own type).
/// A scenario's keys and a sweep file's `scenario` at the top, so that an editor offers them
/// all; a file with `scenario` must then be a sweep file, any other a scenario. (`anyOf` would
/// say as much, but a validator's message for it names no key; taplo completes through `$ref`,
/// `anyOf`, `oneOf` and `allOf` and only checks `if`/`then`/`else`.)
pub struct AnyFile;

impl JsonSchema for AnyFile {
    fn schema_name() -> Cow<'static, str> {
        "AnyFile".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = ScenarioFile::json_schema(generator);
        let sweep_file = generator.subschema_for::<SweepOnlyFile>();
        let required = schema.remove("required").unwrap_or_else(|| json!([]));
        if let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
            let scenario = json!({
                "description": "A sweep file's: the scenario file it sweeps, relative to this file",
                "type": "string"
            });
            properties.insert("scenario".into(), scenario);
        }
        schema.insert("title".into(), "ecsim scenario or sweep file".into());
        schema.insert(
            "description".into(),
            "A scenario (which may hold a [sweep]), or a sweep file naming the scenario it sweeps. scenarios/README.md gives every key with its default and meaning.".into(),
        );
        schema.insert("if".into(), json!({ "required": ["scenario"] }));
        schema.insert("then".into(), sweep_file.to_value());
        schema.insert("else".into(), json!({ "required": required }));
        schema
    }
}

// `sweep::load_sweep` reads it through `Top` and refuses other keys with a message of its own.
/// A sweep file: `scenario`, `name` and [sweep], nothing else.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code, reason = "a shape for the schema, never built")]
pub struct SweepOnlyFile {
    /// The scenario file swept, relative to this file.
    pub scenario: String,
    /// The sweep's folder name, instead of the scenario's.
    pub name: Option<String>,
    pub sweep: SweepFile,
}

/// A scenario: its loads and the services that serve them, with their capacity.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub version: i64,
    pub name: String,
    pub start: Option<String>,
    pub duration: String,
    pub tick: Option<String>,
    pub series_interval: Option<String>,
    pub unserved_cost_per_million: Option<f64>,
    pub seed: Option<u64>,
    pub region: Option<String>,
    pub prices: Option<String>,
    pub catalog: Option<String>,
    #[serde(default)]
    pub loads: IndexMap<String, ShapeFile>,
    #[serde(default)]
    pub capacity_providers: IndexMap<String, CapacityProviderFile>,
    pub fargate_spot: Option<FargateSpotFile>,
    pub cluster: Option<ClusterFile>,
    #[serde(default)]
    pub services: IndexMap<String, ServiceFile>,
    #[serde(default)]
    pub jobs: IndexMap<String, JobFile>,
    #[serde(default)]
    pub outages: Vec<OutageFile>,
    /// `[variants.NAME]`: each overrides parts of the rest of the file (read by `scenario::parse`).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, serde_json::Map<String, serde_json::Value>>")]
    pub variants: IndexMap<String, toml::Value>,
    /// `[sweep]`: read by `scenario::sweep` for `ecsim sweep`; a single run ignores it.
    #[schemars(with = "Option<SweepFile>")]
    pub sweep: Option<toml::Value>,
}

/// `[sweep]`: the axes, how they move together, and the runs of each point.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub replications: Option<i64>,
    #[serde(default)]
    pub axes: Vec<AxisFile>,
    #[serde(default)]
    pub zip: Vec<Vec<String>>,
}

/// One axis: a key of the scenario and its values, listed or as a range.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AxisFile {
    pub key: String,
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub values: Option<Vec<toml::Value>>,
    #[schemars(with = "Option<serde_json::Value>")]
    pub from: Option<toml::Value>,
    #[schemars(with = "Option<serde_json::Value>")]
    pub to: Option<toml::Value>,
    #[schemars(with = "Option<serde_json::Value>")]
    pub step: Option<toml::Value>,
    pub labels: Option<Vec<String>>,
}

/// The cluster: its default capacity provider strategy.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterFile {
    pub default_capacity_provider_strategy: Option<Vec<StrategyItemFile>>,
}

/// Fargate Spot for the whole scenario.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FargateSpotFile {
    pub price: Option<f64>,
    pub interruptions_per_task_hour: f64,
    #[serde(default)]
    pub storms: Vec<StormFile>,
    #[serde(default)]
    pub unavailable: Vec<PeriodFile>,
    pub fallback_to_on_demand: Option<bool>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StormFile {
    pub start: String,
    pub length: String,
    pub interruptions_per_task_hour: f64,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodFile {
    pub start: String,
    pub length: String,
}

/// An Auto Scaling group capacity provider.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityProviderFile {
    pub instance_types: Vec<String>,
    pub min_size: i64,
    pub max_size: i64,
    pub desired_capacity: Option<i64>,
    pub availability_zones: Option<i64>,
    pub pending: Option<DelayFile>,
    pub boot: Option<DelayFile>,
    pub registered_memory_share: Option<f64>,
    pub ecs_reserved_memory: Option<i64>,
    pub awsvpc_trunking: Option<IndexMap<String, i64>>,
    pub managed_scaling: Option<ManagedScalingFile>,
    pub managed_termination_protection: Option<bool>,
    pub managed_draining: Option<bool>,
    #[serde(default)]
    pub attributes: IndexMap<String, String>,
    pub spot: Option<SpotFile>,
    #[serde(default)]
    pub scheduled_actions: Vec<GroupActionFile>,
}

/// An EC2 Auto Scaling scheduled action: once at `start_time` (or `at` a time from the run's
/// start), or on a Unix cron `recurrence` from `start_time` to `end_time`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupActionFile {
    pub name: Option<String>,
    pub at: Option<String>,
    pub recurrence: Option<String>,
    pub time_zone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotFile {
    pub price: Option<f64>,
    pub price_history: Option<String>,
    pub interruptions_per_hour: f64,
    pub instance_draining: Option<bool>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedScalingFile {
    pub target_capacity: Option<i64>,
    pub minimum_scaling_step_size: Option<i64>,
    pub maximum_scaling_step_size: Option<i64>,
    pub instance_warmup_period: Option<String>,
    pub group_estimate: Option<String>,
    pub scale_in_reading: Option<String>,
    pub scale_in_pace: Option<i64>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyItemFile {
    pub capacity_provider: String,
    pub base: Option<i64>,
    pub weight: Option<i64>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementStrategyFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub field: Option<String>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementConstraintFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub expression: Option<String>,
}

/// A load shape. `noise` is accepted on every shape so that the error for noise on a part
/// of a sum or product can say where noise belongs.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(tag = "shape", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShapeFile {
    Constant {
        value: f64,
        noise: Option<NoiseFile>,
    },
    Ramp {
        from: f64,
        to: f64,
        start: Option<String>,
        end: String,
        noise: Option<NoiseFile>,
    },
    Step {
        steps: Vec<StepFile>,
        noise: Option<NoiseFile>,
    },
    Diurnal {
        mean: Option<f64>,
        amplitude: Option<f64>,
        peak_value: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
        peak: Option<String>,
        weekend_factor: Option<f64>,
        noise: Option<NoiseFile>,
    },
    Spike {
        start: String,
        length: String,
        multiplier: f64,
        noise: Option<NoiseFile>,
    },
    Trace {
        file: String,
        bucket: String,
        scale: Option<f64>,
        offset: Option<String>,
        #[serde(rename = "loop")]
        looped: Option<bool>,
        gaps: Option<String>,
        unit: Option<String>,
        noise: Option<NoiseFile>,
    },
    Sum {
        parts: Vec<ShapeFile>,
        noise: Option<NoiseFile>,
    },
    Product {
        parts: Vec<ShapeFile>,
        noise: Option<NoiseFile>,
    },
}

impl ShapeFile {
    pub fn noise(&self) -> Option<&NoiseFile> {
        match self {
            ShapeFile::Constant { noise, .. }
            | ShapeFile::Ramp { noise, .. }
            | ShapeFile::Step { noise, .. }
            | ShapeFile::Diurnal { noise, .. }
            | ShapeFile::Spike { noise, .. }
            | ShapeFile::Trace { noise, .. }
            | ShapeFile::Sum { noise, .. }
            | ShapeFile::Product { noise, .. } => noise.as_ref(),
        }
    }
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub at: String,
    pub value: f64,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NoiseFile {
    Normal { sd: f64 },
    Uniform { width: f64 },
    LogNormal { sigma: f64 },
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub load: Option<String>,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Option<Vec<StrategyItemFile>>,
    pub strategy_split: Option<String>,
    pub cpu_limit: Option<String>,
    pub scheduling_strategy: Option<String>,
    pub network_mode: Option<String>,
    pub host_port: Option<i64>,
    #[serde(default)]
    pub placement_strategy: Vec<PlacementStrategyFile>,
    #[serde(default)]
    pub placement_constraints: Vec<PlacementConstraintFile>,
    pub cpu: i64,
    pub memory: i64,
    pub cpu_architecture: Option<String>,
    pub operating_system_family: Option<String>,
    pub ephemeral_storage: Option<i64>,
    pub requests_per_task: Option<f64>,
    pub desired_count: Option<i64>,
    pub min_capacity: Option<i64>,
    pub max_capacity: Option<i64>,
    pub provisioning: Option<DelayFile>,
    pub startup: Option<DelayFile>,
    pub stop_timeout: Option<String>,
    pub availability_zones: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub memory_use: Option<MemoryUseFile>,
    pub overflow: Option<String>,
    pub load_balancer: Option<LoadBalancerFile>,
    pub dynamic_scaling_in_suspended: Option<bool>,
    pub dynamic_scaling_out_suspended: Option<bool>,
    pub scheduled_scaling_suspended: Option<bool>,
    #[serde(default)]
    pub target_tracking: Vec<TargetTrackingFile>,
    #[serde(default)]
    pub step_scaling: Vec<StepScalingFile>,
    #[serde(default)]
    pub scheduled_actions: Vec<ScheduledActionFile>,
    #[serde(default)]
    pub deployments: Vec<DeploymentFile>,
    #[serde(default)]
    pub updates: Vec<UpdateFile>,
}

/// A rolling deployment: once `at` a time from the run's start, or on a `schedule` as a
/// scheduled action has.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentFile {
    pub name: Option<String>,
    pub at: Option<String>,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub minimum_healthy_percent: Option<i64>,
    pub maximum_percent: Option<i64>,
    pub health_check_grace_period: Option<String>,
    pub startup: Option<DelayFile>,
    /// A right-sizing rollout: the new revision's task size, each key not given the service's.
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub requests_per_task: Option<f64>,
    pub failing_share: Option<f64>,
    pub fail_after: Option<DelayFile>,
    pub circuit_breaker: Option<CircuitBreakerFile>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerFile {
    pub rollback: Option<bool>,
    pub reset_on_healthy_task: Option<bool>,
    pub threshold: Option<i64>,
}

/// Standalone tasks (`RunTask`) started by a schedule (EventBridge Scheduler) or by arrivals
/// (S3 uploads through EventBridge), `count` at a time, each running for `run_time`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Option<Vec<StrategyItemFile>>,
    pub network_mode: Option<String>,
    #[serde(default)]
    pub placement_strategy: Vec<PlacementStrategyFile>,
    #[serde(default)]
    pub placement_constraints: Vec<PlacementConstraintFile>,
    pub cpu: i64,
    pub memory: i64,
    pub cpu_architecture: Option<String>,
    pub operating_system_family: Option<String>,
    pub ephemeral_storage: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub provisioning: Option<DelayFile>,
    pub startup: Option<DelayFile>,
    pub count: Option<i64>,
    pub run_time: DelayFile,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// A load whose rate is the arrivals per second (a `trace` load of upload times).
    pub arrivals: Option<String>,
    pub retry: Option<RetryFile>,
}

/// An Availability Zone lost: `zone = "us-east-1b"` (or `"b"`), from `start` (a time from the
/// run's start) for `length`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageFile {
    pub zone: String,
    pub start: String,
    pub length: String,
}

/// EventBridge's retry policy for a target that fails.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryFile {
    pub maximum_retry_attempts: Option<i64>,
    pub maximum_event_age: Option<String>,
    pub first_delay: Option<String>,
    pub maximum_delay: Option<String>,
}

/// A desired count set by hand (`UpdateService`), once `at` a time or on a `schedule`.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFile {
    pub name: Option<String>,
    pub at: Option<String>,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub desired_count: i64,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledActionFile {
    pub name: Option<String>,
    pub schedule: String,
    pub timezone: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub min_capacity: Option<i64>,
    pub max_capacity: Option<i64>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerFile {
    pub health_check_interval: Option<String>,
    pub healthy_threshold_count: Option<i64>,
    pub unhealthy_threshold_count: Option<i64>,
    pub deregistration_delay: Option<String>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryUseFile {
    pub base: f64,
    pub per_request_per_second: f64,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepScalingFile {
    pub name: Option<String>,
    pub adjustment_type: String,
    pub step_adjustments: Vec<StepAdjustmentFile>,
    pub min_adjustment_magnitude: Option<i64>,
    pub cooldown: Option<String>,
    pub metric_aggregation_type: Option<String>,
    pub alarm: AlarmFile,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepAdjustmentFile {
    pub metric_interval_lower_bound: Option<f64>,
    pub metric_interval_upper_bound: Option<f64>,
    pub scaling_adjustment: i64,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmFile {
    pub metric: String,
    pub statistic: Option<String>,
    pub period: Option<String>,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub comparison_operator: String,
    pub threshold: f64,
    pub treat_missing_data: Option<String>,
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetTrackingFile {
    pub name: Option<String>,
    pub metric: String,
    pub target_value: f64,
    pub scale_out_cooldown: Option<String>,
    pub scale_in_cooldown: Option<String>,
    pub disable_scale_in: Option<bool>,
    pub scale_from: Option<String>,
    pub scale_out_datapoints: Option<i64>,
    pub scale_in_datapoints: Option<i64>,
    pub scale_in_threshold_ratio: Option<f64>,
}

/// A delay: `"45s"`, or a table naming a distribution.
#[derive(Clone)]
pub enum DelayFile {
    Fixed(String),
    Distribution(DistributionFile),
}

#[derive(Clone, Deserialize, JsonSchema)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum DistributionFile {
    Uniform { min: String, max: String },
    Normal { mean: String, sd: String },
    LogNormal { median: String, sigma: f64 },
}

/// Its own deserializer takes a string or a table, so its schema is written out too.
impl JsonSchema for DelayFile {
    fn schema_name() -> Cow<'static, str> {
        "DelayFile".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let distribution = generator.subschema_for::<DistributionFile>();
        json_schema!({
            "description": "A duration such as \"45s\", or a table naming a distribution",
            "anyOf": [{ "type": "string" }, distribution]
        })
    }
}

impl<'de> Deserialize<'de> for DelayFile {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DelayVisitor;
        impl<'de> Visitor<'de> for DelayVisitor {
            type Value = DelayFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a duration such as "45s", or a table such as { distribution = "uniform", min = "30s", max = "60s" }"#)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DelayFile, E> {
                Ok(DelayFile::Fixed(text.to_owned()))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<DelayFile, M::Error> {
                DistributionFile::deserialize(de::value::MapAccessDeserializer::new(map)).map(DelayFile::Distribution)
            }
        }
        deserializer.deserialize_any(DelayVisitor)
    }
}
