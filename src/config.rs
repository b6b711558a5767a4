//! The validated model configuration a run needs: plain data, built by the scenario module
//! from a file and read by the simulation. Nothing here parses or reads files.

use serde::Serialize;

use crate::engine::Delay;
use crate::load::Load;
use crate::pricing::{CpuArchitecture, FargateRates};
use crate::scaling::TargetTracking;

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
    pub target_tracking: Vec<TargetTracking>,
}
