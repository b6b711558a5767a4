//! The streaming recorder: `events.csv` and `timeseries.csv`, written row by row as the run
//! produces them, through one reused text buffer (no allocation per row).

use std::fmt::Write as _;
use std::io;
use std::ops::Range;
use std::path::Path;

use super::atomic::AtomicFile;
use crate::config::Scenario;
use crate::engine::SimTime;
use crate::scaling::Direction;
use crate::sim::{Recorder, ScalingEvent, SeriesRow, TaskEvent};

pub const EVENTS_HEADER: [&str; 18] = [
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
    "alarm_threshold",
    "datapoints",
    "metric",
    "running_count",
    "desired_before",
    "proposed",
    "desired_after",
    "limited_by",
];

pub const SERIES_HEADER: [&str; 15] = [
    "time_s",
    "timestamp",
    "service",
    "offered_requests",
    "served_requests",
    "unserved_requests",
    "offered_rps",
    "tasks_running_mean",
    "tasks_running_max",
    "tasks_pending_max",
    "desired_count",
    "cpu_utilization_mean",
    "cpu_utilization_max",
    "cost_usd",
    "cumulative_cost_usd",
];

/// One CSV row assembled in a reused buffer.
#[derive(Default)]
struct Row {
    text: String,
    fields: Vec<Range<usize>>,
}

impl Row {
    fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
    }

    fn field(&mut self, value: impl std::fmt::Display) {
        let start = self.text.len();
        write!(self.text, "{value}").expect("writing to a String");
        self.fields.push(start..self.text.len());
    }

    fn empty(&mut self, count: usize) {
        for _ in 0..count {
            self.fields.push(self.text.len()..self.text.len());
        }
    }

    fn write(&self, out: &mut csv::Writer<AtomicFile>) -> csv::Result<()> {
        out.write_record(self.fields.iter().map(|r| &self.text[r.clone()]))
    }
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

/// Writes a run's records to `events.csv` and `timeseries.csv` under temporary names.
pub struct CsvRecorder<'a> {
    scenario: &'a Scenario,
    events: csv::Writer<AtomicFile>,
    series: csv::Writer<AtomicFile>,
    row: Row,
    error: Option<csv::Error>,
}

impl<'a> CsvRecorder<'a> {
    pub fn create(dir: &Path, scenario: &'a Scenario) -> io::Result<Self> {
        let open = |name: &str, header: &[&str]| -> io::Result<csv::Writer<AtomicFile>> {
            let mut writer = csv::Writer::from_writer(AtomicFile::create(&dir.join(name))?);
            writer.write_record(header)?;
            Ok(writer)
        };
        Ok(CsvRecorder {
            scenario,
            events: open("events.csv", &EVENTS_HEADER)?,
            series: open("timeseries.csv", &SERIES_HEADER)?,
            row: Row::default(),
            error: None,
        })
    }

    fn timestamp(&self, at: SimTime) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.scenario.start_unix_ms + at.as_millis() as i64).expect("validated start")
    }

    fn zone(&self, az: u32) -> String {
        format!("{}{}", self.scenario.region, char::from(b'a' + az as u8))
    }

    fn begin(&mut self, at: SimTime, service: usize) {
        self.row.clear();
        self.row.field(Seconds(at));
        let timestamp = self.timestamp(at);
        self.row.field(timestamp);
        let name = &self.scenario.services[service].name;
        self.row.field(name);
    }

    fn keep(&mut self, result: csv::Result<()>) {
        if let Err(e) = result
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    /// Renames both files into place, or reports the first write error.
    pub fn commit(self) -> csv::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for writer in [self.events, self.series] {
            writer.into_inner().map_err(|e| e.into_error())?.commit()?;
        }
        Ok(())
    }
}

impl Recorder for CsvRecorder<'_> {
    fn task(&mut self, event: &TaskEvent) {
        self.begin(event.at, event.service);
        self.row.field("task");
        self.row.field(event.task);
        let zone = self.zone(event.az);
        self.row.field(zone);
        match event.from {
            Some(state) => self.row.field(state),
            None => self.row.empty(1),
        }
        self.row.field(event.to);
        self.row.empty(10);
        let result = self.row.write(&mut self.events);
        self.keep(result);
    }

    fn scaling(&mut self, event: &ScalingEvent) {
        let decision = &event.decision;
        let policy = &self.scenario.services[event.service].target_tracking[decision.policy];
        self.begin(event.at, event.service);
        let (kind, alarm, threshold) = match decision.direction {
            Direction::Out => ("scale_out", "AlarmHigh", policy.target_value),
            Direction::In => ("scale_in", "AlarmLow", policy.target_value * policy.scale_in_threshold_ratio),
        };
        self.row.field(kind);
        self.row.empty(4);
        self.row.field(format_args!("target_tracking[{}] {}", decision.policy, policy.metric));
        self.row.field(alarm);
        self.row.field(format_args!("{threshold:.2}"));
        let mut datapoints = String::new();
        for (i, point) in event.datapoints.iter().enumerate() {
            if i > 0 {
                datapoints.push(';');
            }
            match point {
                Some(value) => write!(datapoints, "{value:.2}").expect("String"),
                None => datapoints.push('-'),
            }
        }
        self.row.field(datapoints);
        self.row.field(format_args!("{:.4}", decision.metric));
        self.row.field(event.running);
        self.row.field(event.desired_before);
        self.row.field(decision.proposed);
        self.row.field(decision.new_desired);
        match decision.limited_by {
            Some(limit) => self.row.field(limit.as_str()),
            None => self.row.empty(1),
        }
        let result = self.row.write(&mut self.events);
        self.keep(result);
    }

    fn series(&mut self, row: &SeriesRow) {
        self.begin(row.start, row.service);
        let seconds = row.end.since(row.start) as f64 / 1000.0;
        self.row.field(format_args!("{:.3}", row.offered_requests));
        self.row.field(format_args!("{:.3}", row.served_requests));
        self.row.field(format_args!("{:.3}", row.unserved_requests()));
        self.row.field(format_args!("{:.3}", row.offered_requests / seconds.max(1e-9)));
        self.row.field(format_args!("{:.3}", row.running_mean));
        self.row.field(row.running_max);
        self.row.field(row.pending_max);
        self.row.field(row.desired);
        match (row.cpu_mean, row.cpu_max) {
            (Some(mean), Some(max)) => {
                self.row.field(format_args!("{mean:.3}"));
                self.row.field(format_args!("{max:.3}"));
            }
            _ => self.row.empty(2),
        }
        self.row.field(format_args!("{:.6}", row.cost_usd));
        self.row.field(format_args!("{:.6}", row.cumulative_cost_usd));
        let result = self.row.write(&mut self.series);
        self.keep(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_as_short_as_exact() {
        for (ms, text) in [(0, "0"), (60_000, "60"), (60_500, "60.5"), (60_250, "60.25"), (60_001, "60.001")] {
            assert_eq!(Seconds(SimTime::from_millis(ms)).to_string(), text);
        }
    }
}
