//! The validated model configuration a run needs: plain data, built by the scenario module
//! from a file and read by the simulation. Nothing here parses or reads files.

use serde::Serialize;

use crate::capacity::{ManagedScaling, Share, SplitRule};
use crate::catalog::{InstanceType, Registered};
use crate::engine::{Delay, Hazard};
use crate::load::Load;
use crate::placement::{Constraint, Strategy};
use crate::pricing::{CpuArchitecture, FargateRates};
use crate::scaling::{Policy, ScheduledAction, Suspension};

/// One scenario, ready to run. A run is a pure function of this value (its seed included).
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    /// The `[variants.NAME]` this run is, if any.
    pub variant: Option<String>,
    /// Wall-clock time of simulated time zero, in Unix milliseconds (UTC).
    pub start_unix_ms: i64,
    pub duration_ms: u64,
    /// The metric tick: loads are sampled and metrics integrated once per tick.
    pub tick_ms: u64,
    /// The time-series resolution: a multiple of the tick.
    pub series_interval_ms: u64,
    pub seed: u64,
    pub region: String,
    /// USD per million requests not served: a price on the shortfall, reported apart from
    /// the bill.
    pub unserved_cost_per_million: Option<f64>,
    pub loads: Vec<LoadConfig>,
    pub services: Vec<ServiceConfig>,
    /// Auto Scaling group capacity providers: the cluster's EC2 instances.
    pub providers: Vec<AsgProvider>,
    pub fargate_spot: FargateSpot,
    /// Availability Zones lost for a while, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<Outage>,
}

/// An Availability Zone unavailable over `[start_ms, end_ms)` (ms from the run's start): its
/// instances and tasks are lost when it goes, and nothing launches there until it returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outage {
    /// The zone's index: 0 for the region's `a` zone.
    pub zone: u32,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Fargate Spot capacity (reference §5.4): how often AWS takes a task back, and when there is
/// none to be had.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FargateSpot {
    /// Interruptions per task-hour of a RUNNING Spot task, with its storm periods.
    pub interruptions: Option<Hazard>,
    /// `[start, end)` periods, ms from the run start, without Spot capacity: Spot launches wait
    /// (or, with `fallback`, go to FARGATE).
    pub unavailable: Vec<(u64, u64)>,
    pub fallback: bool,
}

impl FargateSpot {
    /// The end of the unavailable period `now_ms` falls in, if any.
    pub fn unavailable_until(&self, now_ms: u64) -> Option<u64> {
        self.unavailable.iter().find(|&&(start, end)| (start..end).contains(&now_ms)).map(|&(_, end)| end)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadConfig {
    pub name: String,
    #[serde(flatten)]
    pub load: Load,
}

/// A service on Fargate or on the cluster's EC2 instances.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceConfig {
    pub name: String,
    /// Index into [`Scenario::loads`]; a daemon may have none.
    pub load: Option<usize>,
    pub cpu: u32,
    pub memory: u32,
    pub cpu_architecture: CpuArchitecture,
    pub launch: Launch,
    /// Requests per second one task serves at 100 % of its CPU.
    pub requests_per_task: f64,
    pub desired_count: u32,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// PROVISIONING → PENDING (ENI and capacity); billing starts when PENDING begins.
    pub provisioning: Delay,
    /// PENDING (image pull) → RUNNING.
    pub startup: Delay,
    /// STOPPING → STOPPED: the time a RUNNING task takes to stop after SIGTERM.
    pub stop_timeout_ms: u64,
    pub availability_zones: u32,
    /// Memory a task uses, for the memory utilization metric.
    pub memory_use: MemoryUse,
    /// The denominator of memory utilization: `memoryReservation` (soft) if set, else `memory`
    /// (hard) (§9).
    pub memory_reservation: Option<u32>,
    pub overflow: Overflow,
    /// How a capacity provider strategy shares the tasks out and which a scale-in stops.
    pub strategy_split: SplitRule,
    pub cpu_limit: CpuLimit,
    pub load_balancer: Option<LoadBalancer>,
    /// Scaling policies, in file order: target tracking first, then step scaling.
    pub policies: Vec<Policy>,
    pub scheduled_actions: Vec<ScheduledAction>,
    pub suspension: Suspension,
    /// Rolling deployments of new revisions, in file order (reference §8).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<Deployment>,
    /// The task sizes right-sizing deployments bring, without repeats: size index `k ≥ 1` is
    /// `deployed_sizes[k − 1]`, 0 the service's own ([`ServiceConfig::task_size`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployed_sizes: Vec<TaskSize>,
    /// Desired counts set by hand (`UpdateService`), in file order (reference §1.7).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<ServiceUpdate>,
    /// A job's standalone tasks, `None` for a service: then the desired count, load and
    /// policies above are unused (0, none, none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
}

/// Standalone tasks started by `RunTask`: by a schedule (EventBridge Scheduler) or by
/// arrivals (S3 uploads, through EventBridge), `count` tasks at a time, each exiting after its
/// run time once RUNNING.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    /// Tasks per `RunTask` (at most 10, ECS's `count`).
    pub count: u32,
    pub run_time: Delay,
    pub trigger: JobTrigger,
    pub retry: Retry,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    /// EventBridge Scheduler: the schedule as written and its firing times (ms from start).
    Schedule {
        schedule: String,
        #[serde(skip)]
        fire_times_ms: Vec<u64>,
    },
    /// A Poisson process whose rate, per second, is a load's (index into the loads), drawn
    /// each tick.
    Arrivals { load: usize },
}

/// EventBridge's retry policy for a `RunTask` that found no capacity: retries with
/// exponential backoff (from `first_delay_ms`, doubling, at most `maximum_delay_ms`) until
/// `maximum_retry_attempts` are made or the event is older than `maximum_event_age_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Retry {
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_ms: u64,
    pub first_delay_ms: u64,
    pub maximum_delay_ms: u64,
}

impl Retry {
    /// The wait before retry `attempt` (1 for the first).
    pub fn delay_ms(&self, attempt: u32) -> u64 {
        let doubled = self.first_delay_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(40));
        doubled.min(self.maximum_delay_ms)
    }
}

/// A rolling deployment (the ECS deployment controller) of a new revision of the service's
/// task definition, started at each of its firing times (reference §8.1, §8.2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deployment {
    pub name: String,
    /// `at` as written, or the schedule expression.
    pub when: String,
    /// The lower bound on healthy tasks and the upper bound on RUNNING and PENDING tasks, as
    /// percentages of the desired count (rounded up and down: [`DeploymentBounds`]).
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    /// Failed health checks of a new task are ignored this long after it enters RUNNING.
    pub health_check_grace_period_ms: u64,
    /// The new revision's PENDING → RUNNING (image pull and start-up).
    pub startup: Delay,
    /// A right-sizing rollout's task size (an index for [`ServiceConfig::task_size`]); `None`:
    /// the new revision keeps the size of the one it replaces.
    pub size: Option<u32>,
    /// The share of the new revision's tasks that fail, and when.
    pub failing_share: f64,
    pub failure: TaskFailure,
    pub circuit_breaker: Option<CircuitBreaker>,
    /// When it starts, in milliseconds from the run's start, ascending.
    #[serde(skip)]
    pub fire_times_ms: Vec<u64>,
}

/// How a failing task of a new revision fails.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskFailure {
    /// It never becomes healthy: behind a load balancer it reaches RUNNING and fails its
    /// health checks, and is stopped once the grace period and the checks' unhealthy
    /// threshold have passed; without one its essential container exits at the end of
    /// PENDING, before RUNNING.
    NeverHealthy,
    /// It becomes healthy and its essential container exits after this long in RUNNING.
    After(Delay),
}

/// The deployment circuit breaker (reference §8.2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CircuitBreaker {
    /// Roll back to the last completed deployment when this one fails.
    pub rollback: bool,
    /// A task of the new revision that becomes healthy resets the failure count (the API's
    /// `resetOnHealthyTask`, default true).
    pub reset_on_healthy_task: bool,
    /// Failures that fail the deployment; `None`: AWS's rule from the desired count
    /// ([`circuit_breaker_threshold`]).
    pub threshold: Option<u32>,
}

/// The failure threshold of the deployment circuit breaker for a desired count: half of it,
/// rounded up, at least 10 and at most 200 ("1 → 10, 25 → 13, 400 → 200", reference §8.2, from
/// the ECS developer guide's deployment-circuit-breaker page).
pub fn circuit_breaker_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(10, 200)
}

/// What a rolling deployment allows at a desired count (reference §8.1): at least
/// `ceil(desired × minimum_healthy_percent / 100)` healthy tasks and at most
/// `floor(desired × maximum_percent / 100)` RUNNING or PENDING ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeploymentBounds {
    pub minimum_healthy: u32,
    pub maximum: u32,
}

impl Deployment {
    pub fn bounds(&self, desired: u32) -> DeploymentBounds {
        let of = |percent: u32| u64::from(desired) * u64::from(percent);
        DeploymentBounds {
            minimum_healthy: of(self.minimum_healthy_percent).div_ceil(100) as u32,
            maximum: (of(self.maximum_percent) / 100) as u32,
        }
    }
}

/// A desired count set as `UpdateService` sets it, outside the scaling policies (reference
/// §1.7): it may lie outside the scalable target's range until the next scaling activity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceUpdate {
    pub name: String,
    pub when: String,
    pub desired_count: u32,
    #[serde(skip)]
    pub fire_times_ms: Vec<u64>,
}

impl Ec2Placement {
    /// Whether the service's tasks may go to `provider`'s instances.
    pub fn may_use(&self, provider: usize) -> bool {
        self.providers.is_empty() || self.providers.iter().any(|&(p, _)| p == provider)
    }
}

impl ServiceConfig {
    pub fn ec2(&self) -> Option<&Ec2Placement> {
        match &self.launch {
            Launch::Ec2(placement) => Some(placement),
            Launch::Fargate(_) => None,
        }
    }

    pub fn is_daemon(&self) -> bool {
        self.ec2().is_some_and(|p| p.daemon)
    }

    pub fn is_job(&self) -> bool {
        self.job.is_some()
    }

    /// MiB a task with a hard limit of `memory` MiB uses while serving `rps` requests per
    /// second, at most that limit.
    pub fn memory_used_mib(&self, rps: f64, memory: u32) -> f64 {
        (self.memory_use.base_mib + self.memory_use.mib_per_request_per_second * rps).min(f64::from(memory))
    }

    /// The task size of size index `index`: 0 the service's own, `k ≥ 1` the k-th of
    /// [`ServiceConfig::deployed_sizes`].
    pub fn task_size(&self, index: u32) -> TaskSize {
        match index.checked_sub(1) {
            None => TaskSize {
                cpu: self.cpu,
                memory: self.memory,
                memory_reservation: self.memory_reservation,
                requests_per_task: self.requests_per_task,
            },
            Some(k) => self.deployed_sizes[k as usize],
        }
    }
}

/// What a task reserves and what it serves: the service's own, or a right-sizing deployment's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TaskSize {
    pub cpu: u32,
    pub memory: u32,
    pub memory_reservation: Option<u32>,
    /// Requests per second a task of this size serves at 100 % of its CPU.
    pub requests_per_task: f64,
}

impl TaskSize {
    /// MiB a task reserves on an instance: `memoryReservation` (soft) if set, else `memory`.
    pub fn reserved_memory_mib(&self) -> u32 {
        self.memory_reservation.unwrap_or(self.memory)
    }
}

/// How a task's memory use depends on its load: a base plus a share per request per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MemoryUse {
    pub base_mib: f64,
    pub mib_per_request_per_second: f64,
}

/// An Application Load Balancer target group in front of the service.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LoadBalancer {
    /// A RUNNING task receives traffic after `HealthCheckIntervalSeconds × HealthyThresholdCount`
    /// (default 30 s × 5 = 150 s, reference §8.3).
    pub health_check_interval_ms: u64,
    pub healthy_threshold_count: u32,
    /// Consecutive failed checks that make a target unhealthy (ALB default 2, reference §8.3).
    pub unhealthy_threshold_count: u32,
    /// A deregistered task keeps its connections (and its bill) this long before it is stopped
    /// (default 300 s).
    pub deregistration_delay_ms: u64,
}

impl LoadBalancer {
    pub fn time_to_healthy_ms(&self) -> u64 {
        self.health_check_interval_ms * u64::from(self.healthy_threshold_count)
    }

    /// From registration, how long a target that fails every check takes to be found unhealthy.
    pub fn time_to_unhealthy_ms(&self) -> u64 {
        self.health_check_interval_ms * u64::from(self.unhealthy_threshold_count)
    }
}

/// What happens to demand above what the running tasks can serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// It is lost (a web request that times out).
    Drop,
    /// It waits in a queue and is served when capacity frees up (a queue-driven worker).
    Queue,
}

/// How a task's CPU is limited (reference §9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuLimit {
    /// A task-level `cpu`: the task uses no more than it reserved.
    #[default]
    Task,
    /// CPU units on the containers only (cgroup CPU shares, EC2): a busy task may use CPU its
    /// instance's other tasks leave idle, so utilization can exceed 100 %.
    ContainerShares,
}

/// Where a service's tasks run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Launch {
    /// Fargate and Fargate Spot, billed per task.
    Fargate(FargateLaunch),
    /// The cluster's EC2 instances, whose cost is shared among the services they run.
    Ec2(Ec2Placement),
}

/// A Fargate service's capacity: its strategy over FARGATE and FARGATE_SPOT and their rates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FargateLaunch {
    /// FARGATE (On-Demand) rates.
    pub rates: FargateRates,
    /// FARGATE_SPOT rates (used if the strategy has it).
    pub spot_rates: FargateRates,
    /// `(Spot, share)` per strategy item, in file order; one FARGATE item without a strategy.
    pub strategy: Vec<(bool, Share)>,
    /// `runtimePlatform.operatingSystemFamily` is a Windows Server one: the licence and the
    /// 5-minute minimum apply.
    pub windows: bool,
    /// `ephemeralStorage.sizeInGiB`: 20 (included) to 200.
    pub storage_gib: u32,
}

impl FargateLaunch {
    pub fn uses_spot(&self) -> bool {
        self.strategy.iter().any(|(spot, _)| *spot)
    }
}

/// How a service's tasks are placed on EC2 instances (reference §7).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ec2Placement {
    /// The strategy's capacity providers (indices into [`Scenario::providers`]) with their
    /// shares, in file order; empty for `launch_type = "EC2"`: any instance of the cluster, not
    /// counted by managed scaling, and a launch that finds no room fails instead of waiting.
    pub providers: Vec<(usize, Share)>,
    pub network_mode: NetworkMode,
    /// A static host port (`bridge` or `host` mode): one such task per instance.
    pub host_port: Option<u16>,
    /// Placement strategy rules in order; empty means ECS's default for replica services.
    pub strategies: Vec<Strategy>,
    pub constraints: Vec<Constraint>,
    /// `schedulingStrategy = DAEMON`: one task on every instance that satisfies the constraints.
    pub daemon: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkMode {
    /// One ENI per task.
    Awsvpc,
    Bridge,
    Host,
}

/// An Auto Scaling group capacity provider.
#[derive(Clone, Debug, Serialize)]
pub struct AsgProvider {
    pub name: String,
    /// In the order given, larger first: the ASG launches the first; the CapacityProviderReservation
    /// estimate uses the smallest and the largest (§4.2).
    pub instance_types: Vec<ProviderType>,
    pub min_size: u32,
    pub max_size: u32,
    /// The group's size when the run starts: that many instances ACTIVE at time zero.
    pub desired_capacity: u32,
    pub availability_zones: u32,
    /// EC2 `pending` (not billed) → `running`.
    pub pending: Delay,
    /// `running` (billed) → the container agent has registered the instance (ACTIVE).
    pub boot: Delay,
    /// ECS cluster auto scaling; `None`: the group stays at its desired capacity, and a task
    /// that does not fit fails to place.
    pub managed_scaling: Option<ManagedScaling>,
    /// An instance running non-daemon tasks is protected from scale-in (§4.4).
    pub managed_termination_protection: bool,
    /// An instance chosen for scale-in is drained (its tasks replaced) before it terminates.
    pub managed_draining: bool,
    /// Custom attributes of the group's instances, for `memberOf` constraints and spreads.
    pub attributes: Vec<(String, String)>,
    /// Spot instances instead of On-Demand.
    pub spot: Option<Spot>,
    /// EC2 Auto Scaling scheduled actions, in file order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scheduled_actions: Vec<GroupScheduledAction>,
}

/// An EC2 Auto Scaling scheduled action (`PutScheduledUpdateGroupAction`): at each firing it
/// sets the group's minimum, maximum and desired capacity, those it gives; managed scaling
/// goes on within the new range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupScheduledAction {
    pub name: String,
    pub when: String,
    pub min_size: Option<u32>,
    pub max_size: Option<u32>,
    pub desired_capacity: Option<u32>,
    #[serde(skip)]
    pub fire_times_ms: Vec<u64>,
}

/// A group of Spot instances (reference §6.1).
#[derive(Clone, Debug, Serialize)]
pub struct Spot {
    pub price: SpotPrice,
    /// Interruptions per instance-hour: each running instance's time to interruption is
    /// exponential with this rate.
    pub interruptions_per_hour: f64,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING`: the instance turns DRAINING at the two-minute notice.
    pub instance_draining: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotPrice {
    /// A fixed share of the On-Demand price.
    Fraction(f64),
    /// Per zone, the price's changes as (ms from the run start, USD per hour), the first at 0.
    History(Vec<Vec<(u64, f64)>>),
}

/// An instance type as a provider launches it.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderType {
    pub instance: InstanceType,
    /// What the container agent registers: CPU units and memory (§6.3).
    pub registered: Registered,
    /// awsvpc tasks the instance holds: max ENIs − 1, or the trunked limit.
    pub awsvpc_tasks: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(minimum_healthy_percent: u32, maximum_percent: u32) -> Deployment {
        Deployment {
            name: "d".into(),
            when: "at 1h".into(),
            minimum_healthy_percent,
            maximum_percent,
            health_check_grace_period_ms: 0,
            startup: Delay::Fixed { ms: 0 },
            size: None,
            failing_share: 0.0,
            failure: TaskFailure::NeverHealthy,
            circuit_breaker: None,
            fire_times_ms: Vec::new(),
        }
    }

    /// AWS's own examples (reference §8.1, from the developer guide's rolling update page) and
    /// the edges of the rounding: the minimum rounds up, the maximum down.
    #[test]
    fn deployment_bounds_round_the_minimum_up_and_the_maximum_down() {
        let bounds = |min, max, desired| {
            let b = deployment(min, max).bounds(desired);
            (b.minimum_healthy, b.maximum)
        };
        // "min 50 % of 4 → can stop 2 first": at least 2 healthy.
        assert_eq!(bounds(50, 200, 4).0, 2);
        // "min 75 % of 2 → ceil(1.5) = 2 → can stop none".
        assert_eq!(bounds(75, 200, 2).0, 2);
        // "max 200 % of 4 → may start 4 new before stopping old": 8 at most.
        assert_eq!(bounds(100, 200, 4).1, 8);
        // "max 125 % of 3 → floor(3.75) = 3 → can start none".
        assert_eq!(bounds(100, 125, 3).1, 3);
        // 50 % of 3 is 1.5: at least 2; 150 % of 3 is 4.5: at most 4.
        assert_eq!(bounds(50, 150, 3), (2, 4));
        // Exact products are not moved: 100 % of 20 is 20, 200 % of 20 is 40, 50 % of 20 is 10.
        assert_eq!(bounds(100, 200, 20), (20, 40));
        assert_eq!(bounds(50, 100, 20), (10, 20));
        // 1 % of 1 rounds up to a whole task; 199 % of 1 rounds down to one.
        assert_eq!(bounds(1, 199, 1), (1, 1));
        assert_eq!(bounds(0, 100, 0), (0, 0));
        // At AWS's largest desired count nothing overflows: 5,000 × 1,000 % = 50,000.
        assert_eq!(bounds(100, 1000, 5000), (5000, 50_000));
    }

    /// "Threshold = clamp(ceil(0.5 × desiredCount), 10, 200)", with AWS's examples 1 → 10,
    /// 25 → 13, 400 → 200, 800 → 200 (reference §8.2).
    #[test]
    fn the_circuit_breaker_threshold_is_half_the_desired_count_within_10_and_200() {
        for (desired, threshold) in [(0, 10), (1, 10), (20, 10), (21, 11), (25, 13), (399, 200), (400, 200), (800, 200)]
        {
            assert_eq!(circuit_breaker_threshold(desired), threshold, "desired {desired}");
        }
    }
}
