//! The streaming recorder: `events.csv` and `timeseries.csv`, written row by row as the run
//! produces them, through one reused text buffer (no allocation per row).

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use super::atomic::AtomicFile;
use crate::config::Scenario;
use crate::engine::SimTime;
use crate::scaling::{AlarmConfig, Comparison, Direction};
use crate::sim::{
    GroupScalingEvent, InstanceEvent, PlacementFailure, ProviderRow, Recorder, ScalingEvent, ScheduledEvent, SeriesRow,
    TaskEvent,
};

pub const EVENTS_HEADER: [&str; 25] = [
    "time_s",
    "timestamp",
    "service",
    "event",
    "task",
    "availability_zone",
    "from_state",
    "to_state",
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
    "min_capacity",
    "max_capacity",
    "provider",
    "instance",
    "instance_type",
    "reason",
];

pub const SERIES_HEADER: [&str; 25] = [
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
    "cpu_utilization_mean",
    "cpu_utilization_max",
    "cost_usd",
    "cumulative_cost_usd",
    "provider",
    "instances_pending_max",
    "instances_active_max",
    "instances_draining_max",
    "capacity_provider_reservation",
    "cpu_reservation",
    "memory_reservation",
    "tasks_provisioning_max",
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

/// The `reason` of a scale-out from zero running tasks (reference §1.3).
pub const FROM_ZERO_REASON: &str = "scale from zero: after one datapoint, by the minimum amount";

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

/// Writes a run's records to `events.csv` and `timeseries.csv` under temporary names.
pub struct CsvRecorder<'a> {
    scenario: &'a Scenario,
    events: AtomicFile,
    series: AtomicFile,
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
    error: Option<io::Error>,
}

impl<'a> CsvRecorder<'a> {
    pub fn create(dir: &Path, scenario: &'a Scenario) -> io::Result<Self> {
        let open = |name: &str, header: &[&str]| -> io::Result<AtomicFile> {
            let mut file = AtomicFile::create(&dir.join(name))?;
            writeln!(file, "{}", header.join(","))?;
            Ok(file)
        };
        Ok(CsvRecorder {
            scenario,
            events: open("events.csv", &EVENTS_HEADER)?,
            series: open("timeseries.csv", &SERIES_HEADER)?,
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
            error: None,
        })
    }

    /// Starts a line with the time and the service (none for the cluster's own records).
    fn begin(&mut self, at: SimTime, service: Option<usize>) {
        self.line.clear();
        self.line.field(Seconds(at));
        self.line.separate();
        self.timestamps.write(at, &mut self.line.text);
        match service {
            Some(service) => self.line.text(&self.service_names[service]),
            None => self.line.empty(1),
        }
    }

    fn event_line(&mut self) {
        let result = self.line.write_to(&mut self.events);
        self.keep(result);
    }

    fn keep(&mut self, result: io::Result<()>) {
        if let Err(e) = result
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    /// Renames both files into place, or reports the first write error.
    pub fn commit(self) -> io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.events.commit()?;
        self.series.commit()
    }
}

impl Recorder for CsvRecorder<'_> {
    fn task(&mut self, event: &TaskEvent) {
        self.begin(event.at, Some(event.service));
        self.line.text("task");
        self.line.int(event.task);
        match event.az {
            Some(az) => self.line.text(&self.zones[az as usize]),
            None => self.line.empty(1),
        }
        match event.from {
            Some(state) => self.line.text(state.as_str()),
            None => self.line.empty(1),
        }
        self.line.text(event.to.as_str());
        self.line.empty(14);
        match event.instance {
            Some(instance) => self.line.int(instance),
            None => self.line.empty(1),
        }
        self.line.empty(1);
        match event.reason {
            Some(reason) => self.line.text(reason),
            None => self.line.empty(1),
        }
        self.event_line();
    }

    fn scaling(&mut self, event: &ScalingEvent) {
        let decision = &event.decision;
        let policy = &self.scenario.services[event.service].policies[decision.policy];
        self.begin(event.at, Some(event.service));
        self.line.text(match decision.direction {
            Direction::Out => "scale_out",
            Direction::In => "scale_in",
        });
        self.line.empty(4);
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
        if decision.from_zero {
            self.line.empty(5);
            self.line.field(csv_field(FROM_ZERO_REASON));
        } else {
            self.line.empty(6);
        }
        self.event_line();
    }

    fn scheduled(&mut self, event: &ScheduledEvent) {
        let action = &self.scenario.services[event.service].scheduled_actions[event.action];
        self.begin(event.at, Some(event.service));
        self.line.text("scheduled_action");
        self.line.empty(4);
        self.line.field(csv_field(&action.name));
        self.line.empty(1);
        self.line.field(csv_field(&format!("{} {}", action.schedule, action.timezone)));
        self.line.empty(3);
        self.line.int(event.desired_before);
        self.line.empty(1);
        self.line.int(event.desired_after);
        self.line.empty(1);
        self.line.text("true");
        self.line.int(event.min_capacity);
        self.line.int(event.max_capacity);
        self.line.empty(4);
        self.event_line();
    }

    fn instance(&mut self, event: &InstanceEvent) {
        self.begin(event.at, None);
        self.line.text("instance");
        self.line.empty(1);
        self.line.text(&self.zones[event.az as usize]);
        match event.from {
            Some(state) => self.line.text(state.as_str()),
            None => self.line.empty(1),
        }
        self.line.text(event.to.as_str());
        self.line.empty(13);
        self.line.text(&self.provider_names[event.provider]);
        self.line.int(event.instance);
        self.line.text(&self.scenario.providers[event.provider].instance_types[event.instance_type].instance.name);
        self.line.text(event.reason);
        self.event_line();
    }

    fn group_scaling(&mut self, event: &GroupScalingEvent) {
        self.begin(event.at, None);
        self.line.text(match event.direction {
            Direction::Out => "group_scale_out",
            Direction::In => "group_scale_in",
        });
        self.line.empty(8);
        self.line.fixed(event.reservation, 4);
        self.line.int(event.instances);
        self.line.int(event.desired_before);
        self.line.int(event.proposed);
        self.line.int(event.desired_after);
        match event.limited_by {
            Some(limit) => self.line.text(limit),
            None => self.line.empty(1),
        }
        self.line.text(if event.desired_after != event.desired_before { "true" } else { "false" });
        let provider = &self.scenario.providers[event.provider];
        self.line.int(provider.min_size);
        self.line.int(provider.max_size);
        self.line.text(&self.provider_names[event.provider]);
        self.line.empty(2);
        let reason = format!(
            "CapacityProviderReservation {:.1}% vs target {}%: {} instances, {} empty, {} tasks waiting",
            event.reservation,
            provider.managed_scaling.map_or(100, |m| m.target_capacity),
            event.instances,
            event.empty,
            event.waiting_tasks
        );
        self.line.text(&csv_field(&reason));
        self.event_line();
    }

    fn placement_failure(&mut self, event: &PlacementFailure) {
        self.begin(event.at, Some(event.service));
        self.line.text("placement_failed");
        self.line.empty(20);
        self.line.text(&csv_field(event.reason));
        self.event_line();
    }

    fn provider_series(&mut self, row: &ProviderRow) {
        self.begin(row.start, None);
        self.line.empty(8);
        self.line.int(row.desired);
        self.line.empty(2);
        self.line.fixed(row.cost_usd, 8);
        self.line.fixed(row.cumulative_cost_usd, 8);
        self.line.text(&self.provider_names[row.provider]);
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
        self.line.fixed(row.idle_cost_usd, 8);
        let result = self.line.write_to(&mut self.series);
        self.keep(result);
    }

    fn series(&mut self, row: &SeriesRow) {
        self.begin(row.start, Some(row.service));
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
        self.line.fixed(row.cost_usd, 8);
        self.line.fixed(row.cumulative_cost_usd, 8);
        self.line.empty(9);
        let result = self.line.write_to(&mut self.series);
        self.keep(result);
        if let Some(spot) = &row.spot {
            // The service's Fargate Spot part: the same service, the provider FARGATE_SPOT.
            self.begin(row.start, Some(row.service));
            self.line.empty(5);
            self.line.fixed(spot.running_mean, 3);
            self.line.int(spot.running_max);
            self.line.empty(4);
            self.line.fixed(spot.cost_usd, 8);
            self.line.fixed(spot.cumulative_cost_usd, 8);
            self.line.text("FARGATE_SPOT");
            self.line.empty(8);
            let result = self.line.write_to(&mut self.series);
            self.keep(result);
        }
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
