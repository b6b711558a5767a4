//! What an operator does to a service at a time: rolling deployments of a new revision
//! (reference §8) and desired counts set by hand (§1.7), and when each happens, once `at` a
//! time from the run's start or on a schedule as scheduled actions have (§3).

use super::*;

/// The deployment defaults of a REPLICA service (reference §8.1).
const DEFAULT_MINIMUM_HEALTHY_PERCENT: u32 = 100;
const DEFAULT_MAXIMUM_PERCENT: u32 = 200;
/// ecsim's bound on `maximum_percent` (AWS states none): ten times the desired count keeps a
/// deployment's tasks within a run's bounds.
const MAXIMUM_PERCENT_LIMIT: i64 = 1000;

/// When something happens, as its table says it: `at` a time from the run's start, or a
/// schedule expression with its time zone and its start and end.
pub(super) struct When<'f> {
    pub(super) at: Option<&'f str>,
    pub(super) schedule: Option<&'f str>,
    /// EC2 Auto Scaling's Unix cron, for a group's scheduled actions, which may also run once
    /// at a `start_time` alone.
    pub(super) recurrence: Option<&'f str>,
    pub(super) group: bool,
    pub(super) timezone: Option<&'f str>,
    pub(super) start_time: Option<&'f str>,
    pub(super) end_time: Option<&'f str>,
}

impl<'f> When<'f> {
    /// Once `at`, or on an Application Auto Scaling or EventBridge `schedule` within its
    /// `[timezone, start_time, end_time]`.
    pub(super) fn scheduled(
        at: Option<&'f str>,
        schedule: Option<&'f str>,
        [timezone, start_time, end_time]: [&'f Option<String>; 3],
    ) -> Self {
        When {
            at,
            schedule,
            recurrence: None,
            group: false,
            timezone: timezone.as_deref(),
            start_time: start_time.as_deref(),
            end_time: end_time.as_deref(),
        }
    }

    /// The time as written: the offset, or the expression.
    fn written(&self) -> String {
        match (self.at, self.schedule, self.recurrence, self.start_time) {
            (Some(at), ..) => format!("at {at}"),
            (_, Some(schedule), ..) => schedule.to_owned(),
            (_, _, Some(recurrence), _) => format!("recurrence {recurrence}"),
            (.., start) => format!("at {}", start.unwrap_or_default()),
        }
    }
}

impl Translator<'_, '_> {
    /// The firing times of `when` within `run` (its start and end), in milliseconds from the
    /// start, ascending; every schedule of the scenario counts towards ecsim's bound on firings.
    pub(super) fn firings(
        &mut self,
        path: &KeyPath,
        when: &When,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Option<Vec<u64>> {
        let group = when.group;
        let expected = if group {
            "give `at` (a time from the run's start, e.g. \"10m\"), `start_time` alone (once, an RFC 3339 time) or a `recurrence` (Unix cron, e.g. \"0 9 * * 1-5\")"
        } else {
            "give either `at` (a time from the run's start, e.g. \"6h\") or `schedule` (at(…), rate(…) or cron(…))"
        };
        let scheduled = when.schedule.or(when.recurrence);
        let times = match (when.at, scheduled) {
            (Some(_), _) if scheduled.is_some() || when.start_time.is_some() || when.end_time.is_some() => {
                self.fail(path, format!("`at` is a time of its own; {expected}, not both"));
                return None;
            }
            (Some(at), _) => {
                let at_ms = self.duration(&path.key("at"), at)?;
                let (start, end) = run?;
                let length = (end.as_millisecond() - start.as_millisecond()) as u64;
                if at_ms >= length {
                    self.fail(&path.key("at"), format!("found \"{at}\", at or after the run's end"));
                    return None;
                }
                vec![at_ms]
            }
            (None, Some(expression)) => self.schedule_firings(path, when, expression, run)?,
            (None, None) if group && when.start_time.is_some() => {
                // EC2 Auto Scaling: a start time without a recurrence runs the action once.
                let at = self.timestamp(&path.key("start_time"), when.start_time.unwrap_or_default())?;
                let (start, end) = run?;
                if !(start..end).contains(&at) {
                    self.fail(&path.key("start_time"), format!("found {at}, outside the run ({start} to {end})"));
                    return None;
                }
                vec![(at.as_millisecond() - start.as_millisecond()) as u64]
            }
            (None, None) => {
                self.fail(path, expected);
                return None;
            }
        };
        self.firings += times.len();
        if self.firings > MAX_SCHEDULED_FIRINGS {
            self.fail(
                &path.key(match (when.at, when.recurrence) {
                    (Some(_), _) => "at",
                    (_, Some(_)) => "recurrence",
                    _ => "schedule",
                }),
                format!(
                    "the scenario's schedules fire more than {MAX_SCHEDULED_FIRINGS} times in the run, ecsim's limit; give a longer rate or fewer actions"
                ),
            );
            return None;
        }
        Some(times)
    }

    fn schedule_firings(
        &mut self,
        path: &KeyPath,
        when: &When,
        expression: &str,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Option<Vec<u64>> {
        let (key, parsed) = match when.recurrence {
            Some(recurrence) => ("recurrence", Schedule::parse_recurrence(recurrence)),
            None => ("schedule", Schedule::parse(expression)),
        };
        let schedule = match parsed {
            Ok(schedule) => Some(schedule),
            Err(problem) => {
                self.fail(&path.key(key), problem);
                None
            }
        };
        let zone_name = when.timezone.unwrap_or("UTC");
        let zone = match jiff::tz::TimeZone::get(zone_name) {
            Ok(zone) => Some(zone),
            Err(_) => {
                self.fail(&path.key(if when.recurrence.is_some() { "time_zone" } else { "timezone" }), format!("found \"{zone_name}\", which is not an IANA time zone; expected e.g. \"America/New_York\" or \"Etc/GMT+9\""));
                None
            }
        };
        let start_time = when.start_time.map(|t| self.timestamp(&path.key("start_time"), t));
        let end_time = when.end_time.map(|t| self.timestamp(&path.key("end_time"), t));
        let (schedule, zone, run) = (schedule?, zone?, run?);
        let (start_time, end_time) = (settled(start_time)?, settled(end_time)?);
        Some(
            fire_times(&schedule, &zone, run, start_time, end_time)
                .iter()
                .map(|t| (t.as_millisecond() - run.0.as_millisecond()) as u64)
                .collect(),
        )
    }

    /// A name of its own among a service's `kind`s: the one given, else `PREFIX-I`.
    fn operation_name(
        &mut self,
        path: &KeyPath,
        given: Option<&str>,
        prefix: &str,
        i: usize,
        taken: &[&str],
    ) -> String {
        let name = given.map_or_else(|| format!("{prefix}-{i}"), str::to_owned);
        if taken.contains(&name.as_str()) {
            self.fail(&path.key("name"), format!("a second {prefix} named \"{name}\"; names are unique per service"));
        }
        name
    }

    /// The service's rolling deployments (reference §8.1, §8.2).
    pub(super) fn deployments(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
        daemon: Option<bool>,
        service_startup: Option<&Delay>,
    ) -> Option<Vec<Deployment>> {
        let mut deployments = Vec::new();
        let mut complete = true;
        for (i, d) in file.deployments.iter().enumerate() {
            let path = path.key("deployments").index(i);
            if daemon == Some(true) {
                self.fail(&path, "ecsim models rolling deployments of REPLICA services; a DAEMON service's deployment (one task per instance, 0 % / 100 % by default) is not modelled");
                return None;
            }
            let when =
                When::scheduled(d.at.as_deref(), d.schedule.as_deref(), [&d.timezone, &d.start_time, &d.end_time]);
            let fire_times_ms = self.firings(&path, &when, run);
            let minimum = self.percent(
                &path.key("minimum_healthy_percent"),
                d.minimum_healthy_percent,
                DEFAULT_MINIMUM_HEALTHY_PERCENT,
                (0, 100),
            );
            let maximum = self.percent(
                &path.key("maximum_percent"),
                d.maximum_percent,
                DEFAULT_MAXIMUM_PERCENT,
                (100, MAXIMUM_PERCENT_LIMIT),
            );
            if minimum == Some(100) && maximum == Some(100) {
                self.warn(&path.key("maximum_percent"), "minimum_healthy_percent and maximum_percent are both 100, so (as on AWS) the deployment can neither stop an old task nor start a new one: it never proceeds");
            }
            let grace = self.optional_duration(
                &path.key("health_check_grace_period"),
                d.health_check_grace_period.as_deref(),
                0,
            );
            // The new revision starts as the service's tasks do unless it says otherwise.
            let startup = match &d.startup {
                None => service_startup.cloned(),
                Some(delay) => self.delay(&path.key("startup"), Some(delay), 0),
            };
            let failing_share = self.in_range(
                &path.key("failing_share"),
                d.failing_share.unwrap_or(0.0),
                0.0,
                1.0,
                "a share from 0 to 1 of the new revision's tasks",
            );
            let failure = match &d.fail_after {
                None => Some(TaskFailure::NeverHealthy),
                Some(delay) => self.delay(&path.key("fail_after"), Some(delay), 0).map(TaskFailure::After),
            };
            let circuit_breaker = d.circuit_breaker.as_ref().map(|cb| {
                let at = path.key("circuit_breaker").key("threshold");
                let threshold = cb.threshold.map(|t| match self.count_within(&at, t, TASKS_PER_SERVICE) {
                    Some(0) => {
                        self.fail(&at, "found 0; the fewest failures that can fail a deployment is 1");
                        None
                    }
                    counted => counted,
                });
                Some(CircuitBreaker {
                    rollback: cb.rollback.unwrap_or(false),
                    reset_on_healthy_task: cb.reset_on_healthy_task.unwrap_or(true),
                    threshold: settled(threshold)?,
                })
            });
            let taken: Vec<&str> = deployments.iter().map(|d: &Deployment| d.name.as_str()).collect();
            let name = self.operation_name(&path, d.name.as_deref(), "deployment", i, &taken);
            let (Some(fire_times_ms), Some(minimum), Some(maximum), Some(grace), Some(startup)) =
                (fire_times_ms, minimum, maximum, grace, startup)
            else {
                complete = false;
                continue;
            };
            let (Some(failing_share), Some(failure), Some(circuit_breaker)) =
                (failing_share, failure, settled(circuit_breaker))
            else {
                complete = false;
                continue;
            };
            deployments.push(Deployment {
                size: None,
                name,
                when: when.written(),
                minimum_healthy_percent: minimum,
                maximum_percent: maximum,
                health_check_grace_period_ms: grace,
                startup,
                failing_share,
                failure,
                circuit_breaker,
                fire_times_ms,
            });
        }
        complete.then_some(deployments)
    }

    /// A whole percentage within `(lo, hi)`, or `default`.
    fn percent(&mut self, path: &KeyPath, value: Option<i64>, default: u32, (lo, hi): (i64, i64)) -> Option<u32> {
        match value {
            None => Some(default),
            Some(v) if (lo..=hi).contains(&v) => Some(v as u32),
            Some(v) => {
                self.fail(path, format!("found {v}; expected a whole percentage from {lo} to {hi}"));
                None
            }
        }
    }

    /// Right-sizing rollouts: each deployment that gives a task size gets it, checked as the
    /// service's own is (Fargate's combinations and Windows sizes, an instance type it fits on
    /// EC2). A key it does not give is the service's (`requests_per_task` scaled with the CPU
    /// units); the sizes are returned without repeats, as [`ServiceConfig::task_size`] counts.
    pub(super) fn deployed_sizes(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        own: TaskSize,
        deployments: &mut [Deployment],
        (launch, providers): (&Launch, &[Option<AsgProvider>]),
        arch: CpuArchitecture,
    ) -> Option<Vec<TaskSize>> {
        let mut sizes: Vec<TaskSize> = Vec::new();
        let mut complete = true;
        for (i, (d, deployment)) in file.deployments.iter().zip(deployments.iter_mut()).enumerate() {
            if d.cpu.is_none() && d.memory.is_none() && d.memory_reservation.is_none() && d.requests_per_task.is_none()
            {
                continue;
            }
            let path = path.key("deployments").index(i);
            let (cpu, memory) = (d.cpu.unwrap_or(i64::from(own.cpu)), d.memory.unwrap_or(i64::from(own.memory)));
            let (cpu, memory) = match launch {
                Launch::Ec2(_) => (self.ec2_cpu(&path.key("cpu"), cpu), self.ec2_memory(&path.key("memory"), memory)),
                Launch::Fargate(_) => {
                    let cpu = self.fargate_cpu(&path.key("cpu"), cpu);
                    (cpu, cpu.and_then(|cpu| self.fargate_memory(&path.key("memory"), cpu, memory)))
                }
            };
            let (Some(cpu), Some(memory)) = (cpu, memory) else {
                complete = false;
                continue;
            };
            let memory_reservation = match (d.memory_reservation, own.memory_reservation) {
                (Some(m), _) if m >= 1 && m <= i64::from(memory) => Some(m as u32),
                (None, Some(m)) if m <= memory => Some(m),
                (None, None) => None,
                (given, service) => {
                    let found = given.map_or(format!("the service's {} MiB", service.unwrap_or(0)), |m| m.to_string());
                    let at = path.key("memory_reservation");
                    self.fail(
                        &at,
                        format!("found {found}; expected MiB from 1 up to this revision's memory ({memory})"),
                    );
                    complete = false;
                    continue;
                }
            };
            let requests_per_task = match d.requests_per_task {
                None => own.requests_per_task * f64::from(cpu) / f64::from(own.cpu),
                Some(r) if (MIN_REQUESTS_PER_TASK..=MAX_LOAD_RATE).contains(&r) => r,
                Some(r) => {
                    let message = format!("found {}; expected requests per second from 0.001 to 1e9", number(r));
                    self.fail(&path.key("requests_per_task"), message);
                    complete = false;
                    continue;
                }
            };
            let size = TaskSize { cpu, memory, memory_reservation, requests_per_task };
            let fits = match launch {
                Launch::Ec2(placement) => {
                    self.check_fits(&path, placement, providers, cpu, size.reserved_memory_mib(), arch)
                }
                Launch::Fargate(fargate) if fargate.windows => self.windows_task(&path, cpu, arch, fargate.uses_spot()),
                Launch::Fargate(_) => Some(()),
            };
            if fits.is_none() {
                complete = false;
                continue;
            }
            deployment.size = Some(match sizes.iter().position(|s| *s == size) {
                _ if size == own => 0,
                Some(k) => k as u32 + 1,
                None => {
                    sizes.push(size);
                    sizes.len() as u32
                }
            });
        }
        complete.then_some(sizes)
    }

    /// Desired counts set by hand, as `UpdateService` sets them (reference §1.7).
    pub(super) fn updates(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
        daemon: Option<bool>,
    ) -> Option<Vec<ServiceUpdate>> {
        let mut updates = Vec::new();
        let mut complete = true;
        for (i, u) in file.updates.iter().enumerate() {
            let path = path.key("updates").index(i);
            if daemon == Some(true) {
                self.fail(&path, "a DAEMON service runs one task per instance and has no desired count to set");
                return None;
            }
            let when =
                When::scheduled(u.at.as_deref(), u.schedule.as_deref(), [&u.timezone, &u.start_time, &u.end_time]);
            let fire_times_ms = self.firings(&path, &when, run);
            let desired = self.count_within(&path.key("desired_count"), u.desired_count, TASKS_PER_SERVICE);
            let taken: Vec<&str> = updates.iter().map(|u: &ServiceUpdate| u.name.as_str()).collect();
            let name = self.operation_name(&path, u.name.as_deref(), "update", i, &taken);
            let (Some(fire_times_ms), Some(desired_count)) = (fire_times_ms, desired) else {
                complete = false;
                continue;
            };
            updates.push(ServiceUpdate { name, when: when.written(), desired_count, fire_times_ms });
        }
        complete.then_some(updates)
    }
}

impl Translator<'_, '_> {
    /// An Auto Scaling group's scheduled actions (`PutScheduledUpdateGroupAction`): each sets
    /// some of min, max and desired, within the cluster's instance quota and consistent with
    /// each other.
    pub(super) fn group_actions(
        &mut self,
        path: &KeyPath,
        file: &CapacityProviderFile,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Option<Vec<GroupScheduledAction>> {
        let mut actions = Vec::new();
        let mut complete = true;
        if !self.list_within(
            &path.key("scheduled_actions"),
            file.scheduled_actions.len(),
            "scheduled actions",
            GROUP_SCHEDULED_ACTIONS,
        ) {
            return None;
        }
        for (i, a) in file.scheduled_actions.iter().enumerate() {
            let path = path.key("scheduled_actions").index(i);
            let when = When {
                at: a.at.as_deref(),
                schedule: None,
                recurrence: a.recurrence.as_deref(),
                group: true,
                timezone: a.time_zone.as_deref(),
                start_time: a.start_time.as_deref(),
                end_time: a.end_time.as_deref(),
            };
            let fire_times_ms = self.firings(&path, &when, run);
            let mut size = |key: &str, value: Option<i64>| match value {
                None => Some(None),
                Some(v) => self.count_within(&path.key(key), v, INSTANCES_PER_CLUSTER).map(Some),
            };
            let (min, max, desired) = (
                size("min_size", a.min_size),
                size("max_size", a.max_size),
                size("desired_capacity", a.desired_capacity),
            );
            if a.min_size.is_none() && a.max_size.is_none() && a.desired_capacity.is_none() {
                self.fail(&path, "a scheduled action sets min_size, max_size, desired_capacity or several of them");
            }
            if let (Some(Some(lo)), Some(Some(hi))) = (min, max)
                && lo > hi
            {
                self.fail(&path.key("min_size"), format!("found {lo}, greater than the action's max_size ({hi})"));
            }
            if let Some(Some(d)) = desired
                && (min.flatten().is_some_and(|lo| d < lo) || max.flatten().is_some_and(|hi| d > hi))
            {
                self.fail(
                    &path.key("desired_capacity"),
                    format!("found {d}, outside the action's own min_size and max_size"),
                );
            }
            let taken: Vec<&str> = actions.iter().map(|a: &GroupScheduledAction| a.name.as_str()).collect();
            let name = self.operation_name(&path, a.name.as_deref(), "scheduled-action", i, &taken);
            let (Some(fire_times_ms), Some(min_size), Some(max_size), Some(desired_capacity)) =
                (fire_times_ms, min, max, desired)
            else {
                complete = false;
                continue;
            };
            actions.push(GroupScheduledAction {
                name,
                when: when.written(),
                min_size,
                max_size,
                desired_capacity,
                fire_times_ms,
            });
        }
        complete.then_some(actions)
    }
}

impl Translator<'_, '_> {
    /// The zones lost for a while: each a zone the run uses (`us-east-1b`, or `b`), within the
    /// run, and not overlapping another outage of the same zone.
    pub(super) fn outages(
        &mut self,
        path: &KeyPath,
        files: &[OutageFile],
        (region, duration_ms): (&str, Option<u64>),
        services: &[ServiceConfig],
        providers: &[Option<AsgProvider>],
    ) -> Option<Vec<Outage>> {
        // The most zones anything spans: a Fargate service's, or a group's.
        let zones = services
            .iter()
            .filter(|s| s.ec2().is_none())
            .map(|s| s.availability_zones)
            .chain(providers.iter().flatten().map(|p| p.availability_zones))
            .max()
            .unwrap_or(1);
        let mut outages: Vec<Outage> = Vec::new();
        let mut complete = true;
        for (i, file) in files.iter().enumerate() {
            let path = path.index(i);
            let letter = file.zone.strip_prefix(region).unwrap_or(&file.zone);
            let zone = match letter.as_bytes() {
                [l @ b'a'..=b'z'] if u32::from(l - b'a') < zones => Some(u32::from(l - b'a')),
                _ => {
                    let last = char::from(b'a' + zones as u8 - 1);
                    self.fail(
                        &path.key("zone"),
                        format!(
                            "found \"{}\"; the run's zones are {region}a to {region}{last} (or \"a\" to \"{last}\")",
                            file.zone
                        ),
                    );
                    None
                }
            };
            let start = self.duration(&path.key("start"), &file.start);
            let length = self.positive_duration(&path.key("length"), &file.length);
            let (Some(zone), Some(start_ms), Some(length), Some(duration)) = (zone, start, length, duration_ms) else {
                complete = false;
                continue;
            };
            if start_ms >= duration {
                self.fail(&path.key("start"), format!("found \"{}\", at or after the run's end", file.start));
                complete = false;
                continue;
            }
            let end_ms = start_ms.saturating_add(length);
            if outages.iter().any(|o| o.zone == zone && o.start_ms < end_ms && start_ms < o.end_ms) {
                self.fail(
                    &path,
                    format!(
                        "this outage of {region}{} overlaps an earlier one of the same zone",
                        char::from(b'a' + zone as u8)
                    ),
                );
                complete = false;
                continue;
            }
            outages.push(Outage { zone, start_ms, end_ms });
        }
        complete.then_some(outages)
    }
}
