//! The cluster's EC2 side: container instances and their lifecycle, the Auto Scaling groups
//! of the capacity providers with ECS managed scaling, task placement, and the instances' bill
//! shared among the services that reserve them.
//!
//! The cluster knows where tasks sit and what instances offer; the services own their tasks.
//! What the cluster cannot do alone (stop the tasks of an instance being drained or
//! terminated, place daemon tasks on a new instance) it leaves in [`Work`] for the world to
//! carry out with the services.
//!
//! Here: the state and its start. `placement.rs`: where a task goes, and the tasks waiting for
//! capacity; `instances.rs`: an instance's lifecycle and bill; `groups.rs`: the Auto Scaling
//! groups with managed scaling; `series.rs`: the providers' rows and summaries, the bill's split.

use std::collections::VecDeque;

use super::outcome::{GroupScalingEvent, InstanceEvent, InstanceSummary, ProviderRow, ProviderSummary, Recorder};
use super::{Event, Rng};
use crate::capacity::{
    AsgAlarms, GroupCombination, InstanceShape, Share, Signal, TaskNeeds, group_capacity, instances_needed,
    reservation, split, tasks_per_instance,
};
use crate::config::{AsgProvider, NetworkMode, Scenario, ServiceConfig, SpotPrice};
use crate::ecs::InstanceState;
use crate::engine::{EventQueue, MS_PER_HOUR, SimTime, stream};
use crate::placement::{ActiveInstances, Candidates, Constraint, Resource, Strategy, choose, replica_default};
use crate::pricing::{EC2_MINIMUM_BILLED_MS, billed_ms};
use crate::scaling::Direction;
use crate::stats::ElasticityTally;

/// Money accruing at a rate that changes now and then: `closed + rate × (t − since)`.
#[derive(Clone, Copy, Debug, Default)]
struct Accrual {
    closed: f64,
    /// USD per millisecond.
    rate: f64,
    since: u64,
}

impl Accrual {
    fn at(&self, now: SimTime) -> f64 {
        self.closed + self.rate * (now.as_millis() - self.since) as f64
    }

    fn change(&mut self, now: SimTime, delta: f64) {
        self.closed = self.at(now);
        self.since = now.as_millis();
        self.rate += delta;
    }
}

/// Split cost allocation weighs a vCPU nine times a GiB of memory, "derived from per vCPU per
/// hour and per GB per hour prices in AWS Fargate" (AWS Data Exports guide, "Example of split
/// cost allocation data"): a task's share of an instance is
/// `(9 × task vCPU + task GiB) / (9 × instance vCPU + instance GiB)`.
const SPLIT_COST_CPU_WEIGHT: f64 = 9.0;

/// The Spot interruption notice comes two minutes before EC2 takes the instance (§6.1).
const SPOT_NOTICE_MS: u64 = 120_000;

struct Instance {
    number: u64,
    provider: u32,
    type_index: u32,
    az: u32,
    state: InstanceState,
    generation: u32,
    launched_at: SimTime,
    running_since: SimTime,
    free_cpu: u32,
    free_memory: u32,
    free_enis: u32,
    /// Static host ports in use.
    ports: Vec<u16>,
    /// `(service, slot, size index)` of every task placed here.
    tasks: Vec<(u32, u32, u32)>,
    non_daemon_tasks: u32,
    /// Per service: its tasks here.
    service_tasks: Vec<u32>,
    /// Per service: the instance satisfies its `memberOf` constraints and CPU architecture.
    eligible: Vec<bool>,
    /// USD per millisecond.
    rate: f64,
    /// USD per millisecond per unit of split-cost weight (9 per vCPU, 1 per GiB).
    weight_rate: f64,
    /// Spot: the interruption notice has come.
    interrupted: bool,
    /// The instance's own bill: closed up to `cost_since`, `rate` since then while billed.
    cost_closed: f64,
    cost_since: SimTime,
    terminated_at: Option<SimTime>,
    billed_ms: u64,
    /// EC2 billing has started (`running`).
    started: bool,
}

/// A task waiting in PROVISIONING for room on a provider's instances.
#[derive(Clone, Copy)]
pub(super) struct Waiting {
    pub service: u32,
    /// The task's size index ([`crate::config::ServiceConfig::task_size`]).
    pub size: u32,
    pub provider: u32,
    pub slot: u32,
    pub generation: u32,
}

struct ProviderState<'a> {
    config: &'a AsgProvider,
    desired: u32,
    /// The group's size limits: its own, until a scheduled action sets others.
    min_size: u32,
    max_size: u32,
    /// Launched and not draining: pending, booting or ACTIVE, in launch order.
    in_service: Vec<u32>,
    /// ACTIVE instances: where tasks are placed.
    active: ActiveInstances,
    draining: u32,
    waiting: VecDeque<Waiting>,
    /// Per kind of task (a service's size: [`Cluster::kinds`]): tasks in `waiting`.
    waiting_by_kind: Vec<u32>,
    /// Room appeared since waiting tasks were last tried.
    room_changed: bool,
    alarms: AsgAlarms,
    last_reservation: Option<f64>,
    /// The limit that held the last recorded decision, so a hold is recorded once.
    held: Option<(Direction, &'static str)>,
    /// Registered and reserved CPU units and MiB over ACTIVE and DRAINING instances.
    registered: (u64, u64),
    reserved: (u64, u64),
    cost: Accrual,
    allocated: Accrual,
    billed_closed_ms: u64,
    billed_live: u64,
    billed_start_sum: u64,
    interval: ProviderInterval,
    summary: ProviderSummary,
    reservation_sums: (f64, f64, u64),
    rng: Rng,
    /// Per zone: the price a new instance is billed at, USD per hour.
    prices: Vec<f64>,
    /// Times to Spot interruption.
    spot_rng: Rng,
    /// The smallest and the largest of the instance types, parameter by parameter: what the
    /// scale-out estimate binpacks on (§4.2).
    shape_bounds: (InstanceShape, InstanceShape),
    /// The instances the services' demanded tasks need (set at each tick), and ACTIVE
    /// instances against them, accounted up to `followed_to`.
    demand: u32,
    elasticity: ElasticityTally,
    followed_to: SimTime,
}

impl ProviderState<'_> {
    /// Accounts for the ACTIVE instances against the demand up to `now`: called before either
    /// changes.
    fn follow(&mut self, now: SimTime) {
        self.elasticity.span(self.demand, self.active.len() as u32, now.since(self.followed_to));
        self.followed_to = now;
    }
}

#[derive(Default)]
struct ProviderInterval {
    start: SimTime,
    pending_max: u32,
    active_max: u32,
    draining_max: u32,
    provisioning_max: u32,
    cpu_sum: f64,
    memory_sum: f64,
    samples: u32,
    cost_at_start: f64,
    idle_at_start: f64,
}

/// What the world must do with the services after the cluster changed.
#[derive(Default)]
pub(super) struct Work {
    /// Instances now DRAINING: their non-daemon tasks are to be stopped and replaced.
    pub drain: Vec<u32>,
    /// Instances to terminate once every task on them is stopped.
    pub terminate: Vec<u32>,
    /// Instances just registered: daemon tasks first, then waiting tasks.
    pub registered: Vec<u32>,
}

impl Work {
    pub fn is_empty(&self) -> bool {
        self.drain.is_empty() && self.terminate.is_empty() && self.registered.is_empty()
    }
}

pub(super) struct Cluster<'a> {
    scenario: &'a Scenario,
    instances: Vec<Instance>,
    providers: Vec<ProviderState<'a>>,
    /// Per service, per zone: its placed tasks.
    zone_tasks: Vec<Vec<u32>>,
    /// Per service: its allocated (CPU, memory) cost.
    allocated: Vec<(Accrual, Accrual)>,
    /// `us-east-1a`, `us-east-1b`, … by zone index.
    zone_names: Vec<String>,
    next_number: u64,
    work: Work,
    /// Every group scheduled action's firing, `(ms from start, provider, action)`, in time,
    /// provider and file order, and the next one due.
    timetable: Vec<(u64, usize, usize)>,
    next_due: usize,
    /// Per zone (the most any Fargate service or group spans): lost to an outage now.
    down: Vec<bool>,
    /// The kinds of task, `(service, size index)`, service by service and size by size, and
    /// each service's first: tasks of one kind have the same needs.
    kinds: Vec<(u32, u32)>,
    first_kind: Vec<u32>,
}

/// The cluster as one service's placement sees it.
struct ServiceView<'c, 'a> {
    cluster: &'c Cluster<'a>,
    service: usize,
}

impl Candidates for ServiceView<'_, '_> {
    fn free_cpu(&self, instance: u32) -> u32 {
        self.cluster.instances[instance as usize].free_cpu
    }

    fn free_memory(&self, instance: u32) -> u32 {
        self.cluster.instances[instance as usize].free_memory
    }

    fn tasks_on(&self, instance: u32) -> u32 {
        self.cluster.instances[instance as usize].service_tasks[self.service]
    }

    fn tasks_in_zone(&self, instance: u32) -> u32 {
        self.cluster.zone_tasks[self.service][self.cluster.instances[instance as usize].az as usize]
    }

    /// Counted over every instance not terminated: a rare strategy, so a scan.
    fn tasks_with_same(&self, instance: u32, attribute: &str) -> u32 {
        let cluster = self.cluster;
        let value = cluster.attribute(&cluster.instances[instance as usize], attribute);
        cluster
            .instances
            .iter()
            .filter(|o| o.state != InstanceState::Terminated && cluster.attribute(o, attribute) == value)
            .map(|o| o.service_tasks[self.service])
            .sum()
    }
}

/// Why a task found no instance.
pub(super) const NO_ROOM: &str = "no ACTIVE instance has the CPU, memory, ENIs and ports the task needs";
pub(super) const NO_MATCH: &str = "no ACTIVE instance with room satisfies the placement constraints";

impl<'a> Cluster<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let services = scenario.services.len();
        let zones = Self::zone_count(scenario);
        let kinds: Vec<(u32, u32)> = (scenario.services.iter().enumerate())
            .flat_map(|(service, config)| {
                (0..=config.deployed_sizes.len() as u32).map(move |size| (service as u32, size))
            })
            .collect();
        let kind_count = kinds.len();
        Cluster {
            first_kind: (kinds.iter().enumerate())
                .filter(|(_, (_, size))| *size == 0)
                .map(|(kind, _)| kind as u32)
                .collect(),
            kinds,
            scenario,
            instances: Vec::new(),
            providers: scenario
                .providers
                .iter()
                .enumerate()
                .map(|(provider, config)| ProviderState {
                    config,
                    desired: config.desired_capacity,
                    min_size: config.min_size,
                    max_size: config.max_size,
                    in_service: Vec::new(),
                    active: ActiveInstances::new(Self::smallest_task(scenario, provider)),
                    draining: 0,
                    waiting: VecDeque::new(),
                    waiting_by_kind: vec![0; kind_count],
                    room_changed: false,
                    alarms: AsgAlarms::default(),
                    last_reservation: None,
                    held: None,
                    registered: (0, 0),
                    reserved: (0, 0),
                    cost: Accrual::default(),
                    allocated: Accrual::default(),
                    billed_closed_ms: 0,
                    billed_live: 0,
                    billed_start_sum: 0,
                    interval: ProviderInterval::default(),
                    summary: ProviderSummary::default(),
                    reservation_sums: (0.0, 0.0, 0),
                    rng: stream(scenario.seed, &format!("instances:{}", config.name)),
                    prices: (0..config.availability_zones as usize)
                        .map(|zone| {
                            let on_demand = config.instance_types[0].instance.on_demand_hour_usd;
                            match config.spot.as_ref().map(|s| &s.price) {
                                None => on_demand,
                                Some(SpotPrice::Fraction(share)) => on_demand * share,
                                Some(SpotPrice::History(zones)) => zones[zone][0].1,
                            }
                        })
                        .collect(),
                    spot_rng: stream(scenario.seed, &format!("spot:{}", config.name)),
                    shape_bounds: shape_bounds(config),
                    demand: 0,
                    elasticity: ElasticityTally::default(),
                    followed_to: SimTime::ZERO,
                })
                .collect(),
            zone_tasks: vec![vec![0; zones]; services],
            allocated: vec![(Accrual::default(), Accrual::default()); services],
            zone_names: (b'a'..).take(zones).map(|l| format!("{}{}", scenario.region, char::from(l))).collect(),
            next_number: 1,
            work: Work::default(),
            timetable: {
                let mut timetable: Vec<(u64, usize, usize)> = scenario
                    .providers
                    .iter()
                    .enumerate()
                    .flat_map(|(p, config)| {
                        config
                            .scheduled_actions
                            .iter()
                            .enumerate()
                            .flat_map(move |(a, action)| action.fire_times_ms.iter().map(move |&t| (t, p, a)))
                    })
                    .collect();
                timetable.sort_unstable();
                timetable
            },
            next_due: 0,
            down: vec![false; 26],
        }
    }

    /// The kind of task (its index into `kinds`) a service's tasks of `size` are.
    pub(super) fn kind(&self, service: usize, size: u32) -> usize {
        (self.first_kind[service] + size) as usize
    }

    /// The least CPU units and MiB a task that may be placed on `provider` reserves.
    fn smallest_task(scenario: &Scenario, provider: usize) -> (u32, u32) {
        let sizes = scenario
            .services
            .iter()
            .filter(|s| s.ec2().is_some_and(|e| e.may_use(provider)))
            .flat_map(|s| (0..=s.deployed_sizes.len() as u32).map(|k| s.task_size(k)))
            .map(|size| (size.cpu, size.reserved_memory_mib()));
        sizes.fold((u32::MAX, u32::MAX), |(c, m), (sc, sm)| (c.min(sc), m.min(sm)))
    }

    /// Zones the EC2 side uses: the most any provider spans.
    pub fn zone_count(scenario: &Scenario) -> usize {
        scenario.providers.iter().map(|p| p.availability_zones as usize).max().unwrap_or(1)
    }

    /// Every group starts at its desired capacity, registered and billed from time zero; Spot
    /// price histories start.
    pub fn start<R: Recorder>(&mut self, recorder: &mut R, queue: &mut EventQueue<Event>) {
        for provider in 0..self.providers.len() {
            for _ in 0..self.providers[provider].desired {
                let instance = self.launch(provider, SimTime::ZERO, InstanceState::Active, recorder);
                self.start_billing(instance, SimTime::ZERO, queue);
                self.register(SimTime::ZERO, instance);
            }
            if let Some(SpotPrice::History(zones)) = self.providers[provider].config.spot.as_ref().map(|s| &s.price) {
                for (zone, changes) in zones.iter().enumerate() {
                    if let Some(&(at, _)) = changes.get(1) {
                        let (provider, zone) = (provider as u32, zone as u32);
                        queue.schedule(SimTime::from_millis(at), Event::SpotPrice { provider, zone, change: 1 });
                    }
                }
            }
        }
    }

    /// Whether anything is left for the services to do (checked after every event: most
    /// leave nothing).
    pub fn has_work(&self) -> bool {
        !self.work.is_empty()
    }

    pub fn take_work(&mut self) -> Work {
        std::mem::take(&mut self.work)
    }

    pub fn instance_az(&self, instance: u32) -> u32 {
        self.instances[instance as usize].az
    }

    pub fn instance_provider(&self, instance: u32) -> usize {
        self.instances[instance as usize].provider as usize
    }

    pub fn instance_number(&self, instance: u32) -> u64 {
        self.instances[instance as usize].number
    }

    /// The tasks on `instance`, daemon tasks last.
    pub fn tasks_on(&self, instance: u32) -> Vec<(u32, u32)> {
        let mut tasks: Vec<(u32, u32)> =
            self.instances[instance as usize].tasks.iter().map(|&(service, slot, _)| (service, slot)).collect();
        tasks.sort_by_key(|&(service, _)| self.scenario.services[service as usize].is_daemon());
        tasks
    }

    /// Whether a daemon task of `service` belongs on `instance` and fits: ACTIVE, eligible,
    /// without its task yet, with room.
    pub fn fits_daemon(&self, instance: u32, service: usize) -> bool {
        let i = &self.instances[instance as usize];
        i.state == InstanceState::Active
            && i.eligible[service]
            && i.service_tasks[service] == 0
            && self.fits(i, service, 0)
    }

    pub fn service_tasks_on(&self, instance: u32, service: usize) -> u32 {
        self.instances[instance as usize].service_tasks[service]
    }

    /// CPU units and MiB free on `instance`.
    /// The CPU units `instance` registered.
    pub fn cpu_units(&self, instance: u32) -> u32 {
        let i = &self.instances[instance as usize];
        self.providers[i.provider as usize].config.instance_types[i.type_index as usize].registered.cpu_units
    }

    pub fn free(&self, instance: u32) -> (u32, u32) {
        let i = &self.instances[instance as usize];
        (i.free_cpu, i.free_memory)
    }

    /// Whether the daemon service `service` is eligible for `instance` at all.
    pub fn daemon_eligible(&self, instance: u32, service: usize) -> bool {
        self.instances[instance as usize].eligible[service]
    }
}

/// The smallest and the largest of a provider's instance types, parameter by parameter.
fn shape_bounds(provider: &AsgProvider) -> (InstanceShape, InstanceShape) {
    let shapes: Vec<InstanceShape> = provider
        .instance_types
        .iter()
        .map(|t| InstanceShape {
            cpu_units: t.registered.cpu_units,
            memory_mib: t.registered.memory_mib,
            task_enis: t.awsvpc_tasks,
        })
        .collect();
    let per = |f: fn(&InstanceShape) -> u32, pick: fn(u32, u32) -> u32| shapes.iter().map(f).reduce(pick).unwrap_or(0);
    let bound = |pick: fn(u32, u32) -> u32| InstanceShape {
        cpu_units: per(|s| s.cpu_units, pick),
        memory_mib: per(|s| s.memory_mib, pick),
        task_enis: per(|s| s.task_enis, pick),
    };
    (bound(u32::min), bound(u32::max))
}

mod groups;
mod instances;
mod placement;
mod series;
pub(super) use series::Bill;
#[cfg(test)]
mod tests;
