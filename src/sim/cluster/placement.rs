//! Placement over each provider's ACTIVE instances (binpack through instances ordered by free
//! CPU and memory, the strategies and constraints of `placement`), and the tasks waiting in
//! PROVISIONING for capacity.

use super::*;

impl<'a> Cluster<'a> {
    /// What a task of `config` of size index `size` needs of an instance: CPU units, MiB, an
    /// ENI, a host port.
    pub(super) fn needs(config: &ServiceConfig, size: u32) -> (u32, u32, bool, Option<u16>) {
        let placement = config.ec2().expect("an EC2 service");
        let size = config.task_size(size);
        (size.cpu, size.reserved_memory_mib(), placement.network_mode == NetworkMode::Awsvpc, placement.host_port)
    }

    pub(super) fn fits(&self, instance: &Instance, service: usize, size: u32) -> bool {
        let (cpu, memory, eni, port) = Self::needs(&self.scenario.services[service], size);
        instance.free_cpu >= cpu
            && instance.free_memory >= memory
            && (!eni || instance.free_enis > 0)
            && port.is_none_or(|p| !instance.ports.contains(&p))
    }

    pub(super) fn satisfies(&self, instance: &Instance, service: usize) -> bool {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        instance.eligible[service]
            && placement
                .constraints
                .iter()
                .all(|c| !matches!(c, Constraint::DistinctInstance) || instance.service_tasks[service] == 0)
    }

    /// Chooses an instance for a task of `service` (of size index `size`) by AWS's process (§7): room, constraints,
    /// strategies in order, then the oldest of the instances left. When binpack comes first,
    /// the provider's instances ordered by the free resource give the tightest fits without a
    /// scan; the other strategies look at every ACTIVE instance.
    /// `provider`: the capacity provider the strategy chose for the task; `None` for a launch
    /// type, which may use any instance.
    pub fn choose_instance(
        &self,
        service: usize,
        size: u32,
        provider: Option<usize>,
        rng: &mut Rng,
    ) -> Result<u32, &'static str> {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        if let (Some(provider), Some(Strategy::Binpack(resource))) = (provider, placement.strategies.first())
            && let Some(tightest) = self.tightest_fits(provider, service, size, *resource)
        {
            let view = ServiceView { cluster: self, service };
            let chosen = choose(tightest, &placement.strategies[1..], &view, rng).expect("a candidate");
            #[cfg(test)]
            if !placement.strategies.contains(&Strategy::Random) {
                assert_eq!(
                    Ok(chosen),
                    self.choose_by_scan(service, size, Some(provider), rng),
                    "the index agrees with the scan"
                );
            }
            return Ok(chosen);
        }
        self.choose_by_scan(service, size, provider, rng)
    }

    /// The instances of `provider` with the least of `resource` free that still take the task
    /// (room and constraints), in launch order; `None` if none does.
    pub(super) fn tightest_fits(
        &self,
        provider: usize,
        service: usize,
        size: u32,
        resource: Resource,
    ) -> Option<Vec<u32>> {
        let (cpu, memory, _, _) = Self::needs(&self.scenario.services[service], size);
        let need = match resource {
            Resource::Cpu => cpu,
            Resource::Memory => memory,
        };
        let found = self.providers[provider].active.tightest(resource, need, |instance| {
            let i = &self.instances[instance as usize];
            self.fits(i, service, size) && self.satisfies(i, service)
        });
        (!found.is_empty()).then_some(found)
    }

    pub(super) fn choose_by_scan(
        &self,
        service: usize,
        size: u32,
        provider: Option<usize>,
        rng: &mut Rng,
    ) -> Result<u32, &'static str> {
        let placement = self.scenario.services[service].ec2().expect("an EC2 service");
        let providers: &[ProviderState] = match provider {
            Some(p) => std::slice::from_ref(&self.providers[p]),
            None => &self.providers,
        };
        let mut candidates: Vec<u32> = providers
            .iter()
            .flat_map(|p| p.active.in_launch_order().iter().copied())
            .filter(|&i| self.fits(&self.instances[i as usize], service, size))
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
    pub(super) fn attribute<'s>(&'s self, instance: &Instance, name: &str) -> Option<&'s str> {
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

    /// Takes the resources of a task of size index `size` on `instance`.
    pub fn reserve(&mut self, instance: u32, (service, size): (usize, u32), slot: u32, now: SimTime) {
        let config = &self.scenario.services[service];
        let (cpu, memory, eni, port) = Self::needs(config, size);
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
        i.tasks.push((service as u32, slot, size));
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
        self.share((service, size), provider, weight_rate, now, 1.0);
    }

    /// Gives back the task's resources. An instance that was draining and has no non-daemon task
    /// left goes to termination.
    pub fn release(&mut self, instance: u32, (service, size): (usize, u32), slot: u32, now: SimTime) {
        let config = &self.scenario.services[service];
        let (cpu, memory, eni, port) = Self::needs(config, size);
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
        let at = i.tasks.iter().position(|&t| t == (service as u32, slot, size)).expect("the task is on this instance");
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
        self.share((service, size), provider, weight_rate, now, -1.0);
        // A drained instance goes when its last task does; a Spot one waits for EC2.
        let interrupted = self.instances[instance as usize].interrupted;
        if state == InstanceState::Draining && left == 0 && !interrupted && !self.work.terminate.contains(&instance) {
            self.work.terminate.push(instance);
        }
    }

    /// Starts (`sign` 1) or stops (−1) a task's share of its instance's cost.
    pub(super) fn share(
        &mut self,
        (service, size): (usize, u32),
        provider: usize,
        weight_rate: f64,
        now: SimTime,
        sign: f64,
    ) {
        let size = self.scenario.services[service].task_size(size);
        let cpu = sign * weight_rate * SPLIT_COST_CPU_WEIGHT * f64::from(size.cpu) / 1024.0;
        let memory = sign * weight_rate * f64::from(size.reserved_memory_mib()) / 1024.0;
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
        self.providers[waiting.provider as usize].waiting.push_back(waiting);
        let kind = self.kind(waiting.service as usize, waiting.size);
        self.providers[waiting.provider as usize].waiting_by_kind[kind] += 1;
    }

    /// A task of `service` of size index `size` waiting on `provider` was placed or cancelled.
    pub fn unwait(&mut self, (service, size): (usize, u32), provider: usize) {
        let kind = self.kind(service, size);
        self.providers[provider].waiting_by_kind[kind] -= 1;
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
}
