//! The service scheduler: a task's lifecycle from launch to STOPPED (PROVISIONING, PENDING,
//! RUNNING, load-balancer health, draining), placement on Fargate or the cluster's instances,
//! which task a scale-in stops, and Fargate Spot interruptions.

use super::*;

impl ServiceState<'_> {
    /// Launches or stops tasks so that the tasks not stopping match the desired count. A daemon
    /// follows its instances instead.
    pub(in crate::sim) fn reconcile<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if self.hot.daemon {
            return;
        }
        if self.hot.job {
            self.run_job_tasks(now, next_number, recorder, queue, cluster);
            return;
        }
        if self.deploying.in_progress() {
            self.roll(now, next_number, recorder, queue, cluster);
            return;
        }
        let active = self.running + self.pending;
        for _ in active..self.desired {
            if !self.launch(now, next_number, recorder, queue, cluster) {
                break;
            }
        }
        for _ in self.desired..active {
            let slot = self.choose_task_to_stop(cluster);
            self.stop_task(now, slot, recorder, queue, cluster);
        }
    }

    /// Launches one task: on Fargate at once; on EC2 on the instance placement chooses, or
    /// waiting in PROVISIONING for a capacity provider to scale out. `false` when the launch
    /// failed to place (recorded once until a launch succeeds again).
    pub(super) fn launch<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) -> bool {
        let instance = match &self.config.launch {
            // Every zone of the service lost: nowhere to launch until one returns.
            Launch::Fargate(_) if (0..self.active_by_az.len() as u32).all(|az| cluster.zone_is_down(az)) => {
                return false;
            }
            Launch::Fargate(_) => None,
            Launch::Ec2(placement) => {
                let (provider, size) = (self.next_provider(placement), self.deploying.size());
                match cluster.choose_instance(self.index, size, provider, &mut self.placement_rng) {
                    Ok(instance) => Some(instance),
                    Err(_) if cluster.waits(provider) => {
                        let slot = self.new_task(now, TaskState::Provisioning, None, next_number, recorder, cluster);
                        self.count_pending();
                        let generation = self.slots[slot as usize].generation;
                        let provider = provider.expect("a waiting launch has a provider") as u32;
                        cluster.enqueue(Waiting { service: self.index as u32, size, provider, slot, generation });
                        return true;
                    }
                    Err(reason) => {
                        if !std::mem::replace(&mut self.failing, true) {
                            self.summary.placement_failures += 1;
                            recorder.placement_failure(&PlacementFailure { at: now, service: self.index, reason });
                        }
                        return false;
                    }
                }
            }
        };
        self.failing = false;
        self.provision(now, instance, next_number, recorder, queue, cluster);
        if self.replacements_owed > 0 {
            self.replacements_owed -= 1;
            self.summary.spot_replacements += 1;
        }
        true
    }

    /// A new task in PROVISIONING on `instance` (none on Fargate), its provisioning timer set.
    pub(super) fn provision<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: Option<u32>,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let slot = self.new_task(now, TaskState::Provisioning, instance, next_number, recorder, cluster);
        self.count_pending();
        let delay = self.config.provisioning.sample(&mut self.rng);
        // With no Spot capacity, a Spot launch waits in PROVISIONING until there is some.
        let ready = match self.fargate_spot.unavailable_until(now.as_millis()) {
            Some(end) if self.slots[slot as usize].spot => now.after(delay).max(SimTime::from_millis(end)),
            _ => now.after(delay),
        };
        self.schedule_timer(ready, slot, queue);
    }

    pub(super) fn count_pending(&mut self) {
        self.pending += 1;
        self.interval.pending_max = self.interval.pending_max.max(self.pending);
    }

    /// A daemon task for an instance that has just registered.
    pub(in crate::sim) fn launch_daemon<R: Recorder>(
        &mut self,
        now: SimTime,
        instance: u32,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if !cluster.fits_daemon(instance, self.index) {
            self.summary.placement_failures += 1;
            recorder.placement_failure(&PlacementFailure {
                at: now,
                service: self.index,
                reason: crate::sim::cluster::NO_ROOM,
            });
            return;
        }
        self.desired += 1;
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        self.provision(now, Some(instance), next_number, recorder, queue, cluster);
    }

    /// The capacity provider an EC2 launch goes to by the strategy; `None` for a launch type.
    pub(super) fn next_provider(&self, placement: &crate::config::Ec2Placement) -> Option<usize> {
        if placement.providers.is_empty() {
            return None;
        }
        Some(placement.providers[next_launch(self.config.strategy_split, &self.shares, &self.tasks_per_item)].0)
    }

    /// The strategy item a Fargate launch goes to (base first, then the weights), and whether
    /// it runs on Spot. A Spot launch while Spot has no capacity goes to FARGATE instead when
    /// the scenario falls back (the first FARGATE item, or one past the strategy's items).
    pub(super) fn choose_item(&self, fargate: &FargateLaunch, now: SimTime) -> (u8, bool) {
        // The fallback item has neither base nor weight: the strategy never chooses it.
        let item = next_launch(self.config.strategy_split, &self.shares, &self.tasks_per_item);
        let spot = fargate.strategy[item].0;
        if spot && self.fargate_spot.fallback && self.fargate_spot.unavailable_until(now.as_millis()).is_some() {
            let on_demand = fargate.strategy.iter().position(|(spot, _)| !spot).unwrap_or(fargate.strategy.len());
            return (on_demand as u8, false);
        }
        (item as u8, spot)
    }

    /// A RUNNING Fargate Spot task's interruption, drawn from the scenario's rate.
    pub(super) fn schedule_interruption(&mut self, now: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let task = &self.slots[slot as usize];
        if !task.spot {
            return;
        }
        let generation = task.generation;
        if let Some(at) =
            self.fargate_spot.interruptions.as_ref().and_then(|h| h.next_after(now.as_millis(), &mut self.spot_rng))
        {
            queue.schedule(
                SimTime::from_millis(at),
                Event::SpotTaskInterruption { service: self.index as u32, slot, generation },
            );
        }
    }

    /// AWS takes a Fargate Spot task back: "a two-minute warning is sent … as a task state
    /// change event … and as a SIGTERM signal to the running task" (reference §5.4). The task
    /// stops serving at once and stops after its stop timeout (at most the two minutes); the
    /// scheduler launches its replacement by the strategy.
    pub(in crate::sim) fn interrupt<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &Cluster,
    ) {
        let task = &self.slots[slot as usize];
        if task.generation != generation || task.state != TaskState::Running {
            return;
        }
        self.summary.spot_interruptions += 1;
        self.awaiting_replacement += 1;
        self.replacements_owed += 1;
        self.replacing_in_tick = true;
        self.forget(slot);
        self.leave_running(now, slot);
        self.transition_because(now, slot, TaskState::Stopping, Some(SPOT_INTERRUPTED), recorder, cluster);
        self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
    }

    /// Whether a waiting task is still the one queued.
    pub(in crate::sim) fn still_waiting(&self, slot: u32, generation: u32) -> bool {
        self.slots[slot as usize].generation == generation
    }

    /// A waiting task found room on `instance`: its provisioning (ENI, pull preparations) starts.
    pub(in crate::sim) fn place_waiting(
        &mut self,
        now: SimTime,
        slot: u32,
        instance: u32,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let kind = (self.index, self.slots[slot as usize].size);
        cluster.unwait(kind, cluster.instance_provider(instance));
        cluster.reserve(instance, kind, slot, now);
        let az = cluster.instance_az(instance);
        let task = &mut self.slots[slot as usize];
        task.instance = Some(instance);
        task.az = az;
        self.unplaced.retain(|&s| s != slot);
        self.active_by_az[az as usize].push(slot);
        let delay = self.config.provisioning.sample(&mut self.rng);
        self.schedule_timer(now.after(delay), slot, queue);
    }

    pub(super) fn new_task<R: Recorder>(
        &mut self,
        now: SimTime,
        state: TaskState,
        instance: Option<u32>,
        next_number: &mut u64,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) -> u32 {
        let az = match (&self.config.launch, instance) {
            // Fargate spreads a service's tasks across zones: the zone with the fewest goes first;
            // none goes to a zone lost to an outage (`launch` checks that one is left).
            (Launch::Fargate(_), _) => Some(
                (0..self.active_by_az.len())
                    .filter(|&az| !cluster.zone_is_down(az as u32))
                    .min_by_key(|&az| self.active_by_az[az].len())
                    .unwrap_or(0) as u32,
            ),
            (Launch::Ec2(_), Some(instance)) => Some(cluster.instance_az(instance)),
            (Launch::Ec2(_), None) => None,
        };
        let (item, spot) = match &self.config.launch {
            Launch::Fargate(fargate) => self.choose_item(fargate, now),
            // The strategy item of the instance's provider, or (not placed yet) the one the
            // strategy chose for this launch.
            Launch::Ec2(placement) => {
                let item = match instance {
                    Some(i) => placement.providers.iter().position(|&(p, _)| p == cluster.instance_provider(i)),
                    None => self
                        .next_provider(placement)
                        .and_then(|p| placement.providers.iter().position(|&(q, _)| q == p)),
                };
                (item.unwrap_or(0) as u8, false)
            }
        };
        let number = *next_number;
        *next_number += 1;
        let fresh = TaskSlot {
            number,
            generation: 0,
            az: az.unwrap_or(0),
            instance,
            item,
            spot,
            state,
            in_service: false,
            healthy: false,
            revision: self.deploying.revision(),
            fails: self.deploying.draw_failure(self.config),
            size: self.deploying.size(),
            requested: self.requested.unwrap_or(now),
            running_since: now,
            billing_since: now,
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                let generation = self.slots[slot as usize].generation;
                self.slots[slot as usize] = TaskSlot { generation, ..fresh };
                slot
            }
            None => {
                self.slots.push(fresh);
                (self.slots.len() - 1) as u32
            }
        };
        match (az, instance) {
            (Some(az), _) => self.active_by_az[az as usize].push(slot),
            (None, _) => self.unplaced.push(slot),
        }
        if let Some(instance) = instance {
            cluster.reserve(instance, (self.index, self.slots[slot as usize].size), slot, now);
        }
        if let Some(count) = self.tasks_per_item.get_mut(usize::from(item)) {
            *count += 1;
        }
        self.summary.tasks_launched += 1;
        self.live += 1;
        self.note_surge(now);
        let instance = instance.map(|i| cluster.instance_number(i));
        recorder.task(&TaskEvent {
            at: now,
            service: self.index,
            task: number,
            az,
            instance,
            from: None,
            to: state,
            reason: spot.then_some(ON_FARGATE_SPOT),
        });
        slot
    }

    /// The task scale-in stops. With a Fargate strategy, from the item most over its share
    /// (`capacity::next_stop`). Launches not placed yet go first, then launches still starting
    /// (newest first). On Fargate, and on EC2 without a placement strategy, ECS then takes the
    /// zone with the most of this service's tasks (ties: the zone filled last, which undoes
    /// launches in reverse order); on EC2 then the instance with the most of them. With
    /// strategies, each rule in order keeps the tasks whose removal best serves it: binpack the
    /// instance with the most of the resource free, spread the fullest zone or instance. The
    /// newest task of those left stops.
    pub(super) fn choose_task_to_stop(&self, cluster: &Cluster) -> u32 {
        self.choose_task_to_stop_among(cluster, |_| true).expect("an active task to stop")
    }

    /// The task a scale-in would stop among the active tasks `among` accepts (a deployment's
    /// old or new tasks), if any.
    pub(super) fn choose_task_to_stop_among(
        &self,
        cluster: &Cluster,
        among: impl Fn(&TaskSlot) -> bool,
    ) -> Option<u32> {
        if let Some(&slot) = self.unplaced.iter().rev().find(|&&s| among(&self.slots[s as usize])) {
            return Some(slot);
        }
        // Sized once: growing it from empty cost more than the choice itself.
        let mut candidates: Vec<u32> = Vec::with_capacity(self.live as usize);
        for zone in &self.active_by_az {
            candidates.extend(zone.iter().copied().filter(|&s| among(&self.slots[s as usize])));
        }
        // A strategy first gives up a task of the item most over its share (On-Demand tasks
        // launched as a fallback from Spot, with no share, first).
        if self.shares.len() > 1 {
            let item = next_stop(self.config.strategy_split, &self.shares, &self.tasks_per_item) as u8;
            let of_item = |s: &u32| self.slots[*s as usize].item == item;
            if candidates.iter().any(of_item) {
                candidates.retain(of_item);
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let starting = |s: &u32| self.slots[*s as usize].state != TaskState::Running;
        if candidates.iter().any(starting) {
            candidates.retain(starting);
        }
        let zone_size = |slot: &u32| {
            let az = self.slots[*slot as usize].az as usize;
            (self.active_by_az[az].len() as i64) * 64 + az as i64
        };
        let on_instance = |slot: &u32| self.slots[*slot as usize].instance.expect("an EC2 task placed");
        match self.config.ec2() {
            None => keep_greatest(&mut candidates, zone_size),
            Some(placement) if placement.strategies.is_empty() => {
                keep_greatest(&mut candidates, zone_size);
                keep_greatest(&mut candidates, |s| i64::from(cluster.service_tasks_on(on_instance(s), self.index)));
            }
            Some(placement) => {
                for strategy in &placement.strategies {
                    match strategy {
                        Strategy::Binpack(Resource::Cpu) => {
                            keep_greatest(&mut candidates, |s| i64::from(cluster.free(on_instance(s)).0))
                        }
                        Strategy::Binpack(Resource::Memory) => {
                            keep_greatest(&mut candidates, |s| i64::from(cluster.free(on_instance(s)).1))
                        }
                        Strategy::Spread(SpreadField::Attribute(name)) if name == AVAILABILITY_ZONE => {
                            keep_greatest(&mut candidates, zone_size)
                        }
                        Strategy::Spread(SpreadField::InstanceId) => keep_greatest(&mut candidates, |s| {
                            i64::from(cluster.service_tasks_on(on_instance(s), self.index))
                        }),
                        Strategy::Spread(SpreadField::Attribute(_)) | Strategy::Random => {}
                    }
                }
            }
        }
        candidates.iter().copied().max_by_key(|&s| self.slots[s as usize].number)
    }

    /// Stops one active task: a launch still starting stops at once; a RUNNING task is
    /// deregistered from its load balancer (if any) and gets SIGTERM and its stop timeout.
    pub(super) fn stop_task<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        self.stop_task_because(now, slot, None, recorder, queue, cluster);
    }

    pub(super) fn stop_task_because<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        reason: Option<&'static str>,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        self.forget(slot);
        match self.slots[slot as usize].state {
            TaskState::Provisioning | TaskState::Pending => {
                self.pending -= 1;
                self.finish(now, slot, reason, recorder, cluster);
            }
            TaskState::Running => {
                self.leave_running(now, slot);
                // Behind a load balancer the task is deregistered first and drains for the
                // deregistration delay; then SIGTERM, and the stop timeout.
                match self.config.load_balancer {
                    Some(lb) => {
                        self.transition_because(now, slot, TaskState::Deactivating, reason, recorder, cluster);
                        self.schedule_timer(now.after(lb.deregistration_delay_ms), slot, queue);
                    }
                    None => {
                        self.transition_because(now, slot, TaskState::Stopping, reason, recorder, cluster);
                        self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
                    }
                }
            }
            TaskState::Deactivating | TaskState::Stopping | TaskState::Stopped => {
                unreachable!("only active tasks are stopped")
            }
        }
    }

    /// Removes an active task from the scheduler's lists.
    pub(super) fn forget(&mut self, slot: u32) {
        let task = &self.slots[slot as usize];
        if let Some(count) = self.tasks_per_item.get_mut(usize::from(task.item)) {
            *count -= 1;
        }
        if task.instance.is_none() && self.config.ec2().is_some() {
            self.unplaced.retain(|&s| s != slot);
        } else {
            self.active_by_az[task.az as usize].retain(|&s| s != slot);
        }
    }

    /// Leaves RUNNING (for DEACTIVATING, STOPPING or STOPPED): no longer serving or healthy.
    pub(super) fn leave_running(&mut self, now: SimTime, slot: u32) {
        self.integrate(now);
        self.running -= 1;
        let task = &mut self.slots[slot as usize];
        self.running_spot -= u32::from(task.spot);
        let tally = &mut self.by_size[task.size as usize];
        tally.running -= 1;
        if std::mem::take(&mut task.in_service) {
            self.serving -= 1;
            tally.serving -= 1;
        }
        if std::mem::take(&mut task.healthy) {
            self.healthy -= 1;
        }
    }

    /// STOPPED: the bill closes, the instance gets its resources back, the slot is free.
    pub(super) fn finish<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        reason: Option<&'static str>,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) {
        let task = &self.slots[slot as usize];
        let billed = task.state != TaskState::Provisioning;
        let kind = (self.index, task.size);
        match task.instance {
            Some(instance) => cluster.release(instance, kind, slot, now),
            None => {
                if let Some(placement) = self.config.ec2() {
                    cluster.unwait(kind, placement.providers[usize::from(task.item)].0);
                }
            }
        }
        if billed {
            self.stop_billing(slot, now);
        }
        self.transition_because(now, slot, TaskState::Stopped, reason, recorder, cluster);
        self.free(slot);
        self.live -= 1;
        self.note_surge(now);
    }

    /// The task's instance is draining: the task stops as in a scale-in, and the scheduler
    /// launches its replacement elsewhere.
    pub(in crate::sim) fn evict<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        if matches!(self.slots[slot as usize].state, TaskState::Provisioning | TaskState::Pending | TaskState::Running)
        {
            self.stop_task(now, slot, recorder, queue, cluster);
        }
    }

    /// A zone is lost: the service's Fargate tasks there are gone at once (those on EC2 go with
    /// their instances). The tasks lost.
    pub(in crate::sim) fn zone_lost<R: Recorder>(
        &mut self,
        now: SimTime,
        zone: u32,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) -> u32 {
        if self.config.ec2().is_some() {
            return 0;
        }
        let lost: Vec<u32> = (0..self.slots.len() as u32)
            .filter(|&s| self.slots[s as usize].az == zone && self.slots[s as usize].state != TaskState::Stopped)
            .collect();
        for &slot in &lost {
            self.kill(now, slot, recorder, cluster);
        }
        lost.len() as u32
    }

    /// The EC2 tasks of the service in `zone`, alive in any state (lost with their instances).
    pub(in crate::sim) fn tasks_in_zone(&self, zone: u32) -> u32 {
        let on_ec2 = self.config.ec2().is_some();
        self.slots
            .iter()
            .filter(|t| on_ec2 && t.instance.is_some() && t.az == zone && t.state != TaskState::Stopped)
            .count() as u32
    }

    /// The task's instance is terminating: the task is gone at once, whatever its state.
    pub(in crate::sim) fn kill<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) {
        match self.slots[slot as usize].state {
            TaskState::Provisioning | TaskState::Pending => {
                self.forget(slot);
                self.pending -= 1;
            }
            TaskState::Running => {
                self.forget(slot);
                self.leave_running(now, slot);
            }
            TaskState::Deactivating | TaskState::Stopping => {}
            TaskState::Stopped => unreachable!("a stopped task is on no instance"),
        }
        if self.config.is_daemon() {
            self.desired -= 1;
        }
        self.finish(now, slot, None, recorder, cluster);
    }

    /// A task's timed state has ended. Whether a deployment may move on: a task became healthy
    /// or stopped (a start or a deregistration changes neither bound).
    pub(in crate::sim) fn task_timer<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        generation: u32,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) -> bool {
        let task = &self.slots[slot as usize];
        if task.generation != generation {
            return false; // set in an earlier state: the task has moved on since
        }
        match task.state {
            TaskState::Provisioning => {
                self.start_billing(slot, now);
                self.transition(now, slot, TaskState::Pending, recorder, cluster);
                let delay =
                    self.deploying.startup(self.config, self.slots[slot as usize].revision).sample(&mut self.rng);
                self.schedule_timer(now.after(delay), slot, queue);
                false
            }
            TaskState::Pending => {
                self.pending -= 1;
                if self.exits_at_start(slot) {
                    self.fail_task(now, slot, recorder, queue, cluster);
                    return true;
                }
                self.integrate(now);
                self.enter_running(slot);
                self.summary.peak_running = self.summary.peak_running.max(self.running);
                self.interval.running_max = self.interval.running_max.max(self.running);
                self.interval.running_spot_max = self.interval.running_spot_max.max(self.running_spot);
                self.transition(now, slot, TaskState::Running, recorder, cluster);
                self.slots[slot as usize].running_since = now;
                self.awaiting_replacement = self.awaiting_replacement.saturating_sub(1);
                self.schedule_interruption(now, slot, queue);
                self.await_health(now, slot, queue);
                if self.config.is_job() {
                    self.job_task_running(now, slot, queue);
                }
                false
            }
            TaskState::Running => {
                // The load balancer's health checks have passed (or, without one, the 40 s a
                // deployment waits for).
                if self.config.load_balancer.is_some() {
                    self.integrate(now);
                    self.enter_service(slot);
                }
                self.become_healthy(slot);
                true
            }
            TaskState::Deactivating => {
                self.transition(now, slot, TaskState::Stopping, recorder, cluster);
                self.schedule_timer(now.after(self.config.stop_timeout_ms), slot, queue);
                false
            }
            TaskState::Stopping => {
                self.finish(now, slot, None, recorder, cluster);
                true
            }
            TaskState::Stopped => unreachable!("no timer runs for a stopped task"),
        }
    }

    /// Counts a task that reaches RUNNING.
    pub(super) fn enter_running(&mut self, slot: u32) {
        let task = &self.slots[slot as usize];
        self.running += 1;
        self.running_spot += u32::from(task.spot);
        self.by_size[task.size as usize].running += 1;
    }

    pub(super) fn enter_service(&mut self, slot: u32) {
        let task = &mut self.slots[slot as usize];
        task.in_service = true;
        self.serving += 1;
        self.by_size[task.size as usize].serving += 1;
    }

    pub(super) fn schedule_timer(&self, at: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let generation = self.slots[slot as usize].generation;
        queue.schedule(at, Event::TaskTimer { service: self.index as u32, slot, generation });
    }

    pub(super) fn transition<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        to: TaskState,
        recorder: &mut R,
        cluster: &Cluster,
    ) {
        self.transition_because(now, slot, to, None, recorder, cluster);
    }

    pub(super) fn transition_because<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        to: TaskState,
        reason: Option<&'static str>,
        recorder: &mut R,
        cluster: &Cluster,
    ) {
        let task = &mut self.slots[slot as usize];
        let from = Some(task.state);
        task.state = to;
        task.generation += 1;
        recorder.task(&TaskEvent {
            at: now,
            service: self.index,
            task: task.number,
            az: Some(task.az),
            instance: task.instance.map(|i| cluster.instance_number(i)),
            from,
            to,
            reason,
        });
    }

    pub(super) fn free(&mut self, slot: u32) {
        self.slots[slot as usize].generation += 1;
        self.free_slots.push(slot);
    }
}
