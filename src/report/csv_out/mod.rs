//! The streaming recorder: the event files (`events-*.csv`, one per kind of record) and the
//! time series (`timeseries.csv` for services, `providers.csv` for Auto Scaling groups),
//! written row by row as the run produces them, through one reused text buffer (no allocation
//! per row).

use std::io::{self, Write as _};
use std::path::Path;

mod columns;
mod line;

pub use columns::*;
use line::{Line, Timestamps, csv_field, push_fixed};

use super::atomic::AtomicFile;
use super::rounding::DOLLARS;
use crate::config::{Launch, Scenario};
use crate::engine::SimTime;
use crate::scaling::{AlarmConfig, Comparison, Direction};
use crate::sim::{
    DeploymentEvent, DeploymentStep, GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder,
    ScalingEvent, ScheduledEvent, SeriesRow, TaskEvent, Timed,
};

/// An alarm's condition in words, e.g. `ECSServiceAverageCPUUtilization Average > 60 for 3 of 3 × 1 min`.
fn condition(alarm: &AlarmConfig) -> String {
    let operator = match alarm.comparison {
        Comparison::GreaterThanOrEqualToThreshold => ">=",
        Comparison::GreaterThanThreshold => ">",
        Comparison::LessThanThreshold => "<",
        Comparison::LessThanOrEqualToThreshold => "<=",
    };
    csv_field(&format!(
        "{} {:?} {operator} {} for {} of {} x {} min",
        alarm.metric.name(),
        alarm.statistic,
        alarm.threshold,
        alarm.datapoints_to_alarm,
        alarm.evaluation_periods,
        alarm.period_minutes
    ))
}

/// Which of a run's files are written: `summary.json`, `summary.csv`, `run.json` and
/// `instances.csv` always, the time series (`timeseries.csv`, `providers.csv`) and the event
/// files (`events-*.csv`) as asked: `--outputs summary,series,events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outputs {
    pub series: bool,
    pub events: bool,
}

impl Outputs {
    pub const ALL: Outputs = Outputs { series: true, events: true };
    pub const SUMMARY: Outputs = Outputs { series: false, events: false };

    /// A comma-separated list of `summary`, `series`, `events` (the summary is always written).
    pub fn parse(list: &str) -> Result<Outputs, String> {
        let mut outputs = Outputs::SUMMARY;
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "summary" => {}
                "series" => outputs.series = true,
                "events" => outputs.events = true,
                "all" => outputs = Outputs::ALL,
                other => {
                    return Err(format!(
                        "unknown output \"{other}\"; expected a comma-separated list of summary, series, events (or all)"
                    ));
                }
            }
        }
        Ok(outputs)
    }

    /// Whether charts and `report.html` can be drawn: they read the series and the events.
    pub fn chartable(self) -> bool {
        self.series && self.events
    }
}

/// Whether a run has EC2 capacity, and so the files about instances and groups.
/// Whether any service of `scenario` deploys.
pub fn deploys(scenario: &Scenario) -> bool {
    scenario.services.iter().any(|s| !s.deployments.is_empty())
}

pub fn uses_ec2(scenario: &Scenario) -> bool {
    !scenario.providers.is_empty() || scenario.services.iter().any(|s| matches!(s.launch, Launch::Ec2(_)))
}

/// The files a run streams, each `None` when not written.
struct Files {
    tasks: Option<AtomicFile>,
    scaling: Option<AtomicFile>,
    scheduled: Option<AtomicFile>,
    deployments: Option<AtomicFile>,
    instances: Option<AtomicFile>,
    groups: Option<AtomicFile>,
    placement: Option<AtomicFile>,
    series: Option<AtomicFile>,
    providers: Option<AtomicFile>,
}

impl Files {
    fn all(self) -> impl Iterator<Item = AtomicFile> {
        [
            self.tasks,
            self.scaling,
            self.scheduled,
            self.deployments,
            self.instances,
            self.groups,
            self.placement,
            self.series,
            self.providers,
        ]
        .into_iter()
        .flatten()
    }
}

/// Writes a run's records to the event files and the time series under temporary names.
pub struct CsvRecorder<'a> {
    scenario: &'a Scenario,
    files: Files,
    line: Line,
    timestamps: Timestamps,
    /// Zone names such as `us-east-1a`, by zone index.
    zones: Vec<String>,
    /// Service names, escaped for CSV.
    service_names: Vec<String>,
    /// Per service, per policy: its name (escaped) and each alarm's condition in words.
    policies: Vec<Vec<(String, Vec<String>)>>,
    /// Capacity provider names, escaped for CSV.
    provider_names: Vec<String>,
    /// The running totals last written, in millionths of a dollar: per service (allocated,
    /// Fargate Spot) and per provider. An interval's cost is written as the step of its
    /// rounded running total, so the intervals add up to the total exactly.
    service_totals: Vec<(i64, i64)>,
    provider_totals: Vec<i64>,
    error: Option<io::Error>,
}

/// `dollars` in whole millionths.
fn micro_dollars(dollars: f64) -> i64 {
    (dollars * 1e6).round() as i64
}

impl<'a> CsvRecorder<'a> {
    pub fn create(dir: &Path, scenario: &'a Scenario, outputs: Outputs) -> io::Result<Self> {
        let open = |name: &str, header: &[&str], wanted: bool| -> io::Result<Option<AtomicFile>> {
            if !wanted {
                return Ok(None);
            }
            let mut file = AtomicFile::create(&dir.join(name))?;
            writeln!(file, "{}", header.join(","))?;
            Ok(Some(file))
        };
        let (events, series, ec2) = (outputs.events, outputs.series, uses_ec2(scenario));
        let files = Files {
            tasks: open(TASK_EVENTS, &TASK_EVENTS_HEADER, events)?,
            scaling: open(SCALING_EVENTS, &SCALING_EVENTS_HEADER, events)?,
            scheduled: open(SCHEDULED_EVENTS, &SCHEDULED_EVENTS_HEADER, events)?,
            deployments: open(DEPLOYMENT_EVENTS, &DEPLOYMENT_EVENTS_HEADER, events && deploys(scenario))?,
            instances: open(INSTANCE_EVENTS, &INSTANCE_EVENTS_HEADER, events && ec2)?,
            groups: open(GROUP_EVENTS, &GROUP_EVENTS_HEADER, events && ec2)?,
            placement: open(PLACEMENT_EVENTS, &PLACEMENT_EVENTS_HEADER, events && ec2)?,
            series: open(SERIES, &SERIES_HEADER, series)?,
            providers: open(PROVIDER_SERIES, &PROVIDER_SERIES_HEADER, series && ec2)?,
        };
        Ok(CsvRecorder {
            scenario,
            files,
            line: Line::default(),
            timestamps: Timestamps::new(scenario.start_unix_ms),
            zones: (b'a'..=b'z').map(|letter| format!("{}{}", scenario.region, char::from(letter))).collect(),
            service_names: scenario.services.iter().map(|s| csv_field(&s.name)).collect(),
            policies: scenario
                .services
                .iter()
                .map(|service| {
                    service
                        .policies
                        .iter()
                        .map(|p| (csv_field(&p.name), p.alarms().iter().map(condition).collect()))
                        .collect()
                })
                .collect(),
            provider_names: scenario.providers.iter().map(|p| csv_field(&p.name)).collect(),
            service_totals: vec![(0, 0); scenario.services.len()],
            provider_totals: vec![0; scenario.providers.len()],
            error: None,
        })
    }

    /// Starts a line with the time and the service it is about.
    fn begin_service(&mut self, at: SimTime, service: usize) {
        self.line.begin(&mut self.timestamps, at, &self.service_names[service]);
    }

    /// Starts a line with the time and the capacity provider it is about.
    fn begin_provider(&mut self, at: SimTime, provider: usize) {
        self.line.begin(&mut self.timestamps, at, &self.provider_names[provider]);
    }

    /// Ends the line into the file `pick` chooses.
    fn finish(&mut self, pick: fn(&mut Files) -> &mut Option<AtomicFile>) {
        if let Some(file) = pick(&mut self.files) {
            let result = self.line.write_to(file);
            self.keep(result);
        }
    }

    fn keep(&mut self, result: io::Result<()>) {
        if let Err(e) = result
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    /// Renames every file into place, or reports the first write error.
    pub fn commit(self) -> io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.files.all().try_for_each(AtomicFile::commit)
    }
}

impl Recorder for CsvRecorder<'_> {
    fn task(&mut self, event: &TaskEvent) {
        if self.files.tasks.is_none() {
            return;
        }
        self.begin_service(event.at, event.service);
        self.line.int(event.task);
        match event.az {
            Some(az) => self.line.text(&self.zones[az as usize]),
            None => self.line.empty(1),
        }
        match event.instance {
            Some(instance) => self.line.int(instance),
            None => self.line.empty(1),
        }
        match event.from {
            Some(state) => self.line.text(state.as_str()),
            None => self.line.empty(1),
        }
        self.line.text(event.to.as_str());
        match event.reason {
            Some(reason) => self.line.text(reason),
            None => self.line.empty(1),
        }
        self.finish(|f| &mut f.tasks);
    }

    fn scaling(&mut self, event: &ScalingEvent) {
        if self.files.scaling.is_none() {
            return;
        }
        let decision = &event.decision;
        let policy = &self.scenario.services[event.service].policies[decision.policy];
        self.begin_service(event.at, event.service);
        self.line.text(match decision.direction {
            Direction::Out => "scale_out",
            Direction::In => "scale_in",
        });
        let (name, conditions) = &self.policies[event.service][decision.policy];
        self.line.text(name);
        self.line.text(policy.alarm_name(decision.alarm));
        self.line.text(&conditions[decision.alarm]);
        self.line.separate();
        for (i, point) in event.datapoints.iter().enumerate() {
            if i > 0 {
                self.line.text.push(';');
            }
            match point {
                Some(value) => push_fixed(&mut self.line.text, *value, 2),
                None => self.line.text.push('-'),
            }
        }
        self.line.fixed(decision.metric, 4);
        self.line.int(event.running);
        self.line.int(event.desired_before);
        self.line.int(decision.proposed);
        self.line.int(decision.new_desired);
        match decision.limited_by {
            Some(limit) => self.line.text(limit.as_str()),
            None => self.line.empty(1),
        }
        self.line.text(if decision.won { "true" } else { "false" });
        self.line.text(if decision.from_zero { "true" } else { "false" });
        self.finish(|f| &mut f.scaling);
    }

    fn scheduled(&mut self, event: &ScheduledEvent) {
        if self.files.scheduled.is_none() {
            return;
        }
        let service = &self.scenario.services[event.service];
        let (name, schedule) = match event.what {
            Timed::Action(a) => {
                let action = &service.scheduled_actions[a];
                (&action.name, format!("{} {}", action.schedule, action.timezone))
            }
            Timed::Update(u) => (&service.updates[u].name, service.updates[u].when.clone()),
        };
        self.begin_service(event.at, event.service);
        self.line.field(csv_field(name));
        self.line.field(csv_field(&schedule));
        self.line.int(event.desired_before);
        self.line.int(event.desired_after);
        self.line.int(event.min_capacity);
        self.line.int(event.max_capacity);
        self.finish(|f| &mut f.scheduled);
    }

    fn deployment(&mut self, event: &DeploymentEvent) {
        if self.files.deployments.is_none() {
            return;
        }
        let name = &self.scenario.services[event.service].deployments[event.deployment].name;
        self.begin_service(event.at, event.service);
        self.line.field(csv_field(name));
        self.line.int(event.number);
        self.line.text(if event.rollback { "true" } else { "false" });
        let (step, launched, stopped) = match event.step {
            DeploymentStep::Started => ("started", 0, 0),
            DeploymentStep::Replaced { launched, stopped } => ("replaced", launched, stopped),
            DeploymentStep::TaskFailed => ("task_failed", 0, 0),
            DeploymentStep::Failed => ("failed", 0, 0),
            DeploymentStep::Completed => ("completed", 0, 0),
            DeploymentStep::Superseded => ("superseded", 0, 0),
        };
        self.line.text(step);
        self.line.int(launched);
        self.line.int(stopped);
        for count in
            [event.desired, event.minimum_healthy, event.maximum, event.new_tasks, event.old_tasks, event.healthy]
        {
            self.line.int(count);
        }
        match event.threshold {
            Some(threshold) => {
                self.line.int(event.failures);
                self.line.int(threshold);
            }
            None => self.line.empty(2),
        }
        self.finish(|f| &mut f.deployments);
    }

    fn instance(&mut self, event: &InstanceEvent) {
        if self.files.instances.is_none() {
            return;
        }
        self.begin_provider(event.at, event.provider);
        self.line.int(event.instance);
        self.line.text(&self.scenario.providers[event.provider].instance_types[event.instance_type].instance.name);
        self.line.text(&self.zones[event.az as usize]);
        match event.from {
            Some(state) => self.line.text(state.as_str()),
            None => self.line.empty(1),
        }
        self.line.text(event.to.as_str());
        self.line.text(event.reason);
        self.finish(|f| &mut f.instances);
    }

    fn group_scaling(&mut self, event: &GroupScalingEvent) {
        if self.files.groups.is_none() {
            return;
        }
        let provider = &self.scenario.providers[event.provider];
        self.begin_provider(event.at, event.provider);
        self.line.text(match (event.action, event.direction) {
            (Some(_), _) => "scheduled_action",
            (None, Direction::Out) => "group_scale_out",
            (None, Direction::In) => "group_scale_in",
        });
        match event.reservation {
            Some(reservation) => self.line.fixed(reservation, 4),
            None => self.line.empty(1),
        }
        self.line.int(provider.managed_scaling.map_or(100, |m| m.target_capacity));
        self.line.int(event.instances);
        self.line.int(event.empty);
        self.line.int(event.waiting_tasks);
        self.line.int(event.desired_before);
        self.line.int(event.proposed);
        self.line.int(event.desired_after);
        match event.limited_by {
            Some(limit) => self.line.text(limit),
            None => self.line.empty(1),
        }
        self.line.text(if event.desired_after != event.desired_before { "true" } else { "false" });
        self.line.int(event.min_size);
        self.line.int(event.max_size);
        match event.action {
            Some(action) => self.line.field(csv_field(&provider.scheduled_actions[action].name)),
            None => self.line.empty(1),
        }
        self.finish(|f| &mut f.groups);
    }

    fn placement_failure(&mut self, event: &PlacementFailure) {
        if self.files.placement.is_none() {
            return;
        }
        self.begin_service(event.at, event.service);
        self.line.text(&csv_field(event.reason));
        self.finish(|f| &mut f.placement);
    }

    fn provider_series(&mut self, row: &ProviderRow) {
        if self.files.providers.is_none() {
            return;
        }
        self.begin_provider(row.start, row.provider);
        self.line.int(row.desired);
        self.line.int(row.pending_max);
        self.line.int(row.active_max);
        self.line.int(row.draining_max);
        for value in [row.reservation, row.cpu_reservation, row.memory_reservation] {
            match value {
                Some(v) => self.line.fixed(v, 3),
                None => self.line.empty(1),
            }
        }
        self.line.int(row.provisioning_max);
        let total = micro_dollars(row.cumulative_cost_usd);
        let before = std::mem::replace(&mut self.provider_totals[row.provider], total);
        self.line.fixed((total - before) as f64 / 1e6, DOLLARS);
        self.line.fixed(total as f64 / 1e6, DOLLARS);
        self.line.fixed(row.idle_cost_usd, DOLLARS);
        self.finish(|f| &mut f.providers);
    }

    fn series(&mut self, row: &SeriesRow) {
        if self.files.series.is_none() {
            return;
        }
        self.begin_service(row.start, row.service);
        let seconds = row.end.since(row.start) as f64 / 1000.0;
        self.line.fixed(row.offered_requests, 3);
        self.line.fixed(row.served_requests, 3);
        self.line.fixed(row.unserved_requests(), 3);
        self.line.fixed(row.backlog, 3);
        self.line.fixed(row.offered_requests / seconds.max(1e-9), 3);
        self.line.fixed(row.running_mean, 3);
        self.line.int(row.running_max);
        self.line.int(row.pending_max);
        self.line.int(row.desired);
        match (row.cpu_mean, row.cpu_max) {
            (Some(mean), Some(max)) => {
                self.line.fixed(mean, 3);
                self.line.fixed(max, 3);
            }
            _ => self.line.empty(2),
        }
        let spot = row.spot.as_ref();
        self.line.fixed(spot.map_or(0.0, |s| s.running_mean), 3);
        self.line.int(spot.map_or(0, |s| s.running_max));
        let totals =
            (micro_dollars(row.cumulative_cost_usd), micro_dollars(spot.map_or(0.0, |s| s.cumulative_cost_usd)));
        let before = std::mem::replace(&mut self.service_totals[row.service], totals);
        for (total, before) in [(totals.0, before.0), (totals.1, before.1)] {
            self.line.fixed((total - before) as f64 / 1e6, DOLLARS);
            self.line.fixed(total as f64 / 1e6, DOLLARS);
        }
        self.finish(|f| &mut f.series);
    }
}
