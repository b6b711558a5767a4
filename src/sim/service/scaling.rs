//! Policy application: the service's alarms evaluated over its samples, the decisions applied
//! to its desired count (cooldowns, limits, scale-in suspended while a deployment runs), and the
//! timetable: scheduled actions that move its range, updates that set its desired count, the
//! starts of deployments.

use super::*;

impl ServiceState<'_> {
    pub(in crate::sim) fn evaluate_policies<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        // No alarm in ALARM, the common minute: nothing to evaluate.
        // [`may_act`]: an alarm in ALARM, as the datapoints left them, or none running and a
        // breaching datapoint.
        if !(self.alarmed || (self.running == 0 && may_act(&self.policies, 0))) {
            self.held.fill(None);
            return;
        }
        let view = CapacityView {
            now,
            running: self.running,
            desired: self.desired,
            min_capacity: self.min_capacity,
            max_capacity: self.max_capacity,
            last_scale_out: self.last_scale_out,
            last_scale_in: self.last_scale_in,
        };
        // "Application Auto Scaling turns off scale-in processes while Amazon ECS deployments
        // are in progress" (§1.8).
        let mut suspension = self.config.suspension;
        suspension.dynamic_scaling_in_suspended |= self.deploying.in_progress();
        let decisions = evaluate(&self.config.policies, &self.policies, suspension, &view);
        if decisions.is_empty() {
            self.held.fill(None);
            return;
        }
        for (policy, held) in self.held.iter_mut().enumerate() {
            let now_held = decisions
                .iter()
                .find(|d| d.policy == policy && d.new_desired == self.desired)
                .and_then(|d| d.limited_by.map(|l| (d.direction, l)));
            let repeated = now_held.is_some() && now_held == *held;
            *held = now_held;
            for decision in decisions.iter().filter(|d| d.policy == policy) {
                if repeated && decision.new_desired == self.desired {
                    continue; // the same hold as last minute: recorded then
                }
                let alarm = &self.policies[policy].alarms[decision.alarm];
                recorder.scaling(&ScalingEvent {
                    at: now,
                    service: self.index,
                    decision: *decision,
                    datapoints: alarm.datapoints().collect(),
                    running: self.running,
                    desired_before: self.desired,
                });
            }
        }
        let Some(winner) = decisions.iter().find(|d| d.won) else { return };
        self.desired = winner.new_desired;
        self.note_surge(now);
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        self.policies[winner.policy].last_activity = Some((now, winner.direction, winner.base));
        match winner.direction {
            Direction::Out => {
                self.summary.scale_outs += 1;
                self.last_scale_out = Some(now);
                // "if another alarm triggers a scale-out activity during the scale-in cooldown
                // period, Application Auto Scaling scales out the target immediately. In this
                // case, the scale-in cooldown period stops and doesn't complete." (§1.4)
                self.last_scale_in = None;
            }
            Direction::In => {
                self.summary.scale_ins += 1;
                self.last_scale_in = Some(now);
            }
        }
    }

    pub(in crate::sim) fn schedule_next_action(&self, queue: &mut EventQueue<Event>) {
        if let Some(&(at, _)) = self.timetable.get(self.next_due) {
            queue.schedule(SimTime::from_millis(at), Event::Scheduled { service: self.index as u32 });
        }
    }

    /// A `Scheduled` event: runs what is due now (unless this instant's tick already did),
    /// lets the scheduler act, and queues the next firing.
    pub(in crate::sim) fn run_scheduled<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        self.run_due(now, (recorder, queue), cluster);
        self.reconcile(now, next_number, recorder, queue, cluster);
        self.schedule_next_action(queue);
    }

    /// Runs what the timetable has due now: scheduled actions, updates of the desired count and
    /// the starts of deployments. The tick calls this too, before the policies decide, so that
    /// what is due at a tick always comes first, however its event was queued.
    pub(in crate::sim) fn run_due<R: Recorder>(
        &mut self,
        now: SimTime,
        (recorder, queue): (&mut R, &mut EventQueue<Event>),
        cluster: &Cluster,
    ) {
        while let Some(&(at, due)) = self.timetable.get(self.next_due)
            && at <= now.as_millis()
        {
            self.next_due += 1;
            match due {
                Due::Timed(Timed::Action(action)) => self.run_action(now, action, recorder),
                Due::Timed(Timed::Update(update)) => self.update(now, update, recorder),
                Due::Deployment(deployment) => self.start_deployment(now, deployment, (recorder, queue), cluster),
                Due::JobStart => self.start_job(now),
            }
        }
    }

    /// A scheduled action sets the min and/or max capacity and moves the desired count into the
    /// new range at once, whatever the cooldowns (§3). A new min above the current max raises
    /// the max with it, and the other way round.
    fn run_action<R: Recorder>(&mut self, now: SimTime, action: usize, recorder: &mut R) {
        if self.config.suspension.scheduled_scaling_suspended {
            return;
        }
        let settings = &self.config.scheduled_actions[action];
        (self.min_capacity, self.max_capacity) =
            reranged((self.min_capacity, self.max_capacity), settings.min_capacity, settings.max_capacity);
        let desired = self.desired.clamp(self.min_capacity, self.max_capacity);
        self.set_desired(now, Timed::Action(action), desired, recorder);
    }

    /// `UpdateService` sets the desired count as given, even outside the scalable target's
    /// range: the next scaling activity moves it into range first (§1.7, `scaling::evaluate`).
    fn update<R: Recorder>(&mut self, now: SimTime, update: usize, recorder: &mut R) {
        self.set_desired(now, Timed::Update(update), self.config.updates[update].desired_count, recorder);
    }

    fn set_desired<R: Recorder>(&mut self, now: SimTime, what: Timed, desired: u32, recorder: &mut R) {
        let before = self.desired;
        self.desired = desired;
        self.summary.peak_desired = self.summary.peak_desired.max(self.desired);
        self.note_surge(now);
        recorder.scheduled(&ScheduledEvent {
            at: now,
            service: self.index,
            what,
            desired_before: before,
            desired_after: self.desired,
            min_capacity: self.min_capacity,
            max_capacity: self.max_capacity,
        });
    }
}
