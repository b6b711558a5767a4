//! Benchmarks of whole runs as a user runs them (scenario loaded, every output written) and
//! of the parts underneath. Each timed closure checks its result, so a bench that silently
//! stopped doing the work would fail rather than look fast.
//!
//! `cargo bench` to measure; CI only compiles them (`cargo bench --no-run`).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ecsim::engine::{EventQueue, SimTime};
use ecsim::scenario::{self, Overrides};
use ecsim::sim::{
    self, GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder, ScalingEvent, ScheduledEvent,
    SeriesRow, TaskEvent,
};

fn scenario_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench").join(name)
}

/// The whole `ecsim run`: parse and validate, simulate, write the five output files.
fn whole_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("ecsim_run");
    group.sample_size(10);
    for (label, file) in [
        ("1 service x 30 days", "services-1.toml"),
        ("100 services x 30 days", "services-100.toml"),
        ("100 services x 30 days, target tracking + step + scheduled", "services-100-all-policies.toml"),
    ] {
        let out = tempfile::tempdir().unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                let loaded = scenario::load(&scenario_path(file), &Overrides::default()).unwrap();
                let (outcome, summary) =
                    ecsim::report::run_into(out.path(), &loaded.scenario, &loaded.warnings).unwrap();
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
    let loaded = scenario::load(&scenario_path("services-100.toml"), &Overrides::default()).unwrap();
    let mut group = c.benchmark_group("simulation_only");
    group.sample_size(10);
    group.bench_function("100 services x 30 days", |b| {
        b.iter(|| {
            let mut counter = Counter(0);
            let outcome = sim::run(&loaded.scenario, &mut counter);
            // 100 services × 720 hourly series rows, plus every task and scaling record.
            assert!(counter.0 > 72_000 && outcome.services.len() == 100);
            black_box(outcome)
        })
    });
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

criterion_group!(benches, whole_run, simulation_only, event_queue);
criterion_main!(benches);
