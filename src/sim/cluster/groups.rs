//! The Auto Scaling groups of the capacity providers: ECS managed scaling's
//! CapacityProviderReservation and alarms, the group's desired capacity, scale-in pace.

use super::*;

impl<'a> Cluster<'a> {
    /// Each minute: CapacityProviderReservation for every provider with managed scaling, its
    /// alarms and decision, then every group moves toward its desired capacity.
    pub fn scale<R: Recorder>(&mut self, now: SimTime, minute: bool, recorder: &mut R, queue: &mut EventQueue<Event>) {
        for provider in 0..self.providers.len() {
            if minute && let Some(settings) = self.providers[provider].config.managed_scaling {
                self.managed_scaling(provider, now, &settings, recorder);
            }
            self.move_to_desired(provider, now, recorder, queue);
        }
    }

    pub(super) fn managed_scaling<R: Recorder>(
        &mut self,
        provider: usize,
        now: SimTime,
        settings: &crate::capacity::ManagedScaling,
        recorder: &mut R,
    ) {
        let p = &self.providers[provider];
        let running = p.in_service.len() as u32;
        let empty = p
            .in_service
            .iter()
            .filter(|&&i| {
                let i = &self.instances[i as usize];
                i.state == InstanceState::Active && i.non_daemon_tasks == 0
            })
            .count() as u32;
        let waiting_tasks: u32 = p.waiting_by_kind.iter().sum();
        let needed = self.instances_needed(provider);
        let value = match needed {
            // Tasks wait but none fits the smallest type: "remains at 100%"; or every one will
            // fit on an instance already launching: M = N.
            None if waiting_tasks > 0 => 100.0,
            _ => reservation(running, needed, empty, settings),
        };
        let p = &mut self.providers[provider];
        p.last_reservation = Some(value);
        let signal = p.alarms.push(value, f64::from(settings.target_capacity));
        let proposed = group_capacity(signal, running, needed.is_some(), empty, value, settings);
        let desired = p.desired;
        let (direction, wanted) = match signal {
            Signal::Quiet => return,
            Signal::High => (Direction::Out, proposed.max(desired)),
            Signal::Low => (Direction::In, proposed.min(desired)),
        };
        let warming = direction == Direction::Out
            && p.in_service
                .iter()
                .any(|&i| now.since(self.instances[i as usize].launched_at) < settings.instance_warmup_period_ms);
        let (new_desired, limited_by) = if warming && wanted > desired {
            (desired, Some("instance_warmup"))
        } else if wanted > p.max_size {
            (p.max_size.max(desired.min(p.max_size)), Some("max_size"))
        } else if wanted < p.min_size {
            (p.min_size, Some("min_size"))
        } else {
            (wanted, None)
        };
        let hold = (new_desired == desired).then_some(limited_by).flatten().map(|l| (direction, l));
        let repeated = hold.is_some() && hold == p.held;
        p.held = hold;
        if (new_desired == desired && hold.is_none()) || repeated {
            return;
        }
        match direction {
            Direction::Out if new_desired > desired => p.summary.scale_outs += 1,
            Direction::In if new_desired < desired => p.summary.scale_ins += 1,
            _ => {}
        }
        p.desired = new_desired;
        recorder.group_scaling(&GroupScalingEvent {
            at: now,
            provider,
            direction,
            action: None,
            reservation: Some(value),
            instances: running,
            empty,
            waiting_tasks,
            desired_before: desired,
            proposed,
            desired_after: new_desired,
            limited_by,
            min_size: p.min_size,
            max_size: p.max_size,
        });
    }

    /// When the next group scheduled action is due, in milliseconds from the start.
    pub fn next_group_action(&self) -> Option<u64> {
        self.timetable.get(self.next_due).map(|&(at, _, _)| at)
    }

    /// Runs the group scheduled actions due now, in time, provider and file order: each sets
    /// the limits it gives and the desired capacity, the one it gives or the current one moved
    /// into the new range ("the minimum, maximum, and desired capacity", EC2 Auto Scaling's
    /// PutScheduledUpdateGroupAction); then the group moves toward it. The tick runs them too,
    /// before managed scaling decides.
    pub fn run_group_actions<R: Recorder>(&mut self, now: SimTime, recorder: &mut R, queue: &mut EventQueue<Event>) {
        while let Some(&(at, provider, action)) = self.timetable.get(self.next_due)
            && at <= now.as_millis()
        {
            self.next_due += 1;
            let settings = &self.providers[provider].config.scheduled_actions[action];
            let p = &mut self.providers[provider];
            (p.min_size, p.max_size) =
                crate::scaling::reranged((p.min_size, p.max_size), settings.min_size, settings.max_size);
            let before = p.desired;
            p.desired = settings.desired_capacity.unwrap_or(before).clamp(p.min_size, p.max_size);
            let (running, waiting_tasks) = (p.in_service.len() as u32, p.waiting_by_kind.iter().sum());
            recorder.group_scaling(&GroupScalingEvent {
                at: now,
                provider,
                direction: if p.desired >= before { Direction::Out } else { Direction::In },
                action: Some(action),
                reservation: None,
                instances: running,
                empty: 0,
                waiting_tasks,
                desired_before: before,
                proposed: p.desired,
                desired_after: p.desired,
                limited_by: None,
                min_size: p.min_size,
                max_size: p.max_size,
            });
            self.move_to_desired(provider, now, recorder, queue);
        }
    }

    /// The scale-out estimate: waiting tasks grouped by identical needs, binpacked on the
    /// provider's largest type, groups that the smallest cannot run left out (§4.2).
    pub(super) fn instances_needed(&self, provider: usize) -> Option<u32> {
        let p = &self.providers[provider];
        let mut groups: Vec<(TaskNeeds, u32)> = Vec::new();
        for (&(service, size), &count) in self.kinds.iter().zip(&p.waiting_by_kind) {
            if count == 0 {
                continue;
            }
            let config = &self.scenario.services[service as usize];
            let (cpu, memory, eni, port) = Self::needs(config, size);
            let distinct = config.ec2().is_some_and(|e| e.constraints.contains(&Constraint::DistinctInstance));
            let needs =
                TaskNeeds { cpu_units: cpu, memory_mib: memory, eni, one_per_instance: port.is_some() || distinct };
            match groups.iter_mut().find(|(n, _)| *n == needs) {
                Some((_, c)) => *c += count,
                None => groups.push((needs, count)),
            }
        }
        // "Tasks the customer is trying to run that don't fit on the existing instances"
        // (§4.2): the instances the group has launched exist, and N counts them, so the tasks
        // they will hold once registered (each taken empty, for one group) are not counted again.
        // Otherwise, with a short `instance_warmup_period`, a scale-out would be asked for
        // again every minute until the instances register.
        let mut launching: Vec<InstanceShape> = p
            .in_service
            .iter()
            .map(|&i| &self.instances[i as usize])
            .filter(|i| matches!(i.state, InstanceState::Pending | InstanceState::Booting))
            .map(|i| InstanceShape { cpu_units: i.free_cpu, memory_mib: i.free_memory, task_enis: i.free_enis })
            .collect();
        for (needs, count) in &mut groups {
            launching.retain(|shape| {
                let fit = tasks_per_instance(needs, shape);
                if *count == 0 || fit == 0 {
                    return true;
                }
                *count = count.saturating_sub(fit);
                false
            });
        }
        groups.retain(|(_, count)| *count > 0);
        if groups.is_empty() {
            return None;
        }
        let settings = p.config.managed_scaling.expect("managed scaling");
        let (smallest, largest) = &p.shape_bounds;
        instances_needed(&groups, smallest, largest, settings.groups)
    }

    /// Launches or removes instances until the group matches its desired capacity. On scale-in
    /// the ASG keeps its zones balanced: an instance of the zone with the most; there ecsim
    /// takes the one with the fewest non-daemon tasks, then the newest (AWS's later tie-breaks,
    /// launch template age and billing hour, do not apply here). Managed termination protection
    /// keeps every instance that runs a non-daemon task, and those not registered yet.
    pub(super) fn move_to_desired<R: Recorder>(
        &mut self,
        provider: usize,
        now: SimTime,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
    ) {
        let zones = self.providers[provider].config.availability_zones as usize;
        let all_lost = self.down[..zones].iter().all(|&down| down);
        while !all_lost && (self.providers[provider].in_service.len() as u32) < self.providers[provider].desired {
            let instance = self.launch(provider, now, InstanceState::Pending, recorder);
            let p = &mut self.providers[provider];
            let delay = p.config.pending.sample(&mut p.rng);
            self.schedule_timer(now.after(delay), instance, queue);
        }
        while (self.providers[provider].in_service.len() as u32) > self.providers[provider].desired {
            let p = &self.providers[provider];
            let protected = p.config.managed_termination_protection;
            let removable = |i: &u32| {
                let i = &self.instances[*i as usize];
                !protected || (i.state == InstanceState::Active && i.non_daemon_tasks == 0)
            };
            let mut zone_sizes = vec![0usize; p.config.availability_zones as usize];
            for &i in &p.in_service {
                zone_sizes[self.instances[i as usize].az as usize] += 1;
            }
            let Some(&instance) = p.in_service.iter().filter(|i| removable(i)).max_by_key(|&&i| {
                let i_ref = &self.instances[i as usize];
                (zone_sizes[i_ref.az as usize], std::cmp::Reverse(i_ref.non_daemon_tasks), i)
            }) else {
                return; // every instance is protected: the ASG waits
            };
            if p.config.managed_draining {
                self.drain(now, instance, "managed draining before scale-in", recorder);
            } else {
                self.deactivate(now, instance);
                self.providers[provider].in_service.retain(|&x| x != instance);
                self.work.terminate.push(instance);
            }
        }
    }
}
