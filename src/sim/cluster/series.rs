//! What the cluster reports: the providers' series rows, their summaries and the instances'
//! bills, and the EC2 bill split among the services.

use super::*;

impl<'a> Cluster<'a> {
    /// At a tick: closes the last tick's demand and sets the instances each provider's share of
    /// the `demanded` tasks (per service) needs: the scale-out estimate's binpack (§4.2) over
    /// those tasks, as if they all waited. A service on several providers is split as its
    /// strategy splits launches; one on launch type EC2 counts where there is one provider.
    /// `demanded`: per service, its tasks and the size index they would launch with.
    pub fn set_demand(&mut self, now: SimTime, demanded: &[(u32, u32)]) {
        let providers = self.providers.len();
        let mut groups: Vec<Vec<(TaskNeeds, u32)>> = vec![Vec::new(); providers];
        for (service, &(count, size)) in demanded.iter().enumerate() {
            let config = &self.scenario.services[service];
            let Some(placement) = config.ec2() else { continue };
            if count == 0 || config.is_daemon() {
                continue;
            }
            let (cpu, memory, eni, port) = Self::needs(config, size);
            let distinct = placement.constraints.contains(&Constraint::DistinctInstance);
            let needs =
                TaskNeeds { cpu_units: cpu, memory_mib: memory, eni, one_per_instance: port.is_some() || distinct };
            let split: Vec<(usize, u32)> = match placement.providers.as_slice() {
                [] if providers == 1 => vec![(0, count)],
                [] => Vec::new(),
                [(provider, _)] => vec![(*provider, count)],
                several => {
                    let shares: Vec<Share> = several.iter().map(|(_, share)| *share).collect();
                    let tasks = split(config.strategy_split, &shares, count);
                    several.iter().map(|(provider, _)| *provider).zip(tasks).collect()
                }
            };
            for (provider, tasks) in split {
                match groups[provider].iter_mut().find(|(n, _)| *n == needs) {
                    Some((_, c)) => *c += tasks,
                    None => groups[provider].push((needs, tasks)),
                }
            }
        }
        for (p, groups) in self.providers.iter_mut().zip(groups) {
            p.follow(now);
            if now > SimTime::ZERO {
                p.elasticity.tick(p.demand, p.active.len() as u32);
            }
            let (smallest, largest) = &p.shape_bounds;
            p.demand = instances_needed(&groups, smallest, largest, GroupCombination::Sum).unwrap_or(0);
        }
    }

    /// Samples the reservation metrics and instance counts once per tick.
    pub fn sample_tick(&mut self) {
        for p in &mut self.providers {
            let pending = p
                .in_service
                .iter()
                .filter(|&&i| {
                    matches!(self.instances[i as usize].state, InstanceState::Pending | InstanceState::Booting)
                })
                .count() as u32;
            let interval = &mut p.interval;
            interval.pending_max = interval.pending_max.max(pending);
            interval.active_max = interval.active_max.max(p.active.len() as u32);
            interval.draining_max = interval.draining_max.max(p.draining);
            interval.provisioning_max = interval.provisioning_max.max(p.waiting_by_kind.iter().sum());
            if p.registered.0 > 0 {
                let cpu = 100.0 * p.reserved.0 as f64 / p.registered.0 as f64;
                let memory = 100.0 * p.reserved.1 as f64 / p.registered.1 as f64;
                interval.cpu_sum += cpu;
                interval.memory_sum += memory;
                interval.samples += 1;
                p.reservation_sums.0 += cpu;
                p.reservation_sums.1 += memory;
                p.reservation_sums.2 += 1;
            }
        }
    }

    pub fn emit_series<R: Recorder>(&mut self, now: SimTime, recorder: &mut R) {
        for (provider, p) in self.providers.iter_mut().enumerate() {
            let cost = p.cost.at(now);
            let idle = cost - p.allocated.at(now);
            let interval = &p.interval;
            let mean = |sum: f64| (interval.samples > 0).then(|| sum / f64::from(interval.samples));
            recorder.provider_series(&ProviderRow {
                start: interval.start,
                end: now,
                provider,
                pending_max: interval.pending_max,
                active_max: interval.active_max,
                draining_max: interval.draining_max,
                desired: p.desired,
                reservation: p.last_reservation,
                cpu_reservation: mean(interval.cpu_sum),
                memory_reservation: mean(interval.memory_sum),
                provisioning_max: interval.provisioning_max,
                cost_usd: cost - interval.cost_at_start,
                cumulative_cost_usd: cost,
                idle_cost_usd: idle - interval.idle_at_start,
            });
            p.interval = ProviderInterval {
                start: now,
                cost_at_start: cost,
                idle_at_start: idle,
                ..ProviderInterval::default()
            };
        }
    }

    /// Every instance's life and bill; those still running are billed to the end exactly.
    pub fn instance_summaries(&self, end_ms: u64) -> Vec<InstanceSummary> {
        let end = SimTime::from_millis(end_ms);
        self.instances
            .iter()
            .map(|i| {
                let live = i.terminated_at.is_none() && i.started;
                InstanceSummary {
                    provider: i.provider as usize,
                    instance: i.number,
                    instance_type: i.type_index as usize,
                    az: i.az,
                    launched: i.launched_at,
                    running: i.started.then_some(i.running_since),
                    terminated: i.terminated_at,
                    billed_ms: if live { end.since(i.running_since) } else { i.billed_ms },
                    cost_usd: if live {
                        i.cost_closed + i.rate * end.since(i.cost_since) as f64
                    } else {
                        i.cost_closed
                    },
                    spot_interrupted: i.interrupted,
                }
            })
            .collect()
    }

    /// Totals at the end. Instances still running are billed to the end of the window exactly,
    /// as live tasks are.
    pub fn summaries(&self, end_ms: u64) -> Vec<ProviderSummary> {
        let end = SimTime::from_millis(end_ms);
        self.providers
            .iter()
            .map(|p| {
                let cost = p.cost.at(end);
                let (cpu, memory, n) = p.reservation_sums;
                // The last span and tick, to the end of the run.
                let mut elasticity = p.elasticity.clone();
                elasticity.span(p.demand, p.active.len() as u32, end.since(p.followed_to));
                elasticity.tick(p.demand, p.active.len() as u32);
                ProviderSummary {
                    elasticity: elasticity.metrics(end_ms),
                    billed_ms: p.billed_closed_ms + p.billed_live * end_ms - p.billed_start_sum,
                    cost_usd: cost,
                    idle_cost_usd: cost - p.allocated.at(end),
                    cpu_reservation_mean: (n > 0).then(|| cpu / n as f64),
                    memory_reservation_mean: (n > 0).then(|| memory / n as f64),
                    ..p.summary.clone()
                }
            })
            .collect()
    }
}

/// Where the EC2 bill of some capacity providers stands at a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bill {
    pub usd: f64,
    pub usd_per_ms: f64,
    /// Instances billing, and the instance-milliseconds billed so far.
    pub instances: u64,
    pub instance_ms: u64,
}

impl Cluster<'_> {
    /// The bill of the capacity providers `service`'s tasks may use, at `now` (none on Fargate).
    pub fn bill_for(&self, service: usize, now: SimTime) -> Bill {
        let Some(placement) = self.scenario.services[service].ec2() else { return Bill::default() };
        let mut bill = Bill::default();
        for (_, p) in self.providers.iter().enumerate().filter(|&(index, _)| placement.may_use(index)) {
            bill.usd += p.cost.at(now);
            bill.usd_per_ms += p.cost.rate;
            bill.instances += p.billed_live;
            bill.instance_ms += p.billed_closed_ms + p.billed_live * now.as_millis() - p.billed_start_sum;
        }
        bill
    }
}
