//! The validated model configuration a run needs: plain data, built by the scenario module
//! from a file and read by the simulation. Nothing here parses or reads files.

use serde::Serialize;

use crate::engine::Delay;
use crate::load::Load;
use crate::pricing::{CpuArchitecture, FargateRates};
use crate::scaling::{Policy, ScheduledAction, Suspension};

/// One scenario, ready to run. A run is a pure function of this value (its seed included).
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    /// Wall-clock time of simulated time zero, in Unix milliseconds (UTC).
    pub start_unix_ms: i64,
    pub duration_ms: u64,
    /// The metric tick: loads are sampled and metrics integrated once per tick.
    pub tick_ms: u64,
    /// The time-series resolution: a multiple of the tick.
    pub series_interval_ms: u64,
    pub seed: u64,
    pub region: String,
    pub loads: Vec<LoadConfig>,
    pub services: Vec<ServiceConfig>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadConfig {
    pub name: String,
    #[serde(flatten)]
    pub load: Load,
}

/// A replica service on Fargate.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceConfig {
    pub name: String,
    /// Index into [`Scenario::loads`].
    pub load: usize,
    pub cpu: u32,
    pub memory: u32,
    pub cpu_architecture: CpuArchitecture,
    pub rates: FargateRates,
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
    pub load_balancer: Option<LoadBalancer>,
    /// Scaling policies, in file order: target tracking first, then step scaling.
    pub policies: Vec<Policy>,
    pub scheduled_actions: Vec<ScheduledAction>,
    pub suspension: Suspension,
}

impl ServiceConfig {
    /// MiB a task uses while serving `rps` requests per second, at most its hard `memory`.
    pub fn memory_used_mib(&self, rps: f64) -> f64 {
        (self.memory_use.base_mib + self.memory_use.mib_per_request_per_second * rps).min(f64::from(self.memory))
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
    /// A deregistered task keeps its connections (and its bill) this long before it is stopped
    /// (default 300 s).
    pub deregistration_delay_ms: u64,
}

impl LoadBalancer {
    pub fn time_to_healthy_ms(&self) -> u64 {
        self.health_check_interval_ms * u64::from(self.healthy_threshold_count)
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
