//! What a run produces: a stream of records (task state changes, scaling decisions,
//! time-series rows) and, at the end, a summary per service.
//!
//! The records stream through a [`Recorder`] instead of piling up in memory: a month of a
//! thousand services changes task state millions of times, and the report can write each
//! record as it comes. [`MemoryRecorder`] keeps them all for tests and small runs.

use crate::ecs::TaskState;
use crate::engine::SimTime;
use crate::scaling::Decision;

/// A task changed state. `from` is `None` for a task that enters the run.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEvent {
    pub at: SimTime,
    pub service: usize,
    /// Run-wide task number, from 1 in launch order.
    pub task: u64,
    pub az: u32,
    pub from: Option<TaskState>,
    pub to: TaskState,
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

/// A scheduled action set the service's capacity range.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledEvent {
    pub at: SimTime,
    pub service: usize,
    /// Index into the service's scheduled actions.
    pub action: usize,
    pub desired_before: u32,
    pub desired_after: u32,
    /// The range after the action.
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// One service over one series interval `[start, end)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesRow {
    pub start: SimTime,
    pub end: SimTime,
    pub service: usize,
    pub offered_requests: f64,
    pub served_requests: f64,
    /// Requests waiting at the end of the interval (with `overflow = "queue"`).
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
}

impl SeriesRow {
    pub fn unserved_requests(&self) -> f64 {
        (self.offered_requests - self.served_requests).max(0.0)
    }
}

/// Receives a run's records as they happen, in time order.
pub trait Recorder {
    fn task(&mut self, event: &TaskEvent);
    fn scaling(&mut self, event: &ScalingEvent);
    fn scheduled(&mut self, event: &ScheduledEvent);
    fn series(&mut self, row: &SeriesRow);
}

/// Keeps every record.
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    pub tasks: Vec<TaskEvent>,
    pub scaling: Vec<ScalingEvent>,
    pub scheduled: Vec<ScheduledEvent>,
    pub series: Vec<SeriesRow>,
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
    fn series(&mut self, row: &SeriesRow) {
        self.series.push(row.clone());
    }
}

/// A service's totals over the whole run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceSummary {
    /// Billed task time (rounded up per task, one-minute minimum), in milliseconds.
    pub billed_ms: u64,
    pub cost_vcpu_usd: f64,
    pub cost_memory_usd: f64,
    pub offered_requests: f64,
    pub served_requests: f64,
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
}

impl ServiceSummary {
    pub fn cost_usd(&self) -> f64 {
        self.cost_vcpu_usd + self.cost_memory_usd
    }

    pub fn unserved_requests(&self) -> f64 {
        (self.offered_requests - self.served_requests).max(0.0)
    }
}

/// The end-of-run result: one summary per service, in scenario order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOutcome {
    pub services: Vec<ServiceSummary>,
}
