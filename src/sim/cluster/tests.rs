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
