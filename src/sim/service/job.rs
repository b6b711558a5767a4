//! A job's standalone tasks (`RunTask`): started `count` at a time by a schedule or by
//! arrivals, placed as a service's are (on EC2 they compete with the services for instances
//! and wait in PROVISIONING where managed scaling will add some), each exiting after its run
//! time once RUNNING. A `RunTask` that finds no capacity is retried as EventBridge retries a
//! target: with exponential backoff, until its attempts or its event's age run out; its tasks
//! then count as failed to place.

use std::collections::VecDeque;

use super::deployment::CONTAINER_EXITED;
use super::*;
use crate::config::{Job, JobTrigger};
use crate::sim::outcome::JobSummary;

/// ecsim's bound on a job's tasks alive at once, as ECS bounds a service's tasks (5,000): a
/// `RunTask` beyond it finds no capacity, so a schedule that outruns its tasks' run time cannot
/// grow a run without end.
const MOST_TASKS_AT_ONCE: u32 = 5000;
/// ecsim's bound on a job's starts per second (the scenario module checks the load's peak
/// against it; noise may go beyond, and is held to it).
const MOST_ARRIVALS_PER_SECOND: f64 = 20.0;

/// A job's state: its requests waiting to run and its totals.
pub(super) struct Jobbing {
    /// Draws the arrivals.
    rng: Box<Rng>,
    queue: VecDeque<Request>,
    pub(super) summary: JobSummary,
}

/// A `RunTask` of some tasks, first asked for at `requested`, due at `due`.
struct Request {
    requested: SimTime,
    due: SimTime,
    attempt: u32,
    tasks: u32,
}

impl Jobbing {
    pub(super) fn new(rng: Rng) -> Self {
        Jobbing { rng: Box::new(rng), queue: VecDeque::new(), summary: JobSummary::default() }
    }
}

impl<'a> ServiceState<'a> {
    fn job(&self) -> &'a Job {
        self.config.job.as_ref().expect("a job")
    }

    /// A start by the job's schedule: one `RunTask` of `count` tasks.
    pub(super) fn start_job(&mut self, now: SimTime) {
        let tasks = self.job().count;
        self.jobbing.summary.starts += 1;
        self.jobbing.queue.push_back(Request { requested: now, due: now, attempt: 0, tasks });
    }

    /// At a tick: the arrivals of the next `tick_ms` for a job started by arrivals, a Poisson
    /// number at `rate` per second, each a `RunTask` made now.
    pub(in crate::sim) fn job_arrivals(&mut self, now: SimTime, rates: &[f64], tick_ms: u64) {
        let Some(Job { trigger: JobTrigger::Arrivals { load }, count, .. }) = self.config.job else { return };
        let rate = rates[load].clamp(0.0, MOST_ARRIVALS_PER_SECOND);
        let mean = rate * tick_ms as f64 / MS_PER_SECOND as f64;
        if mean <= 0.0 {
            return;
        }
        let arrivals: f64 = rand_distr::Distribution::sample(
            &rand_distr::Poisson::new(mean).expect("a positive mean"),
            &mut self.jobbing.rng,
        );
        for _ in 0..arrivals as u32 {
            self.jobbing.summary.starts += 1;
            self.jobbing.queue.push_back(Request { requested: now, due: now, attempt: 0, tasks: count });
        }
    }

    /// Runs the requests that are due, in order: each task is placed or, on EC2 with managed
    /// scaling, waits in PROVISIONING; those that find no capacity are retried later, or fail.
    pub(super) fn run_job_tasks<R: Recorder>(
        &mut self,
        now: SimTime,
        next_number: &mut u64,
        recorder: &mut R,
        queue: &mut EventQueue<Event>,
        cluster: &mut Cluster,
    ) {
        let retry = self.job().retry;
        let mut later = VecDeque::new();
        while let Some(mut request) = self.jobbing.queue.pop_front() {
            if request.due > now {
                later.push_back(request);
                continue;
            }
            while request.tasks > 0 {
                self.requested = Some(request.requested);
                let placed = self.live < MOST_TASKS_AT_ONCE && self.launch(now, next_number, recorder, queue, cluster);
                self.requested = None;
                if !placed {
                    break;
                }
                request.tasks -= 1;
                self.jobbing.summary.tasks_started += 1;
            }
            if request.tasks == 0 {
                continue;
            }
            request.attempt += 1;
            let due = now.after(retry.delay_ms(request.attempt));
            if request.attempt > retry.maximum_retry_attempts
                || due.since(request.requested) > retry.maximum_event_age_ms
            {
                self.jobbing.summary.tasks_failed_to_place += u64::from(request.tasks);
                continue;
            }
            self.jobbing.summary.retries += 1;
            request.due = due;
            queue.schedule(due, Event::JobRetry { service: self.index as u32 });
            later.push_back(request);
        }
        self.jobbing.queue = later;
    }

    /// A job's task has reached RUNNING: it waited from its `RunTask`, and exits after its run
    /// time.
    pub(super) fn job_task_running(&mut self, now: SimTime, slot: u32, queue: &mut EventQueue<Event>) {
        let run_time = self.job().run_time.sample(&mut self.rng);
        self.jobbing.summary.wait_ms += now.since(self.slots[slot as usize].requested);
        self.jobbing.summary.tasks_running_reached += 1;
        self.schedule_exit(now.after(run_time), slot, queue);
    }

    /// A job's task has done its work: its essential container exits and it stops.
    pub(super) fn job_task_done<R: Recorder>(
        &mut self,
        now: SimTime,
        slot: u32,
        recorder: &mut R,
        cluster: &mut Cluster,
    ) {
        self.forget(slot);
        self.leave_running(now, slot);
        self.finish(now, slot, Some(CONTAINER_EXITED), recorder, cluster);
        self.jobbing.summary.tasks_completed += 1;
    }
}
