//! One run of a scenario: the ECS world driven by the engine.
//!
//! `run` is a pure function of the [`Scenario`] (its seed included) that streams its records
//! to a [`Recorder`] and returns the per-service totals. A run is single-threaded and owns
//! all its state, so many runs can go in parallel without sharing anything.
//!
//! Every tick, in this order: each service closes the period that just ended (serving,
//! one-minute samples, alarms), series rows are emitted on interval boundaries, the loads are
//! sampled for the next period, scheduled actions due now run, the policies decide, and the
//! service scheduler launches or stops tasks to meet the desired count. Task state changes
//! and scheduled actions between ticks are events.

mod outcome;
mod service;

pub use outcome::{
    MemoryRecorder, Recorder, RunOutcome, ScalingEvent, ScheduledEvent, SeriesRow, ServiceSummary, TaskEvent,
};

use crate::config::Scenario;
use crate::engine::{self, EventQueue, MS_PER_MINUTE, Model, Rng, SimTime, stream};
use service::ServiceState;

/// Runs `scenario` to its end.
pub fn run<R: Recorder>(scenario: &Scenario, recorder: &mut R) -> RunOutcome {
    let mut queue = EventQueue::new();
    let mut world = World::new(scenario, recorder, &mut queue);
    engine::run_until(&mut world, &mut queue, SimTime::from_millis(scenario.duration_ms));
    RunOutcome { services: world.services.iter().map(|s| s.summary(scenario.duration_ms)).collect() }
}

/// The closed set of events the world reacts to.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The metric tick for every service at once.
    Tick,
    /// A service's next scheduled actions are due.
    Scheduled { service: u32 },
    /// A task reaches the end of its current timed state (PROVISIONING, PENDING or STOPPING).
    /// `generation` tells a stale event from one for the task now in that slot.
    TaskTimer { service: u32, slot: u32, generation: u32 },
}

struct World<'a, R> {
    scenario: &'a Scenario,
    recorder: &'a mut R,
    services: Vec<ServiceState<'a>>,
    load_rngs: Vec<Rng>,
    /// The current tick's sampled rate per load.
    load_rates: Vec<f64>,
    next_task_number: u64,
    /// Ticks per one-minute datapoint (ticks under a minute) and datapoints per tick (ticks of
    /// a minute or more); one of them is 1.
    ticks_per_datapoint: u64,
    datapoints_per_tick: u32,
    ticks_done: u64,
}

impl<'a, R: Recorder> World<'a, R> {
    fn new(scenario: &'a Scenario, recorder: &'a mut R, queue: &mut EventQueue<Event>) -> Self {
        let load_rngs = scenario.loads.iter().map(|l| stream(scenario.seed, &format!("load:{}", l.name))).collect();
        let services = scenario
            .services
            .iter()
            .enumerate()
            .map(|(index, config)| {
                ServiceState::new(index, config, stream(scenario.seed, &format!("startup:{}", config.name)))
            })
            .collect();
        let tick = scenario.tick_ms;
        let mut world = World {
            scenario,
            recorder,
            services,
            load_rngs,
            load_rates: vec![0.0; scenario.loads.len()],
            next_task_number: 1,
            ticks_per_datapoint: (MS_PER_MINUTE / tick).max(1),
            datapoints_per_tick: (tick / MS_PER_MINUTE).max(1) as u32,
            ticks_done: 0,
        };
        world.sample_loads(SimTime::ZERO);
        for service in &mut world.services {
            service.start(&mut world.next_task_number, world.recorder);
            service.schedule_next_action(queue);
        }
        queue.schedule(SimTime::from_millis(tick), Event::Tick);
        world
    }

    fn sample_loads(&mut self, now: SimTime) {
        let tick = self.scenario.tick_ms;
        for ((config, rng), rate) in self.scenario.loads.iter().zip(&mut self.load_rngs).zip(&mut self.load_rates) {
            *rate = config.load.sample(now.as_millis(), tick, rng);
        }
        for service in &mut self.services {
            service.set_load(self.load_rates[service.config.load]);
        }
    }

    fn tick(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.ticks_done += 1;
        let closes_datapoint = self.ticks_done.is_multiple_of(self.ticks_per_datapoint);
        let end = self.scenario.duration_ms;
        let closes_series = now.as_millis().is_multiple_of(self.scenario.series_interval_ms) || now.as_millis() == end;
        let tick_ms = self.scenario.tick_ms;
        for service in &mut self.services {
            service.close_tick(now, tick_ms);
            if closes_datapoint {
                service.close_datapoint(self.datapoints_per_tick);
            }
            if closes_series {
                service.emit_series(now, self.recorder);
            }
        }
        if now.as_millis() >= end {
            return;
        }
        self.sample_loads(now);
        for service in &mut self.services {
            service.run_due_actions(now, self.recorder);
            if closes_datapoint {
                service.evaluate_policies(now, self.recorder);
            }
            service.reconcile(now, &mut self.next_task_number, self.recorder, queue);
        }
        queue.schedule(now.after(tick_ms), Event::Tick);
    }
}

impl<R: Recorder> Model for World<'_, R> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::Tick => self.tick(now, queue),
            Event::Scheduled { service } => {
                self.services[service as usize].run_scheduled(now, &mut self.next_task_number, self.recorder, queue)
            }
            Event::TaskTimer { service, slot, generation } => {
                self.services[service as usize].task_timer(now, slot, generation, self.recorder, queue)
            }
        }
    }
}
