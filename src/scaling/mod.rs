//! Service auto scaling as Application Auto Scaling does it: CloudWatch-style alarms over
//! one-minute datapoints, and policies that turn an alarm into a new desired count.
//!
//! Policies are decisions over a read-only [`CapacityView`]; the simulation applies them.

mod alarm;
mod target_tracking;

pub use alarm::{Alarm, AlarmState, Comparison};
pub use target_tracking::{
    Decision, Direction, Limit, ScaleFrom, TargetTracking, TargetTrackingAlarms, evaluate_target_tracking,
    proposed_capacity,
};

use crate::engine::SimTime;

/// What a policy may read about its service when it decides.
#[derive(Clone, Copy, Debug)]
pub struct CapacityView {
    pub now: SimTime,
    /// RUNNING tasks: the starting point AAS uses for ECS, not the desired count (§1.3).
    pub running: u32,
    pub desired: u32,
    pub min_capacity: u32,
    pub max_capacity: u32,
    pub last_scale_out: Option<SimTime>,
    pub last_scale_in: Option<SimTime>,
}
