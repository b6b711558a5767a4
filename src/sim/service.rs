//! One replica service's working state: its tasks, the running integrals of what it serves,
//! its policies' alarms and its bill.
//!
//! Serving is integrated in continuous time between state changes: while `running` tasks
//! serve a load of `L` requests/s, the service serves `min(L, running × requests_per_task)`
//! (with a queue, also what waits). The bill is kept in closed form,
//! `closed + live × now − Σ start`, in whole milliseconds, so no timer runs per second or per task.

use super::cluster::{Cluster, Waiting};
use super::outcome::{
    PlacementFailure, Recorder, ScalingEvent, ScheduledEvent, SeriesRow, ServiceSummary, SpotPart, TaskEvent,
};
use super::{Event, Rng};
use crate::capacity::{Share, next_launch, next_stop};
use crate::config::{FargateLaunch, FargateSpot, Launch, Overflow, ServiceConfig};
use crate::ecs::TaskState;
use crate::engine::{EventQueue, MS_PER_HOUR, MS_PER_SECOND, SimTime};
use crate::placement::{AVAILABILITY_ZONE, Resource, SpreadField, Strategy, keep_greatest};
use crate::pricing::{
    FARGATE_MINIMUM_BILLED_MS, FARGATE_WINDOWS_MINIMUM_BILLED_MS, billed_ms, fargate_cost, fargate_extras_hour,
};
use crate::scaling::{CapacityView, Direction, Limit, Metric, PolicyKind, PolicyState, Sample, evaluate, may_act};
use crate::stats::ElasticityTally;

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

pub(super) struct ServiceState<'a> {
    index: usize,
    pub(super) config: &'a ServiceConfig,
    /// The scenario's Fargate Spot: interruptions and unavailable periods.
    fargate_spot: &'a FargateSpot,
    rng: Rng,
    /// Draws for the `random` placement strategy.
    placement_rng: Rng,
    slots: Vec<TaskSlot>,
    free_slots: Vec<u32>,
    /// Slots of the tasks not stopping, per availability zone, in launch order; EC2 tasks
    /// once placed.
    active_by_az: Vec<Vec<u32>>,
    /// EC2 tasks waiting in PROVISIONING for an instance, in launch order.
    unplaced: Vec<u32>,
    /// A placement failure is recorded until a launch succeeds again.
    failing: bool,
    desired: u32,
    /// The scalable target's range: scheduled actions move it.
    min_capacity: u32,
    max_capacity: u32,
    /// Every scheduled action's firing, `(ms from start, action)`, in time then file order,
    /// and the next one due.
    schedule: Vec<(u64, usize)>,
    next_action: usize,
    running: u32,
    /// RUNNING tasks on Fargate Spot.
    running_spot: u32,
    /// RUNNING tasks that receive requests (all of them without a load balancer).
    serving: u32,
    /// PROVISIONING or PENDING.
    pending: u32,
    load_rps: f64,
    /// With container CPU shares (EC2): the mean over the serving tasks of the CPU each gets
    /// over the CPU it reserved, at least 1 (`cpu_shares`); 1 otherwise.
    cpu_boost: f64,
    /// Requests per second one task takes at the policy's target: the tasks the load demands
    /// are the load over it (none without a load).
    demand_per_task: Option<f64>,
    demand: u32,
    elasticity: ElasticityTally,
    /// Requests waiting (with `overflow = "queue"`).
    backlog: f64,
    integrated_to: SimTime,
    this_tick: Serving,
    this_minute: Serving,
    interval: Interval,
    /// Fargate billing in closed form, On-Demand [0] and Spot [1].
    closed_billed_ms: [u64; 2],
    live_billing: [u64; 2],
    live_billing_start_sum: [u64; 2],
    /// Fargate: active tasks per strategy item (and the fallback).
    tasks_per_item: Vec<u32>,
    /// The strategy's shares, item by item (Fargate: then the On-Demand fallback, base and
    /// weight 0; a launch type: one item).
    shares: Vec<Share>,
    /// Draws for Fargate Spot interruptions.
    spot_rng: Rng,
    /// Interrupted Spot tasks whose replacements are not RUNNING yet, and whether the current
    /// tick has seen one.
    awaiting_replacement: u32,
    replacing_in_tick: bool,
    /// Interrupted Spot tasks the scheduler has not launched a replacement for yet.
    replacements_owed: u32,
    policies: Vec<PolicyState>,
    /// Some alarm watches memory: only then are memory integrals kept.
    watches_memory: bool,
    /// Per policy: the limit that held its last recorded no-op, so a policy held at a limit
    /// minute after minute is recorded once.
    held: Vec<Option<(Direction, Limit)>>,
    last_scale_out: Option<SimTime>,
    last_scale_in: Option<SimTime>,
    summary: ServiceSummary,
}

impl<'a> ServiceState<'a> {
    /// `zones`: the zones the service's tasks spread over.
    pub(super) fn new(
        index: usize,
        (config, fargate_spot): (&'a ServiceConfig, &'a FargateSpot),
        [rng, placement_rng, spot_rng]: [Rng; 3],
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
        let mut schedule: Vec<(u64, usize)> = config
            .scheduled_actions
            .iter()
            .enumerate()
            .flat_map(|(action, a)| a.fire_times_ms.iter().map(move |&t| (t, action)))
            .collect();
        schedule.sort_unstable();
        let watches_memory =
            policies.iter().flat_map(|p| &p.alarms).any(|alarm| alarm.config().metric == Metric::MemoryUtilization);
        ServiceState {
            index,
            config,
            fargate_spot,
            rng,
            placement_rng,
            slots: Vec::new(),
            free_slots: Vec::new(),
            active_by_az: vec![Vec::new(); zones],
            unplaced: Vec::new(),
            failing: false,
            desired: if config.is_daemon() { 0 } else { config.desired_count },
            min_capacity: config.min_capacity,
            max_capacity: config.max_capacity,
            schedule,
            next_action: 0,
            running: 0,
            running_spot: 0,
            serving: 0,
            pending: 0,
            load_rps: 0.0,
            cpu_boost: 1.0,
            demand_per_task: demand_per_task(config),
            demand: 0,
            elasticity: ElasticityTally::default(),
            backlog: 0.0,
            integrated_to: SimTime::ZERO,
            this_tick: Serving::default(),
            this_minute: Serving::default(),
            interval: Interval::default(),
            closed_billed_ms: [0; 2],
            live_billing: [0; 2],
            live_billing_start_sum: [0; 2],
            tasks_per_item: vec![0; shares.len()],
            shares,
            spot_rng,
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
                    match cluster.choose_instance(self.index, provider, &mut self.placement_rng) {
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
        self.slots[slot as usize].in_service = true;
        self.running += 1;
        self.running_spot += u32::from(self.slots[slot as usize].spot);
        self.serving += 1;
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

    /// Tasks taking requests: RUNNING, and healthy behind a load balancer.
    pub(super) fn serving(&self) -> u32 {
        self.serving
    }

    pub(super) fn placement_rng(&mut self) -> &mut Rng {
        &mut self.placement_rng
    }

    pub(super) fn set_load(&mut self, rps: f64) {
        self.load_rps = rps;
        if let Some(per_task) = self.demand_per_task {
            self.demand = (rps / per_task).ceil().min(f64::from(u32::MAX)) as u32;
        }
    }

    /// The tasks the load demands now.
    pub(super) fn demand(&self) -> u32 {
        self.demand
    }

    /// What its serving tasks ask of their instances' CPU, for `cpu_shares`: each task's CPU
    /// units and the units it would use to serve an even share of the load and the queue
    /// over the next `tick_ms`, and the instance of each serving task.
    pub(super) fn cpu_wanted(&self, tick_ms: u64) -> Option<(u32, f64, impl Iterator<Item = u32> + '_)> {
        if self.serving == 0 || self.config.ec2().is_none() {
            return None;
        }
        let wanted_rps = self.load_rps + self.backlog * MS_PER_SECOND as f64 / tick_ms as f64;
        // A service without a load (a daemon, `requests_per_task` 0) wants no CPU.
        let per_task = if self.config.requests_per_task > 0.0 {
            wanted_rps / f64::from(self.serving) / self.config.requests_per_task * f64::from(self.config.cpu)
        } else {
            0.0
        };
        let instances = self.slots.iter().filter(|t| t.in_service).filter_map(|t| t.instance);
        Some((self.config.cpu, per_task, instances))
    }

    /// Sets the CPU its serving tasks get over what they reserved, from `now` on.
    pub(super) fn set_cpu_boost(&mut self, now: SimTime, boost: f64) {
        self.integrate(now);
        self.cpu_boost = boost;
    }

    // ----- serving and metrics -----

    /// Accounts for serving from the last state change up to `now`.
    fn integrate(&mut self, now: SimTime) {
        let dt = now.since(self.integrated_to);
        if dt == 0 {
            return;
        }
        let seconds = dt as f64 / MS_PER_SECOND as f64;
        // Only tasks in service take requests; every RUNNING task counts in CPU utilization.
        let capacity = f64::from(self.running) * self.config.requests_per_task;
        let can_serve = f64::from(self.serving) * self.config.requests_per_task * self.cpu_boost * seconds;
        let offered = self.load_rps * seconds;
        let served = match self.config.overflow {
            Overflow::Drop => offered.min(can_serve),
            Overflow::Queue => {
                // The queue grows while load exceeds capacity and drains at the difference.
                let served = can_serve.min(offered + self.backlog);
                self.backlog = (self.backlog + offered - served).max(0.0);
                served
            }
        };
        self.elasticity.span(self.demand, self.running, dt);
        self.summary.demanded_task_ms += u64::from(self.demand) * dt;
        let tick = &mut self.this_tick;
        tick.served += served;
        tick.capacity += capacity * seconds;
        tick.running_task_ms += u64::from(self.running) * dt;
        tick.running_spot_task_ms += u64::from(self.running_spot) * dt;
        tick.serving_task_ms += u64::from(self.serving) * dt;
        if self.watches_memory && self.running > 0 {
            let tasks = f64::from(self.running);
            let used = self.config.memory_used_mib(served / seconds / tasks);
            let reserved = f64::from(self.config.memory_reservation.unwrap_or(self.config.memory));
            tick.memory_used += used * tasks * seconds;
            tick.memory_reserved += reserved * tasks * seconds;
        }
        self.integrated_to = now;
    }

    /// Closes the tick that ends at `now`.
    pub(super) fn close_tick(&mut self, now: SimTime, tick_ms: u64) {
        self.integrate(now);
        self.elasticity.tick(self.demand, self.running);
        let mut tick = std::mem::take(&mut self.this_tick);
        tick.length_ms = tick_ms;
        tick.offered = self.load_rps * (tick_ms as f64 / MS_PER_SECOND as f64);
        self.summary.ticks += 1;
        // Held at the top of the scenario's range (not one a scheduled action set) while the
        // load asked for more tasks.
        let at_max = self.desired == self.max_capacity && self.max_capacity == self.config.max_capacity;
        if at_max && self.demand > self.max_capacity && !self.config.is_daemon() {
            self.summary.ticks_at_max_capacity += 1;
        }
        // What the tick left unserved, beyond floating-point noise.
        let unserved = tick.offered - tick.served;
        let short = unserved > 1e-9 * tick.offered;
        if short || self.backlog > 0.0 {
            self.summary.underprovisioned_ticks += 1;
        }
        // Demand lost in a tick during which a Spot task's replacement was starting.
        if std::mem::replace(&mut self.replacing_in_tick, self.awaiting_replacement > 0) && short {
            self.summary.unserved_while_replacing += unserved;
        }
        self.interval.serving.add(&tick);
        self.this_minute.add(&tick);
    }

    /// The one-minute sample of `metric` for the minute (or tick) just ended.
    fn sample(&self, metric: Metric, period: &Serving) -> Option<Sample> {
        let tasks = || period.running_task_ms as f64 / period.length_ms as f64;
        let per_second = || MS_PER_SECOND as f64 / period.length_ms as f64;
        // Per-task custom metrics count at least one task, so that they show demand at zero
        // tasks and can scale a service out from zero (§1.3).
        let per_task = || tasks().max(1.0);
        match metric {
            // §9: CPU used over CPU reserved by the running tasks; no datapoint without tasks.
            Metric::CpuUtilization => {
                (period.capacity > 0.0).then(|| Sample::uniform(100.0 * period.served / period.capacity, tasks()))
            }
            Metric::MemoryUtilization => (period.memory_reserved > 0.0)
                .then(|| Sample::uniform(100.0 * period.memory_used / period.memory_reserved, tasks())),
            // Requests in the minute per healthy target, one datapoint: its Sum "represents the
            // average" (§1.2). The divisor, healthy targets, is a modelling choice (§11.13).
            Metric::AlbRequestCountPerTarget => (period.serving_task_ms > 0).then(|| {
                let targets = period.serving_task_ms as f64 / period.length_ms as f64;
                Sample::uniform(period.offered * (60.0 * per_second()) / targets, 1.0)
            }),
            Metric::RequestsPerSecond => Some(Sample::uniform(period.offered * per_second(), 1.0)),
            Metric::RequestsPerTask => Some(Sample::uniform(period.offered * per_second() / per_task(), 1.0)),
            Metric::Backlog => Some(Sample::uniform(self.backlog, 1.0)),
            Metric::BacklogPerTask => Some(Sample::uniform(self.backlog / f64::from(self.running.max(1)), 1.0)),
        }
    }

    /// Turns the minute just ended into one-minute samples of the metrics the alarms watch and feeds
    /// them to the alarms, `copies` times when one tick spans several minutes.
    pub(super) fn close_datapoint(&mut self, copies: u32) {
        let minute = std::mem::take(&mut self.this_minute);
        let cpu = self.sample(Metric::CpuUtilization, &minute);
        // Each alarm's sample, worked out as it is fed (the same metric again costs a few
        // arithmetic operations, less than keeping a table of every metric).
        let mut policies = std::mem::take(&mut self.policies);
        for _ in 0..copies {
            for alarm in policies.iter_mut().flat_map(|p| &mut p.alarms) {
                let metric = alarm.config().metric;
                alarm.push_minute(if metric == Metric::CpuUtilization { cpu } else { self.sample(metric, &minute) });
            }
        }
        self.policies = policies;
        if let Some(sample) = cpu {
            let value = sample.mean;
            self.interval.cpu_sum += value * f64::from(copies);
            self.interval.cpu_count += copies;
            self.interval.cpu_max = Some(self.interval.cpu_max.map_or(value, |m: f64| m.max(value)));
        }
    }

    /// Billed Fargate milliseconds up to `now`: On-Demand, Spot.
    fn billed_ms_at(&self, now: SimTime) -> [u64; 2] {
        [0, 1]
            .map(|k| self.closed_billed_ms[k] + self.live_billing[k] * now.as_millis() - self.live_billing_start_sum[k])
    }

    /// The service's cost up to `now`, as (vCPU, memory, storage) dollars: its Fargate bill
    /// (a Windows licence counts with the vCPU), or its share of the EC2 instances it reserves.
    fn cost_at(&self, now: SimTime, cluster: &Cluster) -> (f64, f64, f64) {
        match &self.config.launch {
            Launch::Fargate(fargate) => {
                let [on_demand, spot] = self.billed_ms_at(now);
                let (cpu, memory) = fargate_cost(on_demand, self.config.cpu, self.config.memory, fargate.rates);
                let (spot_cpu, spot_memory) =
                    fargate_cost(spot, self.config.cpu, self.config.memory, fargate.spot_rates);
                let hours = (on_demand + spot) as f64 / MS_PER_HOUR as f64;
                let (license, storage) = fargate_extras_hour(self.config.cpu, fargate.windows, fargate.storage_gib);
                (cpu + spot_cpu + hours * license, memory + spot_memory, hours * storage)
            }
            Launch::Ec2(_) => {
                let (cpu, memory) = cluster.allocated_cost(self.index, now);
                (cpu, memory, 0.0)
            }
        }
    }

    /// The Fargate Spot part of the service's bill up to `now`: its vCPU and memory at Spot
    /// rates, and its ephemeral storage (billed at On-Demand's rate); `None` off Spot.
    fn spot_cost_at(&self, now: SimTime) -> Option<f64> {
        let Launch::Fargate(fargate) = &self.config.launch else { return None };
        if !fargate.uses_spot() {
            return None;
        }
        let spot_ms = self.billed_ms_at(now)[1];
        let (cpu, memory) = fargate_cost(spot_ms, self.config.cpu, self.config.memory, fargate.spot_rates);
        let (_, storage) = fargate_extras_hour(self.config.cpu, fargate.windows, fargate.storage_gib);
        Some(cpu + memory + spot_ms as f64 / MS_PER_HOUR as f64 * storage)
    }

    pub(super) fn emit_series<R: Recorder>(&mut self, now: SimTime, recorder: &mut R, cluster: &Cluster) {
        let (cpu_now, mem_now, storage_now) = self.cost_at(now, cluster);
        let cost_now = cpu_now + mem_now + storage_now;
        let spot_now = self.spot_cost_at(now);
        let length = now.since(self.interval.start);
        let interval = &self.interval;
        recorder.series(&SeriesRow {
            start: interval.start,
            end: now,
            service: self.index,
            offered_requests: interval.serving.offered,
            served_requests: interval.serving.served,
            backlog_at_start: interval.backlog_at_start,
            backlog: self.backlog,
            running_mean: interval.serving.running_task_ms as f64 / length.max(1) as f64,
            running_max: interval.running_max,
            pending_max: interval.pending_max,
            desired: self.desired,
            cpu_mean: (interval.cpu_count > 0).then(|| interval.cpu_sum / f64::from(interval.cpu_count)),
            cpu_max: interval.cpu_max,
            cost_usd: cost_now - interval.cost_at_start,
            cumulative_cost_usd: cost_now,
            spot: spot_now.map(|spot| SpotPart {
                running_mean: interval.serving.running_spot_task_ms as f64 / length.max(1) as f64,
                running_max: interval.running_spot_max,
                cost_usd: spot - interval.spot_cost_at_start,
                cumulative_cost_usd: spot,
            }),
        });
        self.summary.offered_requests += interval.serving.offered;
        self.summary.served_requests += interval.serving.served;
        self.summary.queued_at_end = self.backlog;
        self.summary.running_task_ms += interval.serving.running_task_ms;
        self.interval = Interval {
            start: now,
            backlog_at_start: self.backlog,
            running_max: self.running,
            running_spot_max: self.running_spot,
            pending_max: self.pending,
            cost_at_start: cost_now,
            spot_cost_at_start: spot_now.unwrap_or(0.0),
            ..Interval::default()
        };
    }

    // ----- scaling -----

    pub(super) fn evaluate_policies<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        // No alarm in ALARM, the common minute: nothing to evaluate.
        if !may_act(&self.policies, self.running) {
            self.held.fill(None);
            return;
        }
        let view = CapacityView {
            now,
            running: self.running,
            desired: self.desired,
            min_capacity: self.min_capacity,
            max_capacity: self.max_capacity,
            last_scale_out: self.last_scale_out,
            last_scale_in: self.last_scale_in,
        };
        let decisions = evaluate(&self.config.policies, &self.policies, self.config.suspension, &view);
        if decisions.is_empty() {
            self.held.fill(None);
            return;
        }
        for (policy, held) in self.held.iter_mut().enumerate() {
            let now_held = decisions
                .iter()
                .find(|d| d.policy == policy && d.new_desired == self.desired)
                .and_then(|d| d.limited_by.map(|l| (d.direction, l)));
            let repeated = now_held.is_some() && now_held == *held;
            *held = now_held;
            for decision in decisions.iter().filter(|d| d.policy == policy) {
                if repeated && decision.new_desired == self.desired {
                    continue; // the same hold as last minute: recorded then
                }
                let alarm = &self.policies[policy].alarms[decision.alarm];
                recorder.scaling(&ScalingEvent {
                    at: now,
                    service: self.index,
                    decision: *decision,
                    datapoints: alarm.datapoints().iter().copied().collect(),
                    running: self.running,
                    desired_before: self.desired,
                });
            }
        }
        let Some(winner) = decisions.iter().find(|d| d.won) else { return };
        self.desired = winner.new_desired;
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        self.policies[winner.policy].last_activity = Some((now, winner.direction, winner.base));
        match winner.direction {
            Direction::Out => {
                self.summary.scale_outs += 1;
                self.last_scale_out = Some(now);
                // "if another alarm triggers a scale-out activity during the scale-in cooldown
                // period, Application Auto Scaling scales out the target immediately. In this
                // case, the scale-in cooldown period stops and doesn't complete." (§1.4)
                self.last_scale_in = None;
            }
            Direction::In => {
                self.summary.scale_ins += 1;
                self.last_scale_in = Some(now);
            }
        }
    }

    pub(super) fn schedule_next_action(&self, queue: &mut EventQueue<Event>) {
        if let Some(&(at, _)) = self.schedule.get(self.next_action) {
            queue.schedule(SimTime::from_millis(at), Event::Scheduled { service: self.index as u32 });
        }
    }

    /// A `Scheduled` event: runs the actions due now (unless this instant's tick already did),
    /// lets the scheduler act, and queues the next firing.
    pub(super) fn run_scheduled<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        self.run_due_actions(now, recorder);
        self.reconcile(now, next_number, recorder, queue, cluster);
        self.schedule_next_action(queue);
    }

    /// Runs the scheduled actions due now, in file order: each sets the min and/or max
    /// capacity and moves the desired count into the new range at once, whatever the cooldowns
    /// (§3). A new min above the current max raises the max with it, and the other way round.
    /// The tick calls this too, before the policies decide, so that actions due at a tick
    /// always come first, however their event was queued.
    pub(super) fn run_due_actions<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        while let Some(&(at, action)) = self.schedule.get(self.next_action)
            && at <= now.as_millis()
        {
            self.next_action += 1;
            if self.config.suspension.scheduled_scaling_suspended {
                continue;
            }
            let settings = &self.config.scheduled_actions[action];
            if let Some(min) = settings.min_capacity {
                self.min_capacity = min;
                self.max_capacity = self.max_capacity.max(min);
            }
            if let Some(max) = settings.max_capacity {
                self.max_capacity = max;
                self.min_capacity = self.min_capacity.min(max);
            }
            let before = self.desired;
            self.desired = self.desired.clamp(self.min_capacity, self.max_capacity);
            self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
            recorder.scheduled(&ScheduledEvent {
                at: now,
                service: self.index,
                action,
                desired_before: before,
                desired_after: self.desired,
                min_capacity: self.min_capacity,
                max_capacity: self.max_capacity,
            });
        }
    }

    // ----- the service scheduler -----

    /// Launches or stops tasks so that the tasks not stopping match the desired count. A daemon
    /// follows its instances instead.
    pub(super) fn reconcile<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if self.config.is_daemon() {
            return;
        }
        let active = self.running + self.pending;
        for _ in active..self.desired {
            if !self.launch(now, next_number, recorder, queue, cluster) {
                break;
            }
        }
        for _ in self.desired..active {
            let slot = self.choose_task_to_stop(cluster);
            self.stop_task(now, slot, recorder, queue, cluster);
        }
    }

    /// Launches one task: on Fargate at once; on EC2 on the instance placement chooses, or
    /// waiting in PROVISIONING for a capacity provider to scale out. `false` when the launch
    /// failed to place (recorded once until a launch succeeds again).
    fn launch<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) -> bool {
        let instance = match &self.config.launch {
            Launch::Fargate(_) => None,
            Launch::Ec2(placement) => {
                let provider = self.next_provider(placement);
                match cluster.choose_instance(self.index, provider, &mut self.placement_rng) {
                    Ok(instance) => Some(instance),
                    Err(_) if cluster.waits(provider) => {
                        let slot = self.new_task(now, TaskState::Provisioning, None, next_number, recorder, cluster);
                        self.count_pending();
                        let generation = self.slots[slot as usize].generation;
                        let provider = provider.expect("a waiting launch has a provider") as u32;
                        cluster.enqueue(Waiting { service: self.index as u32, provider, slot, generation });
                        return true;
                    }
                    Err(reason) => {
                        if !std::mem::replace(&mut self.failing, true) {
                            self.summary.placement_failures += 1;
                            recorder.placement_failure(&PlacementFailure { at: now, service: self.index, reason });
                        }
                        return false;
                    }
                }
            }
        };
        self.failing = false;
        self.provision(now, instance, next_number, recorder, queue, cluster);
        if self.replacements_owed > 0 {
            self.replacements_owed -= 1;
            self.summary.spot_replacements += 1;
        }
        true
    }

    /// A new task in PROVISIONING on `instance` (none on Fargate), its provisioning timer set.
    fn provision<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: Option<u32>,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let slot = self.new_task(now, TaskState::Provisioning, instance, next_number, recorder, cluster);
        self.count_pending();
        let delay = self.config.provisioning.sample(&mut self.rng);
        // With no Spot capacity, a Spot launch waits in PROVISIONING until there is some.
        let ready = match self.fargate_spot.unavailable_until(now.as_millis()) {
            Some(end) if self.slots[slot as usize].spot => now.after(delay).max(SimTime::from_millis(end)),
            _ => now.after(delay),
        };
        self.schedule_timer(ready, slot, queue);
    }

    fn count_pending(&mut self) {
        self.pending += 1;
        self.interval.pending_max = self.interval.pending_max.max(self.pending);
    }

    /// A daemon task for an instance that has just registered.
    pub(super) fn launch_daemon<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: u32,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if !cluster.fits_daemon(instance, self.index) {
            self.summary.placement_failures += 1;
            recorder.placement_failure(&PlacementFailure {
                at: now,
                service: self.index,
                reason: super::cluster::NO_ROOM,
            });
            return;
        }
        self.desired += 1;
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        self.provision(now, Some(instance), next_number, recorder, queue, cluster);
    }

    /// The capacity provider an EC2 launch goes to by the strategy; `None` for a launch type.
    fn next_provider(&self, placement: &crate::config::Ec2Placement) -> Option<usize> {
        if placement.providers.is_empty() {
            return None;
        }
        Some(placement.providers[next_launch(self.config.strategy_split, &self.shares, &self.tasks_per_item)].0)
    }

    /// The strategy item a Fargate launch goes to (base first, then the weights), and whether
    /// it runs on Spot. A Spot launch while Spot has no capacity goes to FARGATE instead when
    /// the scenario falls back (the first FARGATE item, or one past the strategy's items).
    fn choose_item(&self, fargate: &FargateLaunch, now: SimTime) -> (u8, bool) {
        // The fallback item has neither base nor weight: the strategy never chooses it.
        let item = next_launch(self.config.strategy_split, &self.shares, &self.tasks_per_item);
        let spot = fargate.strategy[item].0;
        if spot && self.fargate_spot.fallback && self.fargate_spot.unavailable_until(now.as_millis()).is_some() {
            let on_demand = fargate.strategy.iter().position(|(spot, _)| !spot).unwrap_or(fargate.strategy.len());
            return (on_demand as u8, false);
        }
        (item as u8, spot)
    }

    /// A RUNNING Fargate Spot task's interruption, drawn from the scenario's rate.
    fn schedule_interruption(&mut self, now: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let task = &self.slots[slot as usize];
        if !task.spot {
            return;
        }
        let generation = task.generation;
        if let Some(at) =
            self.fargate_spot.interruptions.as_ref().and_then(|h| h.next_after(now.as_millis(), &mut self.spot_rng))
        {
            queue.schedule(
                SimTime::from_millis(at),
                Event::SpotTaskInterruption { service: self.index as u32, slot, generation },
            );
        }
    }

    /// AWS takes a Fargate Spot task back: "a two-minute warning is sent … as a task state
    /// change event … and as a SIGTERM signal to the running task" (reference §5.4). The task
    /// stops serving at once and stops after its stop timeout (at most the two minutes); the
    /// scheduler launches its replacement by the strategy.
    pub(super) fn interrupt<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &Cluster,
    ) {
        let task = &self.slots[slot as usize];
        if task.generation != generation || task.state != TaskState::Running {
            return;
        }
        self.summary.spot_interruptions += 1;
        self.awaiting_replacement += 1;
        self.replacements_owed += 1;
        self.replacing_in_tick = true;
        self.forget(slot);
        self.integrate(now);
        self.running -= 1;
        self.running_spot -= u32::from(self.slots[slot as usize].spot);
        if std::mem::take(&mut self.slots[slot as usize].in_service) {
            self.serving -= 1;
        }
        self.transition_because(now, slot, TaskState::Stopping, Some(SPOT_INTERRUPTED), recorder, cluster);
        self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
    }

    /// Whether a waiting task is still the one queued.
    pub(super) fn still_waiting(&self, slot: u32, generation: u32) -> bool {
        self.slots[slot as usize].generation == generation
    }

    /// A waiting task found room on `instance`: its provisioning (ENI, pull preparations) starts.
    pub(super) fn place_waiting(
        &mut self,
        now: SimTime,
        slot: u32,
        instance: u32,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        cluster.unwait(self.index, cluster.instance_provider(instance));
        cluster.reserve(instance, self.index, slot, now);
        let az = cluster.instance_az(instance);
        let task = &mut self.slots[slot as usize];
        task.instance = Some(instance);
        task.az = az;
        self.unplaced.retain(|&s| s != slot);
        self.active_by_az[az as usize].push(slot);
        let delay = self.config.provisioning.sample(&mut self.rng);
        self.schedule_timer(now.after(delay), slot, queue);
    }

    fn new_task<R: Recorder>(
        &mut self,
        now: SimTime,
        state: TaskState,
        instance: Option<u32>,
        next_number: &mut u64,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) -> u32 {
        let az = match (&self.config.launch, instance) {
            // Fargate spreads a service's tasks across zones: the zone with the fewest goes first.
            (Launch::Fargate(_), _) => {
                Some((0..self.active_by_az.len()).min_by_key(|&az| self.active_by_az[az].len()).unwrap_or(0) as u32)
            }
            (Launch::Ec2(_), Some(instance)) => Some(cluster.instance_az(instance)),
            (Launch::Ec2(_), None) => None,
        };
        let (item, spot) = match &self.config.launch {
            Launch::Fargate(fargate) => self.choose_item(fargate, now),
            // The strategy item of the instance's provider, or (not placed yet) the one the
            // strategy chose for this launch.
            Launch::Ec2(placement) => {
                let item = match instance {
                    Some(i) => placement.providers.iter().position(|&(p, _)| p == cluster.instance_provider(i)),
                    None => self
                        .next_provider(placement)
                        .and_then(|p| placement.providers.iter().position(|&(q, _)| q == p)),
                };
                (item.unwrap_or(0) as u8, false)
            }
        };
        let number = *next_number;
        *next_number += 1;
        let fresh = TaskSlot {
            number,
            generation: 0,
            az: az.unwrap_or(0),
            instance,
            item,
            spot,
            state,
            in_service: false,
            billing_since: now,
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                let generation = self.slots[slot as usize].generation;
                self.slots[slot as usize] = TaskSlot { generation, ..fresh };
                slot
            }
            None => {
                self.slots.push(fresh);
                (self.slots.len() - 1) as u32
            }
        };
        match (az, instance) {
            (Some(az), _) => self.active_by_az[az as usize].push(slot),
            (None, _) => self.unplaced.push(slot),
        }
        if let Some(instance) = instance {
            cluster.reserve(instance, self.index, slot, now);
        }
        if let Some(count) = self.tasks_per_item.get_mut(usize::from(item)) {
            *count += 1;
        }
        self.summary.tasks_launched += 1;
        let instance = instance.map(|i| cluster.instance_number(i));
        recorder.task(&TaskEvent {
            at: now,
            service: self.index,
            task: number,
            az,
            instance,
            from: None,
            to: state,
            reason: spot.then_some(ON_FARGATE_SPOT),
        });
        slot
    }

    /// The task scale-in stops. With a Fargate strategy, from the item most over its share
    /// (`capacity::next_stop`). Launches not placed yet go first, then launches still starting
    /// (newest first). On Fargate, and on EC2 without a placement strategy, ECS then takes the
    /// zone with the most of this service's tasks (ties: the zone filled last, which undoes
    /// launches in reverse order); on EC2 then the instance with the most of them. With
    /// strategies, each rule in order keeps the tasks whose removal best serves it: binpack the
    /// instance with the most of the resource free, spread the fullest zone or instance. The
    /// newest task of those left stops.
    fn choose_task_to_stop(&self, cluster: &Cluster) -> u32 {
        if let Some(&slot) = self.unplaced.last() {
            return slot;
        }
        let mut candidates: Vec<u32> = self.active_by_az.iter().flatten().copied().collect();
        // A strategy first gives up a task of the item most over its share (On-Demand tasks
        // launched as a fallback from Spot, with no share, first).
        if self.shares.len() > 1 {
            let item = next_stop(self.config.strategy_split, &self.shares, &self.tasks_per_item) as u8;
            candidates.retain(|&s| self.slots[s as usize].item == item);
        }
        let starting: Vec<u32> =
            candidates.iter().copied().filter(|&s| self.slots[s as usize].state != TaskState::Running).collect();
        if !starting.is_empty() {
            candidates = starting;
        }
        let zone_size = |slot: &u32| {
            let az = self.slots[*slot as usize].az as usize;
            (self.active_by_az[az].len() as i64) * 64 + az as i64
        };
        let on_instance = |slot: &u32| self.slots[*slot as usize].instance.expect("an EC2 task placed");
        match self.config.ec2() {
            None => keep_greatest(&mut candidates, zone_size),
            Some(placement) if placement.strategies.is_empty() => {
                keep_greatest(&mut candidates, zone_size);
                keep_greatest(&mut candidates, |s| i64::from(cluster.service_tasks_on(on_instance(s), self.index)));
            }
            Some(placement) => {
                for strategy in &placement.strategies {
                    match strategy {
                        Strategy::Binpack(Resource::Cpu) => {
                            keep_greatest(&mut candidates, |s| i64::from(cluster.free(on_instance(s)).0))
                        }
                        Strategy::Binpack(Resource::Memory) => {
                            keep_greatest(&mut candidates, |s| i64::from(cluster.free(on_instance(s)).1))
                        }
                        Strategy::Spread(SpreadField::Attribute(name)) if name == AVAILABILITY_ZONE => {
                            keep_greatest(&mut candidates, zone_size)
                        }
                        Strategy::Spread(SpreadField::InstanceId) => keep_greatest(&mut candidates, |s| {
                            i64::from(cluster.service_tasks_on(on_instance(s), self.index))
                        }),
                        Strategy::Spread(SpreadField::Attribute(_)) | Strategy::Random => {}
                    }
                }
            }
        }
        *candidates.iter().max_by_key(|&&s| self.slots[s as usize].number).expect("an active task to stop")
    }

    /// Stops one active task: a launch still starting stops at once; a RUNNING task is
    /// deregistered from its load balancer (if any) and gets SIGTERM and its stop timeout.
    fn stop_task<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        self.forget(slot);
        match self.slots[slot as usize].state {
            TaskState::Provisioning | TaskState::Pending => {
                self.pending -= 1;
                self.finish(now, slot, recorder, cluster);
            }
            TaskState::Running => {
                self.integrate(now);
                self.running -= 1;
                self.running_spot -= u32::from(self.slots[slot as usize].spot);
                if std::mem::take(&mut self.slots[slot as usize].in_service) {
                    self.serving -= 1;
                }
                // Behind a load balancer the task is deregistered first and drains for the
                // deregistration delay; then SIGTERM, and the stop timeout.
                match self.config.load_balancer {
                    Some(lb) => {
                        self.transition(now, slot, TaskState::Deactivating, recorder, cluster);
                        self.schedule_timer(now.after(lb.deregistration_delay_ms), slot, queue);
                    }
                    None => {
                        self.transition(now, slot, TaskState::Stopping, recorder, cluster);
                        self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
                    }
                }
            }
            TaskState::Deactivating | TaskState::Stopping | TaskState::Stopped => {
                unreachable!("only active tasks are stopped")
            }
        }
    }

    /// Removes an active task from the scheduler's lists.
    fn forget(&mut self, slot: u32) {
        let task = &self.slots[slot as usize];
        if let Some(count) = self.tasks_per_item.get_mut(usize::from(task.item)) {
            *count -= 1;
        }
        if task.instance.is_none() && self.config.ec2().is_some() {
            self.unplaced.retain(|&s| s != slot);
        } else {
            self.active_by_az[task.az as usize].retain(|&s| s != slot);
        }
    }

    /// STOPPED: the bill closes, the instance gets its resources back, the slot is free.
    fn finish<R: Recorder>(&mut self, now: SimTime, slot: u32, recorder: &mut R, cluster: &mut Cluster) {
        let task = &self.slots[slot as usize];
        let billed = task.state != TaskState::Provisioning;
        match task.instance {
            Some(instance) => cluster.release(instance, self.index, slot, now),
            None => {
                if let Some(placement) = self.config.ec2() {
                    cluster.unwait(self.index, placement.providers[usize::from(task.item)].0);
                }
            }
        }
        if billed {
            self.stop_billing(slot, now);
        }
        self.transition(now, slot, TaskState::Stopped, recorder, cluster);
        self.free(slot);
    }

    /// The task's instance is draining: the task stops as in a scale-in, and the scheduler
    /// launches its replacement elsewhere.
    pub(super) fn evict<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if matches!(self.slots[slot as usize].state, TaskState::Provisioning | TaskState::Pending | TaskState::Running)
        {
            self.stop_task(now, slot, recorder, queue, cluster);
        }
    }

    /// The task's instance is terminating: the task is gone at once, whatever its state.
    pub(super) fn kill<R: Recorder>(&mut self, now: SimTime, slot: u32, recorder: &mut R, cluster: &mut Cluster) {
        match self.slots[slot as usize].state {
            TaskState::Provisioning | TaskState::Pending => {
                self.forget(slot);
                self.pending -= 1;
            }
            TaskState::Running => {
                self.forget(slot);
                self.integrate(now);
                self.running -= 1;
                self.running_spot -= u32::from(self.slots[slot as usize].spot);
                if std::mem::take(&mut self.slots[slot as usize].in_service) {
                    self.serving -= 1;
                }
            }
            TaskState::Deactivating | TaskState::Stopping => {}
            TaskState::Stopped => unreachable!("a stopped task is on no instance"),
        }
        if self.config.is_daemon() {
            self.desired -= 1;
        }
        self.finish(now, slot, recorder, cluster);
    }

    /// A task's timed state has ended.
    pub(super) fn task_timer<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let task = &self.slots[slot as usize];
        if task.generation != generation {
            return; // set in an earlier state: the task has moved on since
        }
        match task.state {
            TaskState::Provisioning => {
                self.start_billing(slot, now);
                self.transition(now, slot, TaskState::Pending, recorder, cluster);
                let delay = self.config.startup.sample(&mut self.rng);
                self.schedule_timer(now.after(delay), slot, queue);
            }
            TaskState::Pending => {
                self.integrate(now);
                self.pending -= 1;
                self.running += 1;
                self.running_spot += u32::from(self.slots[slot as usize].spot);
                self.summary.peak_running = self.summary.peak_running.max(self.running);
                self.interval.running_max = self.interval.running_max.max(self.running);
                self.interval.running_spot_max = self.interval.running_spot_max.max(self.running_spot);
                self.transition(now, slot, TaskState::Running, recorder, cluster);
                self.awaiting_replacement = self.awaiting_replacement.saturating_sub(1);
                self.schedule_interruption(now, slot, queue);
                match self.config.load_balancer {
                    Some(lb) => self.schedule_timer(now.after(lb.time_to_healthy_ms()), slot, queue),
                    None => self.enter_service(slot),
                }
            }
            TaskState::Running => {
                // The load balancer's health checks have passed.
                self.integrate(now);
                self.enter_service(slot);
            }
            TaskState::Deactivating => {
                self.transition(now, slot, TaskState::Stopping, recorder, cluster);
                self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
            }
            TaskState::Stopping => self.finish(now, slot, recorder, cluster),
            TaskState::Stopped => unreachable!("no timer runs for a stopped task"),
        }
    }

    fn enter_service(&mut self, slot: u32) {
        self.slots[slot as usize].in_service = true;
        self.serving += 1;
    }

    fn schedule_timer(&self, at: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let generation = self.slots[slot as usize].generation;
        queue.schedule(at, Event::TaskTimer { service: self.index as u32, slot, generation });
    }

    fn transition<R: Recorder>(&mut self, now: SimTime, slot: u32, to: TaskState, recorder: &mut R, cluster: &Cluster) {
        self.transition_because(now, slot, to, None, recorder, cluster);
    }

    fn transition_because<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        to: TaskState,
        reason: Option<&'static str>,
        recorder: &mut R,
        cluster: &Cluster,
    ) {
        let task = &mut self.slots[slot as usize];
        let from = Some(task.state);
        task.state = to;
        task.generation += 1;
        recorder.task(&TaskEvent {
            at: now,
            service: self.index,
            task: task.number,
            az: Some(task.az),
            instance: task.instance.map(|i| cluster.instance_number(i)),
            from,
            to,
            reason,
        });
    }

    fn free(&mut self, slot: u32) {
        self.slots[slot as usize].generation += 1;
        self.free_slots.push(slot);
    }

    // ----- billing -----

    /// Fargate billing starts when the image pull starts (PENDING). EC2 tasks are not billed:
    /// their instances are.
    fn start_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let task = &mut self.slots[slot as usize];
        task.billing_since = now;
        let k = usize::from(task.spot);
        self.live_billing[k] += 1;
        self.live_billing_start_sum[k] += now.as_millis();
    }

    fn stop_billing(&mut self, slot: u32, now: SimTime) {
        if self.config.ec2().is_some() {
            return;
        }
        let (since, k) = (self.slots[slot as usize].billing_since, usize::from(self.slots[slot as usize].spot));
        let minimum = match &self.config.launch {
            Launch::Fargate(fargate) if fargate.windows => FARGATE_WINDOWS_MINIMUM_BILLED_MS,
            _ => FARGATE_MINIMUM_BILLED_MS,
        };
        self.closed_billed_ms[k] += billed_ms(now.since(since), minimum);
        self.live_billing[k] -= 1;
        self.live_billing_start_sum[k] -= since.as_millis();
    }

    /// Totals at the end of the run. Tasks still alive are billed up to the end, to the
    /// millisecond: the bill covers the simulated window, and such tasks have not stopped.
    pub(super) fn summary(&self, end_ms: u64, cluster: &Cluster) -> ServiceSummary {
        let end = SimTime::from_millis(end_ms);
        let [on_demand, spot] = self.billed_ms_at(end);
        let (cost_vcpu_usd, cost_memory_usd, cost_storage_usd) = self.cost_at(end, cluster);
        let spot_cost_usd = match &self.config.launch {
            Launch::Fargate(fargate) => {
                let (cpu, memory) = fargate_cost(spot, self.config.cpu, self.config.memory, fargate.spot_rates);
                cpu + memory
            }
            Launch::Ec2(_) => 0.0,
        };
        let billed = on_demand + spot;
        ServiceSummary {
            billed_ms: billed,
            cost_vcpu_usd,
            cost_memory_usd,
            cost_storage_usd,
            spot_cost_usd,
            elasticity: self.demand_per_task.map(|_| self.elasticity.metrics(end_ms)),
            ..self.summary.clone()
        }
    }
}

/// Requests per second one task of `config` takes at its first target-tracking policy's
/// target: at CPU target T %, `requests_per_task × T / 100`; at T ALB requests per target
/// (a minute's count), T / 60; at T requests per task, T; for any other metric, or without
/// target tracking, `requests_per_task` (the load at 100 % of the tasks). `None` without a
/// load (a daemon's tasks are demanded by the instances, not a load).
fn demand_per_task(config: &ServiceConfig) -> Option<f64> {
    config.load?;
    let target = config.policies.iter().find_map(|p| match &p.kind {
        PolicyKind::TargetTracking(t) => Some(t),
        PolicyKind::StepScaling(_) => None,
    });
    let per_task = match target {
        Some(t) if t.metric == Metric::CpuUtilization => config.requests_per_task * t.target_value / 100.0,
        Some(t) if t.metric == Metric::AlbRequestCountPerTarget => t.target_value / 60.0,
        Some(t) if t.metric == Metric::RequestsPerTask => t.target_value,
        _ => config.requests_per_task,
    };
    (per_task > 0.0).then_some(per_task)
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::engine::Delay;
    use crate::pricing::{CpuArchitecture, US_EAST_1_LINUX_X86};

    /// One 0.5 vCPU / 1 GB task, 20 s provisioning, 60 s startup, 30 s stop timeout, no policy.
    pub fn config() -> ServiceConfig {
        ServiceConfig {
            name: "svc".into(),
            load: Some(0),
            cpu: 512,
            memory: 1024,
            cpu_architecture: CpuArchitecture::X86_64,
            launch: Launch::Fargate(crate::config::FargateLaunch {
                rates: US_EAST_1_LINUX_X86,
                spot_rates: US_EAST_1_LINUX_X86,
                strategy: vec![(false, crate::capacity::Share { base: 0, weight: 1 })],
                windows: false,
                storage_gib: 20,
            }),
            requests_per_task: 100.0,
            desired_count: 1,
            min_capacity: 0,
            max_capacity: 10,
            provisioning: Delay::Fixed { ms: 20_000 },
            startup: Delay::Fixed { ms: 60_000 },
            stop_timeout_ms: 30_000,
            availability_zones: 3,
            memory_use: crate::config::MemoryUse::default(),
            memory_reservation: None,
            overflow: Overflow::Drop,
            strategy_split: crate::capacity::SplitRule::AwsObserved,
            cpu_limit: crate::config::CpuLimit::Task,
            load_balancer: None,
            policies: Vec::new(),
            scheduled_actions: Vec::new(),
            suspension: crate::scaling::Suspension::default(),
        }
    }

    /// A scenario with no EC2 capacity, for the cluster a service needs beside it.
    pub fn fargate_only() -> crate::config::Scenario {
        crate::config::Scenario {
            name: "t".into(),
            variant: None,
            start_unix_ms: 0,
            duration_ms: 3_600_000,
            tick_ms: 60_000,
            series_interval_ms: 60_000,
            seed: 1,
            region: "us-east-1".into(),
            unserved_cost_per_million: None,
            loads: Vec::new(),
            services: Vec::new(),
            providers: Vec::new(),
            fargate_spot: FargateSpot::default(),
        }
    }

    pub fn service(config: &ServiceConfig) -> ServiceState<'_> {
        let rngs = ["t", "p", "s"].map(|purpose| crate::engine::stream(1, purpose));
        static NO_SPOT: FargateSpot = FargateSpot { interruptions: None, unavailable: Vec::new(), fallback: false };
        ServiceState::new(0, (config, &NO_SPOT), rngs, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::{config, fargate_only};
    use super::*;
    use crate::sim::MemoryRecorder;

    /// Drives one service's task timers up to `until`, as the world would.
    fn advance(service: &mut ServiceState, queue: &mut EventQueue<Event>, recorder: &mut MemoryRecorder, until: u64) {
        while queue.peek_time().is_some_and(|t| t.as_millis() <= until) {
            let (now, event) = queue.pop().unwrap();
            if let Event::TaskTimer { slot, generation, .. } = event {
                service.task_timer(now, slot, generation, recorder, queue, &mut Cluster::new(&fargate_only()));
            }
        }
    }

    /// Sets the desired count and lets the scheduler act; launched tasks are numbered from 100.
    fn set_desired(
        service: &mut ServiceState,
        desired: u32,
        at: u64,
        q: &mut EventQueue<Event>,
        r: &mut MemoryRecorder,
    ) {
        let mut next =
            100 + r.tasks.iter().filter(|e| e.from.is_none() && e.to == TaskState::Provisioning).count() as u64;
        service.desired = desired;
        service.reconcile(SimTime::from_millis(at), &mut next, r, q, &mut Cluster::new(&fargate_only()));
    }

    #[test]
    fn cancelled_launches_bill_nothing_before_the_pull_and_a_minute_after_it() {
        let config = config();
        let mut service = super::tests_support::service(&config);
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder, &mut EventQueue::new(), &mut Cluster::new(&fargate_only()));

        // Two launches at 0 s: PROVISIONING until 20 s, then PENDING (billed) until 80 s.
        set_desired(&mut service, 3, 0, &mut queue, &mut recorder);
        // One more at 5 s, cancelled at 10 s while still PROVISIONING: never billed.
        advance(&mut service, &mut queue, &mut recorder, 5_000);
        set_desired(&mut service, 4, 5_000, &mut queue, &mut recorder);
        advance(&mut service, &mut queue, &mut recorder, 10_000);
        set_desired(&mut service, 3, 10_000, &mut queue, &mut recorder);
        // At 30 s both remaining launches are PENDING, 10 s into their pull: stopping them
        // bills the one-minute minimum each.
        advance(&mut service, &mut queue, &mut recorder, 30_000);
        assert_eq!((service.running, service.pending), (1, 2));
        set_desired(&mut service, 1, 30_000, &mut queue, &mut recorder);
        // Their RUNNING timers (due at 80 s) are stale now and must do nothing.
        advance(&mut service, &mut queue, &mut recorder, 200_000);
        assert_eq!((service.running, service.pending), (1, 0));

        // The first task ran from 0 s; at 100 s it has 100 s of billing, the two pulls 60 s each.
        let summary = service.summary(100_000, &Cluster::new(&fargate_only()));
        assert_eq!(summary.billed_ms, 100_000 + 2 * 60_000);
        let states: Vec<(u64, &str)> =
            recorder.tasks.iter().filter(|e| e.task == 102).map(|e| (e.at.as_millis(), e.to.as_str())).collect();
        assert_eq!(states, vec![(5_000, "PROVISIONING"), (10_000, "STOPPED")]);
        assert!(recorder.tasks.iter().all(|e| e.to != TaskState::Running || e.at.as_millis() == 0));
    }

    #[test]
    fn a_running_task_stops_serving_at_once_and_bills_its_stop_timeout() {
        let mut config = config();
        config.desired_count = 2;
        let mut service = super::tests_support::service(&config);
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder, &mut EventQueue::new(), &mut Cluster::new(&fargate_only()));
        service.set_load(150.0);
        // 60 s with 2 tasks (capacity 200 ≥ 150), then one stops: 60 s at capacity 100.
        set_desired(&mut service, 1, 60_000, &mut queue, &mut recorder);
        advance(&mut service, &mut queue, &mut recorder, 120_000);
        service.close_tick(SimTime::from_millis(120_000), 120_000);
        assert_eq!(service.this_minute.served, 150.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.capacity, 200.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.running_task_ms, 2 * 60_000 + 60_000);
        // Billing: the stopped task 0 → 90 s (60 s + the 30 s stop timeout), the other 120 s.
        assert_eq!(service.summary(120_000, &Cluster::new(&fargate_only())).billed_ms, 90_000 + 120_000);
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;
    use crate::config::MemoryUse;
    use crate::scaling::{Policy, PolicyKind, TargetTracking};
    use crate::sim::MemoryRecorder;

    /// 2 tasks of 1024 MiB (reservation 512) that use 256 MiB plus `per_rps` MiB per request/s.
    fn memory_config(per_rps: f64) -> ServiceConfig {
        let mut config = super::tests_support::config();
        config.desired_count = 2;
        config.memory_reservation = Some(512);
        config.memory_use = MemoryUse { base_mib: 256.0, mib_per_request_per_second: per_rps };
        config.policies = vec![Policy {
            name: "memory".into(),
            kind: PolicyKind::TargetTracking(TargetTracking::new(Metric::MemoryUtilization, 70.0)),
        }];
        config
    }

    fn memory_after_a_minute(config: &ServiceConfig, load: f64) -> f64 {
        let mut service = super::tests_support::service(config);
        service.start(
            &mut 1,
            &mut MemoryRecorder::default(),
            &mut EventQueue::new(),
            &mut Cluster::new(&super::tests_support::fargate_only()),
        );
        service.set_load(load);
        service.close_tick(SimTime::from_millis(60_000), 60_000);
        let minute = service.this_minute;
        service.sample(Metric::MemoryUtilization, &minute).unwrap().mean
    }

    #[test]
    fn memory_utilization_is_use_over_the_soft_reservation() {
        // 100 requests/s over 2 tasks: 50 each, 256 + 2 × 50 = 356 MiB of a 512 MiB reservation.
        assert!((memory_after_a_minute(&memory_config(2.0), 100.0) - 100.0 * 356.0 / 512.0).abs() < 1e-9);
        // Without a reservation the hard `memory` (1024) is the denominator (§9).
        let mut hard = memory_config(2.0);
        hard.memory_reservation = None;
        assert!((memory_after_a_minute(&hard, 100.0) - 100.0 * 356.0 / 1024.0).abs() < 1e-9);
        // Use is capped at the hard limit: 256 + 10 × 100 would be 1256 MiB, a task has 1024.
        assert!((memory_after_a_minute(&memory_config(10.0), 1000.0) - 100.0 * 1024.0 / 512.0).abs() < 1e-9);
    }
}
