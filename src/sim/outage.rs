//! Availability-zone outages: when a zone goes, its instances and their tasks are lost with
//! it, and Fargate tasks there stop; services replace their tasks in the zones left (placement
//! rules apply), managed scaling and the groups launch instances there, and nothing launches
//! in the zone until it returns. Here each outage's course is followed, per service and per
//! group: what was lost, when the tasks (or ACTIVE instances) were back to their number just
//! before, the demand left unserved until then, and the cost of the outage's span (what it
//! added is the difference from a variant without the outage: same seed, same load).

use super::cluster::Cluster;
use super::outcome::OutageSummary;
use super::service::ServiceState;
use crate::config::Outage;
use crate::engine::SimTime;

/// One outage under way or over.
#[derive(Clone)]
pub(super) struct Course {
    started: SimTime,
    services: Vec<Track>,
    providers: Vec<Track>,
}

/// A service's (tasks RUNNING) or a group's (instances ACTIVE) course through an outage.
#[derive(Clone, Default)]
struct Track {
    before: u32,
    lost: u32,
    recovered: Option<SimTime>,
    unserved: f64,
    cost_at_start: f64,
    /// The cost of the outage's span, once it is over.
    cost: Option<f64>,
}

impl Track {
    fn new(before: u32, lost: u32, cost: f64) -> Self {
        Track { before, lost, cost_at_start: cost, ..Track::default() }
    }

    fn follow(&mut self, now: SimTime, count: u32, unserved: f64) {
        if self.recovered.is_none() {
            self.unserved += unserved.max(0.0);
            if count >= self.before {
                self.recovered = Some(now);
            }
        }
    }

    fn end(&mut self, cost: f64) {
        self.cost = Some(cost - self.cost_at_start);
    }
}

/// The run's outages, in file order, and their courses once begun.
pub(super) struct Outages<'a> {
    outages: &'a [Outage],
    courses: Vec<Option<Course>>,
}

impl<'a> Outages<'a> {
    pub(super) fn new(outages: &'a [Outage]) -> Self {
        Outages { outages, courses: vec![None; outages.len()] }
    }

    pub(super) fn zone(&self, outage: usize) -> u32 {
        self.outages[outage].zone
    }

    /// The zone has just gone: `lost` per service and per provider; counts and costs from just
    /// before.
    pub(super) fn begin(
        &mut self,
        outage: usize,
        now: SimTime,
        (services, cluster): (&[(u32, u32, f64)], &Cluster),
        instances_lost: &[u32],
        instances_before: &[u32],
    ) {
        let services = services.iter().map(|&(before, lost, cost)| Track::new(before, lost, cost)).collect();
        let providers = instances_lost
            .iter()
            .zip(instances_before)
            .enumerate()
            .map(|(p, (&lost, &before))| Track::new(before, lost, cluster.provider_now(p, now).1))
            .collect();
        self.courses[outage] = Some(Course { started: now, services, providers });
    }

    /// At a tick: every course still recovering follows its services' RUNNING tasks (and what
    /// they left unserved) and its groups' ACTIVE instances.
    pub(super) fn tick(&mut self, now: SimTime, services: &[ServiceState], cluster: &Cluster) {
        for course in self.courses.iter_mut().flatten() {
            for (track, service) in course.services.iter_mut().zip(services) {
                track.follow(now, service.running(), service.tick_unserved());
            }
            for (p, track) in course.providers.iter_mut().enumerate() {
                track.follow(now, cluster.provider_now(p, now).0, 0.0);
            }
        }
    }

    /// The zone is back: the cost of the outage's span.
    pub(super) fn end(&mut self, outage: usize, now: SimTime, service_costs: &[f64], cluster: &Cluster) {
        let Some(course) = &mut self.courses[outage] else { return };
        for (track, &cost) in course.services.iter_mut().zip(service_costs) {
            track.end(cost);
        }
        for (p, track) in course.providers.iter_mut().enumerate() {
            track.end(cluster.provider_now(p, now).1);
        }
    }

    /// One summary per outage that began and per service, then per provider.
    pub(super) fn summaries(&self) -> Vec<OutageSummary> {
        let mut all = Vec::new();
        for (outage, course) in self.courses.iter().enumerate() {
            let Some(course) = course else { continue };
            let rows = course.services.iter().map(|t| (false, t)).chain(course.providers.iter().map(|t| (true, t)));
            let mut index = [0usize; 2];
            for (provider, track) in rows {
                let of = &mut index[usize::from(provider)];
                all.push(OutageSummary {
                    outage,
                    provider,
                    index: *of,
                    lost: track.lost,
                    recovery_ms: track.recovered.map(|r| r.since(course.started)),
                    unserved_requests: track.unserved,
                    cost_usd: track.cost,
                });
                *of += 1;
            }
        }
        all
    }
}
