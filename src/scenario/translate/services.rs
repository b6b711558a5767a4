//! A service: its task size (Fargate's table, EC2's ranges), launch type or capacity provider
//! strategy, delays, load balancer, policies and scheduled actions, checked into a
//! `ServiceConfig`.

use super::*;

impl Translator<'_, '_> {
    pub(super) fn service(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        (run, providers): (&Run, &[Option<AsgProvider>]),
        job: bool,
    ) -> Option<ServiceConfig> {
        let daemon = self.choice(
            &path.key("scheduling_strategy"),
            file.scheduling_strategy.as_deref().unwrap_or("REPLICA"),
            &[("REPLICA", false), ("DAEMON", true)],
        );
        // The service's own strategy, else (without a launch type) the cluster's default.
        let default = scenario.cluster.as_ref().and_then(|c| c.default_capacity_provider_strategy.as_ref());
        let strategy: Option<(&[StrategyItemFile], KeyPath)> =
            match (&file.capacity_provider_strategy, &file.launch_type) {
                (Some(items), _) => Some((items, path.key("capacity_provider_strategy"))),
                (None, None) => default.map(|items| {
                    (&items[..], KeyPath::root().key("cluster").key("default_capacity_provider_strategy"))
                }),
                (None, Some(_)) => None,
            };
        let placement = self.placement(path, file, scenario, daemon.unwrap_or(false), strategy.as_ref());
        let on_ec2 = match &placement {
            Some(placement) => placement.is_some(),
            None => {
                let fargate_strategy = strategy
                    .as_ref()
                    .is_some_and(|(items, _)| items.iter().all(|item| is_fargate(&item.capacity_provider)));
                (strategy.is_some() && !fargate_strategy) || file.launch_type.as_deref() == Some("EC2")
            }
        };
        let load = if job { Some(None) } else { self.service_load(path, file, scenario, daemon) };
        let (cpu, memory) = if on_ec2 {
            (self.ec2_cpu(&path.key("cpu"), file.cpu), self.ec2_memory(&path.key("memory"), file.memory))
        } else {
            let cpu = self.fargate_cpu(&path.key("cpu"), file.cpu);
            (cpu, cpu.and_then(|cpu| self.fargate_memory(&path.key("memory"), cpu, file.memory)))
        };
        let arch = self.choice(
            &path.key("cpu_architecture"),
            file.cpu_architecture.as_deref().unwrap_or("X86_64"),
            &[("X86_64", CpuArchitecture::X86_64), ("ARM64", CpuArchitecture::Arm64)],
        );
        let requests_per_task = self.requests_per_task(path, file);
        let (desired, min, max) = self.task_counts(path, file, daemon);
        let provisioning = self.delay(&path.key("provisioning"), file.provisioning.as_ref(), 0);
        let startup = self.delay(&path.key("startup"), file.startup.as_ref(), DEFAULT_STARTUP_MS);
        let stop_timeout_ms =
            self.optional_duration(&path.key("stop_timeout"), file.stop_timeout.as_deref(), DEFAULT_STOP_TIMEOUT_MS);
        let (lo, hi) = STOP_TIMEOUT_RANGE_MS;
        if stop_timeout_ms.is_some_and(|t| !(lo..=hi).contains(&t)) {
            self.fail(
                &path.key("stop_timeout"),
                format!(
                    "found \"{}\"; ECS allows a stop timeout from 2s to 120s",
                    file.stop_timeout.as_deref().unwrap_or("")
                ),
            );
        }
        let availability_zones = file.availability_zones.unwrap_or(3);
        if !(1..=6).contains(&availability_zones) {
            self.fail(&path.key("availability_zones"), format!("found {availability_zones}; expected 1 to 6 zones"));
        }
        let memory_reservation = match file.memory_reservation {
            None => Some(None),
            Some(m) if m >= 1 && memory.is_none_or(|hard| m <= i64::from(hard)) => Some(Some(m as u32)),
            Some(m) => {
                self.fail(
                    &path.key("memory_reservation"),
                    format!("found {m}; expected MiB from 1 up to the task's memory"),
                );
                None
            }
        };
        let memory_use = self.memory_use(path, file);
        let overflow = self.choice(
            &path.key("overflow"),
            file.overflow.as_deref().unwrap_or("drop"),
            &[("drop", Overflow::Drop), ("queue", Overflow::Queue)],
        );
        let strategy_split = self.choice(
            &path.key("strategy_split"),
            file.strategy_split.as_deref().unwrap_or("aws_observed"),
            &[("aws_observed", SplitRule::AwsObserved), ("reverse_of_launch", SplitRule::ReverseOfLaunch)],
        );
        let cpu_limit = self.choice(
            &path.key("cpu_limit"),
            file.cpu_limit.as_deref().unwrap_or("task"),
            &[("task", CpuLimit::Task), ("container_shares", CpuLimit::ContainerShares)],
        );
        let load_balancer = file.load_balancer.as_ref().map(|lb| self.load_balancer(&path.key("load_balancer"), lb));
        let policies = self.policies(path, file);
        let scheduled_actions = self.scheduled_actions(path, file, run.window);
        let deployments = self.deployments(path, file, run.window, daemon, startup.as_ref());
        let updates = self.updates(path, file, run.window, daemon);
        let tracks = |metric: Metric| policies.iter().flat_map(|p| p.alarms()).any(|alarm| alarm.metric == metric);
        if tracks(Metric::AlbRequestCountPerTarget) && file.load_balancer.is_none() {
            self.fail(
                &path.key("load_balancer"),
                "a policy tracks ALBRequestCountPerTarget, so the service needs a [services.NAME.load_balancer] table",
            );
        }
        if tracks(Metric::MemoryUtilization) && file.memory_use.is_none() {
            self.fail(&path.key("memory_use"), "a policy tracks memory, so the service needs `memory_use = { base = MiB, per_request_per_second = MiB }`");
        }
        let tracks_utilization = tracks(Metric::CpuUtilization) || tracks(Metric::MemoryUtilization);
        if min == Some(0) && tracks_utilization {
            self.warn(
                &path.key("min_capacity"),
                "min_capacity is 0 and a policy tracks CPU or memory utilization; with no running task there is no datapoint, so (as in AWS) such a policy cannot scale it out from zero",
            );
        }
        let (windows, storage_gib) = self.operating_system_and_storage(path, file, on_ec2);
        let shares = match &strategy {
            Some((items, strategy_path)) => self.strategy_shares(strategy_path, items),
            None => Some(vec![(false, Share { base: 0, weight: 1 })]),
        };
        let launch = match placement? {
            Some(placement) => {
                let (cpu, memory, arch) = (cpu?, memory?, arch?);
                let reserved = memory_reservation.flatten().unwrap_or(memory);
                self.check_fits(path, &placement, providers, cpu, reserved, arch)?;
                shares?;
                Launch::Ec2(placement)
            }
            None => {
                let strategy = shares?;
                let (arch, windows, storage_gib) = (arch?, windows?, storage_gib?);
                let uses_spot = strategy.iter().any(|(spot, _)| *spot);
                if windows {
                    self.windows_task(path, cpu?, arch, uses_spot)?;
                }
                let os = if windows { "windows" } else { "linux" };
                let rates = self.rates(&run.region, arch, run.prices.as_deref(), (os, "on_demand"))?;
                let spot_rates = if uses_spot {
                    self.spot_rates(&run.region, arch, run.prices.as_deref(), rates, run.spot_share)?
                } else {
                    rates
                };
                Launch::Fargate(FargateLaunch { rates, spot_rates, strategy, windows, storage_gib })
            }
        };
        if cpu_limit == Some(CpuLimit::ContainerShares) && matches!(launch, Launch::Fargate(_)) {
            self.fail(
                &path.key("cpu_limit"),
                "a Fargate task always has a task-level CPU limit; \"container_shares\" is for tasks on EC2 instances",
            );
            return None;
        }
        let mut deployments = deployments?;
        let own = TaskSize {
            cpu: cpu?,
            memory: memory?,
            memory_reservation: memory_reservation?,
            requests_per_task: requests_per_task?,
        };
        let deployed_sizes = self.deployed_sizes(path, file, own, &mut deployments, (&launch, providers), arch?)?;
        Some(ServiceConfig {
            name: name.to_owned(),
            load: load?,
            cpu: cpu?,
            memory: memory?,
            cpu_architecture: arch?,
            launch,
            requests_per_task: requests_per_task?,
            desired_count: desired?,
            min_capacity: min?,
            max_capacity: max?,
            provisioning: provisioning?,
            startup: startup?,
            stop_timeout_ms: stop_timeout_ms?,
            availability_zones: availability_zones as u32,
            memory_use: memory_use?,
            memory_reservation: memory_reservation?,
            overflow: overflow?,
            strategy_split: strategy_split?,
            cpu_limit: cpu_limit?,
            load_balancer: settled(load_balancer)?,
            policies,
            scheduled_actions,
            suspension: Suspension {
                dynamic_scaling_in_suspended: file.dynamic_scaling_in_suspended.unwrap_or(false),
                dynamic_scaling_out_suspended: file.dynamic_scaling_out_suspended.unwrap_or(false),
                scheduled_scaling_suspended: file.scheduled_scaling_suspended.unwrap_or(false),
            },
            deployments,
            deployed_sizes,
            updates: updates?,
            job: None,
        })
    }

    pub(super) fn fargate_cpu(&mut self, path: &KeyPath, cpu: i64) -> Option<u32> {
        match u32::try_from(cpu).ok().filter(|c| VALID_CPU_UNITS.contains(c)) {
            Some(cpu) => Some(cpu),
            None => {
                self.fail(path, format!("found {cpu}; Fargate task CPU units are one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)"));
                None
            }
        }
    }

    pub(super) fn fargate_memory(&mut self, path: &KeyPath, cpu: u32, memory: i64) -> Option<u32> {
        let allowed = valid_memory_mib(cpu).expect("cpu checked");
        match u32::try_from(memory).ok().filter(|m| allowed.contains(m)) {
            Some(memory) => Some(memory),
            None => {
                let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
                self.fail(
                    path,
                    format!("found {memory} MiB; with cpu = {cpu} Fargate allows memory (MiB) of {}", list.join(", ")),
                );
                None
            }
        }
    }

    pub(super) fn rates(
        &mut self,
        region: &str,
        arch: CpuArchitecture,
        prices: Option<&Path>,
        (os, capacity): (&str, &str),
    ) -> Option<FargateRates> {
        let Some(file) = prices else {
            let rates = if os == "windows" {
                (region == "us-east-1").then_some(US_EAST_1_WINDOWS_X86)
            } else {
                builtin_fargate_rates(region, arch)
            };
            if rates.is_none() {
                self.fail(&KeyPath::root().key("region"), format!(
                    "found \"{region}\"; ecsim has built-in Fargate prices for us-east-1 only: give `prices = \"FILE\"` (or --prices FILE) with the columns of shared/data/pricing/fargate.csv"
                ));
            }
            return rates;
        };
        let cached = format!("prices {} {region} {arch:?} {os} {capacity}", file.display());
        match self.data.read(file, cached, || read_fargate_rates(file, "prices", region, arch, (os, capacity))) {
            Ok(Some(rates)) => Some(rates),
            Ok(None) => {
                let message = format!(
                    "{}: no row with region {region}, os {os}, arch {arch:?}, capacity {capacity}",
                    file.display()
                );
                self.fail(&KeyPath::root().key("prices"), message);
                None
            }
            Err(problem) => {
                self.data_problem(&KeyPath::root().key("prices"), problem);
                None
            }
        }
    }

    /// The target group's timings, with the ELB defaults and ranges of reference §8.3.
    pub(super) fn load_balancer(&mut self, path: &KeyPath, file: &LoadBalancerFile) -> Option<LoadBalancer> {
        let mut within = |key: &str, text: Option<&str>, default_s: u64, (lo, hi): (u64, u64)| {
            let ms = self.optional_duration(&path.key(key), text, default_s * MS_PER_SECOND)?;
            if (lo * MS_PER_SECOND..=hi * MS_PER_SECOND).contains(&ms) && ms % MS_PER_SECOND == 0 {
                Some(ms)
            } else {
                self.fail(
                    &path.key(key),
                    format!("found \"{}\"; expected whole seconds from {lo}s to {hi}s", text.unwrap_or("")),
                );
                None
            }
        };
        let interval = within("health_check_interval", file.health_check_interval.as_deref(), 30, (5, 300));
        let delay = within("deregistration_delay", file.deregistration_delay.as_deref(), 300, (0, 3600));
        let mut threshold = |key: &str, value: Option<i64>, default: u32| match value {
            None => Some(default),
            Some(t) if (2..=10).contains(&t) => Some(t as u32),
            Some(t) => {
                self.fail(&path.key(key), format!("found {t}; expected 2 to 10"));
                None
            }
        };
        // ALB target group defaults: HealthyThresholdCount 5, UnhealthyThresholdCount 2 (§8.3).
        let healthy = threshold("healthy_threshold_count", file.healthy_threshold_count, 5);
        let unhealthy = threshold("unhealthy_threshold_count", file.unhealthy_threshold_count, 2);
        Some(LoadBalancer {
            health_check_interval_ms: interval?,
            healthy_threshold_count: healthy?,
            unhealthy_threshold_count: unhealthy?,
            deregistration_delay_ms: delay?,
        })
    }

    /// The load a service serves (an index into the scenario's loads), or none for a daemon.
    fn service_load(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        daemon: Option<bool>,
    ) -> Option<Option<usize>> {
        match &file.load {
            Some(load_name) => match scenario.loads.get_index_of(load_name) {
                Some(index) => Some(Some(index)),
                None => {
                    let known: Vec<&str> = scenario.loads.keys().map(String::as_str).collect();
                    let known = if known.is_empty() {
                        "none are defined".to_owned()
                    } else {
                        format!("defined loads: {}", known.join(", "))
                    };
                    self.fail(
                        &path.key("load"),
                        format!("found \"{load_name}\", which is not a load in this file ({known})"),
                    );
                    None
                }
            },
            None if daemon == Some(true) => Some(None),
            None => {
                self.fail(
                    path,
                    "a service needs `load = \"NAME\"`, one of the [loads.NAME] tables (only a DAEMON may have none)",
                );
                None
            }
        }
    }

    /// Requests per second one task serves at 100 % CPU; 0 for a service without a load.
    fn requests_per_task(&mut self, path: &KeyPath, file: &ServiceFile) -> Option<f64> {
        match (file.requests_per_task, &file.load) {
            (Some(r), _) if (MIN_REQUESTS_PER_TASK..=MAX_LOAD_RATE).contains(&r) => Some(r),
            (None, None) => Some(0.0),
            (None, Some(_)) => {
                self.fail(&path.key("requests_per_task"), REQUESTS_PER_TASK_MISSING);
                None
            }
            (Some(r), _) => {
                self.fail(
                    &path.key("requests_per_task"),
                    format!("found {}; expected requests per second from 0.001 to 1e9", number(r)),
                );
                None
            }
        }
    }

    /// A replica service's desired count and its scalable target's range (a daemon has none:
    /// its tasks follow the instances), each within AWS's quota of tasks per service.
    fn task_counts(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        daemon: Option<bool>,
    ) -> (Option<u32>, Option<u32>, Option<u32>) {
        let (desired, min, max) = if daemon == Some(true) {
            for (key, given) in [
                ("desired_count", file.desired_count.is_some()),
                ("min_capacity", file.min_capacity.is_some()),
                ("max_capacity", file.max_capacity.is_some()),
                ("target_tracking", !file.target_tracking.is_empty()),
                ("step_scaling", !file.step_scaling.is_empty()),
                ("scheduled_actions", !file.scheduled_actions.is_empty()),
            ] {
                if given {
                    self.fail(&path.key(key), "a DAEMON service runs one task on every instance that satisfies its constraints: it has no task count and no auto scaling (§7)");
                }
            }
            (Some(0), Some(0), Some(0))
        } else {
            let mut required = |key: &str, value: Option<i64>| match value {
                Some(v) => self.count_within(&path.key(key), v, TASKS_PER_SERVICE),
                None => {
                    self.fail(path, format!("a REPLICA service needs `{key}`"));
                    None
                }
            };
            (
                required("desired_count", file.desired_count),
                required("min_capacity", file.min_capacity),
                required("max_capacity", file.max_capacity),
            )
        };
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                self.fail(
                    &path.key("min_capacity"),
                    format!("found {min}, greater than max_capacity ({max}); expected min_capacity ≤ max_capacity"),
                );
            } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
                self.fail(
                    &path.key("desired_count"),
                    format!("found {d}; expected a count within [min_capacity, max_capacity] = [{min}, {max}]"),
                );
            }
        }
        (desired, min, max)
    }

    /// How much memory a task uses: a base and a part per request per second it serves.
    fn memory_use(&mut self, path: &KeyPath, file: &ServiceFile) -> Option<MemoryUse> {
        match &file.memory_use {
            None => Some(MemoryUse::default()),
            Some(m) => {
                // Far above any task's memory (Fargate's largest is 120 GiB), so that the
                // memory metric stays finite.
                let base_mib =
                    self.in_range(&path.key("memory_use").key("base"), m.base, 0.0, 1e6, "MiB from 0 to 1,000,000");
                let per = self.in_range(
                    &path.key("memory_use").key("per_request_per_second"),
                    m.per_request_per_second,
                    0.0,
                    1e6,
                    "MiB per request per second from 0 to 1,000,000",
                );
                Some(MemoryUse { base_mib: base_mib?, mib_per_request_per_second: per? })
            }
        }
    }

    /// Whether the task runs Windows, and its Fargate ephemeral storage in GiB: both Fargate
    /// settings, refused on EC2.
    fn operating_system_and_storage(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        on_ec2: bool,
    ) -> (Option<bool>, Option<u32>) {
        let windows = match file.operating_system_family.as_deref().unwrap_or("LINUX") {
            "LINUX" => Some(false),
            family if WINDOWS_FAMILIES.contains(&family) => Some(true),
            family => {
                self.fail(
                    &path.key("operating_system_family"),
                    format!("found \"{family}\"; expected \"LINUX\" or one of {}", WINDOWS_FAMILIES.join(", ")),
                );
                None
            }
        };
        let storage_gib = match file.ephemeral_storage {
            None => Some(INCLUDED_EPHEMERAL_STORAGE_GIB),
            Some(gib) if (21..=200).contains(&gib) => Some(gib as u32),
            Some(gib) => {
                self.fail(
                    &path.key("ephemeral_storage"),
                    format!("found {gib}; Fargate ephemeral storage is 21 to 200 GiB (20 GiB is included without it)"),
                );
                None
            }
        };
        if on_ec2 {
            if windows == Some(true) {
                self.fail(
                    &path.key("operating_system_family"),
                    "ecsim's EC2 instances run Linux; Windows tasks run on Fargate here",
                );
            }
            if file.ephemeral_storage.is_some() {
                self.fail(
                    &path.key("ephemeral_storage"),
                    "ephemeral storage is a Fargate setting; on EC2 the instance's volume holds it",
                );
            }
        }
        (windows, storage_gib)
    }
}
