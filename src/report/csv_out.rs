//! The streaming recorder: the event files (`events-*.csv`, one per kind of record) and the
//! time series (`timeseries.csv` for services, `providers.csv` for Auto Scaling groups),
//! written row by row as the run produces them, through one reused text buffer (no allocation
//! per row).

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use super::atomic::AtomicFile;
use super::rounding::DOLLARS;
use crate::config::{Launch, Scenario};
use crate::engine::SimTime;
use crate::scaling::{AlarmConfig, Comparison, Direction};
use crate::sim::{
    DeploymentEvent, DeploymentStep, GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder,
    ScalingEvent, ScheduledEvent, SeriesRow, TaskEvent, Timed,
};

/// The files a run streams, each with columns that mean something on every one of its rows.
/// Task state changes.
pub const TASK_EVENTS: &str = "events-tasks.csv";
pub const TASK_EVENTS_HEADER: [&str; 9] =
    ["time_s", "timestamp", "service", "task", "availability_zone", "instance", "from_state", "to_state", "reason"];

/// Service Auto Scaling decisions: a policy acted, or a limit (clamp or cooldown) held it.
pub const SCALING_EVENTS: &str = "events-scaling.csv";
pub const SCALING_EVENTS_HEADER: [&str; 16] = [
    "time_s",
    "timestamp",
    "service",
    "event",
    "policy",
    "alarm",
    "alarm_condition",
    "datapoints",
    "metric_value",
    "running_count",
    "desired_before",
    "proposed",
    "desired_after",
    "limited_by",
    "won",
    "from_zero",
];

/// Scheduled actions setting a service's capacity range.
pub const SCHEDULED_EVENTS: &str = "events-scheduled.csv";
pub const SCHEDULED_EVENTS_HEADER: [&str; 9] = [
    "time_s",
    "timestamp",
    "service",
    "action",
    "schedule",
    "desired_before",
    "desired_after",
    "min_capacity",
    "max_capacity",
];

/// Rolling deployments' steps (written when a service deploys).
pub const DEPLOYMENT_EVENTS: &str = "events-deployments.csv";
pub const DEPLOYMENT_EVENTS_HEADER: [&str; 17] = [
    "time_s",
    "timestamp",
    "service",
    "deployment",
    "number",
    "rollback",
    "step",
    "launched",
    "stopped",
    "desired",
    "minimum_healthy",
    "maximum",
    "new_tasks",
    "old_tasks",
    "healthy",
    "failures",
    "failure_threshold",
];

/// EC2 instances' lifecycle (with EC2 capacity only, as the next two).
pub const INSTANCE_EVENTS: &str = "events-instances.csv";
pub const INSTANCE_EVENTS_HEADER: [&str; 9] = [
    "time_s",
    "timestamp",
    "provider",
    "instance",
    "instance_type",
    "availability_zone",
    "from_state",
    "to_state",
    "reason",
];

/// The Auto Scaling groups' managed-scaling decisions.
pub const GROUP_EVENTS: &str = "events-groups.csv";
pub const GROUP_EVENTS_HEADER: [&str; 17] = [
    "time_s",
    "timestamp",
    "provider",
    "event",
    "capacity_provider_reservation_pct",
    "target_capacity_pct",
    "instances",
    "empty_instances",
    "tasks_waiting",
    "desired_before",
    "proposed",
    "desired_after",
    "limited_by",
    "changed",
    "min_size",
    "max_size",
    "scheduled_action",
];

/// Launches that found no room on any instance.
pub const PLACEMENT_EVENTS: &str = "events-placement.csv";
pub const PLACEMENT_EVENTS_HEADER: [&str; 4] = ["time_s", "timestamp", "service", "reason"];

/// One row per service per series interval.
pub const SERIES: &str = "timeseries.csv";
pub const SERIES_HEADER: [&str; 20] = [
    "time_s",
    "timestamp",
    "service",
    "offered_requests",
    "served_requests",
    "unserved_requests",
    "backlog",
    "offered_rps",
    "tasks_running_mean",
    "tasks_running_max",
    "tasks_pending_max",
    "desired_count",
    "cpu_utilization_mean_pct",
    "cpu_utilization_max_pct",
    "fargate_spot_tasks_running_mean",
    "fargate_spot_tasks_running_max",
    "allocated_cost_usd",
    "cumulative_allocated_cost_usd",
    "fargate_spot_cost_usd",
    "cumulative_fargate_spot_cost_usd",
];

/// One row per Auto Scaling group capacity provider per series interval: the EC2 bill.
pub const PROVIDER_SERIES: &str = "providers.csv";
pub const PROVIDER_SERIES_HEADER: [&str; 14] = [
    "time_s",
    "timestamp",
    "provider",
    "desired_capacity",
    "instances_pending_max",
    "instances_active_max",
    "instances_draining_max",
    "capacity_provider_reservation_pct",
    "cpu_reservation_pct",
    "memory_reservation_pct",
    "tasks_provisioning_max",
    "cost_usd",
    "cumulative_cost_usd",
    "idle_cost_usd",
];

/// One CSV line assembled in a reused buffer. Every field is a number or a fixed word except
/// names, which are escaped once up front, so no field needs quoting here.
#[derive(Default)]
struct Line {
    text: String,
    started: bool,
}

impl Line {
    fn clear(&mut self) {
        self.text.clear();
        self.started = false;
    }

    /// A new line: the time in seconds and as a timestamp, then the name (escaped) of what it
    /// is about.
    fn begin(&mut self, timestamps: &mut Timestamps, at: SimTime, name: &str) {
        self.clear();
        self.field(Seconds(at));
        self.separate();
        timestamps.write(at, &mut self.text);
        self.text(name);
    }

    fn separate(&mut self) {
        if self.started {
            self.text.push(',');
        }
        self.started = true;
    }

    fn field(&mut self, value: impl std::fmt::Display) {
        self.separate();
        write!(self.text, "{value}").expect("writing to a String");
    }

    fn int(&mut self, value: impl itoa::Integer) {
        self.separate();
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    fn fixed(&mut self, value: f64, decimals: u32) {
        self.separate();
        push_fixed(&mut self.text, value, decimals);
    }

    fn text(&mut self, value: &str) {
        self.separate();
        self.text.push_str(value);
    }

    fn empty(&mut self, count: usize) {
        for _ in 0..count {
            self.separate();
        }
    }

    fn write_to(&mut self, out: &mut AtomicFile) -> io::Result<()> {
        self.text.push('\n');
        out.write_all(self.text.as_bytes())
    }
}

/// A name as one CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a quote
/// or a line break.
fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) { format!("\"{}\"", name.replace('"', "\"\"")) } else { name.to_owned() }
}

/// Appends `value` with `decimals` digits after the point, like `{:.N}` but by integer
/// arithmetic: several times faster for the millions of numbers a large run writes. (Exact
/// ties round away from zero here, to even in `{:.N}`.)
fn push_fixed(out: &mut String, value: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    let scaled = (value * scale as f64).round();
    if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        write!(out, "{value:.prec$}", prec = decimals as usize).expect("writing to a String");
        return;
    }
    if scaled < 0.0 {
        out.push('-');
    }
    let units = scaled.abs() as u64;
    let mut digits = itoa::Buffer::new();
    out.push_str(digits.format(units / scale));
    if decimals > 0 {
        out.push('.');
        let fraction = digits.format(units % scale);
        for _ in fraction.len()..decimals as usize {
            out.push('0');
        }
        out.push_str(fraction);
    }
}

fn push_two_digits(out: &mut String, value: i64) {
    out.push(char::from(b'0' + (value / 10) as u8));
    out.push(char::from(b'0' + (value % 10) as u8));
}

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

/// Seconds since the start, as short as exact: "60", "60.25".
struct Seconds(SimTime);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        match ms % 1000 {
            0 => write!(f, "{}", ms / 1000),
            frac if frac % 100 == 0 => write!(f, "{}.{}", ms / 1000, frac / 100),
            frac if frac % 10 == 0 => write!(f, "{}.{:02}", ms / 1000, frac / 10),
            frac => write!(f, "{}.{frac:03}", ms / 1000),
        }
    }
}

/// RFC 3339 UTC timestamps, fast: the date is formatted once per day, the time by hand.
struct Timestamps {
    start_unix_ms: i64,
    day: i64,
    date: String,
}

impl Timestamps {
    const MS_PER_DAY: i64 = 86_400_000;

    fn new(start_unix_ms: i64) -> Self {
        Timestamps { start_unix_ms, day: i64::MIN, date: String::new() }
    }

    fn write(&mut self, at: SimTime, out: &mut String) {
        let unix_ms = self.start_unix_ms + at.as_millis() as i64;
        let day = unix_ms.div_euclid(Self::MS_PER_DAY);
        if day != self.day {
            let midnight = jiff::Timestamp::from_millisecond(day * Self::MS_PER_DAY).expect("validated start");
            self.date = midnight.strftime("%Y-%m-%dT").to_string();
            self.day = day;
        }
        let ms = unix_ms.rem_euclid(Self::MS_PER_DAY);
        let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        out.push_str(&self.date);
        push_two_digits(out, h);
        out.push(':');
        push_two_digits(out, m);
        out.push(':');
        push_two_digits(out, s);
        if frac != 0 {
            out.push('.');
            out.push(char::from(b'0' + (frac / 100) as u8));
            push_two_digits(out, frac % 100);
        }
        out.push('Z');
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_jiff_across_days_and_with_milliseconds() {
        let start = 1_767_571_200_000; // 2026-01-05T00:00:00Z
        let mut timestamps = Timestamps::new(start);
        for ms in [0, 59_999, 86_399_999, 86_400_000, 31 * 86_400_000 + 3_723_004] {
            let mut ours = String::new();
            timestamps.write(SimTime::from_millis(ms), &mut ours);
            let expected = jiff::Timestamp::from_millisecond(start + ms as i64).unwrap().to_string();
            assert_eq!(ours, expected);
        }
    }

    #[test]
    fn fixed_matches_standard_formatting_away_from_ties() {
        let fixed = |value: f64, decimals: u32| {
            let mut out = String::new();
            push_fixed(&mut out, value, decimals);
            out
        };
        for (value, decimals) in
            [(0.0, 3), (1.5, 2), (44.842_9, 4), (-3.26, 1), (123_456.789_4, 3), (7.0, 0), (0.000_4, 3)]
        {
            assert_eq!(fixed(value, decimals), format!("{value:.prec$}", prec = decimals as usize));
        }
        assert_eq!(fixed(1e300, 2), format!("{:.2}", 1e300));
    }

    #[test]
    fn names_are_quoted_only_when_csv_needs_it() {
        assert_eq!(csv_field("api"), "api");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn seconds_print_as_short_as_exact() {
        for (ms, text) in [(0, "0"), (60_000, "60"), (60_500, "60.5"), (60_250, "60.25"), (60_001, "60.001")] {
            assert_eq!(Seconds(SimTime::from_millis(ms)).to_string(), text);
        }
    }
}
