//! One run of a scenario: the ECS world driven by the engine.
//!
//! `run` is a pure function of the [`Scenario`] (its seed included) that streams its records
//! to a [`Recorder`] and returns the per-service totals. A run is single-threaded and owns
//! all its state, so many runs can go in parallel without sharing anything.
//!
//! Every tick, in this order: each service closes the period that just ended (serving,
//! one-minute samples, alarms), series rows are emitted on interval boundaries, the loads are
//! sampled for the next period, scheduled actions due now run, the policies decide, and the
//! service scheduler launches or stops tasks to meet the desired count; then the cluster places
//! tasks waiting for EC2 capacity and, each minute, its Auto Scaling groups follow managed
//! scaling. Task and instance state changes and scheduled actions between ticks are events.
//!
//! After every event the world settles what the cluster left to do with the services: tasks
//! of draining instances are stopped and replaced, terminating instances lose their tasks,
//! new instances get their daemon tasks and then the tasks waiting for room.

mod cluster;
mod outage;
mod outcome;
mod service;

pub use outcome::{
    DeploymentEvent, DeploymentStep, DeploymentSummary, Discard, GroupScalingEvent, InstanceEvent, InstanceSummary,
    MemoryRecorder, OutageSummary, Outcome, PlacementFailure, ProviderRow, ProviderSummary, Recorder, RunOutcome,
    ScalingEvent, ScheduledEvent, SeriesRow, ServiceSummary, SpotPart, TaskEvent, Timed,
};

use std::collections::BTreeMap;

use crate::config::{CpuLimit, Scenario};
use crate::ecs::cpu_shares;
use crate::engine::{self, EventQueue, MS_PER_MINUTE, Model, Rng, SimTime, stream};
use cluster::Cluster;
use outage::Outages;
use service::ServiceState;

/// Runs `scenario` to its end.
pub fn run<R: Recorder>(scenario: &Scenario, recorder: &mut R) -> RunOutcome {
    let mut queue = EventQueue::new();
    let mut world = World::new(scenario, recorder, &mut queue);
    engine::run_until(&mut world, &mut queue, SimTime::from_millis(scenario.duration_ms));
    let end = SimTime::from_millis(scenario.duration_ms);
    RunOutcome {
        services: world.services.iter().map(|s| s.summary(scenario.duration_ms, &world.cluster)).collect(),
        deployments: world.services.iter().flat_map(|s| s.deployments(end, &world.cluster)).collect(),
        outages: world.outages.summaries(),
        providers: world.cluster.summaries(scenario.duration_ms),
        instances: world.cluster.instance_summaries(scenario.duration_ms),
        peak_running_tasks: world.peak_running_tasks,
    }
}

/// The closed set of events the world reacts to.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The metric tick for every service at once.
    Tick,
    /// A service's next scheduled actions are due.
    Scheduled {
        service: u32,
    },
    /// The next Auto Scaling group scheduled actions are due.
    GroupScheduled,
    /// A task reaches the end of its current timed state (PROVISIONING, PENDING or STOPPING).
    /// `generation` tells a stale event from one for the task now in that slot.
    TaskTimer {
        service: u32,
        slot: u32,
        generation: u32,
    },
    /// An EC2 instance reaches the end of its current timed state (pending, booting).
    InstanceTimer {
        instance: u32,
        generation: u32,
    },
    /// A Spot instance gets its two-minute interruption notice.
    SpotNotice {
        instance: u32,
    },
    /// EC2 takes the Spot instance back.
    SpotTermination {
        instance: u32,
    },
    /// A task's essential container exits (a job's task has done its work, a failing
    /// revision's task crashes) or its health checks fail.
    TaskExits {
        service: u32,
        slot: u32,
        generation: u32,
    },
    /// A job's `RunTask` that found no capacity is due to be retried.
    JobRetry {
        service: u32,
    },
    /// An Availability Zone goes, and comes back (index into the scenario's outages).
    ZoneDown {
        outage: u32,
    },
    ZoneUp {
        outage: u32,
    },
    /// AWS takes a Fargate Spot task back.
    SpotTaskInterruption {
        service: u32,
        slot: u32,
        generation: u32,
    },
    /// The next change of a zone's Spot price history.
    SpotPrice {
        provider: u32,
        zone: u32,
        change: u32,
    },
}

struct World<'a, R> {
    scenario: &'a Scenario,
    recorder: &'a mut R,
    services: Vec<ServiceState<'a>>,
    cluster: Cluster<'a>,
    load_rngs: Vec<Rng>,
    /// The current tick's sampled rate per load.
    load_rates: Vec<f64>,
    next_task_number: u64,
    /// Ticks per one-minute datapoint (ticks under a minute) and datapoints per tick (ticks of
    /// a minute or more); one of them is 1.
    ticks_per_datapoint: u64,
    datapoints_per_tick: u32,
    ticks_done: u64,
    peak_running_tasks: u32,
    /// Each service's demanded tasks at this tick and the size index they would launch with,
    /// for the cluster (kept to reuse its memory).
    demanded: Vec<(u32, u32)>,
    /// Whether any service's tasks share their instances' CPU (`cpu_limit = "container_shares"`),
    /// and each service's serving tasks when the CPU was last shared out.
    shares_cpu: bool,
    shared_serving: Vec<u32>,
    outages: Outages<'a>,
}

impl<'a, R: Recorder> World<'a, R> {
    fn new(scenario: &'a Scenario, recorder: &'a mut R, queue: &mut EventQueue<Event>) -> Self {
        let load_rngs = scenario.loads.iter().map(|l| stream(scenario.seed, &format!("load:{}", l.name))).collect();
        let services = scenario
            .services
            .iter()
            .enumerate()
            .map(|(index, config)| {
                let zones = match config.ec2() {
                    Some(_) => Cluster::zone_count(scenario),
                    None => config.availability_zones as usize,
                };
                let purposes = ["startup", "placement", "fargate-spot", "deployment", "arrivals"];
                let rngs = purposes.map(|purpose| stream(scenario.seed, &format!("{purpose}:{}", config.name)));
                ServiceState::new(index, (config, &scenario.fargate_spot), rngs, zones)
            })
            .collect();
        let tick = scenario.tick_ms;
        let mut world = World {
            scenario,
            recorder,
            services,
            cluster: Cluster::new(scenario),
            load_rngs,
            load_rates: vec![0.0; scenario.loads.len()],
            next_task_number: 1,
            ticks_per_datapoint: (MS_PER_MINUTE / tick).max(1),
            datapoints_per_tick: (tick / MS_PER_MINUTE).max(1) as u32,
            ticks_done: 0,
            peak_running_tasks: 0,
            demanded: Vec::new(),
            shares_cpu: scenario.services.iter().any(|s| s.cpu_limit == CpuLimit::ContainerShares),
            shared_serving: Vec::new(),
            outages: Outages::new(&scenario.outages),
        };
        for (outage, o) in scenario.outages.iter().enumerate() {
            let outage = outage as u32;
            queue.schedule(SimTime::from_millis(o.start_ms), Event::ZoneDown { outage });
            if o.end_ms < scenario.duration_ms {
                queue.schedule(SimTime::from_millis(o.end_ms), Event::ZoneUp { outage });
            }
        }
        world.sample_loads(SimTime::ZERO);
        // The instances the groups start with are registered at time zero, with their daemon
        // tasks RUNNING; then every service's initial tasks.
        world.cluster.start(world.recorder, queue);
        for instance in world.cluster.take_work().registered {
            for service in &mut world.services {
                if service.config.is_daemon() && world.cluster.daemon_eligible(instance, service.index()) {
                    let (next, recorder) = (&mut world.next_task_number, &mut *world.recorder);
                    service.start_daemon(instance, next, recorder, queue, &mut world.cluster);
                }
            }
        }
        for service in &mut world.services {
            service.start(&mut world.next_task_number, world.recorder, queue, &mut world.cluster);
            service.schedule_next_action(queue);
        }
        for service in &mut world.services {
            service.reconcile(SimTime::ZERO, &mut world.next_task_number, world.recorder, queue, &mut world.cluster);
        }
        world.schedule_group_actions(queue);
        world.settle(SimTime::ZERO, queue);
        world.share_idle_cpu(SimTime::ZERO);
        queue.schedule(SimTime::from_millis(tick), Event::Tick);
        world
    }

    /// With container CPU shares, each service's serving tasks get what the instances' CPU
    /// scheduler gives them (`ecs::cpu_shares`), from the tick's load and the tasks on each
    /// instance; the services without shares are held to what they reserved. Worked out at
    /// each tick and again whenever a service's serving tasks change.
    fn share_idle_cpu(&mut self, now: SimTime) {
        if !self.shares_cpu {
            return;
        }
        self.shared_serving.clear();
        self.shared_serving.extend(self.services.iter().map(ServiceState::serving));
        // Per instance, each serving task's service, CPU units and the units it wants.
        let mut on: BTreeMap<u32, Vec<(usize, f64, f64)>> = BTreeMap::new();
        for (index, service) in self.services.iter().enumerate() {
            let shares = service.config.cpu_limit == CpuLimit::ContainerShares;
            let Some(tasks) = service.cpu_wanted(self.scenario.tick_ms) else { continue };
            for (instance, units, wanted) in tasks {
                let units = f64::from(units);
                let wanted = if shares { wanted } else { wanted.min(units) };
                on.entry(instance).or_default().push((index, units, wanted));
            }
        }
        // Per service, the sum over its serving tasks of what each gets over what it reserved.
        let mut gained = vec![(0.0, 0u32); self.services.len()];
        for (&instance, tasks) in &on {
            let asks: Vec<(f64, f64)> = tasks.iter().map(|&(_, units, wanted)| (units, wanted)).collect();
            let got = cpu_shares::allocate(f64::from(self.cluster.cpu_units(instance)), &asks);
            for (&(service, units, _), got) in tasks.iter().zip(got) {
                gained[service].0 += (got / units).max(1.0);
                gained[service].1 += 1;
            }
        }
        for (service, (sum, tasks)) in self.services.iter_mut().zip(gained) {
            if service.config.cpu_limit == CpuLimit::ContainerShares {
                service.set_cpu_boost(now, if tasks > 0 { sum / f64::from(tasks) } else { 1.0 });
            }
        }
    }

    /// The loads for the tick that starts at `now`, and each service's share.
    fn sample_loads(&mut self, now: SimTime) {
        self.sample_rates(now);
        for service in &mut self.services {
            service.take_load(now, &self.load_rates, self.scenario.tick_ms);
        }
        self.give_cluster_demand(now);
    }

    fn sample_rates(&mut self, now: SimTime) {
        let tick = self.scenario.tick_ms;
        for ((config, rng), rate) in self.scenario.loads.iter().zip(&mut self.load_rngs).zip(&mut self.load_rates) {
            *rate = config.load.sample(now.as_millis(), tick, rng);
        }
    }

    /// The tasks each service's load demands, for managed scaling.
    fn give_cluster_demand(&mut self, now: SimTime) {
        if !self.scenario.providers.is_empty() {
            self.demanded.clear();
            self.demanded.extend(self.services.iter().map(|s| (s.demand(), s.launch_size())));
            self.cluster.set_demand(now, &self.demanded);
        }
    }

    fn tick(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.ticks_done += 1;
        let closes_datapoint = self.ticks_done.is_multiple_of(self.ticks_per_datapoint);
        let end = self.scenario.duration_ms;
        let closes_series = now.as_millis().is_multiple_of(self.scenario.series_interval_ms) || now.as_millis() == end;
        let tick_ms = self.scenario.tick_ms;
        let next_tick = now.as_millis() < end;
        if next_tick {
            self.sample_rates(now);
        }
        // One pass over the services for all that needs no other service: the tick loop's
        // state of every service does not stay in the nearest cache from pass to pass.
        let mut running = 0;
        for service in &mut self.services {
            service.close_tick(now, tick_ms, if closes_datapoint { self.datapoints_per_tick } else { 0 });
            if closes_series {
                service.emit_series(now, self.recorder, &self.cluster);
            }
            service.count_surge_instances(&self.cluster, now);
            running += service.running();
            if next_tick {
                service.take_load(now, &self.load_rates, tick_ms);
            }
        }
        self.cluster.sample_tick();
        self.outages.tick(now, &self.services, &self.cluster);
        self.peak_running_tasks = self.peak_running_tasks.max(running);
        if closes_series {
            self.cluster.emit_series(now, self.recorder);
        }
        if !next_tick {
            return;
        }
        self.give_cluster_demand(now);
        self.share_idle_cpu(now);
        for service in &mut self.services {
            service.run_due(now, (self.recorder, queue), &self.cluster);
            if closes_datapoint {
                service.evaluate_policies(now, self.recorder);
            }
            service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
        }
        self.place_waiting(now, queue);
        self.cluster.run_group_actions(now, self.recorder, queue);
        self.cluster.scale(now, closes_datapoint, self.recorder, queue);
        self.settle(now, queue);
        queue.schedule(now.after(tick_ms), Event::Tick);
    }

    /// A zone goes: its instances with their tasks, and the Fargate tasks there; services
    /// replace what they lost in the zones left and the groups launch instances there.
    fn zone_down(&mut self, now: SimTime, outage: usize, queue: &mut EventQueue<Event>) {
        let zone = self.outages.zone(outage);
        let before: Vec<(u32, u32, f64)> = self
            .services
            .iter()
            .map(|s| (s.running(), s.tasks_in_zone(zone), s.cost_now(now, &self.cluster)))
            .collect();
        let instances_before: Vec<u32> =
            (0..self.scenario.providers.len()).map(|p| self.cluster.provider_now(p, now).0).collect();
        let instances_lost = self.cluster.zone_down(zone);
        let mut services = before;
        for (service, entry) in self.services.iter_mut().zip(&mut services) {
            entry.1 += service.zone_lost(now, zone, self.recorder, &mut self.cluster);
        }
        self.settle(now, queue);
        self.cluster.scale(now, false, self.recorder, queue);
        for service in &mut self.services {
            service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
        }
        self.outages.begin(outage, now, (&services, &self.cluster), &instances_lost, &instances_before);
    }

    fn zone_up(&mut self, now: SimTime, outage: usize) {
        self.cluster.zone_up(self.outages.zone(outage));
        let costs: Vec<f64> = self.services.iter().map(|s| s.cost_now(now, &self.cluster)).collect();
        self.outages.end(outage, now, &costs, &self.cluster);
    }

    fn schedule_group_actions(&self, queue: &mut EventQueue<Event>) {
        if let Some(at) = self.cluster.next_group_action() {
            queue.schedule(SimTime::from_millis(at), Event::GroupScheduled);
        }
    }

    /// Tries the tasks waiting for capacity, oldest first, where room has appeared. Once a task
    /// of a service finds none, that service's later tasks of its size (the same needs) wait too.
    fn place_waiting(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let waiting = self.cluster.take_waiting();
        if waiting.is_empty() {
            return;
        }
        let mut blocked: Vec<(u32, u32)> = Vec::new();
        for entry in waiting {
            let service = &mut self.services[entry.service as usize];
            if !service.still_waiting(entry.slot, entry.generation) {
                continue; // cancelled by a scale-in
            }
            let found = if blocked.contains(&(entry.service, entry.size)) {
                None
            } else {
                let provider = Some(entry.provider as usize);
                let (index, size) = (entry.service as usize, entry.size);
                self.cluster.choose_instance(index, size, provider, service.placement_rng()).ok()
            };
            match found {
                Some(instance) => service.place_waiting(now, entry.slot, instance, queue, &mut self.cluster),
                None => {
                    blocked.push((entry.service, entry.size));
                    self.cluster.requeue(entry);
                }
            }
        }
    }

    /// Carries out what the cluster left to do with the services, until nothing is left.
    fn settle(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        while self.cluster.has_work() {
            let work = self.cluster.take_work();
            let mut replace = false;
            for instance in work.drain {
                for (service, slot) in self.cluster.tasks_on(instance) {
                    let service = &mut self.services[service as usize];
                    // Standalone tasks are not moved by draining: the instance waits for them.
                    if !service.config.is_daemon() && !service.config.is_job() {
                        service.evict(now, slot, self.recorder, queue, &mut self.cluster);
                        replace = true;
                    }
                }
            }
            for instance in work.terminate {
                for (service, slot) in self.cluster.tasks_on(instance) {
                    self.services[service as usize].kill(now, slot, self.recorder, &mut self.cluster);
                    replace = true;
                }
                self.cluster.terminate(now, instance, self.recorder);
            }
            for &instance in &work.registered {
                for service in &mut self.services {
                    if service.config.is_daemon() && self.cluster.daemon_eligible(instance, service.index()) {
                        service.launch_daemon(
                            now,
                            instance,
                            &mut self.next_task_number,
                            self.recorder,
                            queue,
                            &mut self.cluster,
                        );
                    }
                }
            }
            if replace {
                for service in &mut self.services {
                    service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
                }
            }
            if !work.registered.is_empty() {
                self.place_waiting(now, queue);
            }
        }
    }
}

impl<R: Recorder> Model for World<'_, R> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::Tick => self.tick(now, queue),
            Event::Scheduled { service } => self.services[service as usize].run_scheduled(
                now,
                &mut self.next_task_number,
                self.recorder,
                queue,
                &mut self.cluster,
            ),
            Event::ZoneDown { outage } => self.zone_down(now, outage as usize, queue),
            Event::ZoneUp { outage } => self.zone_up(now, outage as usize),
            Event::GroupScheduled => {
                self.cluster.run_group_actions(now, self.recorder, queue);
                self.schedule_group_actions(queue);
            }
            Event::TaskTimer { service, slot, generation } => {
                let service = &mut self.services[service as usize];
                let moved = service.task_timer(now, slot, generation, self.recorder, queue, &mut self.cluster);
                // A deployment moves on as its tasks become healthy and the old ones stop.
                if moved && service.deploying() {
                    service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
                }
            }
            Event::TaskExits { service, slot, generation } => {
                let service = &mut self.services[service as usize];
                service.task_exits(now, (slot, generation), self.recorder, queue, &mut self.cluster);
                service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
            }
            Event::JobRetry { service } => {
                let service = &mut self.services[service as usize];
                service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
            }
            Event::InstanceTimer { instance, generation } => {
                self.cluster.instance_timer(now, instance, generation, self.recorder, queue)
            }
            Event::SpotTaskInterruption { service, slot, generation } => {
                let service = &mut self.services[service as usize];
                service.interrupt(now, slot, generation, self.recorder, queue, &self.cluster);
                service.reconcile(now, &mut self.next_task_number, self.recorder, queue, &mut self.cluster);
            }
            Event::SpotNotice { instance } => self.cluster.spot_notice(now, instance, self.recorder, queue),
            Event::SpotTermination { instance } => self.cluster.spot_termination(instance),
            Event::SpotPrice { provider, zone, change } => {
                self.cluster.spot_price(now, provider as usize, zone, change as usize, queue)
            }
        }
        self.settle(now, queue);
        if self.shares_cpu && self.services.iter().map(ServiceState::serving).ne(self.shared_serving.iter().copied()) {
            self.share_idle_cpu(now);
        }
    }
}
