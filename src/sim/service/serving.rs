//! Serving: the running integrals of what a service's tasks serve (and, with a queue, what
//! waits), the one-minute metric samples its alarms see, and its series rows.

use super::*;

impl ServiceState<'_> {
    /// Accounts for serving from the last state change up to `now`.
    pub(super) fn integrate(&mut self, now: SimTime) {
        let mut tick = std::mem::take(&mut self.this_tick);
        self.integrate_into(now, &mut tick);
        self.this_tick = tick;
    }

    /// [`Self::integrate`] into the tick's integrals `tick`, taken out of `this_tick`. The tick
    /// loop keeps them in a local from here to the alarms: reading back a struct just written
    /// field by field stalls the processor (store-to-load forwarding), and this runs for every
    /// service every tick.
    #[inline(always)]
    fn integrate_into(&mut self, now: SimTime, tick: &mut Serving) {
        let dt = now.since(self.integrated_to);
        if dt == 0 {
            return;
        }
        let seconds = seconds(dt);
        // Only tasks in service take requests; every RUNNING task counts in CPU utilization.
        let (capacity, serving_capacity) = self.capacities();
        let can_serve = serving_capacity * self.cpu_boost * seconds;
        let offered = self.load_rps * seconds;
        let served = if self.hot.queues {
            // The queue grows while load exceeds capacity and drains at the difference.
            let served = can_serve.min(offered + self.backlog);
            self.backlog = (self.backlog + offered - served).max(0.0);
            served
        } else {
            offered.min(can_serve)
        };
        self.elasticity.span(self.demand, self.running, dt);
        self.summary.demanded_task_ms += u64::from(self.demand) * dt;
        let resized = self.resized_running();
        tick.served += served;
        tick.capacity += capacity * seconds;
        tick.running_task_ms += u64::from(self.running) * dt;
        tick.running_spot_task_ms += u64::from(self.running_spot) * dt;
        tick.serving_task_ms += u64::from(self.serving) * dt;
        // One size running: the even share per task, as before right-sizing existed (the same
        // figures to the last bit); two sizes: each size's share of what the tasks can serve.
        if self.watches_memory && self.running > 0 && !resized {
            let tasks = f64::from(self.running);
            let used = self.config.memory_used_mib(served / seconds / tasks, self.config.memory);
            let reserved = f64::from(self.config.task_size(0).reserved_memory_mib());
            tick.memory_used += used * tasks * seconds;
            tick.memory_reserved += reserved * tasks * seconds;
        } else if self.watches_memory && self.running > 0 {
            for (k, tally) in (0..).zip(&self.by_size).filter(|(_, t)| t.running > 0) {
                let size = self.config.task_size(k);
                let rps = served / seconds * size.requests_per_task / capacity;
                let (used, tasks) = (self.config.memory_used_mib(rps, size.memory), f64::from(tally.running));
                tick.memory_used += used * tasks * seconds;
                tick.memory_reserved += f64::from(size.reserved_memory_mib()) * tasks * seconds;
            }
        }
        self.integrated_to = now;
    }

    /// Closes the tick that ends at `now`. With `datapoints` above zero the tick closes a
    /// minute too, whose samples the alarms get that many times (a tick may span minutes).
    pub(in crate::sim) fn close_tick(&mut self, now: SimTime, tick_ms: u64, datapoints: u32) {
        let mut tick = std::mem::take(&mut self.this_tick);
        self.integrate_into(now, &mut tick);
        self.elasticity.tick(self.demand, self.running);
        tick.length_ms = tick_ms;
        tick.offered = self.load_rps * seconds(tick_ms);
        self.summary.ticks += 1;
        // Held at the top of the scenario's range (not one a scheduled action set) while the
        // load asked for more tasks.
        let at_max = self.desired == self.max_capacity && self.max_capacity == self.config.max_capacity;
        if at_max && self.demand > self.max_capacity && !self.config.is_daemon() {
            self.summary.ticks_at_max_capacity += 1;
        }
        // What the tick left unserved, beyond floating-point noise.
        let unserved = tick.offered - tick.served;
        self.tick_unserved = unserved.max(0.0);
        self.deploying.add_unserved(unserved);
        let short = unserved > 1e-9 * tick.offered;
        if short || self.backlog > 0.0 {
            self.summary.underprovisioned_ticks += 1;
        }
        // Demand lost in a tick during which a Spot task's replacement was starting.
        if std::mem::replace(&mut self.replacing_in_tick, self.awaiting_replacement > 0) && short {
            self.summary.unserved_while_replacing += unserved;
        }
        self.interval.serving.add(&tick);
        if datapoints == 0 {
            self.this_minute.add(&tick);
        } else if self.this_minute.length_ms == 0 {
            // The tick is the whole minute: its sums are the minute's (0 + x is x to the last
            // bit), and `offered`, set rather than summed, is added to zero as the minute's
            // would be (which makes a −0 load 0).
            tick.offered += 0.0;
            self.close_datapoint(&tick, datapoints);
        } else {
            self.this_minute.add(&tick);
            let minute = std::mem::take(&mut self.this_minute);
            self.close_datapoint(&minute, datapoints);
        }
    }

    /// The one-minute sample of `metric` for the minute (or tick) just ended. Not inlined: the
    /// tick loop works out the CPU sample, the one nearly every alarm reads, on its own
    /// ([`cpu_sample`]).
    #[inline(never)]
    pub(super) fn sample(&self, metric: Metric, period: &Serving) -> Option<Sample> {
        let tasks = || period.running_task_ms as f64 / period.length_ms as f64;
        let per_second = || MS_PER_SECOND as f64 / period.length_ms as f64;
        // Per-task custom metrics count at least one task, so that they show demand at zero
        // tasks and can scale a service out from zero (§1.3).
        let per_task = || tasks().max(1.0);
        match metric {
            // §9: CPU used over CPU reserved by the running tasks; no datapoint without tasks.
            Metric::CpuUtilization => cpu_sample(period),
            Metric::MemoryUtilization => (period.memory_reserved > 0.0)
                .then(|| Sample::uniform(100.0 * period.memory_used / period.memory_reserved, tasks())),
            // Requests in the minute per healthy target, one datapoint: its Sum "represents the
            // average" (§1.2). The divisor, healthy targets, is a modelling choice (§11.13).
            Metric::AlbRequestCountPerTarget => (period.serving_task_ms > 0).then(|| {
                let targets = period.serving_task_ms as f64 / period.length_ms as f64;
                Sample::uniform(period.offered * (60.0 * per_second()) / targets, 1.0)
            }),
            Metric::RequestsPerSecond => Some(Sample::uniform(period.offered * per_second(), 1.0)),
            Metric::RequestsPerTask => Some(Sample::uniform(period.offered * per_second() / per_task(), 1.0)),
            Metric::Backlog => Some(Sample::uniform(self.backlog, 1.0)),
            Metric::BacklogPerTask => Some(Sample::uniform(self.backlog / f64::from(self.running.max(1)), 1.0)),
        }
    }

    /// Turns the minute just ended into one-minute samples of the metrics the alarms watch and feeds
    /// them to the alarms, `copies` times when one tick spans several minutes.
    fn close_datapoint(&mut self, minute: &Serving, copies: u32) {
        let cpu = cpu_sample(minute);
        // Each alarm's sample, worked out as it is fed (the same metric again costs a few
        // arithmetic operations, less than keeping a table of every metric).
        let mut policies = std::mem::take(&mut self.policies);
        self.alarmed = false;
        for alarm in policies.iter_mut().flat_map(|p| &mut p.alarms) {
            let other;
            let sample = match alarm.config().metric {
                Metric::CpuUtilization => cpu.as_ref(),
                metric => {
                    other = self.sample(metric, minute);
                    other.as_ref()
                }
            };
            for _ in 0..copies {
                alarm.push_minute(sample);
            }
            self.alarmed |= alarm.state() == AlarmState::Alarm;
        }
        self.policies = policies;
        if let Some(sample) = cpu {
            let value = sample.mean;
            self.interval.cpu_sum += value * f64::from(copies);
            self.interval.cpu_count += copies;
            self.interval.cpu_max = Some(self.interval.cpu_max.map_or(value, |m: f64| m.max(value)));
        }
    }

    /// The service's cost up to `now`, as (vCPU, memory, storage) dollars: its Fargate bill
    /// (a Windows licence counts with the vCPU), or its share of the EC2 instances it reserves.
    pub(super) fn cost_at(&self, now: SimTime, cluster: &Cluster) -> (f64, f64, f64) {
        match &self.config.launch {
            Launch::Fargate(fargate) => self.fargate_bill_at(fargate, |bill| bill.at(now)),
            Launch::Ec2(_) => {
                let (cpu, memory) = cluster.allocated_cost(self.index, now);
                (cpu, memory, 0.0)
            }
        }
    }

    /// The Fargate Spot part of the service's bill up to `now`: its vCPU and memory at Spot
    /// rates, and its ephemeral storage (billed at On-Demand's rate); `None` off Spot.
    pub(super) fn spot_cost_at(&self, now: SimTime) -> Option<f64> {
        let Launch::Fargate(fargate) = &self.config.launch else { return None };
        if !fargate.uses_spot() {
            return None;
        }
        let (cpu, memory, storage) = self.fargate_bill_at(fargate, |bill| [0, bill.at(now)[1]]);
        Some(cpu + memory + storage)
    }

    pub(in crate::sim) fn emit_series<R: Recorder>(&mut self, now: SimTime, recorder: &mut R, cluster: &Cluster) {
        let (cpu_now, mem_now, storage_now) = self.cost_at(now, cluster);
        let cost_now = cpu_now + mem_now + storage_now;
        let spot_now = self.spot_cost_at(now);
        let length = now.since(self.interval.start);
        let interval = &self.interval;
        recorder.series(&SeriesRow {
            start: interval.start,
            end: now,
            service: self.index,
            offered_requests: interval.serving.offered,
            served_requests: interval.serving.served,
            backlog_at_start: interval.backlog_at_start,
            backlog: self.backlog,
            running_mean: interval.serving.running_task_ms as f64 / length.max(1) as f64,
            running_max: interval.running_max,
            pending_max: interval.pending_max,
            desired: self.desired,
            cpu_mean: (interval.cpu_count > 0).then(|| interval.cpu_sum / f64::from(interval.cpu_count)),
            cpu_max: interval.cpu_max,
            cost_usd: cost_now - interval.cost_at_start,
            cumulative_cost_usd: cost_now,
            spot: spot_now.map(|spot| SpotPart {
                running_mean: interval.serving.running_spot_task_ms as f64 / length.max(1) as f64,
                running_max: interval.running_spot_max,
                cost_usd: spot - interval.spot_cost_at_start,
                cumulative_cost_usd: spot,
            }),
        });
        self.summary.offered_requests += interval.serving.offered;
        self.summary.served_requests += interval.serving.served;
        self.summary.queued_at_end = self.backlog;
        self.summary.running_task_ms += interval.serving.running_task_ms;
        self.interval = Interval {
            start: now,
            backlog_at_start: self.backlog,
            running_max: self.running,
            running_spot_max: self.running_spot,
            pending_max: self.pending,
            cost_at_start: cost_now,
            spot_cost_at_start: spot_now.unwrap_or(0.0),
            ..Interval::default()
        };
    }
}

/// §9: CPU used over CPU reserved by the running tasks over `period`; no datapoint without tasks.
#[inline]
fn cpu_sample(period: &Serving) -> Option<Sample> {
    let tasks = period.running_task_ms as f64 / period.length_ms as f64;
    (period.capacity > 0.0).then(|| Sample::uniform(100.0 * period.served / period.capacity, tasks))
}
