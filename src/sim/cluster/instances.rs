//! An EC2 instance's lifecycle: launch, `running`, ACTIVE, DRAINING, Spot notices and
//! interruptions, termination once no task is left, and the bill it accrues.

use super::*;

impl<'a> Cluster<'a> {
    pub(super) fn launch<R: Recorder>(
        &mut self,
        provider: usize,
        now: SimTime,
        state: InstanceState,
        recorder: &mut R,
    ) -> u32 {
        let services = &self.scenario.services;
        let p = &self.providers[provider];
        // The ASG balances zones: the zone with the fewest of its instances, the first on a tie;
        // a zone lost to an outage gets none.
        let zones = p.config.availability_zones;
        let az = (0..zones)
            .filter(|&z| !self.down[z as usize])
            .min_by_key(|&z| p.in_service.iter().filter(|&&i| self.instances[i as usize].az == z).count())
            .expect("a zone to launch in (the group waits while all are lost)");
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
    pub(super) fn start_billing(&mut self, instance: u32, now: SimTime, queue: &mut EventQueue<Event>) {
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

    /// An Availability Zone is lost: every instance there goes at once, with whatever runs on
    /// it, and none launches there until it returns. The instances lost, per provider.
    pub fn zone_down(&mut self, zone: u32) -> Vec<u32> {
        self.down[zone as usize] = true;
        let mut lost = vec![0; self.providers.len()];
        for (index, i) in self.instances.iter().enumerate() {
            if i.az == zone && i.state != InstanceState::Terminated {
                lost[i.provider as usize] += 1;
                self.work.terminate.push(index as u32);
            }
        }
        lost
    }

    pub fn zone_up(&mut self, zone: u32) {
        self.down[zone as usize] = false;
    }

    pub fn zone_is_down(&self, zone: u32) -> bool {
        self.down[zone as usize]
    }

    /// A provider's ACTIVE instances and its bill up to `now`.
    pub fn provider_now(&self, provider: usize, now: SimTime) -> (u32, f64) {
        let p = &self.providers[provider];
        let active =
            p.in_service.iter().filter(|&&i| self.instances[i as usize].state == InstanceState::Active).count();
        (active as u32, p.cost.at(now))
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
    pub(super) fn reprice(&mut self, instance: u32, rate: f64, now: SimTime) {
        let i = &self.instances[instance as usize];
        let (provider, old_rate, old_weight_rate, billed) =
            (i.provider as usize, i.rate, i.weight_rate, i.state != InstanceState::Pending);
        let new_weight_rate = old_weight_rate * rate / old_rate.max(f64::MIN_POSITIVE);
        let tasks = i.tasks.clone();
        for &(service, _, size) in &tasks {
            self.share((service as usize, size), provider, old_weight_rate, now, -1.0);
            self.share((service as usize, size), provider, new_weight_rate, now, 1.0);
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
    pub(super) fn register(&mut self, now: SimTime, instance: u32) {
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
    pub(super) fn deactivate(&mut self, now: SimTime, instance: u32) {
        let i = &self.instances[instance as usize];
        let free = (i.free_cpu, i.free_memory);
        let p = &mut self.providers[i.provider as usize];
        p.follow(now);
        p.active.remove(instance, free);
    }

    pub(super) fn transition<R: Recorder>(
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

    pub(super) fn schedule_timer(&mut self, at: SimTime, instance: u32, queue: &mut EventQueue<Event>) {
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
    pub(super) fn drain<R: Recorder>(&mut self, now: SimTime, instance: u32, reason: &'static str, recorder: &mut R) {
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
        let reason = match (i.interrupted, self.down[i.az as usize]) {
            (true, _) => "Spot interruption",
            (false, true) => "its Availability Zone became unavailable",
            (false, false) => "the group scaled in",
        };
        self.transition(now, instance, InstanceState::Terminated, reason, recorder);
    }
}
