//! The files a run streams and their columns, each meaningful on every one of its rows.

/// The files a run streams, each with columns that mean something on every one of its rows.
/// Task state changes.
pub const TASK_EVENTS: &str = "events-tasks.csv";
pub const TASK_EVENTS_HEADER: [&str; 9] =
    ["time_s", "timestamp", "service", "task", "availability_zone", "instance", "from_state", "to_state", "reason"];

/// Service Auto Scaling decisions: a policy acted, or a limit (clamp or cooldown) held it.
pub const SCALING_EVENTS: &str = "events-scaling.csv";
pub const SCALING_EVENTS_HEADER: [&str; 16] = [
    "time_s",
    "timestamp",
    "service",
    "event",
    "policy",
    "alarm",
    "alarm_condition",
    "datapoints",
    "metric_value",
    "running_count",
    "desired_before",
    "proposed",
    "desired_after",
    "limited_by",
    "won",
    "from_zero",
];

/// Scheduled actions setting a service's capacity range.
pub const SCHEDULED_EVENTS: &str = "events-scheduled.csv";
pub const SCHEDULED_EVENTS_HEADER: [&str; 9] = [
    "time_s",
    "timestamp",
    "service",
    "action",
    "schedule",
    "desired_before",
    "desired_after",
    "min_capacity",
    "max_capacity",
];

/// Rolling deployments' steps (written when a service deploys).
pub const DEPLOYMENT_EVENTS: &str = "events-deployments.csv";
pub const DEPLOYMENT_EVENTS_HEADER: [&str; 17] = [
    "time_s",
    "timestamp",
    "service",
    "deployment",
    "number",
    "rollback",
    "step",
    "launched",
    "stopped",
    "desired",
    "minimum_healthy",
    "maximum",
    "new_tasks",
    "old_tasks",
    "healthy",
    "failures",
    "failure_threshold",
];

/// EC2 instances' lifecycle (with EC2 capacity only, as the next two).
pub const INSTANCE_EVENTS: &str = "events-instances.csv";
pub const INSTANCE_EVENTS_HEADER: [&str; 9] = [
    "time_s",
    "timestamp",
    "provider",
    "instance",
    "instance_type",
    "availability_zone",
    "from_state",
    "to_state",
    "reason",
];

/// The Auto Scaling groups' managed-scaling decisions.
pub const GROUP_EVENTS: &str = "events-groups.csv";
pub const GROUP_EVENTS_HEADER: [&str; 17] = [
    "time_s",
    "timestamp",
    "provider",
    "event",
    "capacity_provider_reservation_pct",
    "target_capacity_pct",
    "instances",
    "empty_instances",
    "tasks_waiting",
    "desired_before",
    "proposed",
    "desired_after",
    "limited_by",
    "changed",
    "min_size",
    "max_size",
    "scheduled_action",
];

/// Launches that found no room on any instance.
pub const PLACEMENT_EVENTS: &str = "events-placement.csv";
pub const PLACEMENT_EVENTS_HEADER: [&str; 4] = ["time_s", "timestamp", "service", "reason"];

/// One row per service per series interval.
pub const SERIES: &str = "timeseries.csv";
pub const SERIES_HEADER: [&str; 20] = [
    "time_s",
    "timestamp",
    "service",
    "offered_requests",
    "served_requests",
    "unserved_requests",
    "backlog",
    "offered_rps",
    "tasks_running_mean",
    "tasks_running_max",
    "tasks_pending_max",
    "desired_count",
    "cpu_utilization_mean_pct",
    "cpu_utilization_max_pct",
    "fargate_spot_tasks_running_mean",
    "fargate_spot_tasks_running_max",
    "allocated_cost_usd",
    "cumulative_allocated_cost_usd",
    "fargate_spot_cost_usd",
    "cumulative_fargate_spot_cost_usd",
];

/// One row per Auto Scaling group capacity provider per series interval: the EC2 bill.
pub const PROVIDER_SERIES: &str = "providers.csv";
pub const PROVIDER_SERIES_HEADER: [&str; 14] = [
    "time_s",
    "timestamp",
    "provider",
    "desired_capacity",
    "instances_pending_max",
    "instances_active_max",
    "instances_draining_max",
    "capacity_provider_reservation_pct",
    "cpu_reservation_pct",
    "memory_reservation_pct",
    "tasks_provisioning_max",
    "cost_usd",
    "cumulative_cost_usd",
    "idle_cost_usd",
];
