//! What a run produces: a stream of records (task state changes, scaling decisions,
//! time-series rows) and, at the end, a summary per service.
//!
//! The records stream through a [`Recorder`] instead of piling up in memory: a month of a
//! thousand services changes task state millions of times, and the report can write each
//! record as it comes. [`MemoryRecorder`] keeps them all for tests and small runs.

use crate::ecs::{InstanceState, TaskState};
use crate::engine::SimTime;
use crate::scaling::Decision;
use crate::stats::Elasticity;

/// A task changed state. `from` is `None` for a task that enters the run.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEvent {
    pub at: SimTime,
    pub service: usize,
    /// Run-wide task number, from 1 in launch order.
    pub task: u64,
    /// The zone; `None` for an EC2 task still waiting to be placed.
    pub az: Option<u32>,
    /// The EC2 instance (run-wide number) the task is placed on.
    pub instance: Option<u64>,
    pub from: Option<TaskState>,
    pub to: TaskState,
    /// Why, when it says more than the states: a launch on Fargate Spot, a Spot interruption.
    pub reason: Option<&'static str>,
}

/// An EC2 instance changed state. `from` is `None` for a launch.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceEvent {
    pub at: SimTime,
    pub provider: usize,
    /// Run-wide instance number, from 1 in launch order.
    pub instance: u64,
    /// Index into the provider's instance types.
    pub instance_type: usize,
    pub az: u32,
    pub from: Option<InstanceState>,
    pub to: InstanceState,
    pub reason: &'static str,
}

/// The managed target-tracking policy of an Auto Scaling group capacity provider changed the
/// group's desired capacity, or a limit held it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupScalingEvent {
    pub at: SimTime,
    pub provider: usize,
    pub direction: crate::scaling::Direction,
    /// A scheduled action of the group (index into its actions) rather than managed scaling.
    pub action: Option<usize>,
    /// CapacityProviderReservation, % (managed scaling's decisions).
    pub reservation: Option<f64>,
    /// N: instances launched and not draining.
    pub instances: u32,
    /// Instances running no non-daemon task.
    pub empty: u32,
    /// Tasks waiting in PROVISIONING for this provider.
    pub waiting_tasks: u32,
    pub desired_before: u32,
    pub proposed: u32,
    pub desired_after: u32,
    /// `instance_warmup`, `max_size` or `min_size`.
    pub limited_by: Option<&'static str>,
    /// The group's size limits after the decision.
    pub min_size: u32,
    pub max_size: u32,
}

/// A task could not be placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementFailure {
    pub at: SimTime,
    pub service: usize,
    pub reason: &'static str,
}

/// One capacity provider over one series interval `[start, end)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderRow {
    pub start: SimTime,
    pub end: SimTime,
    pub provider: usize,
    /// Most instances at once in EC2 `pending` or booting, in service (ACTIVE), and DRAINING.
    pub pending_max: u32,
    pub active_max: u32,
    pub draining_max: u32,
    /// The group's desired capacity at the end of the interval.
    pub desired: u32,
    /// The last CapacityProviderReservation datapoint (managed scaling only).
    pub reservation: Option<f64>,
    /// Mean over the ticks of reserved / registered CPU and memory of ACTIVE and DRAINING
    /// instances, %, as CloudWatch's CPUReservation and MemoryReservation (§9).
    pub cpu_reservation: Option<f64>,
    pub memory_reservation: Option<f64>,
    /// Most tasks waiting in PROVISIONING for this provider at once.
    pub provisioning_max: u32,
    pub cost_usd: f64,
    pub cumulative_cost_usd: f64,
    /// The part of the instances' cost no task reserved.
    pub idle_cost_usd: f64,
}

/// A scaling policy acted, or a limit (clamp or cooldown) held it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingEvent {
    pub at: SimTime,
    pub service: usize,
    pub decision: Decision,
    /// The alarm's window, oldest first: the datapoints that put it in ALARM.
    pub datapoints: Vec<Option<f64>>,
    pub running: u32,
    pub desired_before: u32,
}

/// What set a service's capacity at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timed {
    /// A scheduled action (index into the service's), setting the range.
    Action(usize),
    /// An update of the desired count (index into the service's updates).
    Update(usize),
}

/// A scheduled action set the service's capacity range, or an update its desired count.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledEvent {
    pub at: SimTime,
    pub service: usize,
    pub what: Timed,
    pub desired_before: u32,
    pub desired_after: u32,
    /// The range after the action.
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// A step of a rolling deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStep {
    /// The deployment began (or, with `rollback`, its rollback).
    Started,
    /// The scheduler launched new tasks and stopped old ones.
    Replaced { launched: u32, stopped: u32 },
    /// A task of the new revision failed.
    TaskFailed,
    /// The circuit breaker's failure count reached its threshold.
    Failed,
    /// Every task runs the revision and is healthy, and no other task is left.
    Completed,
    /// Another deployment began before this one ended.
    Superseded,
}

/// A rolling deployment moved on.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentEvent {
    pub at: SimTime,
    pub service: usize,
    /// Index into the service's deployments, and the run-wide number of this start of it.
    pub deployment: usize,
    pub number: u32,
    /// Whether the scheduler is rolling back to the last completed revision.
    pub rollback: bool,
    pub step: DeploymentStep,
    pub desired: u32,
    /// The bounds at the desired count: healthy tasks at least, RUNNING and PENDING at most.
    pub minimum_healthy: u32,
    pub maximum: u32,
    /// Tasks of the revision being deployed and of others, RUNNING or PENDING, and the healthy
    /// ones of all.
    pub new_tasks: u32,
    pub old_tasks: u32,
    pub healthy: u32,
    /// The circuit breaker's failure count and threshold (none without a circuit breaker).
    pub failures: u32,
    pub threshold: Option<u32>,
}

/// How a deployment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// It failed and its rollback to the last completed revision completed.
    RolledBack,
    /// It failed without a rollback, or its rollback was still going when the run ended.
    Failed,
    Superseded,
    /// Still going when the run ended.
    InProgress,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::RolledBack => "rolled_back",
            Outcome::Failed => "failed",
            Outcome::Superseded => "superseded",
            Outcome::InProgress => "in_progress",
        }
    }
}

/// One deployment start over its whole course.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentSummary {
    pub service: usize,
    pub deployment: usize,
    pub number: u32,
    /// The CPU units and MiB of the revision it brings.
    pub task_size: (u32, u32),
    pub started: SimTime,
    pub ended: Option<SimTime>,
    pub outcome: Outcome,
    /// Tasks beyond the desired count (alive in any state before STOPPED): the most at once
    /// and their integral in milliseconds.
    pub peak_extra_tasks: u32,
    pub extra_task_ms: u64,
    /// EC2: instances billing beyond those at the start, the most at once (seen at the ticks)
    /// and the instance-milliseconds beyond the start's count (net: fewer count against).
    pub peak_extra_instances: u32,
    pub extra_instance_ms: i64,
    /// What the surge cost: Fargate, the extra task time at the task's On-Demand price; EC2,
    /// the service's capacity providers' bill beyond their rate at the start.
    pub surge_cost_usd: f64,
    /// Requests lost in the ticks the deployment overlapped.
    pub unserved_requests: f64,
    pub failed_tasks: u32,
}

/// A service's or a group's course through one outage.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageSummary {
    /// Index into the scenario's outages.
    pub outage: usize,
    /// A capacity provider's row (instances) rather than a service's (tasks); `index` into
    /// the scenario's providers or services.
    pub provider: bool,
    pub index: usize,
    /// Tasks (a service's) or instances (a provider's) lost when the zone went.
    pub lost: u32,
    /// From the zone's loss until as many tasks RUNNING (instances ACTIVE) as just before, seen
    /// at the ticks; none if never.
    pub recovery_ms: Option<u64>,
    /// Requests lost in the ticks until then.
    pub unserved_requests: f64,
    /// The cost of the outage's span (a service's allocated cost, a provider's bill); none if
    /// the zone had not returned when the run ended.
    pub cost_usd: Option<f64>,
}

/// One service over one series interval `[start, end)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    pub start: SimTime,
    pub end: SimTime,
    pub service: usize,
    pub offered_requests: f64,
    pub served_requests: f64,
    /// Requests waiting at the start and at the end of the interval (with `overflow = "queue"`).
    pub backlog_at_start: f64,
    pub backlog: f64,
    /// Time-weighted mean of RUNNING tasks.
    pub running_mean: f64,
    pub running_max: u32,
    /// Most tasks PROVISIONING or PENDING at once.
    pub pending_max: u32,
    /// Desired count at the end of the interval.
    pub desired: u32,
    /// Mean and maximum of the one-minute CPU datapoints (none while no task ran).
    pub cpu_mean: Option<f64>,
    pub cpu_max: Option<f64>,
    pub cost_usd: f64,
    pub cumulative_cost_usd: f64,
    /// For a service that uses Fargate Spot, the part of it on Spot.
    pub spot: Option<SpotPart>,
}

/// The Fargate Spot part of a service's series interval: its RUNNING tasks and its bill.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotPart {
    pub running_mean: f64,
    pub running_max: u32,
    pub cost_usd: f64,
    pub cumulative_cost_usd: f64,
}

impl SeriesRow {
    /// Requests lost in the interval: offered or waiting at its start, and neither served nor
    /// waiting at its end. A queue loses none: what it has not served yet is its backlog.
    pub fn unserved_requests(&self) -> f64 {
        (self.offered_requests + self.backlog_at_start - self.served_requests - self.backlog).max(0.0)
    }
}

/// Receives a run's records as they happen, in time order.
pub trait Recorder {
    fn task(&mut self, event: &TaskEvent);
    fn scaling(&mut self, event: &ScalingEvent);
    fn scheduled(&mut self, event: &ScheduledEvent);
    fn deployment(&mut self, event: &DeploymentEvent);
    fn series(&mut self, row: &SeriesRow);
    fn instance(&mut self, event: &InstanceEvent);
    fn group_scaling(&mut self, event: &GroupScalingEvent);
    fn placement_failure(&mut self, event: &PlacementFailure);
    fn provider_series(&mut self, row: &ProviderRow);
}

/// Keeps no record: for runs whose summary is all that is wanted.
pub struct Discard;

impl Recorder for Discard {
    fn task(&mut self, _: &TaskEvent) {}
    fn scaling(&mut self, _: &ScalingEvent) {}
    fn scheduled(&mut self, _: &ScheduledEvent) {}
    fn deployment(&mut self, _: &DeploymentEvent) {}
    fn series(&mut self, _: &SeriesRow) {}
    fn instance(&mut self, _: &InstanceEvent) {}
    fn group_scaling(&mut self, _: &GroupScalingEvent) {}
    fn placement_failure(&mut self, _: &PlacementFailure) {}
    fn provider_series(&mut self, _: &ProviderRow) {}
}

/// Keeps every record.
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    pub tasks: Vec<TaskEvent>,
    pub scaling: Vec<ScalingEvent>,
    pub scheduled: Vec<ScheduledEvent>,
    pub deployments: Vec<DeploymentEvent>,
    pub series: Vec<SeriesRow>,
    pub instances: Vec<InstanceEvent>,
    pub group_scaling: Vec<GroupScalingEvent>,
    pub placement_failures: Vec<PlacementFailure>,
    pub provider_series: Vec<ProviderRow>,
}

impl Recorder for MemoryRecorder {
    fn task(&mut self, event: &TaskEvent) {
        self.tasks.push(event.clone());
    }
    fn scaling(&mut self, event: &ScalingEvent) {
        self.scaling.push(event.clone());
    }
    fn scheduled(&mut self, event: &ScheduledEvent) {
        self.scheduled.push(event.clone());
    }
    fn deployment(&mut self, event: &DeploymentEvent) {
        self.deployments.push(event.clone());
    }
    fn series(&mut self, row: &SeriesRow) {
        self.series.push(row.clone());
    }
    fn instance(&mut self, event: &InstanceEvent) {
        self.instances.push(event.clone());
    }
    fn group_scaling(&mut self, event: &GroupScalingEvent) {
        self.group_scaling.push(event.clone());
    }
    fn placement_failure(&mut self, event: &PlacementFailure) {
        self.placement_failures.push(event.clone());
    }
    fn provider_series(&mut self, row: &ProviderRow) {
        self.provider_series.push(row.clone());
    }
}

/// A service's totals over the whole run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceSummary {
    /// Billed task time (rounded up per task, one-minute minimum), in milliseconds. Fargate
    /// only: on EC2 the instances are billed, and the service's cost is its share of them.
    pub billed_ms: u64,
    /// vCPU (with a Windows licence), memory and Fargate ephemeral storage above 20 GB.
    pub cost_vcpu_usd: f64,
    pub cost_memory_usd: f64,
    pub cost_storage_usd: f64,
    pub offered_requests: f64,
    pub served_requests: f64,
    /// With `overflow = "queue"`: requests still waiting when the run ended, never served.
    pub queued_at_end: f64,
    /// Integral of RUNNING tasks over time, in task-milliseconds.
    pub running_task_ms: u64,
    pub peak_running: u32,
    pub peak_desired: u32,
    pub tasks_launched: u64,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub ticks: u64,
    /// Ticks in which some demand went unserved.
    pub underprovisioned_ticks: u64,
    /// Ticks that ended with the desired count at the scenario's `max_capacity` while the load
    /// demanded more tasks: the range, not the policies, set the size.
    pub ticks_at_max_capacity: u64,
    /// Launches that found no instance (EC2 without managed scaling, or a daemon).
    pub placement_failures: u64,
    /// Fargate Spot tasks AWS took back.
    pub spot_interruptions: u64,
    /// Requests lost in ticks during which an interrupted task's replacement was starting.
    pub unserved_while_replacing: f64,
    /// Launches that replaced interrupted Spot tasks.
    pub spot_replacements: u64,
    /// The part of the cost billed at Fargate Spot rates.
    pub spot_cost_usd: f64,
    /// Tasks demanded (to serve the offered load at the policy's target) over time, in
    /// task-milliseconds: the weight of the service in the run's elasticity.
    pub demanded_task_ms: u64,
    /// RUNNING tasks against the tasks demanded; none for a service without a load.
    pub elasticity: Option<Elasticity>,
    /// A job's own totals; none for a service.
    pub job: Option<JobSummary>,
}

/// A job's totals over the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobSummary {
    /// `RunTask`s made: schedule firings or arrivals.
    pub starts: u64,
    /// Tasks launched (placed, or waiting in PROVISIONING for capacity).
    pub tasks_started: u64,
    /// Tasks that ran their course and exited.
    pub tasks_completed: u64,
    /// Tasks no attempt could place before the retries ran out.
    pub tasks_failed_to_place: u64,
    /// `RunTask`s retried.
    pub retries: u64,
    /// From each task's first `RunTask` to RUNNING, summed over the tasks that got there.
    pub wait_ms: u64,
    pub tasks_running_reached: u64,
}

impl ServiceSummary {
    pub fn cost_usd(&self) -> f64 {
        self.cost_vcpu_usd + self.cost_memory_usd + self.cost_storage_usd
    }

    /// Requests never served: lost, or with a queue still waiting at the end of the run.
    pub fn unserved_requests(&self) -> f64 {
        (self.offered_requests - self.served_requests).max(0.0)
    }
}

/// A capacity provider's totals over the whole run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderSummary {
    /// Billed instance time (per second, one-minute minimum per start), in milliseconds.
    pub billed_ms: u64,
    pub cost_usd: f64,
    /// The cost of capacity no task reserved: `cost_usd` minus what the services were allocated.
    pub idle_cost_usd: f64,
    pub instances_launched: u64,
    pub peak_instances: u32,
    /// Means over the ticks, % (none while no instance was registered).
    pub cpu_reservation_mean: Option<f64>,
    pub memory_reservation_mean: Option<f64>,
    pub scale_outs: u32,
    pub scale_ins: u32,
    /// Spot interruption notices.
    pub interruptions: u32,
    /// ACTIVE instances against the instances the demanded tasks need.
    pub elasticity: Elasticity,
}

/// One EC2 instance over the run.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSummary {
    pub provider: usize,
    pub instance: u64,
    pub instance_type: usize,
    pub az: u32,
    pub launched: SimTime,
    /// When EC2 billing started (`running`); `None` if it never got there.
    pub running: Option<SimTime>,
    pub terminated: Option<SimTime>,
    pub billed_ms: u64,
    pub cost_usd: f64,
    pub spot_interrupted: bool,
}

/// The end-of-run result: one summary per service and per capacity provider, in scenario order,
/// and one per EC2 instance, in launch order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOutcome {
    pub services: Vec<ServiceSummary>,
    pub providers: Vec<ProviderSummary>,
    pub instances: Vec<InstanceSummary>,
    /// Every deployment start, in service then start order.
    pub deployments: Vec<DeploymentSummary>,
    /// Per outage that began: each service's course, then each provider's.
    pub outages: Vec<OutageSummary>,
    /// The most tasks RUNNING at once over all services, as seen at the ticks.
    pub peak_running_tasks: u32,
}
