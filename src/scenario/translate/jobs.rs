//! A job: standalone tasks that `RunTask` starts, by an EventBridge Scheduler schedule or by
//! arrivals (S3 uploads through EventBridge), with EventBridge's retry policy. Its task size,
//! launch and placement are checked as a service's are.

use super::*;

/// "Tasks launched (count) per run-task": 10 (ECS service quotas), not adjustable.
const TASKS_PER_RUN_TASK: Quota = Quota { max: 10, name: "tasks launched (count) per run-task", adjustable: false };
/// EventBridge Scheduler's `RetryPolicy`: `MaximumRetryAttempts` 0–185 and
/// `MaximumEventAgeInSeconds` 60–86400, both defaulting to their maximum.
const MAXIMUM_RETRY_ATTEMPTS: i64 = 185;
const MAXIMUM_EVENT_AGE_MS: (u64, u64) = (60 * MS_PER_SECOND, 86_400 * MS_PER_SECOND);
/// AWS says only that retries back off exponentially: ecsim's first wait and its cap.
const DEFAULT_FIRST_RETRY_MS: u64 = 60 * MS_PER_SECOND;
const DEFAULT_LONGEST_RETRY_MS: u64 = 15 * 60 * MS_PER_SECOND;
/// ecsim's bound on a job's arrivals: 20 a second at the load's peak, so that a run's tasks
/// stay countable.
const MAX_ARRIVALS_PER_SECOND: f64 = 20.0;

impl Translator<'_, '_> {
    pub(super) fn job(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &JobFile,
        scenario: &ScenarioFile,
        run: &Run,
        (providers, loads): (&[Option<AsgProvider>], &[LoadConfig]),
    ) -> Option<ServiceConfig> {
        let count = self.count_within(&path.key("count"), file.count.unwrap_or(1), TASKS_PER_RUN_TASK);
        if count == Some(0) {
            self.fail(&path.key("count"), "found 0; a RunTask starts 1 to 10 tasks");
        }
        let run_time = self.delay(&path.key("run_time"), Some(&file.run_time), 0);
        let trigger = match (&file.schedule, &file.arrivals) {
            (Some(schedule), None) => {
                let when = When::scheduled(None, Some(schedule), [&file.timezone, &file.start_time, &file.end_time]);
                self.firings(path, &when, run.window)
                    .map(|fire_times_ms| JobTrigger::Schedule { schedule: schedule.clone(), fire_times_ms })
            }
            (None, Some(load)) => self.arrivals(&path.key("arrivals"), load, scenario, loads),
            _ => {
                self.fail(path, "a job starts on a `schedule` (at(…), rate(…) or cron(…), as EventBridge Scheduler's) or on `arrivals` (the name of a load whose rate is the starts per second), one of them");
                None
            }
        };
        let retry = self.retry(&path.key("retry"), file.retry.as_ref());
        let as_service = ServiceFile {
            load: None,
            launch_type: file.launch_type.clone(),
            capacity_provider_strategy: file.capacity_provider_strategy.clone(),
            strategy_split: None,
            cpu_limit: None,
            scheduling_strategy: None,
            network_mode: file.network_mode.clone(),
            host_port: None,
            placement_strategy: file.placement_strategy.clone(),
            placement_constraints: file.placement_constraints.clone(),
            cpu: file.cpu,
            memory: file.memory,
            cpu_architecture: file.cpu_architecture.clone(),
            operating_system_family: file.operating_system_family.clone(),
            ephemeral_storage: file.ephemeral_storage,
            requests_per_task: None,
            desired_count: Some(0),
            min_capacity: Some(0),
            max_capacity: Some(0),
            provisioning: file.provisioning.clone(),
            startup: file.startup.clone(),
            stop_timeout: None,
            availability_zones: None,
            memory_reservation: file.memory_reservation,
            memory_use: None,
            overflow: None,
            load_balancer: None,
            dynamic_scaling_in_suspended: None,
            dynamic_scaling_out_suspended: None,
            scheduled_scaling_suspended: None,
            target_tracking: Vec::new(),
            step_scaling: Vec::new(),
            scheduled_actions: Vec::new(),
            deployments: Vec::new(),
            updates: Vec::new(),
        };
        let service = self.service(path, name, &as_service, scenario, (run, providers), true);
        let (count, run_time, trigger, retry) = (count?, run_time?, trigger?, retry?);
        if count == 0 {
            return None;
        }
        Some(ServiceConfig { job: Some(Job { count, run_time, trigger, retry }), ..service? })
    }

    /// A load whose rate is the job's starts per second, at most ecsim's bound at its peak.
    fn arrivals(
        &mut self,
        path: &KeyPath,
        load: &str,
        scenario: &ScenarioFile,
        loads: &[LoadConfig],
    ) -> Option<JobTrigger> {
        let Some(index) = scenario.loads.get_index_of(load) else {
            let known: Vec<&str> = scenario.loads.keys().map(String::as_str).collect();
            self.fail(path, format!("found \"{load}\", which is not a load in this file ({})", known.join(", ")));
            return None;
        };
        let peak = loads.iter().find(|l| l.name == load).map(|l| l.load.shape.ceiling());
        if peak.is_some_and(|p| p > MAX_ARRIVALS_PER_SECOND) {
            self.fail(
                path,
                format!(
                    "the load \"{load}\" reaches {} starts per second; ecsim starts a job at most {MAX_ARRIVALS_PER_SECOND} times a second",
                    number(peak.unwrap_or_default())
                ),
            );
            return None;
        }
        Some(JobTrigger::Arrivals { load: index })
    }

    fn retry(&mut self, path: &KeyPath, file: Option<&RetryFile>) -> Option<Retry> {
        let attempts = match file.and_then(|r| r.maximum_retry_attempts) {
            None => Some(MAXIMUM_RETRY_ATTEMPTS as u32),
            Some(n) if (0..=MAXIMUM_RETRY_ATTEMPTS).contains(&n) => Some(n as u32),
            Some(n) => {
                self.fail(&path.key("maximum_retry_attempts"), format!("found {n}; EventBridge allows 0 to 185"));
                None
            }
        };
        let age_text = file.and_then(|r| r.maximum_event_age.as_deref());
        let age = self.optional_duration(&path.key("maximum_event_age"), age_text, MAXIMUM_EVENT_AGE_MS.1);
        if age.is_some_and(|a| !(MAXIMUM_EVENT_AGE_MS.0..=MAXIMUM_EVENT_AGE_MS.1).contains(&a)) {
            self.fail(
                &path.key("maximum_event_age"),
                format!("found \"{}\"; EventBridge allows 60s to 24h", age_text.unwrap_or("")),
            );
            return None;
        }
        let first = self.optional_duration(
            &path.key("first_delay"),
            file.and_then(|r| r.first_delay.as_deref()),
            DEFAULT_FIRST_RETRY_MS,
        );
        let longest = self.optional_duration(
            &path.key("maximum_delay"),
            file.and_then(|r| r.maximum_delay.as_deref()),
            DEFAULT_LONGEST_RETRY_MS,
        );
        let (first, longest) = (first?, longest?);
        if first == 0 || longest < first {
            self.fail(&path.key("first_delay"), "expected a first_delay above zero and at most maximum_delay");
            return None;
        }
        Some(Retry {
            maximum_retry_attempts: attempts?,
            maximum_event_age_ms: age?,
            first_delay_ms: first,
            maximum_delay_ms: longest,
        })
    }
}
