//! Invariants of the EC2 side over random clusters (proptest): replaying the run's records, no
//! instance is ever over-committed (CPU, memory, ENIs, static ports), every task runs on an
//! ACTIVE or DRAINING instance and is gone before its instance terminates, billed instance
//! time stays within wall time × instances launched, and the services' shares plus the idle
//! capacity add up to the EC2 bill.

use std::collections::BTreeMap;

use ecsim::config::NetworkMode;
use ecsim::ecs::{InstanceState, TaskState};
use ecsim::scenario::{self, Overrides};
use ecsim::sim::{self, MemoryRecorder};
use proptest::prelude::*;

const TYPES: [&str; 5] = ["m5.large", "m6i.xlarge", "c5.large", "t3.medium", "r5.large"];
const STRATEGIES: [&str; 6] = [
    "[]",
    r#"[{ type = "binpack", field = "cpu" }]"#,
    r#"[{ type = "binpack", field = "memory" }]"#,
    r#"[{ type = "spread", field = "instanceId" }]"#,
    r#"[{ type = "random" }]"#,
    r#"[{ type = "spread", field = "attribute:ecs.availability-zone" }, { type = "binpack", field = "memory" }]"#,
];
const NETWORK: [&str; 4] = [
    r#"network_mode = "awsvpc""#,
    r#"network_mode = "bridge""#,
    "network_mode = \"bridge\"\nhost_port = 8080",
    "network_mode = \"host\"\nhost_port = 9000",
];

#[derive(Debug, Clone)]
struct Cluster {
    instance_type: usize,
    managed: bool,
    target: u32,
    max_step: u32,
    protection: bool,
    spot_rate: f64,
    draining: bool,
    network: usize,
    strategy: usize,
    distinct: bool,
    daemon: bool,
    cpu: u32,
    memory: u32,
    mean: f64,
    min_tasks: u32,
}

fn cluster() -> impl Strategy<Value = Cluster> {
    (
        (0..TYPES.len(), any::<bool>(), 50u32..=100, 1u32..20, any::<bool>(), prop_oneof![Just(0.0), 0.01f64..0.3]),
        (any::<bool>(), 0..NETWORK.len(), 0..STRATEGIES.len(), any::<bool>(), any::<bool>()),
        (prop_oneof![Just(256u32), Just(512), Just(1024)], prop_oneof![Just(512u32), Just(1024), Just(2048)]),
        (100.0f64..2500.0, 1u32..4),
    )
        .prop_map(
            |(
                (instance_type, managed, target, max_step, protection, spot_rate),
                (draining, network, strategy, distinct, daemon),
                (cpu, memory),
                (mean, min_tasks),
            )| Cluster {
                instance_type,
                managed,
                target,
                max_step,
                protection: protection && managed,
                spot_rate,
                draining,
                network,
                strategy,
                distinct,
                daemon,
                cpu,
                memory,
                mean,
                min_tasks,
            },
        )
}

fn scenario_text(c: &Cluster) -> String {
    let managed = if c.managed {
        format!("managed_scaling = {{ target_capacity = {}, maximum_scaling_step_size = {} }}", c.target, c.max_step)
    } else {
        String::new()
    };
    let spot = if c.spot_rate > 0.0 {
        format!(
            "spot = {{ price = 0.4, interruptions_per_hour = {}, instance_draining = {} }}",
            c.spot_rate, c.draining
        )
    } else {
        String::new()
    };
    let distinct = if c.distinct { r#"placement_constraints = [{ type = "distinctInstance" }]"# } else { "" };
    let daemon = if c.daemon {
        r#"
[services.agent]
scheduling_strategy = "DAEMON"
capacity_provider_strategy = [{ capacity_provider = "asg" }]
cpu = 128
memory = 128
"#
    } else {
        ""
    };
    format!(
        r#"
version = 1
name = "prop-ec2"
duration = "8h"
seed = 17
[loads.l]
shape = "diurnal"
mean = {mean}
amplitude = 0.8
peak = "04:00"
noise = {{ kind = "normal", sd = 0.1 }}
[capacity_providers.asg]
instance_types = ["{kind}"]
min_size = {min_size}
max_size = 12
desired_capacity = 2
pending = {{ distribution = "uniform", min = "10s", max = "40s" }}
boot = {{ distribution = "uniform", min = "30s", max = "90s" }}
managed_termination_protection = {protection}
{managed}
{spot}
{daemon}
[services.web]
load = "l"
capacity_provider_strategy = [{{ capacity_provider = "asg" }}]
{network}
placement_strategy = {strategy}
{distinct}
cpu = {cpu}
memory = {memory}
requests_per_task = 100.0
desired_count = {min_tasks}
min_capacity = {min_tasks}
max_capacity = 30
[[services.web.target_tracking]]
metric = "cpu"
target_value = 60.0
scale_in_cooldown = "2m"
"#,
        mean = c.mean,
        kind = TYPES[c.instance_type],
        min_size = if c.managed { 0 } else { 2 },
        protection = c.protection,
        network = NETWORK[c.network],
        strategy = STRATEGIES[c.strategy],
        cpu = c.cpu,
        memory = c.memory,
        min_tasks = c.min_tasks,
    )
}

/// What one instance has given out.
#[derive(Default, Debug)]
struct Held {
    cpu: u32,
    memory: u32,
    enis: u32,
    ports: u32,
    tasks: u32,
    /// Tasks of the replica service `web` (declared last).
    web_tasks: u32,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn instances_are_never_over_committed_and_the_bill_adds_up(c in cluster()) {
        let text = scenario_text(&c);
        let loaded = scenario::parse(std::path::Path::new("prop.toml"), &text, std::path::Path::new("."), &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let scenario = &loaded.scenario;
        let mut recorder = MemoryRecorder::default();
        let outcome = sim::run(scenario, &mut recorder);
        prop_assert!(recorder.tasks.len() >= 2 && !recorder.instances.is_empty());
        let provider = &scenario.providers[0];
        let kind = &provider.instance_types[0];

        // Replay task and instance records in time order. At one instant, launches and
        // registrations come before the tasks they allow, and terminations after the tasks
        // they stop (the order the world records them in).
        let mut states: BTreeMap<u64, InstanceState> = BTreeMap::new();
        let mut held: BTreeMap<u64, Held> = BTreeMap::new();
        let mut placed: BTreeMap<u64, u64> = BTreeMap::new(); // task → instance
        let (mut t, mut i) = (0, 0);
        while t < recorder.tasks.len() || i < recorder.instances.len() {
            let take_instance = i < recorder.instances.len()
                && (t == recorder.tasks.len()
                    || recorder.instances[i].at < recorder.tasks[t].at
                    || (recorder.instances[i].at == recorder.tasks[t].at
                        && recorder.instances[i].to != InstanceState::Terminated));
            if take_instance {
                let e = &recorder.instances[i];
                i += 1;
                if e.to == InstanceState::Terminated {
                    let left = held.get(&e.instance).map_or(0, |h| h.tasks);
                    prop_assert_eq!(left, 0, "instance {} terminated with tasks on it", e.instance);
                }
                states.insert(e.instance, e.to);
                continue;
            }
            let e = &recorder.tasks[t];
            t += 1;
            let config = &scenario.services[e.service];
            let placement = config.ec2().unwrap();
            if let Some(instance) = e.instance && !placed.contains_key(&e.task) {
                placed.insert(e.task, instance);
                let h = held.entry(instance).or_default();
                h.cpu += config.cpu;
                h.memory += config.task_size(0).reserved_memory_mib();
                h.enis += u32::from(placement.network_mode == NetworkMode::Awsvpc);
                h.ports += u32::from(placement.host_port.is_some());
                h.tasks += 1;
                h.web_tasks += u32::from(e.service == scenario.services.len() - 1);
                prop_assert!(h.cpu <= kind.registered.cpu_units, "CPU over-committed on {}: {:?}", instance, h);
                prop_assert!(h.memory <= kind.registered.memory_mib, "memory over-committed on {}: {:?}", instance, h);
                prop_assert!(h.enis <= kind.awsvpc_tasks, "ENIs over-committed on {}: {:?}", instance, h);
                prop_assert!(h.ports <= 1, "a static port twice on {}", instance);
                if c.distinct && e.service == scenario.services.len() - 1 {
                    prop_assert!(h.web_tasks <= 1, "distinctInstance broken on {}", instance);
                }
            }
            if e.to == TaskState::Running {
                let state = e.instance.and_then(|n| states.get(&n).copied());
                prop_assert!(
                    matches!(state, Some(InstanceState::Active | InstanceState::Draining)),
                    "task {} RUNNING on instance {:?} in state {:?}", e.task, e.instance, state
                );
            }
            if e.to == TaskState::Stopped && let Some(instance) = placed.remove(&e.task) {
                let h = held.get_mut(&instance).unwrap();
                h.cpu -= config.cpu;
                h.memory -= config.task_size(0).reserved_memory_mib();
                h.enis -= u32::from(placement.network_mode == NetworkMode::Awsvpc);
                h.ports -= u32::from(placement.host_port.is_some());
                h.tasks -= 1;
                h.web_tasks -= u32::from(e.service == scenario.services.len() - 1);
            }
        }

        let p = &outcome.providers[0];
        prop_assert!(p.billed_ms <= scenario.duration_ms * p.instances_launched.max(1));
        prop_assert!(p.idle_cost_usd >= -1e-9, "idle {}", p.idle_cost_usd);
        let allocated: f64 = outcome.services.iter().map(|s| s.cost_usd()).sum();
        prop_assert!((allocated + p.idle_cost_usd - p.cost_usd).abs() <= 1e-9 * p.cost_usd.max(1.0));
        let expected_rate = if c.spot_rate > 0.0 { 0.4 } else { 1.0 } * kind.instance.on_demand_hour_usd;
        prop_assert!(p.cost_usd <= expected_rate * p.billed_ms as f64 / 3.6e6 * (1.0 + 1e-9) + 1e-12);
    }
}
