//! Rolling deployments, as the ECS deployment controller runs them (reference §8).
//!
//! A deployment makes a new revision. While it is in progress the scheduler keeps the tasks
//! RUNNING or PENDING (PROVISIONING too) at most `maximum_percent` of the desired count, rounded
//! down, and the healthy ones at least `minimum_healthy_percent`, rounded up: it stops old
//! tasks while the minimum allows (starting ones first), and launches new ones while the
//! maximum allows, until every task runs the new revision, is healthy, and no old task is left
//! in any state. A task is healthy once its load balancer's checks pass, or without one 40 s
//! after RUNNING. Scale-in is suspended meanwhile (`scaling.rs`).
//!
//! A share of the revision's tasks may fail: never healthy (behind a load balancer stopped once
//! the grace period and the unhealthy threshold have passed; without one the essential
//! container exits before RUNNING), or exiting after a delay in RUNNING. Each failure of the
//! revision being deployed counts toward the circuit breaker; a healthy task resets the count
//! (`reset_on_healthy_task`). At the threshold the deployment fails and, with `rollback`, the
//! same rules bring back the last completed revision.
//!
//! Where AWS is silent (scenarios/README.md, "Deployments"): tasks draining (DEACTIVATING,
//! STOPPING) count toward neither bound; a rollback keeps tasks that still run the revision it
//! returns to; after a failure without rollback, replacements run the last completed revision.

use super::*;
use crate::config::{Deployment, TaskFailure};
use crate::engine::Delay;
use crate::sim::cluster::Bill;
use billing::fargate_bill;

/// Without a load balancer or container health checks, a task counts toward the minimum
/// healthy "40 seconds after a task reaches a RUNNING state" (reference §8.1).
const HEALTHY_AFTER_RUNNING_MS: u64 = 40 * MS_PER_SECOND;
/// The `stoppedReason`s of a failing task (ECS's own words).
pub(super) const CONTAINER_EXITED: &str = "Essential container in task exited";
const FAILED_HEALTH_CHECKS: &str = "Task failed ELB health checks";

/// Tasks of a deployment's revision and of others, RUNNING or PENDING (PROVISIONING too), and
/// the healthy ones.
#[derive(Default)]
struct Census {
    new: u32,
    new_healthy: u32,
    old: u32,
    old_healthy: u32,
}

/// A service's revisions and its deployments.
pub(super) struct Deploying {
    /// Draws which of a failing revision's tasks fail.
    rng: Box<Rng>,
    /// The revision launches run.
    revision: u32,
    revisions: Vec<Revision>,
    last_completed: u32,
    rollout: Option<Rollout>,
    ended: Vec<DeploymentSummary>,
}

/// A revision of the service's task definition.
struct Revision {
    /// The deployment that made it (`None`: the service's own, revision 0).
    deployment: Option<usize>,
    /// Its tasks' size index ([`crate::config::ServiceConfig::task_size`]).
    size: u32,
}

/// The deployment in progress.
struct Rollout {
    deployment: usize,
    number: u32,
    /// The revision it brings in: the new one, or in a rollback the last completed one; and
    /// the new one.
    revision: u32,
    new_revision: u32,
    rollback: bool,
    threshold: Option<u32>,
    failures: u32,
    failed_tasks: u32,
    started: SimTime,
    /// Tasks beyond the desired count now, since when, and so far.
    extra_tasks: u32,
    since: SimTime,
    extra_task_ms: u64,
    peak_extra_tasks: u32,
    peak_extra_instances: u32,
    bill_at_start: Bill,
    unserved: f64,
}

impl Deploying {
    pub(super) fn new(rng: Rng) -> Self {
        let own = Revision { deployment: None, size: 0 };
        Deploying {
            rng: Box::new(rng),
            revision: 0,
            revisions: vec![own],
            last_completed: 0,
            rollout: None,
            ended: Vec::new(),
        }
    }

    pub(super) fn in_progress(&self) -> bool {
        self.rollout.is_some()
    }

    /// Requests a tick in the deployment's course left unserved.
    pub(super) fn add_unserved(&mut self, requests: f64) {
        if let Some(rollout) = &mut self.rollout {
            rollout.unserved += requests.max(0.0);
        }
    }

    pub(super) fn revision(&self) -> u32 {
        self.revision
    }

    /// The size index of the tasks launches start.
    pub(super) fn size(&self) -> u32 {
        self.revisions[self.revision as usize].size
    }

    /// The deployment that made `revision` (none for the service's own).
    fn made<'c>(&self, config: &'c ServiceConfig, revision: u32) -> Option<&'c Deployment> {
        self.revisions[revision as usize].deployment.map(|d| &config.deployments[d])
    }

    /// PENDING → RUNNING of a task of `revision`.
    pub(super) fn startup<'c>(&self, config: &'c ServiceConfig, revision: u32) -> &'c Delay {
        self.made(config, revision).map_or(&config.startup, |d| &d.startup)
    }

    /// Whether a task launched now fails, drawn from its revision's failing share.
    pub(super) fn draw_failure(&mut self, config: &ServiceConfig) -> bool {
        match self.made(config, self.revision) {
            Some(d) if d.failing_share > 0.0 => rand::Rng::random::<f64>(&mut self.rng) < d.failing_share,
            _ => false,
        }
    }
}

impl ServiceState<'_> {
    /// Whether a deployment is in progress.
    pub(in crate::sim) fn deploying(&self) -> bool {
        self.deploying.in_progress()
    }

    fn made_by(&self, slot: u32) -> Option<&Deployment> {
        self.deploying.made(self.config, self.slots[slot as usize].revision)
    }

    /// A failing task without a load balancer that never becomes healthy: its essential
    /// container exits as it starts.
    pub(super) fn exits_at_start(&self, slot: u32) -> bool {
        self.slots[slot as usize].fails
            && self.config.load_balancer.is_none()
            && self.made_by(slot).is_some_and(|d| d.failure == TaskFailure::NeverHealthy)
    }

    /// A task has reached RUNNING: it waits for its health checks (a failing one for the checks
    /// to fail), or without a load balancer serves at once and counts as healthy after 40 s
    /// (timed only for a service that deploys).
    pub(super) fn await_health(&mut self, now: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let failure =
            if self.slots[slot as usize].fails { self.made_by(slot).map(|d| d.failure.clone()) } else { None };
        let grace = self.made_by(slot).map_or(0, |d| d.health_check_grace_period_ms);
        match self.config.load_balancer {
            Some(lb) if failure == Some(TaskFailure::NeverHealthy) => {
                let found = now.after(grace.max(lb.time_to_unhealthy_ms()));
                self.schedule_exit(found, slot, queue);
            }
            Some(lb) => self.schedule_timer(now.after(lb.time_to_healthy_ms()), slot, queue),
            None => {
                self.enter_service(slot);
                // Timed only while a deployment needs to know; one starting later works out
                // the tasks already RUNNING (`count_healthy`).
                if self.deploying.in_progress() {
                    self.schedule_timer(now.after(HEALTHY_AFTER_RUNNING_MS), slot, queue);
                }
            }
        }
        if let Some(TaskFailure::After(delay)) = failure {
            let exits = now.after(delay.sample(&mut self.rng));
            self.schedule_exit(exits, slot, queue);
        }
    }

    pub(super) fn schedule_exit(&self, at: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let generation = self.slots[slot as usize].generation;
        queue.schedule(at, Event::TaskExits { service: self.index as u32, slot, generation });
    }

    pub(super) fn become_healthy(&mut self, slot: u32) {
        let task = &mut self.slots[slot as usize];
        if std::mem::replace(&mut task.healthy, true) {
            return;
        }
        self.healthy += 1;
        let revision = task.revision;
        if let Some(rollout) = &mut self.deploying.rollout
            && rollout.revision == revision
            && self.config.deployments[rollout.deployment].circuit_breaker.is_some_and(|cb| cb.reset_on_healthy_task)
        {
            rollout.failures = 0;
        }
    }

    /// A `TaskExits` event: a job's task has done its work, or a failing task's health checks
    /// have failed or its container exited.
    pub(in crate::sim) fn task_exits<R: Recorder>(
        &mut self,
        now: SimTime,
        (slot, generation): (u32, u32),
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let task = &self.slots[slot as usize];
        if task.generation != generation || task.state != TaskState::Running {
            return;
        }
        if self.config.is_job() {
            self.job_task_done(now, slot, recorder, cluster);
            return;
        }
        self.fail_task(now, slot, recorder, queue, cluster);
    }

    /// A failing task stops: from PENDING or RUNNING when its container exits, through its load
    /// balancer's deregistration when its health checks failed. It counts toward the circuit
    /// breaker if it runs the revision being deployed.
    pub(super) fn fail_task<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let revision = self.slots[slot as usize].revision;
        let unhealthy = self.made_by(slot).is_some_and(|d| d.failure == TaskFailure::NeverHealthy);
        match self.slots[slot as usize].state {
            TaskState::Running if unhealthy && self.config.load_balancer.is_some() => {
                self.stop_task_because(now, slot, Some(FAILED_HEALTH_CHECKS), recorder, queue, cluster);
            }
            TaskState::Running => {
                self.forget(slot);
                self.leave_running(now, slot);
                self.finish(now, slot, Some(CONTAINER_EXITED), recorder, cluster);
            }
            // From PENDING (already counted out of the pending tasks).
            _ => {
                self.forget(slot);
                self.finish(now, slot, Some(CONTAINER_EXITED), recorder, cluster);
            }
        }
        let Some(rollout) = &mut self.deploying.rollout else { return };
        if rollout.revision != revision {
            return;
        }
        rollout.failures += 1;
        rollout.failed_tasks += 1;
        self.record(now, DeploymentStep::TaskFailed, recorder);
        let rollout = self.deploying.rollout.as_ref().expect("in progress");
        if rollout.threshold.is_some_and(|t| rollout.failures >= t) {
            self.trip(now, recorder, cluster);
        }
    }

    /// The circuit breaker's count has reached its threshold: the deployment fails, and rolls
    /// back to the last completed revision if it may.
    fn trip<R: Recorder>(&mut self, now: SimTime, recorder: &mut R, cluster: &Cluster) {
        self.record(now, DeploymentStep::Failed, recorder);
        let last_completed = self.deploying.last_completed;
        let rollout = self.deploying.rollout.as_ref().expect("in progress");
        let deployment = &self.config.deployments[rollout.deployment];
        let may_roll_back = deployment.circuit_breaker.is_some_and(|cb| cb.rollback) && !rollout.rollback;
        self.deploying.revision = last_completed;
        self.launch_size_changed();
        let rollout = self.deploying.rollout.as_mut().expect("in progress");
        if may_roll_back && rollout.revision != last_completed {
            rollout.rollback = true;
            rollout.revision = last_completed;
            rollout.failures = 0;
            self.record(now, DeploymentStep::Started, recorder);
        } else {
            self.end_deployment(now, Outcome::Failed, cluster);
        }
    }

    /// A deployment of `deployment` starts now: a new revision, launched from now on. One still
    /// in progress is superseded.
    pub(super) fn start_deployment<R: Recorder>(
        &mut self,
        now: SimTime,
        deployment: usize,
        (recorder, queue): (&mut R, &mut EventQueue<Event>),
        cluster: &Cluster,
    ) {
        if self.deploying.rollout.is_some() {
            self.record(now, DeploymentStep::Superseded, recorder);
            self.end_deployment(now, Outcome::Superseded, cluster);
        }
        let revision = self.deploying.revisions.len() as u32;
        // Without a size of its own, the revision keeps the one of the revision it replaces.
        let size = self.config.deployments[deployment].size.unwrap_or(self.deploying.size());
        self.deploying.revisions.push(Revision { deployment: Some(deployment), size });
        self.deploying.revision = revision;
        self.launch_size_changed();
        let number = self.deploying.ended.len() as u32 + 1;
        let threshold = self.config.deployments[deployment]
            .circuit_breaker
            .map(|cb| cb.threshold.unwrap_or_else(|| crate::config::circuit_breaker_threshold(self.desired)));
        self.deploying.rollout = Some(Rollout {
            deployment,
            number,
            revision,
            new_revision: revision,
            rollback: false,
            threshold,
            failures: 0,
            failed_tasks: 0,
            started: now,
            extra_tasks: 0,
            since: now,
            extra_task_ms: 0,
            peak_extra_tasks: 0,
            peak_extra_instances: 0,
            bill_at_start: cluster.bill_for(self.index, now),
            unserved: 0.0,
        });
        self.note_surge(now);
        self.count_healthy(now, queue);
        self.record(now, DeploymentStep::Started, recorder);
    }

    /// Where a deployment of `revision` stands among the tasks not stopping (a healthy task is
    /// RUNNING): one pass over the scheduler's lists.
    fn census(&self, revision: u32) -> Census {
        let mut census = Census::default();
        for &slot in self.active_by_az.iter().flatten().chain(&self.unplaced) {
            let task = &self.slots[slot as usize];
            if task.revision == revision {
                census.new += 1;
                census.new_healthy += u32::from(task.healthy);
            } else {
                census.old += 1;
                census.old_healthy += u32::from(task.healthy);
            }
        }
        census
    }

    /// Whether a task of a revision other than `revision` is alive in any state (stopping too).
    fn others_alive(&self, revision: u32) -> bool {
        self.slots.iter().any(|t| t.state != TaskState::Stopped && t.revision != revision)
    }

    /// One step of the deployment in progress: old tasks stopped as the minimum allows, extra
    /// new ones beyond the desired count stopped, new ones launched as the maximum allows; then
    /// whether it is complete.
    pub(super) fn roll<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let Some(rollout) = &self.deploying.rollout else { return };
        let revision = rollout.revision;
        let bounds = self.config.deployments[rollout.deployment].bounds(self.desired);
        let mut census = self.census(revision);
        let (mut launched, mut stopped) = (0, 0);
        // Old tasks: those not healthy first, then healthy ones while the minimum allows. Each
        // stop of a healthy one takes one from the healthy count; the others free.
        let mut healthy_spare = self.healthy.saturating_sub(bounds.minimum_healthy).min(census.old_healthy);
        let mut unhealthy = census.old - census.old_healthy.min(census.old);
        while unhealthy + healthy_spare > 0 {
            let healthy_may_go = healthy_spare > 0;
            let old = |t: &TaskSlot| t.revision != revision && (healthy_may_go || !t.healthy);
            let Some(slot) = self.choose_task_to_stop_among(cluster, old) else { break };
            if self.slots[slot as usize].healthy {
                healthy_spare -= 1;
            } else {
                unhealthy = unhealthy.saturating_sub(1);
            }
            self.stop_task(now, slot, recorder, queue, cluster);
            census.old -= 1;
            stopped += 1;
        }
        while census.new > self.desired {
            let Some(slot) = self.choose_task_to_stop_among(cluster, |t| t.revision == revision) else { break };
            census.new_healthy -= u32::from(self.slots[slot as usize].healthy);
            self.stop_task(now, slot, recorder, queue, cluster);
            stopped += 1;
            census.new -= 1;
        }
        while census.new < self.desired && census.new + census.old < bounds.maximum {
            if !self.launch(now, next_number, recorder, queue, cluster) {
                break;
            }
            launched += 1;
            census.new += 1;
        }
        if launched + stopped > 0 {
            self.record_step(now, DeploymentStep::Replaced { launched, stopped }, (census.new, census.old), recorder);
        }
        // Complete: no old task left in any state, and the desired count of new ones healthy.
        if census.old > 0 || census.new != self.desired || census.new_healthy < self.desired {
            return;
        }
        if !self.others_alive(revision) {
            let rollout = self.deploying.rollout.as_ref().expect("in progress");
            let outcome = if rollout.rollback { Outcome::RolledBack } else { Outcome::Completed };
            if !rollout.rollback {
                self.deploying.last_completed = revision;
            }
            self.record_step(now, DeploymentStep::Completed, (census.new, census.old), recorder);
            self.end_deployment(now, outcome, cluster);
        }
    }

    /// As a deployment starts, without a load balancer: the RUNNING tasks that have run 40 s
    /// are healthy, the others will be when they have.
    fn count_healthy(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        if self.config.load_balancer.is_some() {
            return;
        }
        let running: Vec<u32> = self.active_by_az.iter().flatten().copied().collect();
        for slot in running {
            let task = &self.slots[slot as usize];
            if task.state != TaskState::Running || task.healthy {
                continue;
            }
            let healthy_at = task.running_since.after(HEALTHY_AFTER_RUNNING_MS);
            if healthy_at <= now {
                self.become_healthy(slot);
            } else {
                self.schedule_timer(healthy_at, slot, queue);
            }
        }
    }

    /// Keeps the deployment's count of tasks beyond the desired count up to date: call after
    /// every change of the tasks alive or of the desired count.
    pub(super) fn note_surge(&mut self, now: SimTime) {
        let Some(rollout) = &mut self.deploying.rollout else { return };
        rollout.extra_task_ms += u64::from(rollout.extra_tasks) * now.since(rollout.since);
        rollout.since = now;
        rollout.extra_tasks = self.live.saturating_sub(self.desired);
        rollout.peak_extra_tasks = rollout.peak_extra_tasks.max(rollout.extra_tasks);
    }

    /// At a tick, on EC2: the instances beyond those at the deployment's start.
    pub(in crate::sim) fn count_surge_instances(&mut self, cluster: &Cluster, now: SimTime) {
        let Some(rollout) = &mut self.deploying.rollout else { return };
        if self.config.ec2().is_none() {
            return;
        }
        let instances = cluster.bill_for(self.index, now).instances;
        let extra = instances.saturating_sub(rollout.bill_at_start.instances);
        rollout.peak_extra_instances = rollout.peak_extra_instances.max(extra as u32);
    }

    fn end_deployment(&mut self, now: SimTime, outcome: Outcome, cluster: &Cluster) {
        self.note_surge(now);
        let summary = self.deployment_summary(now, outcome, cluster);
        self.deploying.ended.push(summary);
        self.deploying.rollout = None;
    }

    /// The deployment in progress summed up at `now`.
    fn deployment_summary(&self, now: SimTime, outcome: Outcome, cluster: &Cluster) -> DeploymentSummary {
        let rollout = self.deploying.rollout.as_ref().expect("in progress");
        let extra_task_ms = rollout.extra_task_ms + u64::from(rollout.extra_tasks) * now.since(rollout.since);
        let length = now.since(rollout.started);
        let start = rollout.bill_at_start;
        let size = self.config.task_size(self.deploying.revisions[rollout.new_revision as usize].size);
        let (extra_instance_ms, surge_cost_usd) = match &self.config.launch {
            // The surge's tasks are the new revision's, at On-Demand prices.
            Launch::Fargate(fargate) => {
                let (cpu, memory, storage) = fargate_bill(size, [extra_task_ms, 0], fargate);
                (0, cpu + memory + storage)
            }
            Launch::Ec2(_) => {
                let end = cluster.bill_for(self.index, now);
                let instance_ms = end.instance_ms as i64 - start.instance_ms as i64;
                let expected = (start.instances * length) as i64;
                (instance_ms - expected, end.usd - start.usd - start.usd_per_ms * length as f64)
            }
        };
        DeploymentSummary {
            service: self.index,
            deployment: rollout.deployment,
            number: rollout.number,
            task_size: (size.cpu, size.memory),
            started: rollout.started,
            ended: (outcome != Outcome::InProgress).then_some(now),
            outcome,
            peak_extra_tasks: rollout.peak_extra_tasks,
            extra_task_ms,
            peak_extra_instances: rollout.peak_extra_instances,
            extra_instance_ms,
            surge_cost_usd,
            unserved_requests: rollout.unserved,
            failed_tasks: rollout.failed_tasks,
        }
    }

    /// Every deployment of the run, those still going summed up at `end`.
    pub(in crate::sim) fn deployments(&self, end: SimTime, cluster: &Cluster) -> Vec<DeploymentSummary> {
        let mut all = self.deploying.ended.clone();
        if self.deploying.rollout.is_some() {
            all.push(self.deployment_summary(end, Outcome::InProgress, cluster));
        }
        all
    }

    fn record<R: Recorder>(&self, now: SimTime, step: DeploymentStep, recorder: &mut R) {
        let Some(rollout) = &self.deploying.rollout else { return };
        let census = self.census(rollout.revision);
        self.record_step(now, step, (census.new, census.old), recorder);
    }

    /// Records a step, with the tasks RUNNING or PENDING of the revision and of others.
    fn record_step<R: Recorder>(&self, now: SimTime, step: DeploymentStep, counts: (u32, u32), recorder: &mut R) {
        let Some(rollout) = &self.deploying.rollout else { return };
        let bounds = self.config.deployments[rollout.deployment].bounds(self.desired);
        let (new, old) = counts;
        recorder.deployment(&DeploymentEvent {
            at: now,
            service: self.index,
            deployment: rollout.deployment,
            number: rollout.number,
            rollback: rollout.rollback,
            step,
            desired: self.desired,
            minimum_healthy: bounds.minimum_healthy,
            maximum: bounds.maximum,
            new_tasks: new,
            old_tasks: old,
            healthy: self.healthy,
            failures: rollout.failures,
            threshold: rollout.threshold,
        });
    }
}
