//! One replica service's working state: its tasks, the running integrals of what it serves,
//! its policies' alarms and its bill.
//!
//! Serving is integrated in continuous time between state changes: while `running` tasks
//! serve a load of `L` requests/s, the service serves `min(L, running × requests_per_task)`
//! (with a queue, also what waits). The bill is kept in closed form,
//! `closed + live × now − Σ start`, in whole milliseconds, so no timer runs per second or per task.

use super::outcome::{Recorder, ScalingEvent, ScheduledEvent, SeriesRow, ServiceSummary, TaskEvent};
use super::{Event, Rng};
use crate::config::{Overflow, ServiceConfig};
use crate::ecs::TaskState;
use crate::engine::{EventQueue, MS_PER_SECOND, SimTime};
use crate::pricing::{FARGATE_MINIMUM_BILLED_MS, billed_ms, fargate_cost};
use crate::scaling::{CapacityView, Direction, Limit, Metric, PolicyState, Sample, evaluate};

struct TaskSlot {
    number: u64,
    /// Counts the task's state changes: a timer set in an earlier state is stale.
    generation: u32,
    az: u32,
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
    pending_max: u32,
    cpu_sum: f64,
    cpu_count: u32,
    cpu_max: Option<f64>,
    billed_ms_at_start: u64,
}

pub(super) struct ServiceState<'a> {
    index: usize,
    pub(super) config: &'a ServiceConfig,
    rng: Rng,
    slots: Vec<TaskSlot>,
    free_slots: Vec<u32>,
    /// Slots of the tasks not stopping, per availability zone, in launch order.
    active_by_az: Vec<Vec<u32>>,
    desired: u32,
    /// The scalable target's range: scheduled actions move it.
    min_capacity: u32,
    max_capacity: u32,
    /// Every scheduled action's firing, `(ms from start, action)`, in time then file order,
    /// and the next one due.
    schedule: Vec<(u64, usize)>,
    next_action: usize,
    running: u32,
    /// RUNNING tasks that receive requests (all of them without a load balancer).
    serving: u32,
    /// PROVISIONING or PENDING.
    pending: u32,
    load_rps: f64,
    /// Requests waiting (with `overflow = "queue"`).
    backlog: f64,
    integrated_to: SimTime,
    this_tick: Serving,
    this_minute: Serving,
    interval: Interval,
    closed_billed_ms: u64,
    live_billing: u64,
    live_billing_start_sum: u64,
    policies: Vec<PolicyState>,
    /// The metrics some alarm of this service watches.
    watched: [bool; Metric::COUNT],
    /// Per policy: the limit that held its last recorded no-op, so a policy held at a limit
    /// minute after minute is recorded once.
    held: Vec<Option<(Direction, Limit)>>,
    last_scale_out: Option<SimTime>,
    last_scale_in: Option<SimTime>,
    summary: ServiceSummary,
}

impl<'a> ServiceState<'a> {
    pub(super) fn new(index: usize, config: &'a ServiceConfig, rng: Rng) -> Self {
        let policies: Vec<PolicyState> = config.policies.iter().map(PolicyState::new).collect();
        let mut schedule: Vec<(u64, usize)> = config
            .scheduled_actions
            .iter()
            .enumerate()
            .flat_map(|(action, a)| a.fire_times_ms.iter().map(move |&t| (t, action)))
            .collect();
        schedule.sort_unstable();
        let mut watched = [false; Metric::COUNT];
        for alarm in policies.iter().flat_map(|p| &p.alarms) {
            watched[alarm.config().metric.index()] = true;
        }
        ServiceState {
            index,
            config,
            rng,
            slots: Vec::new(),
            free_slots: Vec::new(),
            active_by_az: vec![Vec::new(); config.availability_zones as usize],
            desired: config.desired_count,
            min_capacity: config.min_capacity,
            max_capacity: config.max_capacity,
            schedule,
            next_action: 0,
            running: 0,
            serving: 0,
            pending: 0,
            load_rps: 0.0,
            backlog: 0.0,
            integrated_to: SimTime::ZERO,
            this_tick: Serving::default(),
            this_minute: Serving::default(),
            interval: Interval::default(),
            closed_billed_ms: 0,
            live_billing: 0,
            live_billing_start_sum: 0,
            held: vec![None; policies.len()],
            policies,
            watched,
            last_scale_out: None,
            last_scale_in: None,
            summary: ServiceSummary { peak_desired: config.desired_count, ..ServiceSummary::default() },
        }
    }

    /// The service is up when the run starts: `desired_count` tasks RUNNING at time zero,
    /// billed from time zero.
    pub(super) fn start<R: Recorder>(&mut self, next_number: &mut u64, recorder: &mut R) {
        for _ in 0..self.desired {
            let slot = self.new_task(SimTime::ZERO, TaskState::Running, next_number, recorder);
            self.start_billing(slot, SimTime::ZERO);
            self.slots[slot as usize].in_service = true;
            self.running += 1;
            self.serving += 1;
        }
        self.summary.peak_running = self.running;
        self.interval.running_max = self.running;
    }

    pub(super) fn set_load(&mut self, rps: f64) {
        self.load_rps = rps;
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
        let can_serve = f64::from(self.serving) * self.config.requests_per_task * seconds;
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
        let tick = &mut self.this_tick;
        tick.served += served;
        tick.capacity += capacity * seconds;
        tick.running_task_ms += u64::from(self.running) * dt;
        tick.serving_task_ms += u64::from(self.serving) * dt;
        if self.watched[Metric::MemoryUtilization.index()] && self.running > 0 {
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
        let mut tick = std::mem::take(&mut self.this_tick);
        tick.length_ms = tick_ms;
        tick.offered = self.load_rps * (tick_ms as f64 / MS_PER_SECOND as f64);
        self.summary.ticks += 1;
        if tick.offered - tick.served > 1e-9 * tick.offered || self.backlog > 0.0 {
            self.summary.underprovisioned_ticks += 1;
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

    /// Turns the minute just ended into one-minute samples of every watched metric and feeds
    /// them to the alarms, `copies` times when one tick spans several minutes.
    pub(super) fn close_datapoint(&mut self, copies: u32) {
        let minute = std::mem::take(&mut self.this_minute);
        let cpu = self.sample(Metric::CpuUtilization, &minute);
        let mut samples = [None; Metric::COUNT];
        for (metric_index, (_, _, metric)) in Metric::NAMES.iter().enumerate() {
            if self.watched[metric_index] {
                samples[metric_index] =
                    if *metric == Metric::CpuUtilization { cpu } else { self.sample(*metric, &minute) };
            }
        }
        for _ in 0..copies {
            for alarm in self.policies.iter_mut().flat_map(|p| &mut p.alarms) {
                alarm.push_minute(samples[alarm.config().metric.index()]);
            }
        }
        if let Some(sample) = cpu {
            let value = sample.mean;
            self.interval.cpu_sum += value * f64::from(copies);
            self.interval.cpu_count += copies;
            self.interval.cpu_max = Some(self.interval.cpu_max.map_or(value, |m: f64| m.max(value)));
        }
    }

    fn billed_ms_at(&self, now: SimTime) -> u64 {
        self.closed_billed_ms + self.live_billing * now.as_millis() - self.live_billing_start_sum
    }

    fn cost_of(&self, billed: u64) -> (f64, f64) {
        fargate_cost(billed, self.config.cpu, self.config.memory, self.config.rates)
    }

    pub(super) fn emit_series<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        let billed_now = self.billed_ms_at(now);
        let (cpu_now, mem_now) = self.cost_of(billed_now);
        let (cpu_before, mem_before) = self.cost_of(self.interval.billed_ms_at_start);
        let length = now.since(self.interval.start);
        let interval = &self.interval;
        recorder.series(&SeriesRow {
            start: interval.start,
            end: now,
            service: self.index,
            offered_requests: interval.serving.offered,
            served_requests: interval.serving.served,
            backlog: self.backlog,
            running_mean: interval.serving.running_task_ms as f64 / length.max(1) as f64,
            running_max: interval.running_max,
            pending_max: interval.pending_max,
            desired: self.desired,
            cpu_mean: (interval.cpu_count > 0).then(|| interval.cpu_sum / f64::from(interval.cpu_count)),
            cpu_max: interval.cpu_max,
            cost_usd: (cpu_now + mem_now) - (cpu_before + mem_before),
            cumulative_cost_usd: cpu_now + mem_now,
        });
        self.summary.offered_requests += interval.serving.offered;
        self.summary.served_requests += interval.serving.served;
        self.summary.running_task_ms += interval.serving.running_task_ms;
        self.interval = Interval {
            start: now,
            running_max: self.running,
            pending_max: self.pending,
            billed_ms_at_start: billed_now,
            ..Interval::default()
        };
    }

    // ----- scaling -----

    pub(super) fn evaluate_policies<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
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
    ) {
        self.run_due_actions(now, recorder);
        self.reconcile(now, next_number, recorder, queue);
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

    /// Launches or stops tasks so that the tasks not stopping match the desired count.
    pub(super) fn reconcile<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        let active = self.running + self.pending;
        for _ in active..self.desired {
            let slot = self.new_task(now, TaskState::Provisioning, next_number, recorder);
            self.pending += 1;
            self.interval.pending_max = self.interval.pending_max.max(self.pending);
            let delay = self.config.provisioning.sample(&mut self.rng);
            self.schedule_timer(now.after(delay), slot, queue);
        }
        for _ in self.desired..active {
            self.stop_one(now, recorder, queue);
        }
    }

    fn new_task<R: Recorder>(
        &mut self,
        now: SimTime,
        state: TaskState,
        next_number: &mut u64,
        recorder: &mut R,
    ) -> u32 {
        // Fargate spreads a service's tasks across zones: the zone with the fewest goes first.
        let az = (0..self.active_by_az.len()).min_by_key(|&az| self.active_by_az[az].len()).unwrap_or(0);
        let number = *next_number;
        *next_number += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                let task = &mut self.slots[slot as usize];
                task.number = number;
                task.az = az as u32;
                task.state = state;
                task.in_service = false;
                slot
            }
            None => {
                self.slots.push(TaskSlot {
                    number,
                    generation: 0,
                    az: az as u32,
                    state,
                    in_service: false,
                    billing_since: now,
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.active_by_az[az].push(slot);
        self.summary.tasks_launched += 1;
        recorder.task(&TaskEvent { at: now, service: self.index, task: number, az: az as u32, from: None, to: state });
        slot
    }

    /// Scale-in: ECS stops a task in the zone with the most of this service's tasks, and there
    /// the newest one, so launches still starting go first. Launches fill the lowest-index zone
    /// among the emptiest, so among the fullest the highest-index one was filled last: ties
    /// stop there, which undoes launches in reverse order.
    fn stop_one<R: Recorder>(&mut self, now: SimTime, recorder: &mut R, queue: &mut EventQueue<Event>) {
        let az = (0..self.active_by_az.len()).max_by_key(|&az| self.active_by_az[az].len()).unwrap_or(0);
        let Some(slot) = self.active_by_az[az].pop() else {
            return;
        };
        match self.slots[slot as usize].state {
            TaskState::Provisioning => {
                self.pending -= 1;
                self.transition(now, slot, TaskState::Stopped, recorder);
                self.free(slot);
            }
            TaskState::Pending => {
                self.pending -= 1;
                self.stop_billing(slot, now);
                self.transition(now, slot, TaskState::Stopped, recorder);
                self.free(slot);
            }
            TaskState::Running => {
                self.integrate(now);
                self.running -= 1;
                if std::mem::take(&mut self.slots[slot as usize].in_service) {
                    self.serving -= 1;
                }
                // Behind a load balancer the task is deregistered first and drains for the
                // deregistration delay; then SIGTERM, and the stop timeout.
                match self.config.load_balancer {
                    Some(lb) => {
                        self.transition(now, slot, TaskState::Deactivating, recorder);
                        self.schedule_timer(now.after(lb.deregistration_delay_ms), slot, queue);
                    }
                    None => {
                        self.transition(now, slot, TaskState::Stopping, recorder);
                        self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
                    }
                }
            }
            TaskState::Deactivating | TaskState::Stopping | TaskState::Stopped => {
                unreachable!("only active tasks are listed by zone")
            }
        }
    }

    /// A task's timed state has ended.
    pub(super) fn task_timer<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        let task = &self.slots[slot as usize];
        if task.generation != generation {
            return; // set in an earlier state: the task has moved on since
        }
        match task.state {
            TaskState::Provisioning => {
                self.start_billing(slot, now);
                self.transition(now, slot, TaskState::Pending, recorder);
                let delay = self.config.startup.sample(&mut self.rng);
                self.schedule_timer(now.after(delay), slot, queue);
            }
            TaskState::Pending => {
                self.integrate(now);
                self.pending -= 1;
                self.running += 1;
                self.summary.peak_running = self.summary.peak_running.max(self.running);
                self.interval.running_max = self.interval.running_max.max(self.running);
                self.transition(now, slot, TaskState::Running, recorder);
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
                self.transition(now, slot, TaskState::Stopping, recorder);
                self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
            }
            TaskState::Stopping => {
                self.stop_billing(slot, now);
                self.transition(now, slot, TaskState::Stopped, recorder);
                self.free(slot);
            }
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

    fn transition<R: Recorder>(&mut self, now: SimTime, slot: u32, to: TaskState, recorder: &mut R) {
        let task = &mut self.slots[slot as usize];
        let from = Some(task.state);
        task.state = to;
        task.generation += 1;
        recorder.task(&TaskEvent { at: now, service: self.index, task: task.number, az: task.az, from, to });
    }

    fn free(&mut self, slot: u32) {
        self.slots[slot as usize].generation += 1;
        self.free_slots.push(slot);
    }

    // ----- billing -----

    /// Fargate billing starts when the image pull starts (PENDING).
    fn start_billing(&mut self, slot: u32, now: SimTime) {
        self.slots[slot as usize].billing_since = now;
        self.live_billing += 1;
        self.live_billing_start_sum += now.as_millis();
    }

    fn stop_billing(&mut self, slot: u32, now: SimTime) {
        let since = self.slots[slot as usize].billing_since;
        self.closed_billed_ms += billed_ms(now.since(since), FARGATE_MINIMUM_BILLED_MS);
        self.live_billing -= 1;
        self.live_billing_start_sum -= since.as_millis();
    }

    /// Totals at the end of the run. Tasks still alive are billed up to the end, to the
    /// millisecond: the bill covers the simulated window, and such tasks have not stopped.
    pub(super) fn summary(&self, end_ms: u64) -> ServiceSummary {
        let billed = self.billed_ms_at(SimTime::from_millis(end_ms));
        let (cost_vcpu_usd, cost_memory_usd) = self.cost_of(billed);
        ServiceSummary { billed_ms: billed, cost_vcpu_usd, cost_memory_usd, ..self.summary.clone() }
    }
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
            load: 0,
            cpu: 512,
            memory: 1024,
            cpu_architecture: CpuArchitecture::X86_64,
            rates: US_EAST_1_LINUX_X86,
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
            load_balancer: None,
            policies: Vec::new(),
            scheduled_actions: Vec::new(),
            suspension: crate::scaling::Suspension::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::config;
    use super::*;
    use crate::sim::MemoryRecorder;

    /// Drives one service's task timers up to `until`, as the world would.
    fn advance(service: &mut ServiceState, queue: &mut EventQueue<Event>, recorder: &mut MemoryRecorder, until: u64) {
        while queue.peek_time().is_some_and(|t| t.as_millis() <= until) {
            let (now, event) = queue.pop().unwrap();
            if let Event::TaskTimer { slot, generation, .. } = event {
                service.task_timer(now, slot, generation, recorder, queue);
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
        service.reconcile(SimTime::from_millis(at), &mut next, r, q);
    }

    #[test]
    fn cancelled_launches_bill_nothing_before_the_pull_and_a_minute_after_it() {
        let config = config();
        let mut service = ServiceState::new(0, &config, crate::engine::stream(1, "t"));
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder);

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
        let summary = service.summary(100_000);
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
        let mut service = ServiceState::new(0, &config, crate::engine::stream(1, "t"));
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder);
        service.set_load(150.0);
        // 60 s with 2 tasks (capacity 200 ≥ 150), then one stops: 60 s at capacity 100.
        set_desired(&mut service, 1, 60_000, &mut queue, &mut recorder);
        advance(&mut service, &mut queue, &mut recorder, 120_000);
        service.close_tick(SimTime::from_millis(120_000), 120_000);
        assert_eq!(service.this_minute.served, 150.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.capacity, 200.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.running_task_ms, 2 * 60_000 + 60_000);
        // Billing: the stopped task 0 → 90 s (60 s + the 30 s stop timeout), the other 120 s.
        assert_eq!(service.summary(120_000).billed_ms, 90_000 + 120_000);
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
        let mut service = ServiceState::new(0, config, crate::engine::stream(1, "t"));
        service.start(&mut 1, &mut MemoryRecorder::default());
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
