//! Checks a parsed scenario file and turns it into the model's [`Scenario`], collecting
//! every problem with the key path it belongs to.

mod advice;
mod capacity;
mod loads;
mod scaling;
mod values;
pub(crate) use values::{number, shorten};

use std::path::{Path, PathBuf};

use super::Overrides;
use super::data::{DataCache, GapRule, TraceUnit, read_catalog, read_fargate_rates, read_spot_history, read_trace};
use super::error::{KeyPath, Locator, Problem};
use super::file::{
    AlarmFile, CapacityProviderFile, FargateSpotFile, LoadBalancerFile, ManagedScalingFile, NoiseFile,
    PlacementConstraintFile, PlacementStrategyFile, ScenarioFile, ServiceFile, ShapeFile, SpotFile, StepScalingFile,
    StrategyItemFile, TargetTrackingFile,
};
use super::limits::*;
use crate::capacity::{GroupCombination, ManagedScaling, ScaleInReading, Share, SplitRule};
use crate::catalog::{Catalog, InstanceType};
use crate::config::{
    AsgProvider, CpuLimit, Ec2Placement, FargateLaunch, FargateSpot, Launch, LoadBalancer, LoadConfig, MemoryUse,
    NetworkMode, Overflow, ProviderType, Scenario, ServiceConfig, Spot, SpotPrice,
};
use crate::ecs::fargate::{VALID_CPU_UNITS, valid_memory_mib};
use crate::engine::{Hazard, MS_PER_MINUTE, MS_PER_SECOND};
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
            .map(|(name, provider)| self.provider(&root.key("capacity_providers").key(name), name, provider, &catalog))
            .collect();
        let mut services = Vec::new();
        for (name, service_file) in &file.services {
            let path = root.key("services").key(name);
            if let Some(service) = self.service(&path, name, service_file, &file, &run, &providers) {
                services.push(service);
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
        };
        if self.advise {
            self.advise(&file, &scenario);
        }
        Ok((scenario, self.warnings))
    }

    fn service(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        run: &Run,
        providers: &[Option<AsgProvider>],
    ) -> Option<ServiceConfig> {
        let daemon = self.choice(
            &path.key("scheduling_strategy"),
            file.scheduling_strategy.as_deref().unwrap_or("REPLICA"),
            &[("REPLICA", false), ("DAEMON", true)],
        );
        // The service's own strategy, else (without a launch type) the cluster's default.
        let default = scenario.cluster.as_ref().and_then(|c| c.default_capacity_provider_strategy.as_ref());
        let strategy: Option<(&[StrategyItemFile], KeyPath)> =
            match (&file.capacity_provider_strategy, &file.launch_type) {
                (Some(items), _) => Some((items, path.key("capacity_provider_strategy"))),
                (None, None) => default.map(|items| {
                    (&items[..], KeyPath::root().key("cluster").key("default_capacity_provider_strategy"))
                }),
                (None, Some(_)) => None,
            };
        let placement = self.placement(path, file, scenario, daemon.unwrap_or(false), strategy.as_ref());
        let on_ec2 = match &placement {
            Some(placement) => placement.is_some(),
            None => {
                let fargate_strategy = strategy
                    .as_ref()
                    .is_some_and(|(items, _)| items.iter().all(|item| is_fargate(&item.capacity_provider)));
                (strategy.is_some() && !fargate_strategy) || file.launch_type.as_deref() == Some("EC2")
            }
        };
        let load = match &file.load {
            Some(load_name) => match scenario.loads.get_index_of(load_name) {
                Some(index) => Some(Some(index)),
                None => {
                    let known: Vec<&str> = scenario.loads.keys().map(String::as_str).collect();
                    let known = if known.is_empty() {
                        "none are defined".to_owned()
                    } else {
                        format!("defined loads: {}", known.join(", "))
                    };
                    self.fail(
                        &path.key("load"),
                        format!("found \"{load_name}\", which is not a load in this file ({known})"),
                    );
                    None
                }
            },
            None if daemon == Some(true) => Some(None),
            None => {
                self.fail(
                    path,
                    "a service needs `load = \"NAME\"`, one of the [loads.NAME] tables (only a DAEMON may have none)",
                );
                None
            }
        };
        let (cpu, memory) = if on_ec2 {
            (self.ec2_cpu(&path.key("cpu"), file.cpu), self.ec2_memory(&path.key("memory"), file.memory))
        } else {
            let cpu = self.fargate_cpu(&path.key("cpu"), file.cpu);
            (cpu, cpu.and_then(|cpu| self.fargate_memory(&path.key("memory"), cpu, file.memory)))
        };
        let arch = self.choice(
            &path.key("cpu_architecture"),
            file.cpu_architecture.as_deref().unwrap_or("X86_64"),
            &[("X86_64", CpuArchitecture::X86_64), ("ARM64", CpuArchitecture::Arm64)],
        );
        let requests_per_task = match (file.requests_per_task, &file.load) {
            (Some(r), _) if (MIN_REQUESTS_PER_TASK..=MAX_LOAD_RATE).contains(&r) => Some(r),
            (None, None) => Some(0.0),
            (None, Some(_)) => {
                self.fail(&path.key("requests_per_task"), REQUESTS_PER_TASK_MISSING);
                None
            }
            (Some(r), _) => {
                self.fail(
                    &path.key("requests_per_task"),
                    format!("found {}; expected requests per second from 0.001 to 1e9", number(r)),
                );
                None
            }
        };
        let (desired, min, max) = if daemon == Some(true) {
            for (key, given) in [
                ("desired_count", file.desired_count.is_some()),
                ("min_capacity", file.min_capacity.is_some()),
                ("max_capacity", file.max_capacity.is_some()),
                ("target_tracking", !file.target_tracking.is_empty()),
                ("step_scaling", !file.step_scaling.is_empty()),
                ("scheduled_actions", !file.scheduled_actions.is_empty()),
            ] {
                if given {
                    self.fail(&path.key(key), "a DAEMON service runs one task on every instance that satisfies its constraints: it has no task count and no auto scaling (§7)");
                }
            }
            (Some(0), Some(0), Some(0))
        } else {
            let mut required = |key: &str, value: Option<i64>| match value {
                Some(v) => self.count_within(&path.key(key), v, TASKS_PER_SERVICE),
                None => {
                    self.fail(path, format!("a REPLICA service needs `{key}`"));
                    None
                }
            };
            (
                required("desired_count", file.desired_count),
                required("min_capacity", file.min_capacity),
                required("max_capacity", file.max_capacity),
            )
        };
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                self.fail(
                    &path.key("min_capacity"),
                    format!("found {min}, greater than max_capacity ({max}); expected min_capacity ≤ max_capacity"),
                );
            } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
                self.fail(
                    &path.key("desired_count"),
                    format!("found {d}; expected a count within [min_capacity, max_capacity] = [{min}, {max}]"),
                );
            }
        }
        let provisioning = self.delay(&path.key("provisioning"), file.provisioning.as_ref(), 0);
        let startup = self.delay(&path.key("startup"), file.startup.as_ref(), DEFAULT_STARTUP_MS);
        let stop_timeout_ms =
            self.optional_duration(&path.key("stop_timeout"), file.stop_timeout.as_deref(), DEFAULT_STOP_TIMEOUT_MS);
        let (lo, hi) = STOP_TIMEOUT_RANGE_MS;
        if stop_timeout_ms.is_some_and(|t| !(lo..=hi).contains(&t)) {
            self.fail(
                &path.key("stop_timeout"),
                format!(
                    "found \"{}\"; ECS allows a stop timeout from 2s to 120s",
                    file.stop_timeout.as_deref().unwrap_or("")
                ),
            );
        }
        let availability_zones = file.availability_zones.unwrap_or(3);
        if !(1..=6).contains(&availability_zones) {
            self.fail(&path.key("availability_zones"), format!("found {availability_zones}; expected 1 to 6 zones"));
        }
        let memory_reservation = match file.memory_reservation {
            None => Some(None),
            Some(m) if m >= 1 && memory.is_none_or(|hard| m <= i64::from(hard)) => Some(Some(m as u32)),
            Some(m) => {
                self.fail(
                    &path.key("memory_reservation"),
                    format!("found {m}; expected MiB from 1 up to the task's memory"),
                );
                None
            }
        };
        let memory_use = match &file.memory_use {
            None => Some(MemoryUse::default()),
            Some(m) => {
                // Far above any task's memory (Fargate's largest is 120 GiB), so that the
                // memory metric stays finite.
                let base_mib =
                    self.in_range(&path.key("memory_use").key("base"), m.base, 0.0, 1e6, "MiB from 0 to 1,000,000");
                let per = self.in_range(
                    &path.key("memory_use").key("per_request_per_second"),
                    m.per_request_per_second,
                    0.0,
                    1e6,
                    "MiB per request per second from 0 to 1,000,000",
                );
                Some(MemoryUse { base_mib: base_mib?, mib_per_request_per_second: per? })
            }
        };
        let overflow = self.choice(
            &path.key("overflow"),
            file.overflow.as_deref().unwrap_or("drop"),
            &[("drop", Overflow::Drop), ("queue", Overflow::Queue)],
        );
        let strategy_split = self.choice(
            &path.key("strategy_split"),
            file.strategy_split.as_deref().unwrap_or("aws_observed"),
            &[("aws_observed", SplitRule::AwsObserved), ("reverse_of_launch", SplitRule::ReverseOfLaunch)],
        );
        let cpu_limit = self.choice(
            &path.key("cpu_limit"),
            file.cpu_limit.as_deref().unwrap_or("task"),
            &[("task", CpuLimit::Task), ("container_shares", CpuLimit::ContainerShares)],
        );
        let load_balancer = file.load_balancer.as_ref().map(|lb| self.load_balancer(&path.key("load_balancer"), lb));
        let policies = self.policies(path, file);
        let scheduled_actions = self.scheduled_actions(path, file, run.window);
        let tracks = |metric: Metric| policies.iter().flat_map(|p| p.alarms()).any(|alarm| alarm.metric == metric);
        if tracks(Metric::AlbRequestCountPerTarget) && file.load_balancer.is_none() {
            self.fail(
                &path.key("load_balancer"),
                "a policy tracks ALBRequestCountPerTarget, so the service needs a [services.NAME.load_balancer] table",
            );
        }
        if tracks(Metric::MemoryUtilization) && file.memory_use.is_none() {
            self.fail(&path.key("memory_use"), "a policy tracks memory, so the service needs `memory_use = { base = MiB, per_request_per_second = MiB }`");
        }
        let tracks_utilization = tracks(Metric::CpuUtilization) || tracks(Metric::MemoryUtilization);
        if min == Some(0) && tracks_utilization {
            self.warn(
                &path.key("min_capacity"),
                "min_capacity is 0 and a policy tracks CPU or memory utilization; with no running task there is no datapoint, so (as in AWS) such a policy cannot scale it out from zero",
            );
        }
        let windows = match file.operating_system_family.as_deref().unwrap_or("LINUX") {
            "LINUX" => Some(false),
            family if WINDOWS_FAMILIES.contains(&family) => Some(true),
            family => {
                self.fail(
                    &path.key("operating_system_family"),
                    format!("found \"{family}\"; expected \"LINUX\" or one of {}", WINDOWS_FAMILIES.join(", ")),
                );
                None
            }
        };
        let storage_gib = match file.ephemeral_storage {
            None => Some(INCLUDED_EPHEMERAL_STORAGE_GIB),
            Some(gib) if (21..=200).contains(&gib) => Some(gib as u32),
            Some(gib) => {
                self.fail(
                    &path.key("ephemeral_storage"),
                    format!("found {gib}; Fargate ephemeral storage is 21 to 200 GiB (20 GiB is included without it)"),
                );
                None
            }
        };
        if on_ec2 {
            if windows == Some(true) {
                self.fail(
                    &path.key("operating_system_family"),
                    "ecsim's EC2 instances run Linux; Windows tasks run on Fargate here",
                );
            }
            if file.ephemeral_storage.is_some() {
                self.fail(
                    &path.key("ephemeral_storage"),
                    "ephemeral storage is a Fargate setting; on EC2 the instance's volume holds it",
                );
            }
        }
        let shares = match &strategy {
            Some((items, strategy_path)) => self.strategy_shares(strategy_path, items),
            None => Some(vec![(false, Share { base: 0, weight: 1 })]),
        };
        let launch = match placement? {
            Some(placement) => {
                let (cpu, memory, arch) = (cpu?, memory?, arch?);
                let reserved = memory_reservation.flatten().unwrap_or(memory);
                self.check_fits(path, &placement, providers, cpu, reserved, arch)?;
                shares?;
                Launch::Ec2(placement)
            }
            None => {
                let strategy = shares?;
                let (arch, windows, storage_gib) = (arch?, windows?, storage_gib?);
                let uses_spot = strategy.iter().any(|(spot, _)| *spot);
                if windows {
                    self.windows_task(path, cpu?, arch, uses_spot)?;
                }
                let os = if windows { "windows" } else { "linux" };
                let rates = self.rates(&run.region, arch, run.prices.as_deref(), (os, "on_demand"))?;
                let spot_rates = if uses_spot {
                    self.spot_rates(&run.region, arch, run.prices.as_deref(), rates, run.spot_share)?
                } else {
                    rates
                };
                Launch::Fargate(FargateLaunch { rates, spot_rates, strategy, windows, storage_gib })
            }
        };
        if cpu_limit == Some(CpuLimit::ContainerShares) && matches!(launch, Launch::Fargate(_)) {
            self.fail(
                &path.key("cpu_limit"),
                "a Fargate task always has a task-level CPU limit; \"container_shares\" is for tasks on EC2 instances",
            );
            return None;
        }
        Some(ServiceConfig {
            name: name.to_owned(),
            load: load?,
            cpu: cpu?,
            memory: memory?,
            cpu_architecture: arch?,
            launch,
            requests_per_task: requests_per_task?,
            desired_count: desired?,
            min_capacity: min?,
            max_capacity: max?,
            provisioning: provisioning?,
            startup: startup?,
            stop_timeout_ms: stop_timeout_ms?,
            availability_zones: availability_zones as u32,
            memory_use: memory_use?,
            memory_reservation: memory_reservation?,
            overflow: overflow?,
            strategy_split: strategy_split?,
            cpu_limit: cpu_limit?,
            load_balancer: settled(load_balancer)?,
            policies,
            scheduled_actions,
            suspension: Suspension {
                dynamic_scaling_in_suspended: file.dynamic_scaling_in_suspended.unwrap_or(false),
                dynamic_scaling_out_suspended: file.dynamic_scaling_out_suspended.unwrap_or(false),
                scheduled_scaling_suspended: file.scheduled_scaling_suspended.unwrap_or(false),
            },
        })
    }

    fn fargate_cpu(&mut self, path: &KeyPath, cpu: i64) -> Option<u32> {
        match u32::try_from(cpu).ok().filter(|c| VALID_CPU_UNITS.contains(c)) {
            Some(cpu) => Some(cpu),
            None => {
                self.fail(path, format!("found {cpu}; Fargate task CPU units are one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)"));
                None
            }
        }
    }

    fn fargate_memory(&mut self, path: &KeyPath, cpu: u32, memory: i64) -> Option<u32> {
        let allowed = valid_memory_mib(cpu).expect("cpu checked");
        match u32::try_from(memory).ok().filter(|m| allowed.contains(m)) {
            Some(memory) => Some(memory),
            None => {
                let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
                self.fail(
                    path,
                    format!("found {memory} MiB; with cpu = {cpu} Fargate allows memory (MiB) of {}", list.join(", ")),
                );
                None
            }
        }
    }

    fn rates(
        &mut self,
        region: &str,
        arch: CpuArchitecture,
        prices: Option<&Path>,
        (os, capacity): (&str, &str),
    ) -> Option<FargateRates> {
        let Some(file) = prices else {
            let rates = if os == "windows" {
                (region == "us-east-1").then_some(US_EAST_1_WINDOWS_X86)
            } else {
                builtin_fargate_rates(region, arch)
            };
            if rates.is_none() {
                self.fail(&KeyPath::root().key("region"), format!(
                    "found \"{region}\"; ecsim has built-in Fargate prices for us-east-1 only: give `prices = \"FILE\"` (or --prices FILE) with the columns of shared/data/pricing/fargate.csv"
                ));
            }
            return rates;
        };
        let cached = format!("prices {} {region} {arch:?} {os} {capacity}", file.display());
        match self.data.read(file, cached, || read_fargate_rates(file, "prices", region, arch, (os, capacity))) {
            Ok(Some(rates)) => Some(rates),
            Ok(None) => {
                let message = format!(
                    "{}: no row with region {region}, os {os}, arch {arch:?}, capacity {capacity}",
                    file.display()
                );
                self.fail(&KeyPath::root().key("prices"), message);
                None
            }
            Err(problem) => {
                self.data_problem(&KeyPath::root().key("prices"), problem);
                None
            }
        }
    }

    /// The target group's timings, with the ELB defaults and ranges of reference §8.3.
    fn load_balancer(&mut self, path: &KeyPath, file: &LoadBalancerFile) -> Option<LoadBalancer> {
        let mut within = |key: &str, text: Option<&str>, default_s: u64, (lo, hi): (u64, u64)| {
            let ms = self.optional_duration(&path.key(key), text, default_s * MS_PER_SECOND)?;
            if (lo * MS_PER_SECOND..=hi * MS_PER_SECOND).contains(&ms) && ms % MS_PER_SECOND == 0 {
                Some(ms)
            } else {
                self.fail(
                    &path.key(key),
                    format!("found \"{}\"; expected whole seconds from {lo}s to {hi}s", text.unwrap_or("")),
                );
                None
            }
        };
        let interval = within("health_check_interval", file.health_check_interval.as_deref(), 30, (5, 300));
        let delay = within("deregistration_delay", file.deregistration_delay.as_deref(), 300, (0, 3600));
        let threshold = file.healthy_threshold_count.unwrap_or(5);
        if !(2..=10).contains(&threshold) {
            self.fail(&path.key("healthy_threshold_count"), format!("found {threshold}; expected 2 to 10"));
            return None;
        }
        Some(LoadBalancer {
            health_check_interval_ms: interval?,
            healthy_threshold_count: threshold as u32,
            deregistration_delay_ms: delay?,
        })
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
