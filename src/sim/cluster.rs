//! The cluster's EC2 side: container instances and their lifecycle, the Auto Scaling groups
//! of the capacity providers with ECS managed scaling, task placement, and the instances' bill
//! shared among the services that reserve them.
//!
//! The cluster knows where tasks sit and what instances offer; the services own their tasks.
//! What the cluster cannot do alone (stop the tasks of an instance being drained or
//! terminated, place daemon tasks on a new instance) it leaves in [`Work`] for the world to
//! carry out with the services.

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
    /// `(service, slot)` of every task placed here.
    tasks: Vec<(u32, u32)>,
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
    pub provider: u32,
    pub slot: u32,
    pub generation: u32,
}

struct ProviderState<'a> {
    config: &'a AsgProvider,
    desired: u32,
    /// Launched and not draining: pending, booting or ACTIVE, in launch order.
    in_service: Vec<u32>,
    /// ACTIVE instances: where tasks are placed.
    active: ActiveInstances,
    draining: u32,
    waiting: VecDeque<Waiting>,
    /// Per service: tasks in `waiting`.
    waiting_by_service: Vec<u32>,
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
        Cluster {
            scenario,
            instances: Vec::new(),
            providers: scenario
                .providers
                .iter()
                .enumerate()
                .map(|(provider, config)| ProviderState {
                    config,
                    desired: config.desired_capacity,
                    in_service: Vec::new(),
                    active: ActiveInstances::new(Self::smallest_task(scenario, provider)),
                    draining: 0,
                    waiting: VecDeque::new(),
                    waiting_by_service: vec![0; services],
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
        }
    }

    /// The least CPU units and MiB a task that may be placed on `provider` reserves.
    fn smallest_task(scenario: &Scenario, provider: usize) -> (u32, u32) {
        let sizes = scenario
            .services
            .iter()
            .filter(|s| s.ec2().is_some_and(|e| e.may_use(provider)))
            .map(|s| (s.cpu, s.reserved_memory_mib()));
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
        let mut tasks = self.instances[instance as usize].tasks.clone();
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
            && self.fits(i, service)
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

    // ----- placement -----

    fn needs(config: &ServiceConfig) -> (u32, u32, bool, Option<u16>) {
        let placement = config.ec2().expect("an EC2 service");
        (config.cpu, config.reserved_memory_mib(), placement.network_mode == NetworkMode::Awsvpc, placement.host_port)
    }

    fn fits(&self, instance: &Instance, service: usize) -> bool {
        let (cpu, memory, eni, port) = Self::needs(&self.scenario.services[service]);
        instance.free_cpu >= cpu
            && instance.free_memory >= memory
            && (!eni || instance.free_enis > 0)
            && port.is_none_or(|p| !instance.ports.contains(&p))
    }

    fn satisfies(&self, instance: &Instance, service: usize) -> bool {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        instance.eligible[service]
            && placement
                .constraints
                .iter()
                .all(|c| !matches!(c, Constraint::DistinctInstance) || instance.service_tasks[service] == 0)
    }

    /// Chooses an instance for a task of `service` by AWS's process (§7): room, constraints,
    /// strategies in order, then the oldest of the instances left. When binpack comes first,
    /// the provider's instances ordered by the free resource give the tightest fits without a
    /// scan; the other strategies look at every ACTIVE instance.
    /// `provider`: the capacity provider the strategy chose for the task; `None` for a launch
    /// type, which may use any instance.
    pub fn choose_instance(&self, service: usize, provider: Option<usize>, rng: &mut Rng) -> Result<u32, &'static str> {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        if let (Some(provider), Some(Strategy::Binpack(resource))) = (provider, placement.strategies.first())
            && let Some(tightest) = self.tightest_fits(provider, service, *resource)
        {
            let view = ServiceView { cluster: self, service };
            let chosen = choose(tightest, &placement.strategies[1..], &view, rng).expect("a candidate");
            #[cfg(test)]
            if !placement.strategies.contains(&Strategy::Random) {
                assert_eq!(
                    Ok(chosen),
                    self.choose_by_scan(service, Some(provider), rng),
                    "the index agrees with the scan"
                );
            }
            return Ok(chosen);
        }
        self.choose_by_scan(service, provider, rng)
    }

    /// The instances of `provider` with the least of `resource` free that still take the task
    /// (room and constraints), in launch order; `None` if none does.
    fn tightest_fits(&self, provider: usize, service: usize, resource: Resource) -> Option<Vec<u32>> {
        let (cpu, memory, _, _) = Self::needs(&self.scenario.services[service]);
        let need = match resource {
            Resource::Cpu => cpu,
            Resource::Memory => memory,
        };
        let found = self.providers[provider].active.tightest(resource, need, |instance| {
            let i = &self.instances[instance as usize];
            self.fits(i, service) && self.satisfies(i, service)
        });
        (!found.is_empty()).then_some(found)
    }

    fn choose_by_scan(&self, service: usize, provider: Option<usize>, rng: &mut Rng) -> Result<u32, &'static str> {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        let providers: &[ProviderState] = match provider {
            Some(p) => std::slice::from_ref(&self.providers[p]),
            None => &self.providers,
        };
        let mut candidates: Vec<u32> = providers
            .iter()
            .flat_map(|p| p.active.in_launch_order().iter().copied())
            .filter(|&i| self.fits(&self.instances[i as usize], service))
            .collect();
        if candidates.is_empty() {
            return Err(NO_ROOM);
        }
        candidates.retain(|&i| self.satisfies(&self.instances[i as usize], service));
        if candidates.is_empty() {
            return Err(NO_MATCH);
        }
        if provider.is_none() {
            candidates.sort_unstable(); // launch order across providers
        }
        let view = ServiceView { cluster: self, service };
        let default = replica_default();
        let strategies = if placement.strategies.is_empty() { &default[..] } else { &placement.strategies[..] };
        Ok(choose(candidates, strategies, &view, rng).expect("a candidate"))
    }

    /// An instance's attribute, for constraints and spreads: the built-in `ecs.*` ones and the
    /// provider's custom attributes.
    fn attribute<'s>(&'s self, instance: &Instance, name: &str) -> Option<&'s str> {
        let provider = &self.scenario.providers[instance.provider as usize];
        match name {
            "ecs.instance-type" => Some(&provider.instance_types[instance.type_index as usize].instance.name),
            "ecs.availability-zone" => Some(&self.zone_names[instance.az as usize]),
            "ecs.cpu-architecture" => Some(match provider.instance_types[instance.type_index as usize].instance.arch {
                crate::pricing::CpuArchitecture::X86_64 => "x86_64",
                crate::pricing::CpuArchitecture::Arm64 => "arm64",
            }),
            "ecs.os-type" => Some("linux"),
            _ => provider.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()),
        }
    }

    /// Takes the task's resources on `instance`.
    pub fn reserve(&mut self, instance: u32, service: usize, slot: u32, now: SimTime) {
        let config = &self.scenario.services[service];
        let (cpu, memory, eni, port) = Self::needs(config);
        let daemon = config.is_daemon();
        let i = &mut self.instances[instance as usize];
        debug_assert!(i.free_cpu >= cpu && i.free_memory >= memory, "placement checked the room");
        let before = (i.free_cpu, i.free_memory);
        i.free_cpu -= cpu;
        i.free_memory -= memory;
        let after = (i.free_cpu, i.free_memory);
        if eni {
            i.free_enis -= 1;
        }
        if let Some(port) = port {
            i.ports.push(port);
        }
        i.tasks.push((service as u32, slot));
        i.service_tasks[service] += 1;
        if !daemon {
            i.non_daemon_tasks += 1;
        }
        let (az, provider, weight_rate) = (i.az, i.provider as usize, i.weight_rate);
        self.zone_tasks[service][az as usize] += 1;
        let p = &mut self.providers[provider];
        p.active.resize(instance, before, after);
        p.reserved.0 += u64::from(cpu);
        p.reserved.1 += u64::from(memory);
        self.share(service, provider, weight_rate, now, 1.0);
    }

    /// Gives back the task's resources. An instance that was draining and has no non-daemon task
    /// left goes to termination.
    pub fn release(&mut self, instance: u32, service: usize, slot: u32, now: SimTime) {
        let config = &self.scenario.services[service];
        let (cpu, memory, eni, port) = Self::needs(config);
        let daemon = config.is_daemon();
        let i = &mut self.instances[instance as usize];
        let before = (i.free_cpu, i.free_memory);
        i.free_cpu += cpu;
        i.free_memory += memory;
        let after = (i.free_cpu, i.free_memory);
        if eni {
            i.free_enis += 1;
        }
        if let Some(port) = port
            && let Some(at) = i.ports.iter().position(|&p| p == port)
        {
            i.ports.swap_remove(at);
        }
        let at = i.tasks.iter().position(|&t| t == (service as u32, slot)).expect("the task is on this instance");
        i.tasks.swap_remove(at);
        i.service_tasks[service] -= 1;
        if !daemon {
            i.non_daemon_tasks -= 1;
        }
        let (az, provider, weight_rate, state, left) =
            (i.az, i.provider as usize, i.weight_rate, i.state, i.non_daemon_tasks);
        self.zone_tasks[service][az as usize] -= 1;
        let p = &mut self.providers[provider];
        p.active.resize(instance, before, after);
        p.reserved.0 -= u64::from(cpu);
        p.reserved.1 -= u64::from(memory);
        p.room_changed = true;
        self.share(service, provider, weight_rate, now, -1.0);
        // A drained instance goes when its last task does; a Spot one waits for EC2.
        let interrupted = self.instances[instance as usize].interrupted;
        if state == InstanceState::Draining && left == 0 && !interrupted && !self.work.terminate.contains(&instance) {
            self.work.terminate.push(instance);
        }
    }

    /// Starts (`sign` 1) or stops (−1) a task's share of its instance's cost.
    fn share(&mut self, service: usize, provider: usize, weight_rate: f64, now: SimTime, sign: f64) {
        let config = &self.scenario.services[service];
        let cpu = sign * weight_rate * SPLIT_COST_CPU_WEIGHT * f64::from(config.cpu) / 1024.0;
        let memory = sign * weight_rate * f64::from(config.reserved_memory_mib()) / 1024.0;
        let (cpu_cost, memory_cost) = &mut self.allocated[service];
        cpu_cost.change(now, cpu);
        memory_cost.change(now, memory);
        self.providers[provider].allocated.change(now, cpu + memory);
    }

    /// A service's allocated (CPU, memory) cost up to `now`.
    pub fn allocated_cost(&self, service: usize, now: SimTime) -> (f64, f64) {
        let (cpu, memory) = &self.allocated[service];
        (cpu.at(now), memory.at(now))
    }

    // ----- tasks waiting for capacity -----

    /// Whether launches on `provider` wait for capacity (managed scaling) rather than fail; a
    /// launch type (`None`) never waits.
    pub fn waits(&self, provider: Option<usize>) -> bool {
        provider.is_some_and(|p| self.providers[p].config.managed_scaling.is_some())
    }

    pub fn enqueue(&mut self, waiting: Waiting) {
        let p = &mut self.providers[waiting.provider as usize];
        p.waiting.push_back(waiting);
        p.waiting_by_service[waiting.service as usize] += 1;
    }

    /// A task of `service` waiting on `provider` was placed or cancelled.
    pub fn unwait(&mut self, service: usize, provider: usize) {
        self.providers[provider].waiting_by_service[service] -= 1;
    }

    /// The waiting tasks of every provider where room appeared since the last try, oldest first.
    pub fn take_waiting(&mut self) -> Vec<Waiting> {
        let mut out = Vec::new();
        for p in &mut self.providers {
            if std::mem::take(&mut p.room_changed) {
                out.extend(p.waiting.drain(..));
            }
        }
        out
    }

    /// Puts back a task that is still waiting, in order.
    pub fn requeue(&mut self, waiting: Waiting) {
        self.providers[waiting.provider as usize].waiting.push_back(waiting);
    }

    // ----- instances -----

    fn launch<R: Recorder>(&mut self, provider: usize, now: SimTime, state: InstanceState, recorder: &mut R) -> u32 {
        let services = &self.scenario.services;
        let p = &self.providers[provider];
        // The ASG balances zones: the zone with the fewest of its instances, the first on a tie.
        let zones = p.config.availability_zones;
        let az = (0..zones)
            .min_by_key(|&z| p.in_service.iter().filter(|&&i| self.instances[i as usize].az == z).count())
            .unwrap_or(0);
        let kind = &p.config.instance_types[0];
        let rate = p.prices[az as usize] / MS_PER_HOUR as f64;
        let weight =
            SPLIT_COST_CPU_WEIGHT * f64::from(kind.instance.vcpu) + f64::from(kind.instance.memory_mib) / 1024.0;
        let mut instance = Instance {
            number: self.next_number,
            provider: provider as u32,
            type_index: 0,
            az,
            state,
            generation: 0,
            launched_at: now,
            running_since: now,
            free_cpu: kind.registered.cpu_units,
            free_memory: kind.registered.memory_mib,
            free_enis: kind.awsvpc_tasks,
            ports: Vec::new(),
            tasks: Vec::new(),
            non_daemon_tasks: 0,
            service_tasks: vec![0; services.len()],
            eligible: Vec::new(),
            rate,
            weight_rate: rate / weight,
            interrupted: false,
            cost_closed: 0.0,
            cost_since: now,
            terminated_at: None,
            billed_ms: 0,
            started: false,
        };
        instance.eligible = services
            .iter()
            .map(|s| {
                let Some(placement) = s.ec2() else { return false };
                let arch_ok = s.cpu_architecture == kind.instance.arch;
                let provider_ok = placement.may_use(provider);
                arch_ok
                    && provider_ok
                    && placement.constraints.iter().all(|c| match c {
                        Constraint::DistinctInstance => true,
                        Constraint::MemberOf { expression } => {
                            expression.matches(&|name: &str| self.attribute(&instance, name))
                        }
                    })
            })
            .collect();
        self.next_number += 1;
        let index = self.instances.len() as u32;
        recorder.instance(&InstanceEvent {
            at: now,
            provider,
            instance: instance.number,
            instance_type: 0,
            az,
            from: None,
            to: state,
            reason: if now == SimTime::ZERO { "the group's initial size" } else { "the group scaled out" },
        });
        self.instances.push(instance);
        let p = &mut self.providers[provider];
        p.in_service.push(index);
        p.summary.instances_launched += 1;
        p.summary.peak_instances = p.summary.peak_instances.max(p.in_service.len() as u32 + p.draining);
        index
    }

    /// EC2 bills from `running`. A Spot instance's time to interruption starts then too.
    fn start_billing(&mut self, instance: u32, now: SimTime, queue: &mut EventQueue<Event>) {
        let i = &mut self.instances[instance as usize];
        i.running_since = now;
        i.cost_since = now;
        i.started = true;
        let p = &mut self.providers[i.provider as usize];
        p.cost.change(now, i.rate);
        p.billed_live += 1;
        p.billed_start_sum += now.as_millis();
        if let Some(spot) = &p.config.spot
            && spot.interruptions_per_hour > 0.0
        {
            let hours: f64 = rand_distr::Distribution::sample(
                &rand_distr::Exp::new(spot.interruptions_per_hour).expect("a positive rate"),
                &mut p.spot_rng,
            );
            let after = (hours * MS_PER_HOUR as f64).min(u64::MAX as f64 / 4.0) as u64;
            queue.schedule(now.after(after), Event::SpotNotice { instance });
        }
    }

    /// "a warning that is issued two minutes before Amazon EC2 stops or terminates your Spot
    /// Instance" (reference §6.1). With Spot instance draining ECS sets the instance DRAINING
    /// and its tasks move; the group learns of the loss only when EC2 terminates it.
    pub fn spot_notice<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        let i = &self.instances[instance as usize];
        if i.state == InstanceState::Terminated {
            return;
        }
        let (provider, state) = (i.provider as usize, i.state);
        let draining = self.providers[provider].config.spot.as_ref().is_some_and(|s| s.instance_draining);
        self.providers[provider].summary.interruptions += 1;
        self.instances[instance as usize].interrupted = true;
        if draining && state == InstanceState::Active {
            self.deactivate(now, instance);
            self.providers[provider].draining += 1;
            self.transition(now, instance, InstanceState::Draining, "Spot interruption notice: draining", recorder);
            self.work.drain.push(instance);
        } else {
            let i = &self.instances[instance as usize];
            recorder.instance(&InstanceEvent {
                at: now,
                provider,
                instance: i.number,
                instance_type: i.type_index as usize,
                az: i.az,
                from: Some(state),
                to: state,
                reason: "Spot interruption notice",
            });
        }
        queue.schedule(now.after(SPOT_NOTICE_MS), Event::SpotTermination { instance });
    }

    /// EC2 takes the Spot instance back: whatever still runs on it stops.
    pub fn spot_termination(&mut self, instance: u32) {
        if self.instances[instance as usize].state != InstanceState::Terminated {
            self.work.terminate.push(instance);
        }
    }

    /// A zone's Spot price changes: instances there are billed at the new price from now on.
    pub fn spot_price(
        &mut self,
        now: SimTime,
        provider: usize,
        zone: u32,
        change: usize,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(SpotPrice::History(zones)) = self.providers[provider].config.spot.as_ref().map(|s| &s.price) else {
            unreachable!("price events come from a history")
        };
        let changes = &zones[zone as usize];
        let price = changes[change].1;
        if let Some(&(at, _)) = changes.get(change + 1) {
            let (p, next) = (provider as u32, change as u32 + 1);
            queue.schedule(SimTime::from_millis(at), Event::SpotPrice { provider: p, zone, change: next });
        }
        self.providers[provider].prices[zone as usize] = price;
        let rate = price / MS_PER_HOUR as f64;
        let affected: Vec<u32> = (0..self.instances.len() as u32)
            .filter(|&i| {
                let i = &self.instances[i as usize];
                i.provider as usize == provider && i.az == zone && i.state != InstanceState::Terminated
            })
            .collect();
        for instance in affected {
            self.reprice(instance, rate, now);
        }
    }

    /// Bills `instance` at `rate` (USD per ms) from now on, its tasks' shares with it.
    fn reprice(&mut self, instance: u32, rate: f64, now: SimTime) {
        let i = &self.instances[instance as usize];
        let (provider, old_rate, old_weight_rate, billed) =
            (i.provider as usize, i.rate, i.weight_rate, i.state != InstanceState::Pending);
        let new_weight_rate = old_weight_rate * rate / old_rate.max(f64::MIN_POSITIVE);
        let tasks = i.tasks.clone();
        for &(service, _) in &tasks {
            self.share(service as usize, provider, old_weight_rate, now, -1.0);
            self.share(service as usize, provider, new_weight_rate, now, 1.0);
        }
        let i = &mut self.instances[instance as usize];
        if billed {
            i.cost_closed += old_rate * now.since(i.cost_since) as f64;
            i.cost_since = now;
            self.providers[provider].cost.change(now, rate - old_rate);
        }
        let i = &mut self.instances[instance as usize];
        i.rate = rate;
        i.weight_rate = new_weight_rate;
    }

    /// The agent has registered: the instance takes tasks.
    fn register(&mut self, now: SimTime, instance: u32) {
        self.providers[self.instances[instance as usize].provider as usize].follow(now);
        let i = &mut self.instances[instance as usize];
        i.state = InstanceState::Active;
        let kind = &self.scenario.providers[i.provider as usize].instance_types[i.type_index as usize];
        let free = (i.free_cpu, i.free_memory);
        let p = &mut self.providers[i.provider as usize];
        p.active.insert(instance, free);
        p.registered.0 += u64::from(kind.registered.cpu_units);
        p.registered.1 += u64::from(kind.registered.memory_mib);
        p.room_changed = true;
        self.work.registered.push(instance);
    }

    /// No more tasks go to `instance`.
    fn deactivate(&mut self, now: SimTime, instance: u32) {
        let i = &self.instances[instance as usize];
        let free = (i.free_cpu, i.free_memory);
        let p = &mut self.providers[i.provider as usize];
        p.follow(now);
        p.active.remove(instance, free);
    }

    fn transition<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: u32,
        to: InstanceState,
        reason: &'static str,
        recorder: &mut R,
    ) {
        let i = &mut self.instances[instance as usize];
        let from = i.state;
        i.state = to;
        i.generation += 1;
        recorder.instance(&InstanceEvent {
            at: now,
            provider: i.provider as usize,
            instance: i.number,
            instance_type: i.type_index as usize,
            az: i.az,
            from: Some(from),
            to,
            reason,
        });
    }

    fn schedule_timer(&mut self, at: SimTime, instance: u32, queue: &mut EventQueue<Event>) {
        let generation = self.instances[instance as usize].generation;
        queue.schedule(at, Event::InstanceTimer { instance, generation });
    }

    /// An instance's timed state has ended: EC2 `pending` → `running` (billing starts), then the
    /// agent registers it.
    pub fn instance_timer<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        let i = &self.instances[instance as usize];
        if i.generation != generation {
            return;
        }
        let provider = i.provider as usize;
        match i.state {
            InstanceState::Pending => {
                self.transition(now, instance, InstanceState::Booting, "EC2 started the instance", recorder);
                self.start_billing(instance, now, queue);
                let delay = self.providers[provider].config.boot.sample(&mut self.providers[provider].rng);
                self.schedule_timer(now.after(delay), instance, queue);
            }
            InstanceState::Booting => {
                self.transition(now, instance, InstanceState::Active, "the container agent registered", recorder);
                self.register(now, instance);
            }
            InstanceState::Active | InstanceState::Draining | InstanceState::Terminated => {
                unreachable!("no timer runs in these states")
            }
        }
    }

    /// Takes an instance out of service: DRAINING while its tasks move, or straight to
    /// termination when it runs no non-daemon task.
    fn drain<R: Recorder>(&mut self, now: SimTime, instance: u32, reason: &'static str, recorder: &mut R) {
        let i = &self.instances[instance as usize];
        let (provider, state, busy) = (i.provider as usize, i.state, i.non_daemon_tasks > 0);
        self.deactivate(now, instance);
        let p = &mut self.providers[provider];
        p.in_service.retain(|&x| x != instance);
        if state == InstanceState::Active && busy {
            p.draining += 1;
            self.transition(now, instance, InstanceState::Draining, reason, recorder);
            self.work.drain.push(instance);
        } else {
            self.work.terminate.push(instance);
        }
    }

    /// Terminates an instance whose tasks have all stopped.
    pub fn terminate<R: Recorder>(&mut self, now: SimTime, instance: u32, recorder: &mut R) {
        let i = &self.instances[instance as usize];
        if i.state == InstanceState::Terminated {
            return; // asked twice: by its last task and by the scale-in that emptied it
        }
        debug_assert!(i.tasks.is_empty(), "tasks are stopped before their instance terminates");
        let (provider, state, type_index) = (i.provider as usize, i.state, i.type_index as usize);
        self.deactivate(now, instance);
        let p = &mut self.providers[provider];
        p.in_service.retain(|&x| x != instance);
        if matches!(state, InstanceState::Active | InstanceState::Draining) {
            let kind = &p.config.instance_types[type_index];
            p.registered.0 -= u64::from(kind.registered.cpu_units);
            p.registered.1 -= u64::from(kind.registered.memory_mib);
        }
        if state == InstanceState::Draining {
            p.draining -= 1;
        }
        if state != InstanceState::Pending {
            // Per second, a minute at least, from `running` (§6.1).
            let (since, rate) =
                (self.instances[instance as usize].running_since, self.instances[instance as usize].rate);
            let ran = now.since(since);
            let billed = billed_ms(ran, EC2_MINIMUM_BILLED_MS);
            let i = &mut self.instances[instance as usize];
            i.cost_closed += rate * now.since(i.cost_since) as f64 + (billed - ran) as f64 * rate;
            i.cost_since = now;
            i.billed_ms = billed;
            let p = &mut self.providers[provider];
            p.cost.change(now, -rate);
            p.cost.closed += (billed - ran) as f64 * rate;
            p.billed_closed_ms += billed;
            p.billed_live -= 1;
            p.billed_start_sum -= since.as_millis();
        }
        let i = &mut self.instances[instance as usize];
        i.service_tasks = Vec::new();
        i.eligible = Vec::new();
        i.terminated_at = Some(now);
        let reason = if i.interrupted { "Spot interruption" } else { "the group scaled in" };
        self.transition(now, instance, InstanceState::Terminated, reason, recorder);
    }

    // ----- the Auto Scaling groups -----

    /// Each minute: CapacityProviderReservation for every provider with managed scaling, its
    /// alarms and decision, then every group moves toward its desired capacity.
    pub fn scale<R: Recorder>(&mut self, now: SimTime, minute: bool, recorder: &mut R, queue: &mut EventQueue<Event>) {
        for provider in 0..self.providers.len() {
            if minute && let Some(settings) = self.providers[provider].config.managed_scaling {
                self.managed_scaling(provider, now, &settings, recorder);
            }
            self.move_to_desired(provider, now, recorder, queue);
        }
    }

    fn managed_scaling<R: Recorder>(
        &mut self,
        provider: usize,
        now: SimTime,
        settings: &crate::capacity::ManagedScaling,
        recorder: &mut R,
    ) {
        let p = &self.providers[provider];
        let running = p.in_service.len() as u32;
        let empty = p
            .in_service
            .iter()
            .filter(|&&i| {
                let i = &self.instances[i as usize];
                i.state == InstanceState::Active && i.non_daemon_tasks == 0
            })
            .count() as u32;
        let waiting_tasks: u32 = p.waiting_by_service.iter().sum();
        let needed = self.instances_needed(provider);
        let value = match needed {
            // Tasks wait but none fits the smallest type: "remains at 100%"; or every one will
            // fit on an instance already launching: M = N.
            None if waiting_tasks > 0 => 100.0,
            _ => reservation(running, needed, empty, settings),
        };
        let p = &mut self.providers[provider];
        p.last_reservation = Some(value);
        let signal = p.alarms.push(value, f64::from(settings.target_capacity));
        let proposed = group_capacity(signal, running, needed.is_some(), empty, value, settings);
        let desired = p.desired;
        let (direction, wanted) = match signal {
            Signal::Quiet => return,
            Signal::High => (Direction::Out, proposed.max(desired)),
            Signal::Low => (Direction::In, proposed.min(desired)),
        };
        let warming = direction == Direction::Out
            && p.in_service
                .iter()
                .any(|&i| now.since(self.instances[i as usize].launched_at) < settings.instance_warmup_period_ms);
        let (new_desired, limited_by) = if warming && wanted > desired {
            (desired, Some("instance_warmup"))
        } else if wanted > p.config.max_size {
            (p.config.max_size.max(desired.min(p.config.max_size)), Some("max_size"))
        } else if wanted < p.config.min_size {
            (p.config.min_size, Some("min_size"))
        } else {
            (wanted, None)
        };
        let hold = (new_desired == desired).then_some(limited_by).flatten().map(|l| (direction, l));
        let repeated = hold.is_some() && hold == p.held;
        p.held = hold;
        if (new_desired == desired && hold.is_none()) || repeated {
            return;
        }
        match direction {
            Direction::Out if new_desired > desired => p.summary.scale_outs += 1,
            Direction::In if new_desired < desired => p.summary.scale_ins += 1,
            _ => {}
        }
        p.desired = new_desired;
        recorder.group_scaling(&GroupScalingEvent {
            at: now,
            provider,
            direction,
            reservation: value,
            instances: running,
            empty,
            waiting_tasks,
            desired_before: desired,
            proposed,
            desired_after: new_desired,
            limited_by,
        });
    }

    /// The scale-out estimate: waiting tasks grouped by identical needs, binpacked on the
    /// provider's largest type, groups that the smallest cannot run left out (§4.2).
    fn instances_needed(&self, provider: usize) -> Option<u32> {
        let p = &self.providers[provider];
        let mut groups: Vec<(TaskNeeds, u32)> = Vec::new();
        for (service, &count) in p.waiting_by_service.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let config = &self.scenario.services[service];
            let (cpu, memory, eni, port) = Self::needs(config);
            let distinct = config.ec2().is_some_and(|e| e.constraints.contains(&Constraint::DistinctInstance));
            let needs =
                TaskNeeds { cpu_units: cpu, memory_mib: memory, eni, one_per_instance: port.is_some() || distinct };
            match groups.iter_mut().find(|(n, _)| *n == needs) {
                Some((_, c)) => *c += count,
                None => groups.push((needs, count)),
            }
        }
        // "Tasks the customer is trying to run that don't fit on the existing instances"
        // (§4.2): the instances the group has launched exist, and N counts them, so the tasks
        // they will hold once registered (each taken empty, for one group) are not counted again.
        // Otherwise, with a short `instance_warmup_period`, a scale-out would be asked for
        // again every minute until the instances register.
        let mut launching: Vec<InstanceShape> = p
            .in_service
            .iter()
            .map(|&i| &self.instances[i as usize])
            .filter(|i| matches!(i.state, InstanceState::Pending | InstanceState::Booting))
            .map(|i| InstanceShape { cpu_units: i.free_cpu, memory_mib: i.free_memory, task_enis: i.free_enis })
            .collect();
        for (needs, count) in &mut groups {
            launching.retain(|shape| {
                let fit = tasks_per_instance(needs, shape);
                if *count == 0 || fit == 0 {
                    return true;
                }
                *count = count.saturating_sub(fit);
                false
            });
        }
        groups.retain(|(_, count)| *count > 0);
        if groups.is_empty() {
            return None;
        }
        let settings = p.config.managed_scaling.expect("managed scaling");
        let (smallest, largest) = &p.shape_bounds;
        instances_needed(&groups, smallest, largest, settings.groups)
    }

    /// Launches or removes instances until the group matches its desired capacity. On scale-in
    /// the ASG keeps its zones balanced: an instance of the zone with the most; there ecsim
    /// takes the one with the fewest non-daemon tasks, then the newest (AWS's later tie-breaks,
    /// launch template age and billing hour, do not apply here). Managed termination protection
    /// keeps every instance that runs a non-daemon task, and those not registered yet.
    fn move_to_desired<R: Recorder>(
        &mut self,
        provider: usize,
        now: SimTime,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        while (self.providers[provider].in_service.len() as u32) < self.providers[provider].desired {
            let instance = self.launch(provider, now, InstanceState::Pending, recorder);
            let p = &mut self.providers[provider];
            let delay = p.config.pending.sample(&mut p.rng);
            self.schedule_timer(now.after(delay), instance, queue);
        }
        while (self.providers[provider].in_service.len() as u32) > self.providers[provider].desired {
            let p = &self.providers[provider];
            let protected = p.config.managed_termination_protection;
            let removable = |i: &u32| {
                let i = &self.instances[*i as usize];
                !protected || (i.state == InstanceState::Active && i.non_daemon_tasks == 0)
            };
            let mut zone_sizes = vec![0usize; p.config.availability_zones as usize];
            for &i in &p.in_service {
                zone_sizes[self.instances[i as usize].az as usize] += 1;
            }
            let Some(&instance) = p.in_service.iter().filter(|i| removable(i)).max_by_key(|&&i| {
                let i_ref = &self.instances[i as usize];
                (zone_sizes[i_ref.az as usize], std::cmp::Reverse(i_ref.non_daemon_tasks), i)
            }) else {
                return; // every instance is protected: the ASG waits
            };
            if p.config.managed_draining {
                self.drain(now, instance, "managed draining before scale-in", recorder);
            } else {
                self.deactivate(now, instance);
                self.providers[provider].in_service.retain(|&x| x != instance);
                self.work.terminate.push(instance);
            }
        }
    }

    // ----- series and summary -----

    /// At a tick: closes the last tick's demand and sets the instances each provider's share of
    /// the `demanded` tasks (per service) needs: the scale-out estimate's binpack (§4.2) over
    /// those tasks, as if they all waited. A service on several providers is split as its
    /// strategy splits launches; one on launch type EC2 counts where there is one provider.
    pub fn set_demand(&mut self, now: SimTime, demanded: &[u32]) {
        let providers = self.providers.len();
        let mut groups: Vec<Vec<(TaskNeeds, u32)>> = vec![Vec::new(); providers];
        for (service, &count) in demanded.iter().enumerate() {
            let config = &self.scenario.services[service];
            let Some(placement) = config.ec2() else { continue };
            if count == 0 || config.is_daemon() {
                continue;
            }
            let (cpu, memory, eni, port) = Self::needs(config);
            let distinct = placement.constraints.contains(&Constraint::DistinctInstance);
            let needs =
                TaskNeeds { cpu_units: cpu, memory_mib: memory, eni, one_per_instance: port.is_some() || distinct };
            let split: Vec<(usize, u32)> = match placement.providers.as_slice() {
                [] if providers == 1 => vec![(0, count)],
                [] => Vec::new(),
                [(provider, _)] => vec![(*provider, count)],
                several => {
                    let shares: Vec<Share> = several.iter().map(|(_, share)| *share).collect();
                    let tasks = split(config.strategy_split, &shares, count);
                    several.iter().map(|(provider, _)| *provider).zip(tasks).collect()
                }
            };
            for (provider, tasks) in split {
                match groups[provider].iter_mut().find(|(n, _)| *n == needs) {
                    Some((_, c)) => *c += tasks,
                    None => groups[provider].push((needs, tasks)),
                }
            }
        }
        for (p, groups) in self.providers.iter_mut().zip(groups) {
            p.follow(now);
            if now > SimTime::ZERO {
                p.elasticity.tick(p.demand, p.active.len() as u32);
            }
            let (smallest, largest) = &p.shape_bounds;
            p.demand = instances_needed(&groups, smallest, largest, GroupCombination::Sum).unwrap_or(0);
        }
    }

    /// Samples the reservation metrics and instance counts once per tick.
    pub fn sample_tick(&mut self) {
        for p in &mut self.providers {
            let pending = p
                .in_service
                .iter()
                .filter(|&&i| {
                    matches!(self.instances[i as usize].state, InstanceState::Pending | InstanceState::Booting)
                })
                .count() as u32;
            let interval = &mut p.interval;
            interval.pending_max = interval.pending_max.max(pending);
            interval.active_max = interval.active_max.max(p.active.len() as u32);
            interval.draining_max = interval.draining_max.max(p.draining);
            interval.provisioning_max = interval.provisioning_max.max(p.waiting_by_service.iter().sum());
            if p.registered.0 > 0 {
                let cpu = 100.0 * p.reserved.0 as f64 / p.registered.0 as f64;
                let memory = 100.0 * p.reserved.1 as f64 / p.registered.1 as f64;
                interval.cpu_sum += cpu;
                interval.memory_sum += memory;
                interval.samples += 1;
                p.reservation_sums.0 += cpu;
                p.reservation_sums.1 += memory;
                p.reservation_sums.2 += 1;
            }
        }
    }

    pub fn emit_series<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        for (provider, p) in self.providers.iter_mut().enumerate() {
            let cost = p.cost.at(now);
            let idle = cost - p.allocated.at(now);
            let interval = &p.interval;
            let mean = |sum: f64| (interval.samples > 0).then(|| sum / f64::from(interval.samples));
            recorder.provider_series(&ProviderRow {
                start: interval.start,
                end: now,
                provider,
                pending_max: interval.pending_max,
                active_max: interval.active_max,
                draining_max: interval.draining_max,
                desired: p.desired,
                reservation: p.last_reservation,
                cpu_reservation: mean(interval.cpu_sum),
                memory_reservation: mean(interval.memory_sum),
                provisioning_max: interval.provisioning_max,
                cost_usd: cost - interval.cost_at_start,
                cumulative_cost_usd: cost,
                idle_cost_usd: idle - interval.idle_at_start,
            });
            p.interval = ProviderInterval {
                start: now,
                cost_at_start: cost,
                idle_at_start: idle,
                ..ProviderInterval::default()
            };
        }
    }

    /// Every instance's life and bill; those still running are billed to the end exactly.
    pub fn instance_summaries(&self, end_ms: u64) -> Vec<InstanceSummary> {
        let end = SimTime::from_millis(end_ms);
        self.instances
            .iter()
            .map(|i| {
                let live = i.terminated_at.is_none() && i.started;
                InstanceSummary {
                    provider: i.provider as usize,
                    instance: i.number,
                    instance_type: i.type_index as usize,
                    az: i.az,
                    launched: i.launched_at,
                    running: i.started.then_some(i.running_since),
                    terminated: i.terminated_at,
                    billed_ms: if live { end.since(i.running_since) } else { i.billed_ms },
                    cost_usd: if live {
                        i.cost_closed + i.rate * end.since(i.cost_since) as f64
                    } else {
                        i.cost_closed
                    },
                    spot_interrupted: i.interrupted,
                }
            })
            .collect()
    }

    /// Totals at the end. Instances still running are billed to the end of the window exactly,
    /// as live tasks are.
    pub fn summaries(&self, end_ms: u64) -> Vec<ProviderSummary> {
        let end = SimTime::from_millis(end_ms);
        self.providers
            .iter()
            .map(|p| {
                let cost = p.cost.at(end);
                let (cpu, memory, n) = p.reservation_sums;
                // The last span and tick, to the end of the run.
                let mut elasticity = p.elasticity.clone();
                elasticity.span(p.demand, p.active.len() as u32, end.since(p.followed_to));
                elasticity.tick(p.demand, p.active.len() as u32);
                ProviderSummary {
                    elasticity: elasticity.metrics(end_ms),
                    billed_ms: p.billed_closed_ms + p.billed_live * end_ms - p.billed_start_sum,
                    cost_usd: cost,
                    idle_cost_usd: cost - p.allocated.at(end),
                    cpu_reservation_mean: (n > 0).then(|| cpu / n as f64),
                    memory_reservation_mean: (n > 0).then(|| memory / n as f64),
                    ..p.summary.clone()
                }
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::scenario::{self, Overrides};
    use crate::sim::{MemoryRecorder, run};

    #[test]
    fn an_instance_pays_for_a_minute_at_least_from_running_and_by_the_second_after() {
        let text = r#"
version = 1
name = "billing"
duration = "1h"
[loads.l]
shape = "constant"
value = 1.0
[capacity_providers.p]
instance_types = ["m5.large"]
min_size = 0
max_size = 2
pending = "30s"
[services.s]
load = "l"
capacity_provider_strategy = [{ capacity_provider = "p" }]
cpu = 256
memory = 512
requests_per_task = 10.0
desired_count = 0
min_capacity = 0
max_capacity = 1
"#;
        let loaded = scenario::parse(Path::new("b.toml"), text, Path::new("."), &Overrides::default()).unwrap();
        let mut cluster = Cluster::new(&loaded.scenario);
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        cluster.start(&mut recorder, &mut queue);
        cluster.providers[0].desired = 2;
        cluster.scale(SimTime::ZERO, false, &mut recorder, &mut queue);
        // Both leave EC2 `pending` at 30 s: billing starts there, not at the launch.
        while let Some((now, Event::InstanceTimer { instance, generation })) = queue.pop() {
            if now.as_millis() > 30_000 {
                break;
            }
            cluster.instance_timer(now, instance, generation, &mut recorder, &mut queue);
        }
        // One runs 20 s: "we charge for a full one minute"; the other 3 min 40 s: "exactly".
        cluster.terminate(SimTime::from_millis(50_000), 0, &mut recorder);
        cluster.terminate(SimTime::from_millis(250_000), 1, &mut recorder);
        let summary = &cluster.summaries(3_600_000)[0];
        assert_eq!(summary.billed_ms, 60_000 + 220_000);
        assert!((summary.cost_usd - 0.096 * 280.0 / 3600.0).abs() < 1e-15);
        let instances = cluster.instance_summaries(3_600_000);
        assert_eq!(instances.iter().map(|i| i.billed_ms).collect::<Vec<_>>(), [60_000, 220_000]);
    }

    /// Under test, `choose_instance` checks every binpack choice made through the ordered index
    /// against the scan of all ACTIVE instances; these runs make tens of thousands of them,
    /// with boot times that vary (instances register out of launch order) and with binpack
    /// both alone and after a spread.
    #[test]
    fn the_binpack_index_chooses_as_the_scan_does() {
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let bench = std::fs::read_to_string(scenarios.join("bench/ec2-services-20.toml")).unwrap();
        let jittery = bench
            .replace("desired_capacity = 150", "desired_capacity = 150\nboot = { distribution = \"uniform\", min = \"20s\", max = \"3m\" }")
            .replacen("duration = \"30d\"", "duration = \"5d\"", 1)
            .replace(
                "placement_strategy = [{ type = \"binpack\", field = \"memory\" }]",
                "placement_strategy = [{ type = \"binpack\", field = \"cpu\" }, { type = \"spread\", field = \"instanceId\" }]",
            );
        assert_ne!(bench, jittery);
        let mut texts = vec![bench, jittery];
        for file in ["ec2-binpack.toml", "ec2-daemon.toml"] {
            texts.push(std::fs::read_to_string(scenarios.join(file)).unwrap());
        }
        for text in texts {
            let loaded = scenario::parse(Path::new("t.toml"), &text, &scenarios, &Overrides::default()).unwrap();
            let outcome = run(&loaded.scenario, &mut MemoryRecorder::default());
            assert!(outcome.services.iter().map(|s| s.tasks_launched).sum::<u64>() > 8);
        }
    }
}
