//! ECS vocabulary shared by the model: task states, the Fargate task-size table and how
//! container CPU shares divide an instance.

pub mod cpu_shares;
pub mod fargate;

use serde::Serialize;

/// Task lifecycle states, as ECS names them (reference §8.3). ecsim models the states that
/// change what is billed or served; the short transitional ones (ACTIVATING, DEPROVISIONING)
/// are folded into their neighbours, and DEACTIVATING appears only behind a load balancer,
/// where it lasts the deregistration delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskState {
    Provisioning,
    Pending,
    Running,
    /// Deregistering from the load balancer: no new requests, still billed.
    Deactivating,
    Stopping,
    Stopped,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Provisioning => "PROVISIONING",
            TaskState::Pending => "PENDING",
            TaskState::Running => "RUNNING",
            TaskState::Deactivating => "DEACTIVATING",
            TaskState::Stopping => "STOPPING",
            TaskState::Stopped => "STOPPED",
        }
    }
}

/// An EC2 container instance's life (reference §6.1, §4.4): EC2 `pending` (not billed), EC2
/// `running` while it boots (billed, not yet registered), ECS `ACTIVE` once the container
/// agent registers, `DRAINING` while its tasks are moved off, and `terminated`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum InstanceState {
    Pending,
    Booting,
    Active,
    Draining,
    Terminated,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Booting => "running",
            InstanceState::Active => "ACTIVE",
            InstanceState::Draining => "DRAINING",
            InstanceState::Terminated => "terminated",
        }
    }
}
