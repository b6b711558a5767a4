use super::*;

mod tests_support {
    use super::*;
    use crate::engine::Delay;
    use crate::pricing::{CpuArchitecture, US_EAST_1_LINUX_X86};

    /// One 0.5 vCPU / 1 GB task, 20 s provisioning, 60 s startup, 30 s stop timeout, no policy.
    pub fn config() -> ServiceConfig {
        ServiceConfig {
            name: "svc".into(),
            load: Some(0),
            cpu: 512,
            memory: 1024,
            cpu_architecture: CpuArchitecture::X86_64,
            launch: Launch::Fargate(crate::config::FargateLaunch {
                rates: US_EAST_1_LINUX_X86,
                spot_rates: US_EAST_1_LINUX_X86,
                strategy: vec![(false, crate::capacity::Share { base: 0, weight: 1 })],
                windows: false,
                storage_gib: 20,
            }),
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
            strategy_split: crate::capacity::SplitRule::AwsObserved,
            cpu_limit: crate::config::CpuLimit::Task,
            load_balancer: None,
            policies: Vec::new(),
            scheduled_actions: Vec::new(),
            suspension: crate::scaling::Suspension::default(),
            deployments: Vec::new(),
            deployed_sizes: Vec::new(),
            updates: Vec::new(),
            job: None,
        }
    }

    /// A scenario with no EC2 capacity, for the cluster a service needs beside it.
    pub fn fargate_only() -> crate::config::Scenario {
        crate::config::Scenario {
            name: "t".into(),
            variant: None,
            start_unix_ms: 0,
            duration_ms: 3_600_000,
            tick_ms: 60_000,
            series_interval_ms: 60_000,
            seed: 1,
            region: "us-east-1".into(),
            unserved_cost_per_million: None,
            loads: Vec::new(),
            services: Vec::new(),
            providers: Vec::new(),
            fargate_spot: FargateSpot::default(),
            outages: Vec::new(),
        }
    }

    pub fn service(config: &ServiceConfig) -> ServiceState<'_> {
        let rngs = ["t", "p", "s", "d", "a"].map(|purpose| crate::engine::stream(1, purpose));
        static NO_SPOT: FargateSpot = FargateSpot { interruptions: None, unavailable: Vec::new(), fallback: false };
        ServiceState::new(0, (config, &NO_SPOT), rngs, 3)
    }
}

mod billing_tests {
    use super::tests_support::{config, fargate_only};
    use super::*;
    use crate::sim::MemoryRecorder;

    /// Drives one service's task timers up to `until`, as the world would.
    fn advance(service: &mut ServiceState, queue: &mut EventQueue<Event>, recorder: &mut MemoryRecorder, until: u64) {
        while queue.peek_time().is_some_and(|t| t.as_millis() <= until) {
            let (now, event) = queue.pop().unwrap();
            if let Event::TaskTimer { slot, generation, .. } = event {
                service.task_timer(now, slot, generation, recorder, queue, &mut Cluster::new(&fargate_only()));
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
        service.reconcile(SimTime::from_millis(at), &mut next, r, q, &mut Cluster::new(&fargate_only()));
    }

    #[test]
    fn cancelled_launches_bill_nothing_before_the_pull_and_a_minute_after_it() {
        let config = config();
        let mut service = super::tests_support::service(&config);
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder, &mut EventQueue::new(), &mut Cluster::new(&fargate_only()));

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
        let summary = service.summary(100_000, &Cluster::new(&fargate_only()));
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
        let mut service = super::tests_support::service(&config);
        let (mut queue, mut recorder) = (EventQueue::new(), MemoryRecorder::default());
        service.start(&mut 1, &mut recorder, &mut EventQueue::new(), &mut Cluster::new(&fargate_only()));
        service.set_load(150.0);
        // 60 s with 2 tasks (capacity 200 ≥ 150), then one stops: 60 s at capacity 100.
        set_desired(&mut service, 1, 60_000, &mut queue, &mut recorder);
        advance(&mut service, &mut queue, &mut recorder, 120_000);
        service.close_tick(SimTime::from_millis(120_000), 120_000, 0);
        assert_eq!(service.this_minute.served, 150.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.capacity, 200.0 * 60.0 + 100.0 * 60.0);
        assert_eq!(service.this_minute.running_task_ms, 2 * 60_000 + 60_000);
        // Billing: the stopped task 0 → 90 s (60 s + the 30 s stop timeout), the other 120 s.
        assert_eq!(service.summary(120_000, &Cluster::new(&fargate_only())).billed_ms, 90_000 + 120_000);
    }
}

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
        let mut service = super::tests_support::service(config);
        service.start(
            &mut 1,
            &mut MemoryRecorder::default(),
            &mut EventQueue::new(),
            &mut Cluster::new(&super::tests_support::fargate_only()),
        );
        service.set_load(load);
        service.close_tick(SimTime::from_millis(60_000), 60_000, 0);
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

mod right_sizing_tests {
    use super::*;
    use crate::config::{MemoryUse, TaskSize};
    use crate::sim::MemoryRecorder;

    /// Two RUNNING tasks, one of the service's own size (100 requests/s at 100 % CPU, 1024 MiB
    /// reserving 512) and one of a deployed size (300 requests/s, 2048 MiB reserving 1024),
    /// each using 256 MiB plus 2 MiB per request/s, under 100 requests/s. The load is shared as
    /// they can serve: 25 and 75 requests/s. CPU: 100 of 400 requests/s, 25 %. Memory:
    /// (256 + 50) + (256 + 150) MiB of 512 + 1024 reserved, 712 / 1536.
    #[test]
    fn two_sizes_share_the_load_by_what_each_serves_and_the_metrics_add_their_reservations() {
        let mut config = super::tests_support::config();
        config.desired_count = 2;
        config.memory_reservation = Some(512);
        config.memory_use = MemoryUse { base_mib: 256.0, mib_per_request_per_second: 2.0 };
        config.deployed_sizes =
            vec![TaskSize { cpu: 1024, memory: 2048, memory_reservation: Some(1024), requests_per_task: 300.0 }];
        let mut service = super::tests_support::service(&config);
        service.watches_memory = true;
        service.start(
            &mut 1,
            &mut MemoryRecorder::default(),
            &mut EventQueue::new(),
            &mut Cluster::new(&super::tests_support::fargate_only()),
        );
        // The second task as a right-sizing rollout would have started it.
        service.slots[1].size = 1;
        service.by_size[0] = SizeTally { running: 1, serving: 1 };
        service.by_size[1] = SizeTally { running: 1, serving: 1 };
        service.set_load(100.0);
        service.close_tick(SimTime::from_millis(60_000), 60_000, 0);
        let minute = service.this_minute;
        let cpu = service.sample(Metric::CpuUtilization, &minute).unwrap().mean;
        let memory = service.sample(Metric::MemoryUtilization, &minute).unwrap().mean;
        assert!((cpu - 25.0).abs() < 1e-9, "{cpu}");
        assert!((memory - 100.0 * 712.0 / 1536.0).abs() < 1e-9, "{memory}");
    }

    #[test]
    fn demand_is_the_ceiling_of_load_over_what_a_task_takes() {
        assert_eq!([0.0, 3.0, 3.2, 0.001, 4_294_967_294.5].map(ceil_u32), [0, 3, 4, 1, u32::MAX]);
        assert_eq!(ceil_u32(1e12), u32::MAX); // saturates, as ceil's did
    }
}
