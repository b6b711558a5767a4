//! ECS cluster auto scaling for Auto Scaling group capacity providers (reference §4): the
//! CapacityProviderReservation metric that drives the ASG's managed target-tracking policy.
//!
//! Pure arithmetic over what the cluster looks like; the simulation feeds it
//! instance and task counts each minute. Where AWS's texts disagree or are silent, the choice
//! is a setting: how the per-group instance counts of the scale-out estimate combine, and
//! whether scale-in reads "100 minus empty instances" or M / N × 100.

mod strategy;

use serde::Serialize;

pub use strategy::{Share, SplitRule, next_launch, next_stop, split};

/// `ManagedScaling` of a capacity provider, with the API's defaults (§4.1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ManagedScaling {
    /// 1–100 %; default 100.
    pub target_capacity: u32,
    /// 1–10000; default 1. "The scale in process is not affected by this parameter."
    pub minimum_scaling_step_size: u32,
    /// 1–10000; default 10000.
    pub maximum_scaling_step_size: u32,
    /// 0–10000 s; default 300 s.
    pub instance_warmup_period_ms: u64,
    pub groups: GroupCombination,
    pub scale_in: ScaleInReading,
    /// The most the group shrinks in one minute, as a share of its size in %, at least one
    /// instance: "greater than one instance and less than 50% each minute" (the ECS guide since
    /// September 2022; 10 % before) (§4.3, §11.6).
    pub scale_in_pace_percent: u32,
}

impl Default for ManagedScaling {
    fn default() -> Self {
        ManagedScaling {
            target_capacity: 100,
            minimum_scaling_step_size: 1,
            maximum_scaling_step_size: 10_000,
            instance_warmup_period_ms: 300_000,
            groups: GroupCombination::Sum,
            scale_in: ScaleInReading::EmptyInstances,
            scale_in_pace_percent: 50,
        }
    }
}

/// How the instances needed by several task groups make one estimate. AWS: "For each group of
/// tasks, Amazon ECS calculates the number of instances that are required to run the unplaced
/// tasks" and calls the result "the maximum calculated instance count" without saying how the
/// groups combine (§4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupCombination {
    /// Each group's binpack is separate, so their instances add up (the default).
    Sum,
    /// The largest group's count.
    Largest,
}

/// The metric when no task waits. The ECS guide (since January 2023): "100 minus the number of
/// container instances that are empty" (98 % for two empty instances, whatever N); the AWS blog
/// and workshop: M / N × 100 (§4.2, §11.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleInReading {
    EmptyInstances,
    Ratio,
}

/// What one task of a group needs from an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskNeeds {
    pub cpu_units: u32,
    pub memory_mib: u32,
    /// awsvpc: an ENI of its own.
    pub eni: bool,
    /// A static host port (or, ecsim's choice, a `distinctInstance` constraint): one such task
    /// per instance.
    pub one_per_instance: bool,
}

/// What an instance type offers tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceShape {
    pub cpu_units: u32,
    pub memory_mib: u32,
    /// ENIs available to awsvpc tasks.
    pub task_enis: u32,
}

/// Tasks of one group that one empty instance holds, by binpack over CPU, memory, ENIs and
/// ports (§4.2 step 4).
pub fn tasks_per_instance(task: &TaskNeeds, shape: &InstanceShape) -> u32 {
    let mut fit = (shape.cpu_units / task.cpu_units.max(1)).min(shape.memory_mib / task.memory_mib.max(1));
    if task.eni {
        fit = fit.min(shape.task_enis);
    }
    if task.one_per_instance {
        fit = fit.min(1);
    }
    fit
}

/// Instances needed for the waiting tasks, `(needs, count)` per group: each group's count on the
/// largest type; a group that does not fit the smallest type is left out. `None` when no group
/// fits: "cluster Auto Scaling stops and the CapacityProviderReservation value remains at 100%".
pub fn instances_needed(
    groups: &[(TaskNeeds, u32)],
    smallest: &InstanceShape,
    largest: &InstanceShape,
    combination: GroupCombination,
) -> Option<u32> {
    let counts = groups
        .iter()
        .filter(|(needs, _)| tasks_per_instance(needs, smallest) > 0)
        .map(|(needs, count)| count.div_ceil(tasks_per_instance(needs, largest).max(1)));
    match combination {
        GroupCombination::Sum => counts.reduce(|a, b| a + b),
        GroupCombination::Largest => counts.max(),
    }
}

/// CapacityProviderReservation, in %. `running` is N, the ASG's running instances; `needed` the
/// estimate for waiting tasks (`None`: none wait, or none fits); `empty` the instances running
/// no non-daemon task.
pub fn reservation(running: u32, needed: Option<u32>, empty: u32, settings: &ManagedScaling) -> f64 {
    match needed {
        // "Amazon ECS always scales-out to 200% (two instances)" from zero (§4.2).
        Some(_) if running == 0 => 200.0,
        Some(count) => {
            // minimumScalingStepSize when the count is below it, else the lower of the count and
            // maximumScalingStepSize.
            let step = if count < settings.minimum_scaling_step_size {
                settings.minimum_scaling_step_size
            } else {
                count.min(settings.maximum_scaling_step_size)
            };
            100.0 * f64::from(running + step) / f64::from(running)
        }
        None if running == 0 => 100.0,
        None => match settings.scale_in {
            ScaleInReading::EmptyInstances => 100.0 - f64::from(empty),
            ScaleInReading::Ratio => 100.0 * f64::from(running - empty.min(running)) / f64::from(running),
        },
    }
}

/// The managed target-tracking policy's alarms on the group (§4.3): AlarmHigh is
/// "CapacityProviderReservation > target for 1 datapoints within 1 minute", AlarmLow below the
/// target for 15 datapoints within 15 minutes. One datapoint a minute.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsgAlarms {
    below_minutes: u32,
}

pub const ALARM_LOW_DATAPOINTS: u32 = 15;

/// Which alarm is in ALARM after a minute's datapoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    High,
    Low,
    Quiet,
}

impl AsgAlarms {
    pub fn push(&mut self, reservation: f64, target: f64) -> Signal {
        if reservation < target {
            self.below_minutes += 1;
        } else {
            self.below_minutes = 0;
        }
        if reservation > target {
            Signal::High
        } else if self.below_minutes >= ALARM_LOW_DATAPOINTS {
            Signal::Low
        } else {
            Signal::Quiet
        }
    }
}

/// The group size the managed policy asks for in a minute whose alarm is `signal`, before the
/// group's min and max. `running` is N, `waiting` whether tasks wait for capacity, `empty` the
/// instances running no non-daemon task, `reservation` the metric this minute.
///
/// Scale-out is target tracking's `ceil(N × metric / target)`, with N taken as one from zero
/// ("it assumes … that the current capacity is one"), which gives `N + step` instances at a
/// target of 100. When no task waits, the instances wanted are those running tasks plus the
/// spare the target keeps, `ceil((N − empty) × 100 / target)`, whichever reading the metric
/// uses; scale-in moves toward it by at most the pace a minute (§4.3).
pub fn group_capacity(
    signal: Signal,
    running: u32,
    waiting: bool,
    empty: u32,
    reservation: f64,
    settings: &ManagedScaling,
) -> u32 {
    let target = f64::from(settings.target_capacity);
    let busy_goal = || (f64::from(running - empty.min(running)) * 100.0 / target - 1e-9).ceil().max(0.0) as u32;
    match signal {
        Signal::Quiet => running,
        Signal::High if waiting => (f64::from(running.max(1)) * reservation / target - 1e-9).ceil() as u32,
        Signal::High => busy_goal().max(running),
        Signal::Low => {
            let step = (running * settings.scale_in_pace_percent / 100).max(1);
            busy_goal().max(running.saturating_sub(step)).min(running)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two instance shapes, about an m5.large (2048 units, 7987 MiB, 2 ENIs for tasks) and an
    /// m5.xlarge (4096, 15974, 3).
    const LARGE: InstanceShape = InstanceShape { cpu_units: 2048, memory_mib: 7987, task_enis: 2 };
    const XLARGE: InstanceShape = InstanceShape { cpu_units: 4096, memory_mib: 15974, task_enis: 3 };

    fn needs(cpu: u32, memory: u32) -> TaskNeeds {
        TaskNeeds { cpu_units: cpu, memory_mib: memory, eni: false, one_per_instance: false }
    }

    #[test]
    fn binpack_counts_the_scarcest_resource() {
        // 512 units / 1 GiB on an m5.large: CPU allows 4, memory 7 → 4.
        assert_eq!(tasks_per_instance(&needs(512, 1024), &LARGE), 4);
        // 256 units / 2 GiB: CPU 8, memory 3 → 3.
        assert_eq!(tasks_per_instance(&needs(256, 2048), &LARGE), 3);
        // awsvpc: 2 ENIs → 2; a static host port → 1; too big → 0.
        assert_eq!(tasks_per_instance(&TaskNeeds { eni: true, ..needs(256, 512) }, &LARGE), 2);
        assert_eq!(tasks_per_instance(&TaskNeeds { one_per_instance: true, ..needs(256, 512) }, &LARGE), 1);
        assert_eq!(tasks_per_instance(&needs(4096, 1024), &LARGE), 0);
    }

    #[test]
    fn the_estimate_uses_the_largest_type_and_leaves_out_what_the_smallest_cannot_run() {
        // 10 tasks of 512/1024 → 8 per m5.xlarge → 2; 3 tasks of 2048/4096 → 2 per xlarge → 2.
        let groups = [(needs(512, 1024), 10), (needs(2048, 4096), 3)];
        assert_eq!(instances_needed(&groups, &LARGE, &XLARGE, GroupCombination::Sum), Some(4));
        assert_eq!(instances_needed(&groups, &LARGE, &XLARGE, GroupCombination::Largest), Some(2));
        // A 4-vCPU task does not fit the smallest type (m5.large): left out; alone, no estimate.
        let big = [(needs(4096, 1024), 5)];
        assert_eq!(instances_needed(&big, &LARGE, &XLARGE, GroupCombination::Sum), None);
        let mixed = [(needs(4096, 1024), 5), (needs(512, 1024), 9)];
        assert_eq!(instances_needed(&mixed, &LARGE, &XLARGE, GroupCombination::Sum), Some(2));
    }

    #[test]
    fn reservation_special_cases_and_step_clamps() {
        let settings = ManagedScaling::default();
        // §4.2: M = 0 and N = 0 → 100; tasks waiting with N = 0 → 200.
        assert_eq!(reservation(0, None, 0, &settings), 100.0);
        assert_eq!(reservation(0, Some(5), 0, &settings), 200.0);
        // N = 4, 2 more needed: M/N = 6/4 → 150 %.
        assert_eq!(reservation(4, Some(2), 0, &settings), 150.0);
        // minimumScalingStepSize 3 lifts a need of 1 to 3: 7/4 → 175 %.
        let min3 = ManagedScaling { minimum_scaling_step_size: 3, ..settings };
        assert_eq!(reservation(4, Some(1), 0, &min3), 175.0);
        // maximumScalingStepSize 2 caps a need of 50 at 2: 6/4 → 150 %.
        let max2 = ManagedScaling { maximum_scaling_step_size: 2, ..settings };
        assert_eq!(reservation(4, Some(50), 0, &max2), 150.0);
        // Every instance busy: 100 %.
        assert_eq!(reservation(10, None, 0, &settings), 100.0);
    }

    #[test]
    fn alarm_high_fires_on_one_minute_above_and_low_on_fifteen_below() {
        let mut alarms = AsgAlarms::default();
        assert_eq!(alarms.push(150.0, 100.0), Signal::High);
        for _ in 0..14 {
            assert_eq!(alarms.push(98.0, 100.0), Signal::Quiet);
        }
        assert_eq!(alarms.push(98.0, 100.0), Signal::Low, "the 15th minute below");
        assert_eq!(alarms.push(98.0, 100.0), Signal::Low, "and every minute it stays below");
        // At the target: neither, and the count of minutes below starts again.
        assert_eq!(alarms.push(100.0, 100.0), Signal::Quiet);
        assert_eq!(alarms.push(98.0, 100.0), Signal::Quiet);
    }

    #[test]
    fn group_capacity_by_hand() {
        let settings = ManagedScaling::default();
        // From zero with tasks waiting: 200 % of one instance → 2.
        assert_eq!(group_capacity(Signal::High, 0, true, 0, 200.0, &settings), 2);
        // N = 4 and 150 % → 6.
        assert_eq!(group_capacity(Signal::High, 4, true, 0, 150.0, &settings), 6);
        // Target 80 %, N = 4 and 150 %: ceil(4 × 150 / 80) = ceil(7.5) = 8.
        let spare = ManagedScaling { target_capacity: 80, ..settings };
        assert_eq!(group_capacity(Signal::High, 4, true, 0, 150.0, &spare), 8);
        // Target 80 %, 10 busy instances and none empty: ceil(10 × 100 / 80) = 13.
        assert_eq!(group_capacity(Signal::High, 10, false, 0, 100.0, &spare), 13);
        // ...and once there are 13 with 3 empty it stays at 13.
        assert_eq!(group_capacity(Signal::High, 13, false, 3, 100.0, &spare), 13);
        // Scale-in: 10 instances, 8 empty, target 100: the goal is 2, the pace 50 % → 5 first.
        assert_eq!(group_capacity(Signal::Low, 10, false, 8, 92.0, &settings), 5);
        // Then 5 with 3 empty: at most 2 of 5 (50 % is 2.5) → 3, and the goal of 2 a minute later.
        assert_eq!(group_capacity(Signal::Low, 5, false, 3, 97.0, &settings), 3);
        assert_eq!(group_capacity(Signal::Low, 3, false, 1, 99.0, &settings), 2);
        // One instance at least per minute: 1 of 1 empty (50 % of 1 rounds down to 0).
        assert_eq!(group_capacity(Signal::Low, 1, false, 1, 99.0, &settings), 0);
        // The pre-September-2022 pace, 10 %: 30 instances, 20 empty → 27.
        let slow = ManagedScaling { scale_in_pace_percent: 10, ..settings };
        assert_eq!(group_capacity(Signal::Low, 30, false, 20, 80.0, &slow), 27);
        assert_eq!(group_capacity(Signal::Quiet, 7, false, 2, 98.0, &settings), 7);
    }

    #[test]
    fn the_two_scale_in_readings() {
        // 10 instances, 2 empty: the ECS guide's 98 %, the blog's 8/10 = 80 %.
        let guide = ManagedScaling::default();
        let blog = ManagedScaling { scale_in: ScaleInReading::Ratio, ..guide };
        assert_eq!(reservation(10, None, 2, &guide), 98.0);
        assert_eq!(reservation(10, None, 2, &blog), 80.0);
    }
}
