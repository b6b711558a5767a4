//! Checks a parsed scenario file and turns it into the model's [`Scenario`], collecting
//! every problem with the key path it belongs to.

mod advice;
mod capacity;
mod jobs;
mod loads;
mod operations;
mod scaling;
mod services;
mod values;
use operations::When;
pub(crate) use values::{number, shorten};

use std::path::{Path, PathBuf};

use super::Overrides;
use super::data::{DataCache, GapRule, TraceUnit, read_catalog, read_fargate_rates, read_spot_history, read_trace};
use super::error::{KeyPath, Locator, Problem};
use super::file::{
    AlarmFile, CapacityProviderFile, FargateSpotFile, JobFile, LoadBalancerFile, ManagedScalingFile, NoiseFile,
    OutageFile, PlacementConstraintFile, PlacementStrategyFile, RetryFile, ScenarioFile, ServiceFile, ShapeFile,
    SpotFile, StepScalingFile, StrategyItemFile, TargetTrackingFile,
};
use super::limits::*;
use crate::capacity::{GroupCombination, ManagedScaling, ScaleInReading, Share, SplitRule};
use crate::catalog::{Catalog, InstanceType};
use crate::config::{
    AsgProvider, CircuitBreaker, CpuLimit, Deployment, Ec2Placement, FargateLaunch, FargateSpot, GroupScheduledAction,
    Job, JobTrigger, Launch, LoadBalancer, LoadConfig, MemoryUse, NetworkMode, Outage, Overflow, ProviderType, Retry,
    Scenario, ServiceConfig, ServiceUpdate, Spot, SpotPrice, TaskFailure, TaskSize,
};
use crate::ecs::fargate::{VALID_CPU_UNITS, valid_memory_mib};
use crate::engine::{Delay, Hazard, MS_PER_MINUTE, MS_PER_SECOND};
use crate::load::{Load, Noise, Shape, Trace};
use crate::placement::{Constraint, Expression, Resource, SpreadField, Strategy};
use crate::pricing::{
    CpuArchitecture, DEFAULT_FARGATE_SPOT_SHARE, FargateRates, INCLUDED_EPHEMERAL_STORAGE_GIB, US_EAST_1_WINDOWS_X86,
    builtin_fargate_rates,
};
use crate::scaling::{
    AdjustmentType, Aggregation, AlarmConfig, Comparison, DEFAULT_COOLDOWN_MS, DEFAULT_SCALE_IN_DATAPOINTS,
    DEFAULT_SCALE_IN_THRESHOLD_RATIO, DEFAULT_SCALE_OUT_DATAPOINTS, MAX_EVALUATION_PERIODS, Metric, MissingData,
    Policy, PolicyKind, ScaleFrom, Schedule, ScheduledAction, Statistic, StepAdjustment, StepScaling, Suspension,
    TargetTracking, check_steps, fire_times,
};

/// The error for a service with a load and no `requests_per_task`, with how to estimate it.
/// CPUUtilization is the service's AWS/ECS metric, the CPU used over the CPU of its tasks
/// (reference §9); RequestCount the load balancer's (AWS/ApplicationELB, a minute's Sum, so ÷ 60
/// for a rate) and RunningTaskCount Container Insights' (neither is in the reference).
const REQUESTS_PER_TASK_MISSING: &str = "a service with a load needs `requests_per_task`: the requests per second one task serves at 100 % of its CPU. Estimate it from a load test of one task, or from CloudWatch at a busy hour as (RequestCount per second ÷ RunningTaskCount) ÷ (CPUUtilization / 100): e.g. 600 requests/s on 4 tasks at 50 % CPU gives (600 ÷ 4) ÷ 0.5 = 300";

/// Default wall-clock start: a Monday, midnight UTC.
const DEFAULT_START: &str = "2026-01-05T00:00:00Z";
/// Default image-pull-to-RUNNING time. AWS does not document typical state durations
/// (reference §8.3, §11.12): this is a modelling choice; set `startup` to your own figure.
const DEFAULT_STARTUP_MS: u64 = 45 * MS_PER_SECOND;
/// "The default stop timeout is 30 s" on Fargate, valid range 2–120 s (reference §5.4, §8.3).
const DEFAULT_STOP_TIMEOUT_MS: u64 = 30 * MS_PER_SECOND;
const STOP_TIMEOUT_RANGE_MS: (u64, u64) = (2 * MS_PER_SECOND, 120 * MS_PER_SECOND);

/// An optional setting once checked: `None` if it was given but invalid (already reported),
/// else whether it was given.
fn is_fargate(provider: &str) -> bool {
    matches!(provider, "FARGATE" | "FARGATE_SPOT")
}

fn settled<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(None) => None,
        Some(Some(v)) => Some(Some(v)),
    }
}

/// What every service of a scenario shares.
struct Run {
    region: String,
    /// `[fargate_spot] price`: Fargate Spot as a share of On-Demand.
    spot_share: Option<f64>,
    prices: Option<PathBuf>,
    /// Start and end of the run, when both parsed.
    window: Option<(jiff::Timestamp, jiff::Timestamp)>,
}

pub(super) struct Translator<'a, 'l> {
    locator: &'a Locator<'l>,
    base_dir: &'a Path,
    data: &'a DataCache,
    problems: Vec<Problem>,
    warnings: Vec<String>,
    /// Whether to work out the warnings of `advice` (a sweep's run, built again from a point
    /// already checked, does without).
    advise: bool,
    /// What the scenario holds in memory so far, against `limits`: scheduled firing times and
    /// trace buckets (each load keeps its own scaled copy of a trace).
    firings: usize,
    trace_buckets: usize,
}

impl<'a, 'l> Translator<'a, 'l> {
    pub(super) fn new(locator: &'a Locator<'l>, base_dir: &'a Path, data: &'a DataCache) -> Self {
        Translator {
            locator,
            base_dir,
            data,
            problems: Vec::new(),
            warnings: Vec::new(),
            advise: true,
            firings: 0,
            trace_buckets: 0,
        }
    }

    /// A translator that leaves out the warnings that take work to find (a load's peak).
    pub(super) fn without_advice(self) -> Self {
        Translator { advise: false, ..self }
    }

    fn fail(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.problems.push(self.locator.at(path, message.into()));
    }

    /// A data file's problem: at its row when it has one, else at `path`, the scenario's key
    /// that names the file, so that every problem has a line.
    fn data_problem(&mut self, path: &KeyPath, problem: Problem) {
        if problem.line > 0 {
            self.problems.push(problem);
        } else {
            self.fail(path, format!("{}: {}", problem.file.display(), problem.message));
        }
    }

    /// A setting that is legal but almost surely not what was meant, with its line and key.
    /// A key a sweep's axis sets is reported at the axis, its message naming the key.
    fn warn(&mut self, path: &KeyPath, message: impl Into<String>) {
        let p = self.locator.at(path, message.into());
        self.warnings.push(match (p.line, p.key.as_str()) {
            (0, _) => p.message,
            (line, "") => format!("line {line}: {}", p.message),
            (line, key) => format!("line {line}, `{key}`: {}", p.message),
        });
    }

    pub(super) fn scenario(
        mut self,
        file: ScenarioFile,
        overrides: &Overrides,
    ) -> Result<(Scenario, Vec<String>), Vec<Problem>> {
        let root = KeyPath::root();
        if file.version != 1 {
            self.fail(&root.key("version"), format!("found {}; this ecsim reads scenario version 1", file.version));
        }
        if !super::folder_name_ok(&file.name) {
            self.fail(
                &root.key("name"),
                format!(
                    "found \"{}\"; a name is letters, digits, '-', '_' and '.', as it names the output folder",
                    file.name
                ),
            );
        }
        let start_text = file.start.as_deref().unwrap_or(DEFAULT_START);
        let start_unix_ms = self.timestamp(&root.key("start"), start_text).map(|t| t.as_millisecond());
        let duration_ms = self.positive_duration(&root.key("duration"), &file.duration);
        // The run's start and end, both within the years a timestamp can name (0001–9999).
        let window = start_unix_ms.zip(duration_ms).and_then(|(start, duration)| {
            let start = jiff::Timestamp::from_millisecond(start).ok()?;
            let end = i64::try_from(duration).ok().and_then(|d| start.checked_add(jiff::SignedDuration::from_millis(d)).ok());
            if end.is_none() {
                self.fail(
                    &root.key("start"),
                    format!("found \"{start_text}\"; the run of {} would end after 9999-12-31, the last day a time can name", file.duration),
                );
            }
            Some((start, end?))
        });
        let tick_ms = self.tick(&root.key("tick"), file.tick.as_deref().unwrap_or("1m"));
        let series_interval_ms = match (&file.series_interval, tick_ms) {
            (None, tick) => tick,
            (Some(text), Some(tick)) => {
                let path = root.key("series_interval");
                let interval = self.positive_duration(&path, text);
                if interval.is_some_and(|i| i % tick != 0) {
                    self.fail(&path, format!("found \"{text}\"; expected a whole number of ticks ({tick} ms each)"));
                    None
                } else {
                    interval
                }
            }
            (Some(_), None) => None,
        };
        if let (Some(duration), Some(tick)) = (duration_ms, tick_ms)
            && duration % tick != 0
        {
            self.fail(
                &root.key("duration"),
                format!("found \"{}\"; expected a whole number of ticks ({tick} ms each)", file.duration),
            );
        }
        let region = file.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
        let unserved_cost_per_million = file
            .unserved_cost_per_million
            .and_then(|price| {
                let path = root.key("unserved_cost_per_million");
                self.in_range(&path, price, 0.0, 1e6, "dollars per million requests from 0 to 1,000,000").map(Some)
            })
            .unwrap_or(None);

        let mut loads = Vec::new();
        for (name, shape_file) in &file.loads {
            let path = root.key("loads").key(name);
            let shape = self.shape(&path, shape_file, start_unix_ms.unwrap_or(0), duration_ms.unwrap_or(0));
            let noise = self.noise(&path.key("noise"), shape_file.noise());
            let shape = shape.filter(|shape| {
                let ceiling = shape.ceiling();
                let bounded = ceiling <= MAX_LOAD_RATE; // false for NaN too
                if !bounded {
                    let reach = if ceiling.is_finite() { format!("{ceiling:.3e}") } else { "beyond any number of".to_owned() };
                    self.fail(
                        &path,
                        format!(
                            "this load can reach {reach} requests per second (its parts' peaks added and multiplied); expected at most {MAX_LOAD_RATE:.0e}"
                        ),
                    );
                }
                bounded
            });
            if let (Some(shape), Some(noise)) = (shape, noise) {
                loads.push(LoadConfig { name: name.clone(), load: Load { shape, noise } });
            }
        }

        let prices = overrides.prices.clone().or_else(|| file.prices.as_ref().map(|p| self.base_dir.join(p)));
        let fargate_spot = self.fargate_spot(&root.key("fargate_spot"), file.fargate_spot.as_ref());
        let run = Run {
            region: region.clone(),
            spot_share: fargate_spot.as_ref().and_then(|(share, _)| *share),
            prices,
            window,
        };
        let catalog_file = overrides.catalog.clone().or_else(|| file.catalog.as_ref().map(|p| self.base_dir.join(p)));
        let catalog = self.catalog(&run.region, catalog_file.as_deref(), !file.capacity_providers.is_empty());
        let providers: Vec<Option<AsgProvider>> = file
            .capacity_providers
            .iter()
            .map(|(name, provider)| {
                self.provider(&root.key("capacity_providers").key(name), name, provider, &catalog, run.window)
            })
            .collect();
        let mut services = Vec::new();
        for (name, service_file) in &file.services {
            let path = root.key("services").key(name);
            if let Some(service) = self.service(&path, name, service_file, &file, (&run, &providers), false) {
                services.push(service);
            }
        }
        for (name, job_file) in &file.jobs {
            let path = root.key("jobs").key(name);
            if file.services.contains_key(name) {
                self.fail(
                    &path,
                    format!("a service is named \"{name}\" too; a job's name must differ from every service's"),
                );
            }
            if let Some(job) = self.job(&path, name, job_file, &file, &run, (&providers, &loads)) {
                services.push(job);
            }
        }
        let on_spot =
            services.iter().find(|s: &&ServiceConfig| matches!(&s.launch, Launch::Fargate(f) if f.uses_spot()));
        if let (Some(service), None) = (on_spot, &file.fargate_spot) {
            // The table's defaults: the Spot rates of the price table, no interruption.
            let strategy = root.key("services").key(&service.name).key("capacity_provider_strategy");
            self.warn(
                &strategy,
                "FARGATE_SPOT with no [fargate_spot] table: Spot tasks are never interrupted in this run; give `[fargate_spot] interruptions_per_task_hour = …` for AWS taking them back",
            );
        }
        if file.services.is_empty() {
            self.fail(&root, "the scenario has no [services.NAME] table; expected at least one service");
        }
        self.list_within(&root.key("services"), file.services.len(), "services", SERVICES_PER_CLUSTER);
        self.list_within(
            &root.key("capacity_providers"),
            file.capacity_providers.len(),
            "capacity providers",
            PROVIDERS_PER_CLUSTER,
        );
        let instances: u64 = providers.iter().flatten().map(|p| u64::from(p.max_size)).sum();
        if instances > u64::from(INSTANCES_PER_CLUSTER.max) {
            self.fail(
                &root.key("capacity_providers"),
                format!(
                    "the groups' max_size add up to {instances} instances; expected at most {}, {}",
                    INSTANCES_PER_CLUSTER.max,
                    INSTANCES_PER_CLUSTER.describe()
                ),
            );
        }
        // The most tasks the run can hold at once: each service's highest maximum (a scheduled
        // action may raise it), a daemon's one per instance.
        let most_tasks: u64 = services
            .iter()
            .map(|s| {
                let daemon = matches!(&s.launch, Launch::Ec2(p) if p.daemon);
                let scheduled = s.scheduled_actions.iter().filter_map(|a| a.max_capacity).max().unwrap_or(0);
                if daemon { instances } else { u64::from(s.max_capacity.max(scheduled)) }
            })
            .sum();
        if most_tasks > MAX_TASKS {
            self.fail(
                &root.key("services"),
                format!(
                    "the services' max_capacity add up to {most_tasks} tasks; ecsim runs at most {MAX_TASKS} at once: split the services over runs"
                ),
            );
        }
        if let (Some(duration), Some(tick)) = (duration_ms, tick_ms) {
            let service_ticks = (duration / tick).saturating_mul(file.services.len() as u64);
            if service_ticks > MAX_SERVICE_TICKS {
                self.fail(
                    &root.key("duration"),
                    format!(
                        "{} services × {} ticks is {service_ticks} service ticks, more than ecsim's limit of {MAX_SERVICE_TICKS} for one run; shorten the run, lengthen the tick, or split the services over runs",
                        file.services.len(),
                        duration / tick
                    ),
                );
            }
        }

        let outages = self.outages(&root.key("outages"), &file.outages, (&region, duration_ms), &services, &providers);
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let scenario = Scenario {
            name: file.name.clone(),
            variant: None,
            start_unix_ms: start_unix_ms.expect("checked"),
            duration_ms: duration_ms.expect("checked"),
            tick_ms: tick_ms.expect("checked"),
            series_interval_ms: series_interval_ms.expect("checked"),
            seed: overrides.seed.or(file.seed).unwrap_or(1),
            region,
            unserved_cost_per_million,
            loads,
            services,
            providers: providers.into_iter().map(|p| p.expect("checked")).collect(),
            fargate_spot: fargate_spot.map(|(_, spot)| spot).unwrap_or_default(),
            outages: outages.expect("checked"),
        };
        if self.advise {
            self.advise(&file, &scenario);
        }
        Ok((scenario, self.warnings))
    }
}

/// EC2 `pending` → `running`. AWS documents no typical figure (reference §11.12): a modelling
/// choice; set `pending` to your own.
const DEFAULT_INSTANCE_PENDING_MS: u64 = 30 * MS_PER_SECOND;
/// `running` → the container agent has registered. AWS documents no typical figure
/// (§11.12): a modelling choice; set `boot` to your own.
const DEFAULT_INSTANCE_BOOT_MS: u64 = 60 * MS_PER_SECOND;
/// Host ports the container agent reserves (reference §6.3).
const AGENT_RESERVED_PORTS: [i64; 6] = [22, 2375, 2376, 51678, 51679, 51680];
/// Task-level CPU on EC2: 128 to 196,608 units (RegisterTaskDefinition `cpu`).
const EC2_TASK_CPU_RANGE: (i64, i64) = (128, 196_608);
/// `runtimePlatform.operatingSystemFamily` values for Windows on Fargate.
const WINDOWS_FAMILIES: [&str; 4] =
    ["WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2022_FULL", "WINDOWS_SERVER_2022_CORE"];
