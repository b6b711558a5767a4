//! One replica service's working state: its tasks, the running integrals of what it serves,
//! its policies' alarms and its bill.
//!
//! Serving is integrated in continuous time between state changes: while `running` tasks
//! serve a load of `L` requests/s, the service serves `min(L, running × requests_per_task)`
//! (with a queue, also what waits). The bill is kept in closed form,
//! `closed + live × now − Σ start`, in whole milliseconds, so no timer runs per second or per task.
//!
//! Here: the state and its start. `lifecycle.rs`: a task from launch to STOPPED, placement
//! and which task a scale-in stops; `serving.rs`: what is served, the metric samples and the
//! series; `scaling.rs`: the policies' decisions applied, scheduled actions and updates;
//! `deployment.rs`: rolling deployments and the circuit breaker; `billing.rs`: the Fargate bill.

use super::cluster::{Cluster, Waiting};
use super::outcome::{
    DeploymentEvent, DeploymentStep, DeploymentSummary, Outcome, PlacementFailure, Recorder, ScalingEvent,
    ScheduledEvent, SeriesRow, ServiceSummary, SpotPart, TaskEvent, Timed,
};
use super::{Event, Rng};
use crate::capacity::{Share, next_launch, next_stop};
use crate::config::{FargateLaunch, FargateSpot, Launch, Overflow, ServiceConfig};
use crate::ecs::TaskState;
use crate::engine::{EventQueue, MS_PER_HOUR, MS_PER_SECOND, SimTime, seconds};
use crate::placement::{AVAILABILITY_ZONE, Resource, SpreadField, Strategy, keep_greatest};
use crate::pricing::{
    FARGATE_MINIMUM_BILLED_MS, FARGATE_WINDOWS_MINIMUM_BILLED_MS, billed_ms, fargate_cost, fargate_extras_hour,
};
use crate::scaling::{
    AlarmState, CapacityView, Direction, Limit, Metric, PolicyKind, PolicyState, Sample, evaluate, may_act, reranged,
};
use crate::stats::ElasticityTally;
use deployment::Deploying;
use job::Jobbing;

/// The `stoppedReason` of an interrupted Fargate Spot task (reference §5.4).
const SPOT_INTERRUPTED: &str = "Your Spot Task was interrupted.";
/// The reason recorded with a task launched on Fargate Spot.
const ON_FARGATE_SPOT: &str = "FARGATE_SPOT";

struct TaskSlot {
    number: u64,
    /// Counts the task's state changes: a timer set in an earlier state is stale.
    generation: u32,
    /// Meaningful on Fargate, and on EC2 once placed.
    az: u32,
    /// The EC2 instance (cluster index) the task is placed on.
    instance: Option<u32>,
    /// Fargate: the strategy item the task counts toward (one past the last: an On-Demand
    /// fallback outside the strategy), and whether it runs on Fargate Spot.
    item: u8,
    spot: bool,
    state: TaskState,
    /// Receiving requests: RUNNING, and healthy behind a load balancer.
    in_service: bool,
    /// Counts toward a deployment's minimum healthy: healthy behind a load balancer, else 40 s
    /// after RUNNING (reference §8.1); tracked for services that deploy.
    healthy: bool,
    /// The revision of the task definition it runs (0: the service's own), and whether it is
    /// one of that revision's failing tasks.
    revision: u32,
    fails: bool,
    /// Its revision's size index ([`crate::config::ServiceConfig::task_size`]).
    size: u32,
    /// When it was asked for: its launch, or a job's first `RunTask`; when it reached RUNNING.
    requested: SimTime,
    running_since: SimTime,
    billing_since: SimTime,
}

/// What happened over some period: requests offered and served, and the integrals the
/// metrics need.
#[derive(Clone, Copy, Default)]
struct Serving {
    length_ms: u64,
    offered: f64,
    served: f64,
    /// Requests the running tasks could have served.
    capacity: f64,
    running_task_ms: u64,
    running_spot_task_ms: u64,
    /// Task-milliseconds of tasks receiving requests.
    serving_task_ms: u64,
    /// MiB-seconds used and reserved by running tasks.
    memory_used: f64,
    memory_reserved: f64,
}

impl Serving {
    fn add(&mut self, other: &Serving) {
        self.length_ms += other.length_ms;
        self.offered += other.offered;
        self.served += other.served;
        self.capacity += other.capacity;
        self.running_task_ms += other.running_task_ms;
        self.running_spot_task_ms += other.running_spot_task_ms;
        self.serving_task_ms += other.serving_task_ms;
        self.memory_used += other.memory_used;
        self.memory_reserved += other.memory_reserved;
    }
}

/// A service's tasks of one size: RUNNING, and serving.
#[derive(Clone, Copy, Default)]
struct SizeTally {
    running: u32,
    serving: u32,
}

/// The fields of a service's configuration the tick loop reads ([`ServiceState::hot`]).
struct HotConfig {
    own_requests_per_task: f64,
    /// `overflow = "queue"`.
    queues: bool,
    load: Option<usize>,
    daemon: bool,
    job: bool,
}

/// Fargate billing in closed form, `closed + live × now − Σ start`, On-Demand [0] and Spot [1].
#[derive(Clone, Copy, Default)]
struct BillClock {
    closed_ms: [u64; 2],
    live: [u64; 2],
    start_sum: [u64; 2],
}

impl BillClock {
    /// Billed milliseconds up to `now`: On-Demand, Spot.
    fn at(&self, now: SimTime) -> [u64; 2] {
        [0, 1].map(|k| self.closed_ms[k] + self.live[k] * now.as_millis() - self.start_sum[k])
    }
}

/// Accumulates the current series interval.
#[derive(Default)]
struct Interval {
    start: SimTime,
    serving: Serving,
    running_max: u32,
    running_spot_max: u32,
    pending_max: u32,
    cpu_sum: f64,
    cpu_count: u32,
    cpu_max: Option<f64>,
    cost_at_start: f64,
    spot_cost_at_start: f64,
    backlog_at_start: f64,
}

/// `repr(C)` and the fields in this order: every tick reads and writes the first few hundred
/// bytes of every service (its counts, load, integrals, alarms' owner, tallies), and kept
/// together they stay in fewer cache lines than the compiler's own order put them in.
#[repr(C)]
pub(super) struct ServiceState<'a> {
    pub(super) config: &'a ServiceConfig,
    /// What the tick loop reads of `config`, copied beside the state it works on (the
    /// configuration is large, and each field read from it is a cache line more per service).
    hot: HotConfig,
    /// Whether an alarm is in ALARM: worked out when the alarms take their datapoints, while
    /// they are in cache, for the policies' turn later in the tick.
    alarmed: bool,
    policies: Vec<PolicyState>,
    /// Per size index: RUNNING tasks and those serving (the totals above count every size).
    by_size: Vec<SizeTally>,
    /// Per policy: the limit that held its last recorded no-op, so a policy held at a limit
    /// minute after minute is recorded once.
    held: Vec<Option<(Direction, Limit)>>,
    /// Every scheduled action's, update's and deployment's firing, `(ms from start, what)`, in
    /// time order (at one instant: actions, updates, deployments, each in file order), and the
    /// next one due.
    timetable: Vec<(u64, Due)>,
    next_due: usize,
    integrated_to: SimTime,
    load_rps: f64,
    /// With container CPU shares (EC2): the mean over the serving tasks of the CPU each gets
    /// over the CPU it reserved, at least 1 (`cpu_shares`); 1 otherwise.
    cpu_boost: f64,
    /// Requests per second one task takes at the policy's target: the tasks the load demands
    /// are the load over it (none without a load).
    demand_per_task: Option<f64>,
    /// Requests waiting (with `overflow = "queue"`).
    backlog: f64,
    /// What the last tick left unserved.
    tick_unserved: f64,
    demand: u32,
    running: u32,
    /// RUNNING tasks that receive requests (all of them without a load balancer).
    serving: u32,
    /// RUNNING tasks on Fargate Spot.
    running_spot: u32,
    /// PROVISIONING or PENDING.
    pending: u32,
    /// Tasks not STOPPED, in any state, and the healthy ones (with deployments).
    live: u32,
    healthy: u32,
    desired: u32,
    /// The scalable target's range: scheduled actions move it.
    min_capacity: u32,
    max_capacity: u32,
    /// Interrupted Spot tasks whose replacements are not RUNNING yet, and whether the current
    /// tick has seen one.
    awaiting_replacement: u32,
    /// Interrupted Spot tasks the scheduler has not launched a replacement for yet.
    replacements_owed: u32,
    replacing_in_tick: bool,
    /// Some alarm watches memory: only then are memory integrals kept.
    watches_memory: bool,
    /// A placement failure is recorded until a launch succeeds again.
    failing: bool,
    this_tick: Serving,
    elasticity: ElasticityTally,
    interval: Interval,
    summary: ServiceSummary,
    /// Rolling deployments: the revision launches run, what each revision is, the deployment
    /// in progress and those ended.
    deploying: Deploying,
    index: usize,
    /// The scenario's Fargate Spot: interruptions and unavailable periods.
    fargate_spot: &'a FargateSpot,
    /// The random streams are boxed (here and in `deploying` and `jobbing`): a ChaCha state is
    /// 300 bytes, and five of them inline would spread what the tick loop reads of every
    /// service over many more cache lines.
    rng: Box<Rng>,
    /// Draws for the `random` placement strategy.
    placement_rng: Box<Rng>,
    slots: Vec<TaskSlot>,
    free_slots: Vec<u32>,
    /// Slots of the tasks not stopping, per availability zone, in launch order; EC2 tasks
    /// once placed.
    active_by_az: Vec<Vec<u32>>,
    /// EC2 tasks waiting in PROVISIONING for an instance, in launch order.
    unplaced: Vec<u32>,
    /// A job's requests and totals (unused for a service), and the first `RunTask` of the
    /// launch under way.
    jobbing: Jobbing,
    requested: Option<SimTime>,
    this_minute: Serving,
    /// Per size index: the Fargate bill in closed form.
    bills: Vec<BillClock>,
    /// Fargate: active tasks per strategy item (and the fallback).
    tasks_per_item: Vec<u32>,
    /// The strategy's shares, item by item (Fargate: then the On-Demand fallback, base and
    /// weight 0; a launch type: one item).
    shares: Vec<Share>,
    /// Draws for Fargate Spot interruptions.
    spot_rng: Box<Rng>,
    last_scale_out: Option<SimTime>,
    last_scale_in: Option<SimTime>,
}

impl<'a> ServiceState<'a> {
    /// `zones`: the zones the service's tasks spread over.
    pub(super) fn new(
        index: usize,
        (config, fargate_spot): (&'a ServiceConfig, &'a FargateSpot),
        [rng, placement_rng, spot_rng, deploy_rng, arrival_rng]: [Rng; 5],
        zones: usize,
    ) -> Self {
        let policies: Vec<PolicyState> = config.policies.iter().map(PolicyState::new).collect();
        let shares: Vec<Share> = match &config.launch {
            Launch::Fargate(fargate) => {
                fargate.strategy.iter().map(|(_, share)| *share).chain([Share { base: 0, weight: 0 }]).collect()
            }
            Launch::Ec2(placement) if placement.providers.is_empty() => vec![Share { base: 0, weight: 1 }],
            Launch::Ec2(placement) => placement.providers.iter().map(|(_, share)| *share).collect(),
        };
        let actions = config.scheduled_actions.iter().map(|a| a.fire_times_ms.as_slice());
        let updates = config.updates.iter().map(|u| u.fire_times_ms.as_slice());
        let deployments = config.deployments.iter().map(|d| d.fire_times_ms.as_slice());
        let job_starts = match &config.job {
            Some(crate::config::Job { trigger: crate::config::JobTrigger::Schedule { fire_times_ms, .. }, .. }) => {
                fire_times_ms.as_slice()
            }
            _ => &[],
        };
        let mut timetable: Vec<(u64, Due)> = (actions.enumerate().map(|(i, t)| (t, Due::Timed(Timed::Action(i)))))
            .chain(updates.enumerate().map(|(i, t)| (t, Due::Timed(Timed::Update(i)))))
            .chain(deployments.enumerate().map(|(i, t)| (t, Due::Deployment(i))))
            .chain(std::iter::once((job_starts, Due::JobStart)))
            .flat_map(|(times, due)| times.iter().map(move |&t| (t, due)))
            .collect();
        timetable.sort_unstable();
        let watches_memory =
            policies.iter().flat_map(|p| &p.alarms).any(|alarm| alarm.config().metric == Metric::MemoryUtilization);
        ServiceState {
            index,
            config,
            hot: HotConfig {
                own_requests_per_task: config.requests_per_task,
                queues: config.overflow == Overflow::Queue,
                load: config.load,
                daemon: config.is_daemon(),
                job: config.is_job(),
            },
            alarmed: false,
            fargate_spot,
            rng: Box::new(rng),
            placement_rng: Box::new(placement_rng),
            slots: Vec::new(),
            free_slots: Vec::new(),
            active_by_az: vec![Vec::new(); zones],
            unplaced: Vec::new(),
            failing: false,
            desired: if config.is_daemon() { 0 } else { config.desired_count },
            min_capacity: config.min_capacity,
            max_capacity: config.max_capacity,
            timetable,
            next_due: 0,
            deploying: Deploying::new(deploy_rng),
            jobbing: Jobbing::new(arrival_rng),
            requested: None,
            running: 0,
            live: 0,
            healthy: 0,
            running_spot: 0,
            serving: 0,
            pending: 0,
            load_rps: 0.0,
            cpu_boost: 1.0,
            demand_per_task: demand_per_task(config, config.requests_per_task),
            demand: 0,
            elasticity: ElasticityTally::default(),
            backlog: 0.0,
            tick_unserved: 0.0,
            integrated_to: SimTime::ZERO,
            this_tick: Serving::default(),
            this_minute: Serving::default(),
            interval: Interval::default(),
            by_size: vec![SizeTally::default(); 1 + config.deployed_sizes.len()],
            bills: vec![BillClock::default(); 1 + config.deployed_sizes.len()],
            tasks_per_item: vec![0; shares.len()],
            shares,
            spot_rng: Box::new(spot_rng),
            awaiting_replacement: 0,
            replacing_in_tick: false,
            replacements_owed: 0,
            held: vec![None; policies.len()],
            policies,
            watches_memory,
            last_scale_out: None,
            last_scale_in: None,
            summary: ServiceSummary {
                peak_desired: if config.is_daemon() { 0 } else { config.desired_count },
                ..ServiceSummary::default()
            },
        }
    }

    /// The service is up when the run starts: `desired_count` tasks RUNNING at time zero,
    /// billed from time zero. On EC2, as many as the instances hold; the scheduler launches the
    /// rest at once.
    pub(super) fn start<R: Recorder>(
        &mut self,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if self.config.is_daemon() {
            return;
        }
        for _ in 0..self.desired {
            let instance = match &self.config.launch {
                Launch::Fargate(_) => None,
                Launch::Ec2(placement) => {
                    let provider = self.next_provider(placement);
                    match cluster.choose_instance(self.index, 0, provider, &mut self.placement_rng) {
                        Ok(instance) => Some(instance),
                        Err(_) => break,
                    }
                }
            };
            self.start_running(instance, next_number, recorder, queue, cluster);
        }
    }

    /// A daemon task on an instance registered at time zero, RUNNING from the start.
    pub(super) fn start_daemon<R: Recorder>(
        &mut self,
        instance: u32,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if cluster.fits_daemon(instance, self.index) {
            self.desired += 1;
            self.summary.peak_desired = self.desired;
            self.start_running(Some(instance), next_number, recorder, queue, cluster);
        }
    }

    fn start_running<R: Recorder>(
        &mut self,
        instance: Option<u32>,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let slot = self.new_task(SimTime::ZERO, TaskState::Running, instance, next_number, recorder, cluster);
        self.schedule_interruption(SimTime::ZERO, slot, queue);
        self.start_billing(slot, SimTime::ZERO);
        self.slots[slot as usize].healthy = true;
        self.healthy += 1;
        self.enter_running(slot);
        self.enter_service(slot);
        self.summary.peak_running = self.running;
        self.interval.running_max = self.running;
        self.interval.running_spot_max = self.running_spot;
    }

    pub(super) fn index(&self) -> usize {
        self.index
    }

    pub(super) fn running(&self) -> u32 {
        self.running
    }

    /// Requests the last tick left unserved.
    pub(super) fn tick_unserved(&self) -> f64 {
        self.tick_unserved
    }

    /// The service's cost up to `now` (its Fargate bill, or its share of the instances).
    pub(super) fn cost_now(&self, now: SimTime, cluster: &Cluster) -> f64 {
        let (cpu, memory, storage) = self.cost_at(now, cluster);
        cpu + memory + storage
    }

    /// Tasks taking requests: RUNNING, and healthy behind a load balancer.
    pub(super) fn serving(&self) -> u32 {
        self.serving
    }

    pub(super) fn placement_rng(&mut self) -> &mut Rng {
        &mut self.placement_rng
    }

    /// The size index of the tasks launches start now.
    pub(super) fn launch_size(&self) -> u32 {
        self.deploying.size()
    }

    /// Launches start tasks of another size from now on: the tasks a load demands follow it.
    pub(super) fn launch_size_changed(&mut self) {
        let size = self.config.task_size(self.deploying.size());
        self.demand_per_task = demand_per_task(self.config, size.requests_per_task);
    }

    /// Requests per second the RUNNING tasks and the serving ones can serve at 100 % CPU.
    pub(super) fn capacities(&self) -> (f64, f64) {
        let own = self.hot.own_requests_per_task;
        let (mut running, mut serving) = (f64::from(self.running) * own, f64::from(self.serving) * own);
        if self.by_size.len() > 1 {
            let [first, resized @ ..] = &self.by_size[..] else { unreachable!("the service's own size") };
            (running, serving) = (f64::from(first.running) * own, f64::from(first.serving) * own);
            for (k, tally) in (1..).zip(resized) {
                let per_task = self.config.task_size(k).requests_per_task;
                running += f64::from(tally.running) * per_task;
                serving += f64::from(tally.serving) * per_task;
            }
        }
        (running, serving)
    }

    /// Whether a task of a size other than the service's own runs now.
    fn resized_running(&self) -> bool {
        self.by_size[0].running != self.running
    }

    /// The service's load for the tick that starts at `now` (`rates`: every load's), and its
    /// job's arrivals.
    pub(super) fn take_load(&mut self, now: SimTime, rates: &[f64], tick_ms: u64) {
        self.set_load(self.hot.load.map_or(0.0, |load| rates[load]));
        if self.hot.job {
            self.job_arrivals(now, rates, tick_ms);
        }
    }

    pub(super) fn set_load(&mut self, rps: f64) {
        self.load_rps = rps;
        if let Some(per_task) = self.demand_per_task {
            self.demand = ceil_u32(rps / per_task);
        }
    }

    /// The tasks the load demands now.
    pub(super) fn demand(&self) -> u32 {
        self.demand
    }

    /// What its serving tasks ask of their instances' CPU, for `cpu_shares`: per serving task,
    /// its instance, its CPU units and the units it would use to serve its share of the load
    /// and the queue over the next `tick_ms` (shares in proportion to what each can serve).
    pub(super) fn cpu_wanted(&self, tick_ms: u64) -> Option<impl Iterator<Item = (u32, u32, f64)> + '_> {
        if self.serving == 0 || self.config.ec2().is_none() {
            return None;
        }
        let wanted_rps = self.load_rps + self.backlog * MS_PER_SECOND as f64 / tick_ms as f64;
        let own = self.config.requests_per_task;
        let serving_rps = self.capacities().1;
        let resized = self.by_size[0].serving != self.serving;
        Some(self.slots.iter().filter(|t| t.in_service).filter_map(move |t| {
            let cpu = self.config.task_size(t.size).cpu;
            // A service without a load (a daemon, `requests_per_task` 0) wants no CPU.
            let wanted = if own <= 0.0 {
                0.0
            } else if resized {
                wanted_rps / serving_rps * f64::from(cpu)
            } else {
                wanted_rps / f64::from(self.serving) / own * f64::from(cpu) // bit for bit as with one size
            };
            Some((t.instance?, cpu, wanted))
        }))
    }

    /// Sets the CPU its serving tasks get over what they reserved, from `now` on.
    pub(super) fn set_cpu_boost(&mut self, now: SimTime, boost: f64) {
        self.integrate(now);
        self.cpu_boost = boost;
    }
}

/// `x.ceil()` as a count, for `x ≥ 0`, saturating at `u32::MAX`: without the libm call that
/// `ceil` is on the baseline x86-64 target, once per service per tick.
fn ceil_u32(x: f64) -> u32 {
    let whole = x as u32; // truncates, saturating
    if f64::from(whole) < x { whole.saturating_add(1) } else { whole }
}

/// Requests per second one task of `config`, serving `requests_per_task` at 100 % of its CPU,
/// takes at the service's first target-tracking policy's
/// target: at CPU target T %, `requests_per_task × T / 100`; at T ALB requests per target
/// (a minute's count), T / 60; at T requests per task, T; for any other metric, or without
/// target tracking, `requests_per_task` (the load at 100 % of the tasks). `None` without a
/// load (a daemon's tasks are demanded by the instances, not a load).
fn demand_per_task(config: &ServiceConfig, requests_per_task: f64) -> Option<f64> {
    config.load?;
    let target = config.policies.iter().find_map(|p| match &p.kind {
        PolicyKind::TargetTracking(t) => Some(t),
        PolicyKind::StepScaling(_) => None,
    });
    let per_task = match target {
        Some(t) if t.metric == Metric::CpuUtilization => requests_per_task * t.target_value / 100.0,
        Some(t) if t.metric == Metric::AlbRequestCountPerTarget => t.target_value / 60.0,
        Some(t) if t.metric == Metric::RequestsPerTask => t.target_value,
        _ => requests_per_task,
    };
    (per_task > 0.0).then_some(per_task)
}

/// What is due on a service's timetable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Timed(Timed),
    Deployment(usize),
    JobStart,
}

mod billing;
mod deployment;
mod job;
mod lifecycle;
mod scaling;
mod serving;
#[cfg(test)]
mod tests;
