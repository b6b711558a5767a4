//! Benchmarks of whole runs as a user runs them (scenario loaded, every output written) and
//! of the parts underneath. Each timed closure checks its result, so a bench that silently
//! stopped doing the work would fail rather than look fast.
//!
//! `cargo bench` to measure; CI only compiles them (`cargo bench --no-run`).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ecsim::engine::{EventQueue, SimTime, stream};
use ecsim::placement::{
    AVAILABILITY_ZONE, ActiveInstances, Candidates, Resource, SpreadField, Strategy, choose, replica_default,
};
use ecsim::scenario::{self, Overrides};
use ecsim::sim::{
    self, DeploymentEvent, GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder, ScalingEvent,
    ScheduledEvent, SeriesRow, TaskEvent,
};

fn scenario_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench").join(name)
}

/// The whole `ecsim run`: parse and validate, simulate, write the output files (all of them, or
/// the summaries alone). `benches/peers.rs` times the same as whole processes beside the peers.
fn whole_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("ecsim_run");
    group.sample_size(10);
    let (all, summaries) = (ecsim::report::Outputs::ALL, ecsim::report::Outputs::SUMMARY);
    for (label, file, outputs) in [
        ("1 service x 30 days", "services-1.toml", all),
        ("100 services x 30 days", "services-100.toml", all),
        ("100 services x 30 days, target tracking + step + scheduled", "services-100-all-policies.toml", all),
        ("100 services x 30 days, a daily deployment each", "services-100-deployments.toml", all),
        ("EC2: 20 services x 30 days on 100-300 instances, managed scaling + binpack", "ec2-services-20.toml", all),
        // The sweep path (`--outputs summary`), and the same at ten times the services.
        ("1 service x 30 days, summaries only", "services-1.toml", summaries),
        ("100 services x 30 days, summaries only", "services-100.toml", summaries),
        ("1,000 services x 30 days, summaries only", "services-1000.toml", summaries),
    ] {
        let out = tempfile::tempdir().unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                let loaded = scenario::load(&scenario_path(file), &Overrides::default()).unwrap();
                let (outcome, summary) = ecsim::report::run_into(
                    out.path(),
                    &loaded.scenario,
                    &loaded.warnings,
                    outputs,
                    false,
                    &ecsim::report::Progress::hidden(),
                )
                .unwrap();
                let total = &summary.total;
                assert!(total.cost_usd > 0.0 && total.scale_outs > 0);
                assert!(
                    (total.requests_served + total.requests_unserved - total.requests_offered).abs()
                        <= 1e-6 * total.requests_offered
                );
                black_box(outcome)
            })
        });
    }
    group.finish();
}

/// Counts records and drops them: the simulation without output.
struct Counter(u64);

impl Recorder for Counter {
    fn task(&mut self, _: &TaskEvent) {
        self.0 += 1;
    }
    fn scaling(&mut self, _: &ScalingEvent) {
        self.0 += 1;
    }
    fn scheduled(&mut self, _: &ScheduledEvent) {
        self.0 += 1;
    }
    fn deployment(&mut self, _: &DeploymentEvent) {
        self.0 += 1;
    }
    fn series(&mut self, _: &SeriesRow) {
        self.0 += 1;
    }
    fn instance(&mut self, _: &InstanceEvent) {
        self.0 += 1;
    }
    fn group_scaling(&mut self, _: &GroupScalingEvent) {
        self.0 += 1;
    }
    fn placement_failure(&mut self, _: &PlacementFailure) {
        self.0 += 1;
    }
    fn provider_series(&mut self, _: &ProviderRow) {
        self.0 += 1;
    }
}

fn simulation_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulation_only");
    group.sample_size(10);
    for (label, file) in [
        ("100 services x 30 days", "services-100.toml"),
        ("100 services x 30 days, a daily deployment each", "services-100-deployments.toml"),
    ] {
        let loaded = scenario::load(&scenario_path(file), &Overrides::default()).unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut counter = Counter(0);
                let outcome = sim::run(&loaded.scenario, &mut counter);
                // 100 services × 720 hourly series rows, plus every task and scaling record.
                assert!(counter.0 > 72_000 && outcome.services.len() == 100);
                black_box(outcome)
            })
        });
    }
    group.finish();
}

/// The engine alone: a million events through the queue, 1,000 pending at a time.
fn event_queue(c: &mut Criterion) {
    c.bench_function("event_queue: 1M schedule+pop, 1k pending", |b| {
        b.iter(|| {
            let mut queue = EventQueue::new();
            for i in 0..1_000u64 {
                queue.schedule(SimTime::from_millis(i * 7 % 1_000), i);
            }
            let mut popped = 0u64;
            while let Some((now, event)) = queue.pop() {
                popped += 1;
                if popped <= 999_000 {
                    queue.schedule(now.after(1 + event % 997), event);
                }
            }
            assert_eq!(popped, 1_000_000);
        })
    });
}

/// 300 ACTIVE instances in 3 zones with uneven room, and the placing service's tasks on them.
struct Fleet {
    /// Per instance: zone, free CPU units, free MiB, the service's tasks.
    instances: Vec<(u32, u32, u32, u32)>,
    zone_tasks: [u32; 3],
}

impl Candidates for Fleet {
    fn free_cpu(&self, i: u32) -> u32 {
        self.instances[i as usize].1
    }
    fn free_memory(&self, i: u32) -> u32 {
        self.instances[i as usize].2
    }
    fn tasks_on(&self, i: u32) -> u32 {
        self.instances[i as usize].3
    }
    fn tasks_in_zone(&self, i: u32) -> u32 {
        self.zone_tasks[self.instances[i as usize].0 as usize]
    }
    fn tasks_with_same(&self, i: u32, _: &str) -> u32 {
        self.tasks_in_zone(i)
    }
}

/// One placement decision as every EC2 task launch makes it: the room check over all 300
/// instances, then the strategies; and binpack through the instances ordered by free memory,
/// as the simulation does when binpack comes first.
fn placement(c: &mut Criterion) {
    let instances: Vec<(u32, u32, u32, u32)> =
        (0..300u32).map(|i| (i % 3, (i * 37) % 4096, (i * 7919) % 15_974, i % 5)).collect();
    let mut zone_tasks = [0; 3];
    for &(zone, _, _, tasks) in &instances {
        zone_tasks[zone as usize] += tasks;
    }
    let fleet = Fleet { instances, zone_tasks };
    let mut group = c.benchmark_group("placement: one task launch over 300 instances");
    for (label, strategies) in [
        ("binpack memory", vec![Strategy::Binpack(Resource::Memory)]),
        ("default (spread zone, then instance)", replica_default().to_vec()),
        (
            "spread zone, then binpack memory",
            vec![
                Strategy::Spread(SpreadField::Attribute(AVAILABILITY_ZONE.into())),
                Strategy::Binpack(Resource::Memory),
            ],
        ),
    ] {
        let mut rng = stream(1, "bench");
        group.bench_function(label, |b| {
            b.iter(|| {
                let (cpu, memory) = (black_box(1024), black_box(2048));
                let candidates: Vec<u32> = (0..fleet.instances.len() as u32)
                    .filter(|&i| fleet.free_cpu(i) >= cpu && fleet.free_memory(i) >= memory)
                    .collect();
                let chosen = choose(candidates, &strategies, &fleet, &mut rng).expect("room somewhere");
                assert!(fleet.free_cpu(chosen) >= cpu);
                chosen
            })
        });
    }
    let mut active = ActiveInstances::new((256, 512));
    for (i, &(_, cpu, memory, _)) in fleet.instances.iter().enumerate() {
        active.insert(i as u32, (cpu, memory));
    }
    let mut rng = stream(1, "bench");
    group.bench_function("binpack memory, instances ordered by free memory", |b| {
        b.iter(|| {
            let (cpu, memory) = (black_box(1024), black_box(2048));
            let tightest = active.tightest(Resource::Memory, memory, |i| fleet.free_cpu(i) >= cpu);
            let chosen = choose(tightest, &[], &fleet, &mut rng).expect("room somewhere");
            assert!(fleet.free_cpu(chosen) >= cpu && fleet.free_memory(chosen) >= memory);
            chosen
        })
    });
    group.finish();
}

/// `ecsim sweep` of 1,000 one-service months, summaries only, on one thread and on two.
fn sweep(c: &mut Criterion) {
    use ecsim::batch::sweep::{self, Settings};
    let mut group = c.benchmark_group("ecsim_sweep");
    group.sample_size(10);
    for jobs in [1, 2] {
        let out = tempfile::tempdir().unwrap();
        group.bench_function(format!("1,000 runs of 1 service x 30 days, --jobs {jobs}"), |b| {
            b.iter(|| {
                let plan =
                    scenario::load_sweep(&scenario_path("sweep-1000.toml"), &Overrides::default(), None).unwrap();
                let settings = Settings {
                    out: out.path().to_owned(),
                    jobs: Some(jobs),
                    keep_runs: false,
                    resume: false,
                    shard: None,
                    goal: None,
                    precision: None,
                };
                let outcome = sweep::run(&plan, &settings, &ecsim::report::Progress::hidden()).unwrap();
                assert_eq!((outcome.runs, outcome.failed.len(), outcome.points.len()), (1000, 0, 10));
                black_box(outcome.points)
            })
        });
    }
    group.finish();
}

/// `ecsim plot` of a run's folder: its files read back, every chart drawn as SVG and PNG, and
/// `report.html` written (the part `--no-charts` leaves out).
fn charts(c: &mut Criterion) {
    let mut group = c.benchmark_group("ecsim_charts");
    group.sample_size(10);
    for (label, file) in [("1 service x 30 days", "services-1.toml"), ("100 services x 30 days", "services-100.toml")] {
        let out = tempfile::tempdir().unwrap();
        let loaded = scenario::load(&scenario_path(file), &Overrides::default()).unwrap();
        ecsim::report::run_into(
            out.path(),
            &loaded.scenario,
            &loaded.warnings,
            ecsim::report::Outputs::ALL,
            false,
            &ecsim::report::Progress::hidden(),
        )
        .unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                ecsim::report::illustrate_run(out.path()).unwrap();
                let report = std::fs::metadata(out.path().join("report.html")).unwrap();
                assert!(report.len() > 10_000);
                black_box(report)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_run, simulation_only, placement, event_queue, sweep, charts);
criterion_main!(benches);
