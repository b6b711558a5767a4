//! One replica service's working state: its tasks, the running integrals of what it serves,
//! its alarms and its bill.
//!
//! Serving is integrated in continuous time between state changes: while `running` tasks
//! serve a load of `L` requests/s, the service serves `min(L, running × requests_per_task)`.
//! The bill is kept in closed form, `closed + live × now − Σ start`, in whole milliseconds,
//! so no timer ever runs per second or per task.

use std::collections::VecDeque;

use super::outcome::{Recorder, ScalingEvent, SeriesRow, ServiceSummary, TaskEvent};
use super::{Event, Rng};
use crate::config::ServiceConfig;
use crate::ecs::TaskState;
use crate::engine::{EventQueue, MS_PER_SECOND, SimTime};
use crate::pricing::{FARGATE_MINIMUM_BILLED_MS, billed_ms, fargate_cost};
use crate::scaling::{CapacityView, Direction, TargetTrackingAlarms, evaluate_target_tracking};

struct TaskSlot {
    number: u64,
    generation: u32,
    az: u32,
    state: TaskState,
    billing_since: SimTime,
}

/// Served and full-capacity request counts over some period.
#[derive(Clone, Copy, Default)]
struct Serving {
    served: f64,
    capacity: f64,
}

/// Accumulates the current series interval.
#[derive(Default)]
struct Interval {
    start: SimTime,
    offered: f64,
    served: f64,
    running_task_ms: u64,
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
    running: u32,
    /// PROVISIONING or PENDING.
    pending: u32,
    load_rps: f64,
    integrated_to: SimTime,
    this_tick: Serving,
    this_minute: Serving,
    interval: Interval,
    closed_billed_ms: u64,
    live_billing: u64,
    live_billing_start_sum: u64,
    alarms: Vec<TargetTrackingAlarms>,
    /// The newest CPU datapoints, oldest first, as long as the longest alarm window.
    recent_cpu: VecDeque<Option<f64>>,
    recent_cpu_capacity: usize,
    last_scale_out: Option<SimTime>,
    last_scale_in: Option<SimTime>,
    summary: ServiceSummary,
}

impl<'a> ServiceState<'a> {
    pub(super) fn new(index: usize, config: &'a ServiceConfig, rng: Rng) -> Self {
        let recent_cpu_capacity = config
            .target_tracking
            .iter()
            .map(|p| p.scale_out_datapoints.max(p.scale_in_datapoints) as usize)
            .max()
            .unwrap_or(0);
        ServiceState {
            index,
            config,
            rng,
            slots: Vec::new(),
            free_slots: Vec::new(),
            active_by_az: vec![Vec::new(); config.availability_zones as usize],
            desired: config.desired_count,
            running: 0,
            pending: 0,
            load_rps: 0.0,
            integrated_to: SimTime::ZERO,
            this_tick: Serving::default(),
            this_minute: Serving::default(),
            interval: Interval::default(),
            closed_billed_ms: 0,
            live_billing: 0,
            live_billing_start_sum: 0,
            alarms: config.target_tracking.iter().map(TargetTrackingAlarms::new).collect(),
            recent_cpu: VecDeque::with_capacity(recent_cpu_capacity),
            recent_cpu_capacity,
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
            self.running += 1;
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
        let capacity = f64::from(self.running) * self.config.requests_per_task;
        let seconds = dt as f64 / MS_PER_SECOND as f64;
        self.this_tick.served += self.load_rps.min(capacity) * seconds;
        self.this_tick.capacity += capacity * seconds;
        self.interval.running_task_ms += u64::from(self.running) * dt;
        self.integrated_to = now;
    }

    /// Closes the tick that ends at `now`.
    pub(super) fn close_tick(&mut self, now: SimTime, tick_ms: u64) {
        self.integrate(now);
        let offered = self.load_rps * (tick_ms as f64 / MS_PER_SECOND as f64);
        let served = self.this_tick.served;
        self.summary.ticks += 1;
        if offered - served > 1e-9 * offered {
            self.summary.underprovisioned_ticks += 1;
        }
        self.interval.offered += offered;
        self.interval.served += served;
        self.this_minute.served += served;
        self.this_minute.capacity += self.this_tick.capacity;
        self.this_tick = Serving::default();
    }

    /// Turns the minute just ended into the service's CPU datapoint (§9: CPU used over CPU
    /// reserved by the running tasks; none while no task runs) and feeds it to the alarms,
    /// `copies` times when one tick spans several minutes.
    pub(super) fn close_datapoint(&mut self, copies: u32) {
        let minute = std::mem::take(&mut self.this_minute);
        let cpu = (minute.capacity > 0.0).then(|| 100.0 * minute.served / minute.capacity);
        for _ in 0..copies {
            for alarms in &mut self.alarms {
                alarms.push(cpu);
            }
            if self.recent_cpu_capacity > 0 {
                if self.recent_cpu.len() == self.recent_cpu_capacity {
                    self.recent_cpu.pop_front();
                }
                self.recent_cpu.push_back(cpu);
            }
            if let Some(value) = cpu {
                self.interval.cpu_sum += value;
                self.interval.cpu_count += 1;
                self.interval.cpu_max = Some(self.interval.cpu_max.map_or(value, |m: f64| m.max(value)));
            }
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
            offered_requests: interval.offered,
            served_requests: interval.served,
            running_mean: interval.running_task_ms as f64 / length.max(1) as f64,
            running_max: interval.running_max,
            pending_max: interval.pending_max,
            desired: self.desired,
            cpu_mean: (interval.cpu_count > 0).then(|| interval.cpu_sum / f64::from(interval.cpu_count)),
            cpu_max: interval.cpu_max,
            cost_usd: (cpu_now + mem_now) - (cpu_before + mem_before),
            cumulative_cost_usd: cpu_now + mem_now,
        });
        self.summary.offered_requests += interval.offered;
        self.summary.served_requests += interval.served;
        self.summary.running_task_ms += interval.running_task_ms;
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
        if self.config.target_tracking.is_empty() {
            return;
        }
        let view = CapacityView {
            now,
            running: self.running,
            desired: self.desired,
            min_capacity: self.config.min_capacity,
            max_capacity: self.config.max_capacity,
            last_scale_out: self.last_scale_out,
            last_scale_in: self.last_scale_in,
        };
        let Some(decision) = evaluate_target_tracking(&self.config.target_tracking, &self.alarms, &view) else {
            return;
        };
        let policy = &self.config.target_tracking[decision.policy];
        let window = match decision.direction {
            Direction::Out => policy.scale_out_datapoints,
            Direction::In => policy.scale_in_datapoints,
        } as usize;
        recorder.scaling(&ScalingEvent {
            at: now,
            service: self.index,
            decision,
            datapoints: self.recent_cpu.iter().skip(self.recent_cpu.len().saturating_sub(window)).copied().collect(),
            running: self.running,
            desired_before: self.desired,
        });
        if decision.new_desired == self.desired {
            return;
        }
        self.desired = decision.new_desired;
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        match decision.direction {
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
                slot
            }
            None => {
                self.slots.push(TaskSlot { number, generation: 0, az: az as u32, state, billing_since: now });
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
                self.transition(now, slot, TaskState::Stopping, recorder);
                self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
            }
            TaskState::Stopping | TaskState::Stopped => {
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
            return; // the task was stopped before this timer fired
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
            }
            TaskState::Stopping => {
                self.stop_billing(slot, now);
                self.transition(now, slot, TaskState::Stopped, recorder);
                self.free(slot);
            }
            TaskState::Running | TaskState::Stopped => {
                unreachable!("no timer runs in {:?}", task.state)
            }
        }
    }

    fn schedule_timer(&self, at: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let generation = self.slots[slot as usize].generation;
        queue.schedule(at, Event::TaskTimer { service: self.index as u32, slot, generation });
    }

    fn transition<R: Recorder>(&mut self, now: SimTime, slot: u32, to: TaskState, recorder: &mut R) {
        let task = &mut self.slots[slot as usize];
        let from = Some(task.state);
        task.state = to;
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
mod tests {
    use super::*;
    use crate::engine::Delay;
    use crate::pricing::{CpuArchitecture, US_EAST_1_LINUX_X86};
    use crate::sim::MemoryRecorder;

    fn config() -> ServiceConfig {
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
            target_tracking: Vec::new(),
        }
    }

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
        // Billing: the stopped task 0 → 90 s (60 s + the 30 s stop timeout), the other 120 s.
        assert_eq!(service.summary(120_000).billed_ms, 90_000 + 120_000);
    }
}
