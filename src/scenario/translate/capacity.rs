//! EC2 capacity: the instance catalog, Auto Scaling group providers with managed scaling and
//! Spot, task placement, and the Fargate side of capacity provider strategies (Fargate Spot,
//! the strategy's shares, Windows) (reference §4–§7).

use super::*;

impl Translator<'_, '_> {
    /// The catalog providers draw their instance types from: the built-in us-east-1 types, with
    /// a catalog file's types for the region added.
    pub(super) fn catalog(&mut self, region: &str, file: Option<&Path>, needed: bool) -> Catalog {
        match file {
            Some(file) => match self
                .data
                .read(file, format!("catalog {} {region}", file.display()), || read_catalog(file, "catalog", region))
            {
                Ok(types) if types.is_empty() => {
                    let message =
                        format!("{}: no instance type with region {region} and complete figures", file.display());
                    self.fail(&KeyPath::root().key("catalog"), message);
                    Catalog::builtin()
                }
                Ok(types) => Catalog::builtin().with(types),
                Err(problem) => {
                    self.data_problem(&KeyPath::root().key("catalog"), problem);
                    Catalog::builtin()
                }
            },
            None => {
                if needed && region != "us-east-1" {
                    self.fail(&KeyPath::root().key("region"), format!(
                        "found \"{region}\"; ecsim's built-in instance prices are for us-east-1: give `catalog = \"FILE\"` (or --catalog FILE) with the columns of shared/data/pricing/ec2_us_east_1.csv"
                    ));
                }
                Catalog::builtin()
            }
        }
    }

    pub(super) fn provider(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &CapacityProviderFile,
        catalog: &Catalog,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Option<AsgProvider> {
        if matches!(name, "FARGATE" | "FARGATE_SPOT") {
            self.fail(path, format!("\"{name}\" is a reserved Fargate capacity provider name; name your Auto Scaling group provider otherwise"));
            return None;
        }
        let share = match file.registered_memory_share {
            None => Some(None),
            Some(share) => self
                .in_range(
                    &path.key("registered_memory_share"),
                    share,
                    0.5,
                    1.0,
                    "a share of nominal memory from 0.5 to 1",
                )
                .map(Some),
        };
        let reserved_memory = self.count(&path.key("ecs_reserved_memory"), file.ecs_reserved_memory.unwrap_or(0));
        let mut types = Vec::new();
        if file.instance_types.is_empty() {
            self.fail(
                &path.key("instance_types"),
                "found no instance type; expected e.g. [\"m6i.xlarge\", \"m6i.large\"] (larger first)",
            );
        }
        for (i, type_name) in file.instance_types.iter().enumerate() {
            let key = path.key("instance_types").index(i);
            match catalog.get(type_name) {
                Some(kind) => {
                    if types.iter().any(|t: &InstanceType| t.name == kind.name) {
                        self.fail(&key, format!("\"{type_name}\" is listed twice"));
                    }
                    types.push(kind.clone());
                }
                None => self.fail(&key, format!(
                    "found \"{type_name}\", which is not in the instance catalog (built in: the m5, m6i, m7i, m6g, m7g, c5, c6i, c6g, c7g, r5, r6i, r6g, t3, t3a and t4g families in us-east-1); give `catalog = \"FILE\"` for other types"
                )),
            }
        }
        let mut trunked: Vec<(String, u32)> = Vec::new();
        for (type_name, &limit) in file.awsvpc_trunking.iter().flatten() {
            let key = path.key("awsvpc_trunking").key(type_name);
            match types.iter().find(|t| t.name == type_name.as_str()) {
                None => self.fail(&key, format!("\"{type_name}\" is not one of this provider's instance_types")),
                Some(t) if !t.eni_trunking => {
                    self.fail(&key, format!("{type_name} does not support ENI trunking (reference §6.2)"))
                }
                Some(_) if !(1..=120).contains(&limit) => self.fail(
                    &key,
                    format!(
                        "found {limit}; expected the type's awsvpc task limit with trunking from AWS's table, 1 to 120"
                    ),
                ),
                Some(_) => trunked.push((type_name.clone(), limit as u32)),
            }
        }
        let min = self.count(&path.key("min_size"), file.min_size);
        let max = self.count(&path.key("max_size"), file.max_size);
        let desired = self.count(&path.key("desired_capacity"), file.desired_capacity.unwrap_or(file.min_size));
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                self.fail(
                    &path.key("min_size"),
                    format!("found {min}, greater than max_size ({max}); expected min_size ≤ max_size"),
                );
            } else if max > INSTANCES_PER_CLUSTER.max {
                self.fail(
                    &path.key("max_size"),
                    format!(
                        "found {max}; expected at most {}, {}",
                        INSTANCES_PER_CLUSTER.max,
                        INSTANCES_PER_CLUSTER.describe()
                    ),
                );
            } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
                self.fail(
                    &path.key("desired_capacity"),
                    format!("found {d}; expected a count within [min_size, max_size] = [{min}, {max}]"),
                );
            }
        }
        let zones = file.availability_zones.unwrap_or(3);
        if !(1..=6).contains(&zones) {
            self.fail(&path.key("availability_zones"), format!("found {zones}; expected 1 to 6 zones"));
        }
        let pending = self.delay(&path.key("pending"), file.pending.as_ref(), DEFAULT_INSTANCE_PENDING_MS);
        let boot = self.delay(&path.key("boot"), file.boot.as_ref(), DEFAULT_INSTANCE_BOOT_MS);
        let managed_scaling =
            file.managed_scaling.as_ref().map(|m| self.managed_scaling(&path.key("managed_scaling"), m));
        let protection = file.managed_termination_protection.unwrap_or(false);
        if protection && file.managed_scaling.is_none() {
            self.fail(
                &path.key("managed_termination_protection"),
                "managed termination protection requires managed scaling (reference §4.1)",
            );
        }
        let spot = match (&file.spot, types.first()) {
            (Some(spot), Some(first)) => {
                self.spot(&path.key("spot"), spot, &first.name, u32::try_from(zones).unwrap_or(0)).map(Some)
            }
            _ => Some(None),
        };
        let scheduled_actions = self.group_actions(path, file, run);
        let (share, reserved_memory) = (share?, reserved_memory?);
        let instance_types = types
            .into_iter()
            .map(|instance| {
                let registered = instance.registered(share, reserved_memory);
                let awsvpc_tasks = trunked
                    .iter()
                    .find(|(n, _)| *n == instance.name)
                    .map_or(instance.awsvpc_tasks_without_trunking(), |&(_, limit)| limit);
                ProviderType { instance, registered, awsvpc_tasks }
            })
            .collect();
        Some(AsgProvider {
            name: name.to_owned(),
            instance_types,
            min_size: min?,
            max_size: max?,
            desired_capacity: desired?,
            availability_zones: zones as u32,
            pending: pending?,
            boot: boot?,
            managed_scaling: settled(managed_scaling)?,
            managed_termination_protection: protection,
            managed_draining: file.managed_draining.unwrap_or(true),
            attributes: file.attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            spot: spot?,
            scheduled_actions: scheduled_actions?,
        })
    }

    /// Spot settings: a price (a share of On-Demand, or a price history replayed from the run's
    /// start, zone i taking the history's i-th zone by name) and an interruption rate.
    pub(super) fn spot(&mut self, path: &KeyPath, file: &SpotFile, instance_type: &str, zones: u32) -> Option<Spot> {
        let rate = self.in_range(
            &path.key("interruptions_per_hour"),
            file.interruptions_per_hour,
            0.0,
            10.0,
            "interruptions per instance-hour from 0 to 10 (a 5 % monthly interruption frequency is about 0.00007)",
        );
        let price = match (file.price, &file.price_history) {
            (Some(fraction), None) => self
                .in_range(&path.key("price"), fraction, 0.0, 1.0, "a share of the On-Demand price from 0 to 1")
                .map(SpotPrice::Fraction),
            (None, Some(history)) => self.spot_history(&path.key("price_history"), history, instance_type, zones),
            _ => {
                self.fail(path, "give the Spot price as `price` (a share of On-Demand, e.g. 0.4) or `price_history = \"FILE\"`, one of the two");
                None
            }
        };
        Some(Spot {
            price: price?,
            interruptions_per_hour: rate?,
            instance_draining: file.instance_draining.unwrap_or(false),
        })
    }

    pub(super) fn spot_history(
        &mut self,
        path: &KeyPath,
        history: &str,
        instance_type: &str,
        zones: u32,
    ) -> Option<SpotPrice> {
        let file = self.base_dir.join(history);
        let key = path.to_string();
        let cached = format!("spot {} {key} {instance_type}", file.display());
        let found = match self.data.read(&file, cached, || read_spot_history(&file, &key, instance_type)) {
            Ok(found) => found,
            Err(problem) => {
                self.data_problem(path, problem);
                return None;
            }
        };
        if found.len() < zones as usize {
            self.fail(
                path,
                format!(
                    "{} has prices for {} zone(s) of {instance_type}; the group spans {zones}",
                    file.display(),
                    found.len()
                ),
            );
            return None;
        }
        let first = found.iter().filter_map(|(_, changes)| changes.first()).map(|c| c.0).min()?;
        Some(SpotPrice::History(
            found
                .into_iter()
                .take(zones as usize)
                .map(|(_, changes)| {
                    let mut series: Vec<(u64, f64)> = vec![(0, changes[0].1)];
                    series.extend(
                        changes
                            .iter()
                            .map(|&(t, price)| ((t - first) as u64 * MS_PER_SECOND, price))
                            .filter(|c| c.0 > 0),
                    );
                    series
                })
                .collect(),
        ))
    }

    /// `ManagedScaling` with the API's defaults and ranges (reference §4.1), and ecsim's
    /// settings for what AWS leaves open (§4.2, §4.3, §11.6).
    pub(super) fn managed_scaling(&mut self, path: &KeyPath, file: &ManagedScalingFile) -> Option<ManagedScaling> {
        let defaults = ManagedScaling::default();
        let mut within = |key: &str, value: Option<i64>, default: u32, (lo, hi): (i64, i64), what: &str| {
            let value = value.unwrap_or(i64::from(default));
            if (lo..=hi).contains(&value) {
                Some(value as u32)
            } else {
                self.fail(&path.key(key), format!("found {value}; expected {what} from {lo} to {hi}"));
                None
            }
        };
        let target =
            within("target_capacity", file.target_capacity, defaults.target_capacity, (1, 100), "a percentage");
        let min_step = within(
            "minimum_scaling_step_size",
            file.minimum_scaling_step_size,
            defaults.minimum_scaling_step_size,
            (1, 10_000),
            "instances",
        );
        let max_step = within(
            "maximum_scaling_step_size",
            file.maximum_scaling_step_size,
            defaults.maximum_scaling_step_size,
            (1, 10_000),
            "instances",
        );
        let pace = within(
            "scale_in_pace",
            file.scale_in_pace,
            defaults.scale_in_pace_percent,
            (1, 100),
            "a percentage of the group per minute",
        );
        if let (Some(lo), Some(hi)) = (min_step, max_step)
            && lo > hi
        {
            self.fail(
                &path.key("minimum_scaling_step_size"),
                format!("found {lo}, greater than maximum_scaling_step_size ({hi})"),
            );
        }
        let warmup_key = path.key("instance_warmup_period");
        let warmup = self.optional_duration(
            &warmup_key,
            file.instance_warmup_period.as_deref(),
            defaults.instance_warmup_period_ms,
        );
        if warmup.is_some_and(|w| w > 10_000 * MS_PER_SECOND || w % MS_PER_SECOND != 0) {
            self.fail(&warmup_key, "expected whole seconds from 0s to 10000s");
        }
        let groups = self.choice(
            &path.key("group_estimate"),
            file.group_estimate.as_deref().unwrap_or("sum"),
            &[("sum", GroupCombination::Sum), ("largest", GroupCombination::Largest)],
        );
        let scale_in = self.choice(
            &path.key("scale_in_reading"),
            file.scale_in_reading.as_deref().unwrap_or("empty_instances"),
            &[("empty_instances", ScaleInReading::EmptyInstances), ("ratio", ScaleInReading::Ratio)],
        );
        Some(ManagedScaling {
            target_capacity: target?,
            minimum_scaling_step_size: min_step?,
            maximum_scaling_step_size: max_step?,
            instance_warmup_period_ms: warmup?,
            groups: groups?,
            scale_in: scale_in?,
            scale_in_pace_percent: pace?,
        })
    }

    /// Where the service runs: `Some(None)` on Fargate, `Some(Some(_))` on EC2, `None` if the
    /// settings are wrong (reported).
    pub(super) fn placement(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        daemon: bool,
        strategy: Option<&(&[StrategyItemFile], KeyPath)>,
    ) -> Option<Option<Ec2Placement>> {
        let provider = match (file.launch_type.as_deref(), strategy) {
            (Some(_), Some(_)) => {
                self.fail(&path.key("launch_type"), "give either launch_type or capacity_provider_strategy: a launch type overrides the strategy (reference §4.5)");
                return None;
            }
            (None, Some((items, _))) if items.iter().all(|item| is_fargate(&item.capacity_provider)) => {
                self.fargate_keys(path, file, daemon);
                return Some(None);
            }
            (None | Some("FARGATE"), None) => {
                self.fargate_keys(path, file, daemon);
                return Some(None);
            }
            (Some("EC2"), None) => {
                if scenario.capacity_providers.is_empty() {
                    self.fail(&path.key("launch_type"), "launch_type \"EC2\" places tasks on the cluster's instances, and the scenario has no [capacity_providers.NAME]");
                    return None;
                }
                Vec::new()
            }
            (Some(other), None) => {
                self.fail(&path.key("launch_type"), format!("found \"{other}\"; expected \"FARGATE\" or \"EC2\""));
                return None;
            }
            (None, Some((items, key))) => {
                // Names first: an unknown one (`fargate`) is what is wrong, not a mix.
                let mut indices = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let name = &item.capacity_provider;
                    match scenario.capacity_providers.get_index_of(name) {
                        Some(index) => indices.push(index),
                        None if is_fargate(name) => {}
                        None => {
                            let known: Vec<&str> = ["FARGATE", "FARGATE_SPOT"]
                                .into_iter()
                                .chain(scenario.capacity_providers.keys().map(String::as_str))
                                .collect();
                            let near = known.iter().find(|k| k.eq_ignore_ascii_case(name));
                            let message = match near {
                                Some(k) => format!(
                                    "found \"{name}\"; did you mean \"{k}\"? (capacity provider names are case-sensitive)"
                                ),
                                None => format!(
                                    "found \"{name}\", which is not a capacity provider in this file (defined: {})",
                                    known.join(", ")
                                ),
                            };
                            self.fail(&key.index(i).key("capacity_provider"), message);
                            return None;
                        }
                    }
                }
                if indices.len() < items.len() {
                    self.fail(key, "a strategy holds only Auto Scaling group providers or only FARGATE and FARGATE_SPOT, never both (reference §4.5)");
                    return None;
                }
                // The shares are checked with the rest of the strategy (`strategy_shares`).
                let shares = items.iter().map(|item| Share {
                    base: item.base.unwrap_or(0).clamp(0, 100_000) as u32,
                    weight: item.weight.unwrap_or(1).clamp(0, 1_000) as u32,
                });
                indices.into_iter().zip(shares).collect::<Vec<_>>()
            }
        };
        let network_mode = self.choice(
            &path.key("network_mode"),
            file.network_mode.as_deref().unwrap_or("bridge"),
            &[("awsvpc", NetworkMode::Awsvpc), ("bridge", NetworkMode::Bridge), ("host", NetworkMode::Host)],
        );
        let host_port = match (network_mode, file.host_port) {
            (_, Some(port)) if AGENT_RESERVED_PORTS.contains(&port) => {
                self.fail(
                    &path.key("host_port"),
                    format!("found {port}, a port the container agent reserves ({AGENT_RESERVED_PORTS:?})"),
                );
                None
            }
            (_, Some(port)) if !(0..=65_535).contains(&port) => {
                self.fail(
                    &path.key("host_port"),
                    format!("found {port}; expected a port from 1 to 65535, or 0 for a dynamic port"),
                );
                None
            }
            (Some(NetworkMode::Awsvpc), Some(_)) => {
                self.fail(
                    &path.key("host_port"),
                    "awsvpc tasks have their own ENI and no host port mapping; remove host_port",
                );
                None
            }
            (Some(NetworkMode::Host), None | Some(0)) => {
                self.fail(
                    &path.key("host_port"),
                    "in host mode the container port is the host port: give host_port, 1 to 65535",
                );
                None
            }
            (_, Some(port)) => Some((port > 0).then_some(port as u16)),
            (_, None) => Some(None),
        };
        if daemon && !file.placement_strategy.is_empty() {
            self.fail(&path.key("placement_strategy"), "DAEMON services take no placement strategy (reference §7)");
        }
        self.list_within(
            &path.key("placement_strategy"),
            file.placement_strategy.len(),
            "rules",
            STRATEGY_RULES_PER_SERVICE,
        );
        let strategies: Vec<Option<Strategy>> = file
            .placement_strategy
            .iter()
            .enumerate()
            .map(|(i, rule)| self.strategy(&path.key("placement_strategy").index(i), rule))
            .collect();
        self.list_within(
            &path.key("placement_constraints"),
            file.placement_constraints.len(),
            "constraints",
            CONSTRAINTS_PER_TASK,
        );
        let constraints: Vec<Option<Constraint>> = file
            .placement_constraints
            .iter()
            .enumerate()
            .map(|(i, rule)| self.constraint(&path.key("placement_constraints").index(i), rule))
            .collect();
        Some(Some(Ec2Placement {
            providers: provider,
            network_mode: network_mode?,
            host_port: host_port?,
            strategies: strategies.into_iter().collect::<Option<_>>()?,
            constraints: constraints.into_iter().collect::<Option<_>>()?,
            daemon,
        }))
    }

    /// `[fargate_spot]`: its price share (if given) and its interruptions and unavailable periods.
    pub(super) fn fargate_spot(
        &mut self,
        path: &KeyPath,
        file: Option<&FargateSpotFile>,
    ) -> Option<(Option<f64>, FargateSpot)> {
        let file = file?;
        let share = file
            .price
            .map(|p| self.in_range(&path.key("price"), p, 0.0, 1.0, "a share of the On-Demand price from 0 to 1"));
        let rate = |t: &mut Self, key: &KeyPath, value: f64| {
            t.in_range(key, value, 0.0, 100.0, "interruptions per task-hour from 0 to 100")
        };
        let per_hour = rate(self, &path.key("interruptions_per_task_hour"), file.interruptions_per_task_hour);
        let mut periods = Vec::new();
        for (i, storm) in file.storms.iter().enumerate() {
            let key = path.key("storms").index(i);
            let start = self.duration(&key.key("start"), &storm.start);
            let length = self.positive_duration(&key.key("length"), &storm.length);
            let storm_rate = rate(self, &key.key("interruptions_per_task_hour"), storm.interruptions_per_task_hour);
            if let (Some(start), Some(length), Some(r)) = (start, length, storm_rate) {
                periods.push((start, start + length, r, key));
            }
        }
        periods.sort_by_key(|p| p.0);
        for pair in periods.windows(2) {
            if pair[1].0 < pair[0].1 {
                self.fail(&pair[1].3, "storms overlap; give each period once");
            }
        }
        let mut unavailable = Vec::new();
        for (i, period) in file.unavailable.iter().enumerate() {
            let key = path.key("unavailable").index(i);
            let start = self.duration(&key.key("start"), &period.start);
            let length = self.positive_duration(&key.key("length"), &period.length);
            if let (Some(start), Some(length)) = (start, length) {
                unavailable.push((start, start + length));
            }
        }
        unavailable.sort_unstable();
        let spot = FargateSpot {
            interruptions: Some(Hazard {
                per_hour: per_hour?,
                periods: periods.into_iter().map(|(s, e, r, _)| (s, e, r)).collect(),
            }),
            unavailable,
            fallback: file.fallback_to_on_demand.unwrap_or(false),
        };
        Some((settled(share)?, spot))
    }

    /// A strategy's items checked by AWS's rules (reference §4.5): 1–20 providers, each once,
    /// base 0–100000 on one of them at most, weights 0–1000 with at least one above 0. An
    /// omitted weight is the console's 1 (the API's 0 would leave a lone provider unable to
    /// place). For a Fargate strategy: `(FARGATE_SPOT?, share)` per item.
    pub(super) fn strategy_shares(&mut self, path: &KeyPath, items: &[StrategyItemFile]) -> Option<Vec<(bool, Share)>> {
        if items.is_empty() {
            self.fail(path, "found no provider; a strategy names 1 or more");
            return None;
        }
        if !self.list_within(path, items.len(), "providers", PROVIDERS_PER_STRATEGY) {
            return None;
        }
        let mut shares = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let key = path.index(i);
            if items[..i].iter().any(|other| other.capacity_provider == item.capacity_provider) {
                self.fail(
                    &key.key("capacity_provider"),
                    format!("\"{}\" is in the strategy twice", item.capacity_provider),
                );
                ok = false;
            }
            let base = item.base.unwrap_or(0);
            if !(0..=100_000).contains(&base) {
                self.fail(&key.key("base"), format!("found {base}; expected 0 to 100000"));
                ok = false;
            }
            if base > 0 && items[..i].iter().any(|other| other.base.unwrap_or(0) > 0) {
                self.fail(&key.key("base"), "only one provider of a strategy may have a base (reference §4.5)");
                ok = false;
            }
            let weight = item.weight.unwrap_or(1);
            if !(0..=1_000).contains(&weight) {
                self.fail(&key.key("weight"), format!("found {weight}; expected 0 to 1000"));
                ok = false;
            }
            shares.push((item.capacity_provider == "FARGATE_SPOT", Share { base: base as u32, weight: weight as u32 }));
        }
        if ok && shares.iter().all(|(_, share)| share.weight == 0) {
            self.fail(
                path,
                "every weight is 0; at least one provider needs a weight above 0 to place tasks (reference §4.5)",
            );
            ok = false;
        }
        ok.then_some(shares)
    }

    /// FARGATE_SPOT rates: `[fargate_spot] price` as a share of On-Demand, else the price table's
    /// `fargate_spot` row, else the default share of On-Demand.
    pub(super) fn spot_rates(
        &mut self,
        region: &str,
        arch: CpuArchitecture,
        prices: Option<&Path>,
        on_demand: FargateRates,
        share: Option<f64>,
    ) -> Option<FargateRates> {
        if share.is_none() && prices.is_some() {
            return self.rates(region, arch, prices, ("linux", "fargate_spot"));
        }
        let share = share.unwrap_or(DEFAULT_FARGATE_SPOT_SHARE);
        Some(FargateRates { vcpu_hour: on_demand.vcpu_hour * share, gb_hour: on_demand.gb_hour * share })
    }

    /// Windows on Fargate (reference §5.1, §5.4): at least 1 vCPU (1, 2 or 4 vCPU), x86 only,
    /// and not on Fargate Spot.
    pub(super) fn windows_task(&mut self, path: &KeyPath, cpu: u32, arch: CpuArchitecture, spot: bool) -> Option<()> {
        let mut ok = true;
        if ![1024, 2048, 4096].contains(&cpu) {
            self.fail(&path.key("cpu"), format!("found {cpu}; Windows on Fargate takes 1024, 2048 or 4096 CPU units (\"cannot be less than 1 vCPU\")"));
            ok = false;
        }
        if arch != CpuArchitecture::X86_64 {
            self.fail(&path.key("cpu_architecture"), "Windows on Fargate runs on X86_64 only");
            ok = false;
        }
        if spot {
            self.fail(
                &path.key("capacity_provider_strategy"),
                "Windows tasks cannot run on FARGATE_SPOT (reference §5.4)",
            );
            ok = false;
        }
        ok.then_some(())
    }

    /// Settings that do not apply on Fargate are refused there.
    pub(super) fn fargate_keys(&mut self, path: &KeyPath, file: &ServiceFile, daemon: bool) {
        if daemon {
            self.fail(
                &path.key("scheduling_strategy"),
                "DAEMON services are not supported on Fargate (reference §7); give them a capacity provider",
            );
        }
        for (key, given) in [
            ("network_mode", file.network_mode.as_deref().is_some_and(|m| m != "awsvpc")),
            ("host_port", file.host_port.is_some()),
            ("placement_strategy", !file.placement_strategy.is_empty()),
            ("placement_constraints", !file.placement_constraints.is_empty()),
        ] {
            if given {
                self.fail(
                    &path.key(key),
                    "applies to tasks on EC2 instances; this service runs on Fargate (awsvpc, placed by AWS)",
                );
            }
        }
    }

    pub(super) fn strategy(&mut self, path: &KeyPath, rule: &PlacementStrategyFile) -> Option<Strategy> {
        let field = rule.field.as_deref();
        match (rule.kind.as_str(), field) {
            ("binpack", Some(f)) => Some(Strategy::Binpack(self.choice(
                &path.key("field"),
                f,
                &[("cpu", Resource::Cpu), ("memory", Resource::Memory)],
            )?)),
            ("spread", Some("instanceId" | "host")) => Some(Strategy::Spread(SpreadField::InstanceId)),
            ("spread", Some(f)) => match f.strip_prefix("attribute:").filter(|a| !a.is_empty()) {
                Some(attribute) => Some(Strategy::Spread(SpreadField::Attribute(attribute.to_owned()))),
                None => {
                    self.fail(&path.key("field"), format!("found \"{f}\"; spread takes \"instanceId\", \"host\" or \"attribute:NAME\" such as \"attribute:ecs.availability-zone\""));
                    None
                }
            },
            ("random", None) => Some(Strategy::Random),
            ("random", Some(_)) => {
                self.fail(&path.key("field"), "random takes no field");
                None
            }
            ("binpack" | "spread", None) => {
                self.fail(
                    path,
                    format!(
                        "{} needs a field: binpack \"cpu\" or \"memory\"; spread \"instanceId\" or \"attribute:NAME\"",
                        rule.kind
                    ),
                );
                None
            }
            (other, _) => {
                self.fail(
                    &path.key("type"),
                    format!("found \"{other}\"; expected \"binpack\", \"spread\" or \"random\""),
                );
                None
            }
        }
    }

    pub(super) fn constraint(&mut self, path: &KeyPath, rule: &PlacementConstraintFile) -> Option<Constraint> {
        match (rule.kind.as_str(), rule.expression.as_deref()) {
            ("distinctInstance", None) => Some(Constraint::DistinctInstance),
            ("distinctInstance", Some(_)) => {
                self.fail(&path.key("expression"), "distinctInstance takes no expression");
                None
            }
            ("memberOf", Some(text)) => match Expression::parse(text) {
                Ok(expression) => Some(Constraint::MemberOf { expression }),
                Err(problem) => {
                    self.fail(&path.key("expression"), format!("\"{}\": {problem}", shorten(text)));
                    None
                }
            },
            ("memberOf", None) => {
                self.fail(path, "memberOf needs an expression, e.g. \"attribute:ecs.instance-type =~ m6i.*\"");
                None
            }
            (other, _) => {
                self.fail(
                    &path.key("type"),
                    format!("found \"{other}\"; expected \"distinctInstance\" or \"memberOf\""),
                );
                None
            }
        }
    }

    pub(super) fn ec2_cpu(&mut self, path: &KeyPath, cpu: i64) -> Option<u32> {
        let (lo, hi) = EC2_TASK_CPU_RANGE;
        if (lo..=hi).contains(&cpu) {
            Some(cpu as u32)
        } else {
            self.fail(path, format!("found {cpu}; a task on EC2 has {lo} to {hi} CPU units (1024 = 1 vCPU)"));
            None
        }
    }

    pub(super) fn ec2_memory(&mut self, path: &KeyPath, memory: i64) -> Option<u32> {
        match u32::try_from(memory) {
            Ok(m) if m >= 6 => Some(m),
            _ => {
                self.fail(path, format!("found {memory}; expected MiB, at least 6"));
                None
            }
        }
    }

    /// A task must fit some instance type it may run on, in CPU architecture and registered
    /// resources; else no scale-out could ever place it.
    pub(super) fn check_fits(
        &mut self,
        path: &KeyPath,
        placement: &Ec2Placement,
        providers: &[Option<AsgProvider>],
        cpu: u32,
        memory: u32,
        arch: CpuArchitecture,
    ) -> Option<()> {
        let candidates: Vec<&AsgProvider> = if placement.providers.is_empty() {
            providers.iter().flatten().collect()
        } else {
            placement.providers.iter().flat_map(|&(p, _)| providers[p].iter()).collect()
        };
        if candidates.is_empty() || candidates.iter().any(|p| p.instance_types.is_empty()) {
            return None; // the provider itself (or each of its instance types) is wrong, and reported
        }
        let types: Vec<&ProviderType> =
            candidates.iter().flat_map(|p| &p.instance_types).filter(|t| t.instance.arch == arch).collect();
        let names = || candidates.iter().map(|p| format!("\"{}\"", p.name)).collect::<Vec<_>>().join(", ");
        if types.is_empty() {
            self.fail(
                &path.key("cpu_architecture"),
                format!("found {arch:?}; capacity provider {} launches no instance type of that architecture", names()),
            );
            return None;
        }
        if !types.iter().any(|t| t.registered.cpu_units >= cpu && t.registered.memory_mib >= memory) {
            let largest =
                types.iter().max_by_key(|t| (t.registered.cpu_units, t.registered.memory_mib)).expect("one type");
            self.fail(&path.key("cpu"), format!(
                "the task needs {cpu} CPU units and {memory} MiB, larger than every instance type of capacity provider {}: the largest, {}, registers {} units and {} MiB",
                names(), largest.instance.name, largest.registered.cpu_units, largest.registered.memory_mib
            ));
            return None;
        }
        if placement.network_mode == NetworkMode::Awsvpc && types.iter().all(|t| t.awsvpc_tasks == 0) {
            self.fail(
                &path.key("network_mode"),
                format!(
                    "awsvpc tasks need an ENI each beyond the instance's own, and no instance type of capacity provider {} has one to spare (max_enis 1, no trunking)",
                    names()
                ),
            );
            return None;
        }
        Some(())
    }
}
