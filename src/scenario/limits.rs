//! The bounds a scenario must stay within: AWS's own service quotas where AWS has one (a
//! scenario beyond them describes a setup AWS would refuse), and ecsim's limits on a run's
//! size where AWS has none, so that no input can make a run overflow, exhaust memory or run
//! for hours. Each error names the bound and whether it can be raised.

/// The longest duration a scenario may write, for the run or any delay in it: three years
/// ([`LONGEST_RUN_MS`](crate::engine::LONGEST_RUN_MS)), the longest term of an EC2 Reserved
/// Instance or Savings Plan, and so the longest horizon a capacity plan prices.
pub const MAX_DURATION_MS: u64 = crate::engine::LONGEST_RUN_MS;
pub const MAX_DURATION_TEXT: &str = "3 years (26,280 h)";

/// A count AWS bounds with a service quota, with the quota's name and whether AWS raises it
/// on request. Values from the quota pages of Amazon ECS
/// (docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html), Application
/// Auto Scaling (…/autoscaling/application/userguide/application-auto-scaling-quotas.html)
/// and EC2 Auto Scaling (…/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html).
#[derive(Clone, Copy, Debug)]
pub struct Quota {
    pub max: u32,
    pub name: &'static str,
    pub adjustable: bool,
}

impl Quota {
    /// "AWS's quota of 5,000 tasks per service, which AWS does not raise".
    pub fn describe(&self) -> String {
        let raise = if self.adjustable {
            "which AWS raises on request in the Service Quotas console; ecsim follows the default"
        } else {
            "which AWS does not raise"
        };
        format!("AWS's quota of {} {}, {raise}", thousands(self.max), self.name)
    }
}

/// Tasks per service (the desired count and the scalable target's bounds). ECS quotas,
/// "Tasks per service": 5,000, not adjustable.
pub const TASKS_PER_SERVICE: Quota = Quota { max: 5_000, name: "tasks per service", adjustable: false };
/// ECS quotas, "Services per cluster": 5,000, not adjustable.
pub const SERVICES_PER_CLUSTER: Quota = Quota { max: 5_000, name: "services per cluster", adjustable: false };
/// ECS quotas, "Container instances per cluster": 5,000, not adjustable (reference §4.3):
/// the sum of the Auto Scaling groups' `max_size`.
pub const INSTANCES_PER_CLUSTER: Quota =
    Quota { max: 5_000, name: "container instances per cluster", adjustable: false };
/// ECS quotas, "Capacity providers per cluster": 20, not adjustable.
pub const PROVIDERS_PER_CLUSTER: Quota = Quota { max: 20, name: "capacity providers per cluster", adjustable: false };
/// CreateService `capacityProviderStrategy`: "a maximum of 20 capacity providers"
/// (reference §4.5).
pub const PROVIDERS_PER_STRATEGY: Quota = Quota { max: 20, name: "capacity providers per strategy", adjustable: false };
/// CreateService `placementStrategy`: at most 5 rules (reference §7).
pub const STRATEGY_RULES_PER_SERVICE: Quota =
    Quota { max: 5, name: "placement strategy rules per service", adjustable: false };
/// CreateService `placementConstraints`: at most 10 per task, the task definition's included
/// (reference §7).
pub const CONSTRAINTS_PER_TASK: Quota = Quota { max: 10, name: "placement constraints per task", adjustable: false };
/// Application Auto Scaling quotas, "Scaling policies per scalable target": 50, target
/// tracking and step scaling together, not adjustable.
pub const POLICIES_PER_TARGET: Quota =
    Quota { max: 50, name: "scaling policies per scalable target", adjustable: false };
/// Application Auto Scaling quotas, "Scheduled actions per scalable target": 200, not
/// adjustable.
pub const SCHEDULED_ACTIONS_PER_TARGET: Quota =
    Quota { max: 200, name: "scheduled actions per scalable target", adjustable: false };
/// Amazon EC2 Auto Scaling quotas, "Scheduled actions per Auto Scaling group": 125, which
/// "cannot be changed" (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html).
pub const GROUP_SCHEDULED_ACTIONS: Quota =
    Quota { max: 125, name: "scheduled actions per Auto Scaling group", adjustable: false };
/// Application Auto Scaling quotas, "Step adjustments per scaling policy": 20, adjustable.
pub const STEPS_PER_POLICY: Quota = Quota { max: 20, name: "step adjustments per scaling policy", adjustable: true };

/// The highest rate a load may reach, in requests per second, its parts composed: ecsim's
/// bound, a billion, far above any one service's peak, so that every figure derived from
/// requests stays finite.
pub const MAX_LOAD_RATE: f64 = 1e9;

/// The fewest requests per second a task may serve at 100 % CPU: below it, a task's CPU
/// utilization (offered ÷ what it serves) would leave every finite range.
pub const MIN_REQUESTS_PER_TASK: f64 = 0.001;

/// The largest `scaling_adjustment` of a step, either way: ecsim's bound where AWS states none,
/// 200 times the tasks a service may have, so a percent or a count beyond it changes nothing.
pub const MAX_STEP_ADJUSTMENT: u64 = 1_000_000;

/// ecsim's bound on a run's work, where AWS has none: service ticks (services × ticks in the
/// run). A thousand services for a 30-day month at a one-minute tick is 43.2 million; the
/// bound, 40 times that, is some minutes of one core.
pub const MAX_SERVICE_TICKS: u64 = 2_000_000_000;

/// ecsim's bound on the tasks a run can hold at once (the services' `max_capacity` added up):
/// a few hundred bytes each, so a run stays within some hundreds of MB.
pub const MAX_TASKS: u64 = 250_000;

/// ecsim's bound on the firing times of a scenario's scheduled actions, worked out before the
/// run: a million, 16 MB (an action at `rate(1 minute)` fires 43,800 times in a month).
pub const MAX_SCHEDULED_FIRINGS: usize = 1_000_000;

/// ecsim's bound on the trace buckets a scenario's loads hold together: 20 million, 160 MB.
pub const MAX_TRACE_BUCKETS_IN_SCENARIO: usize = 20_000_000;

/// `n` with thousands separated by commas, as AWS's quota pages write them.
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_described_as_aws_names_them() {
        assert_eq!(thousands(5_000), "5,000");
        assert_eq!(thousands(20), "20");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(TASKS_PER_SERVICE.describe(), "AWS's quota of 5,000 tasks per service, which AWS does not raise");
        assert!(STEPS_PER_POLICY.describe().contains("raises on request"));
    }
}
