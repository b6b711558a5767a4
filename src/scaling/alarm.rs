//! A CloudWatch metric alarm (reference §1.2, CloudWatch AlarmThatSendsEmail): a statistic of a
//! metric over periods of whole minutes; "M out of N" datapoints breaching (not necessarily
//! consecutive) puts it in ALARM. The window is a pair of bit masks, so a datapoint costs O(1).
//!
//! Periods are aligned to the start of the run. The state can only change when a period
//! closes; CloudWatch evaluates every minute, and an alarm with Auto Scaling actions invokes
//! them once a minute while it stays in ALARM, which the simulation does by asking
//! [`Alarm::state`] every minute.
//!
//! An alarm takes a datapoint every minute of every run, so the window is kept for speed: the
//! masks above, a count of the breaching bits kept as they shift, and the datapoints in a ring
//! of fixed length (no allocation, no shifting).

use serde::Serialize;

use super::metric::{Metric, Sample, Statistic};

/// `ComparisonOperator`, the four that Auto Scaling alarms use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Comparison {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Comparison {
    pub const NAMES: [(&'static str, Comparison); 4] = [
        ("GreaterThanOrEqualToThreshold", Comparison::GreaterThanOrEqualToThreshold),
        ("GreaterThanThreshold", Comparison::GreaterThanThreshold),
        ("LessThanThreshold", Comparison::LessThanThreshold),
        ("LessThanOrEqualToThreshold", Comparison::LessThanOrEqualToThreshold),
    ];

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// Whether the alarm watches for high values.
    pub fn is_upper(self) -> bool {
        matches!(self, Comparison::GreaterThanOrEqualToThreshold | Comparison::GreaterThanThreshold)
    }
}

/// `TreatMissingData`: what a period without data counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MissingData {
    /// Not breaching, and not data: a window of nothing but missing periods is
    /// INSUFFICIENT_DATA (the default).
    Missing,
    NotBreaching,
    Breaching,
    /// The window does not move: the alarm keeps its state.
    Ignore,
}

impl MissingData {
    pub const NAMES: [(&'static str, MissingData); 4] = [
        ("missing", MissingData::Missing),
        ("notBreaching", MissingData::NotBreaching),
        ("breaching", MissingData::Breaching),
        ("ignore", MissingData::Ignore),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

/// The longest window the bit masks hold.
pub const MAX_EVALUATION_PERIODS: u32 = 64;

/// An alarm's settings, as `PutMetricAlarm` takes them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlarmConfig {
    pub metric: Metric,
    pub statistic: Statistic,
    pub period_minutes: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub comparison: Comparison,
    pub threshold: f64,
    pub treat_missing_data: MissingData,
}

#[derive(Clone, Debug)]
pub struct Alarm {
    config: AlarmConfig,
    window_mask: u64,
    /// Bit i set: the datapoint i periods ago breached; how many bits are set.
    breaching: u64,
    breaches: u32,
    /// Bit i set: the datapoint i periods ago counts as data.
    present: u64,
    state: AlarmState,
    /// The period being gathered, and how many of its minutes have passed.
    period: Option<Sample>,
    minutes: u32,
    /// The window's datapoints for explanations: a ring of `evaluation_periods` entries, of
    /// which `filled` hold data, the next written at `next`.
    recent: Box<[Option<f64>]>,
    filled: u32,
    next: u32,
}

impl Alarm {
    pub fn new(config: AlarmConfig) -> Self {
        let n = config.evaluation_periods;
        assert!(
            (1..=MAX_EVALUATION_PERIODS).contains(&n)
                && (1..=n).contains(&config.datapoints_to_alarm)
                && config.period_minutes >= 1,
            "alarm window validated by the scenario"
        );
        let window_mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        Alarm {
            config,
            window_mask,
            breaching: 0,
            breaches: 0,
            present: 0,
            state: AlarmState::InsufficientData,
            period: None,
            minutes: 0,
            recent: vec![None; n as usize].into_boxed_slice(),
            filled: 0,
            next: 0,
        }
    }

    pub fn config(&self) -> &AlarmConfig {
        &self.config
    }

    /// Adds one minute of the metric (`None`: no data that minute). Inlined: every alarm of
    /// every service takes one a minute.
    #[inline]
    pub fn push_minute(&mut self, sample: Option<&Sample>) {
        if self.config.period_minutes == 1 {
            self.push_datapoint(sample.map(|s| self.config.statistic.of(s)));
            return;
        }
        self.period = match (self.period, sample.copied()) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or(b),
        };
        self.minutes += 1;
        if self.minutes == self.config.period_minutes {
            let datapoint = self.period.take().map(|s| self.config.statistic.of(&s));
            self.minutes = 0;
            self.push_datapoint(datapoint);
        }
    }

    #[inline]
    fn push_datapoint(&mut self, datapoint: Option<f64>) {
        let (present, breaching) = match (datapoint, self.config.treat_missing_data) {
            (Some(value), _) => (1, u64::from(self.config.comparison.breaches(value, self.config.threshold))),
            (None, MissingData::Missing) => (0, 0),
            (None, MissingData::NotBreaching) => (1, 0),
            (None, MissingData::Breaching) => (1, 1),
            (None, MissingData::Ignore) => return,
        };
        let periods = self.config.evaluation_periods;
        self.present = ((self.present << 1) | present) & self.window_mask;
        // The oldest datapoint's bit leaves the window as the new one enters.
        let leaving = (self.breaching >> (periods - 1)) & 1;
        self.breaching = ((self.breaching << 1) | breaching) & self.window_mask;
        self.breaches = self.breaches + breaching as u32 - leaving as u32;
        debug_assert_eq!(self.breaches, self.breaching.count_ones());
        self.recent[self.next as usize] = datapoint;
        self.next = if self.next + 1 == periods { 0 } else { self.next + 1 };
        self.filled = periods.min(self.filled + 1);
        self.state = if self.breaches >= self.config.datapoints_to_alarm {
            AlarmState::Alarm
        } else if self.present == 0 {
            AlarmState::InsufficientData
        } else {
            AlarmState::Ok
        };
    }

    pub fn state(&self) -> AlarmState {
        self.state
    }

    /// The window's datapoints, oldest first (`None`: no data).
    pub fn datapoints(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        // Until the ring is full its datapoints start at 0; then the oldest is the next written.
        let start = if self.filled == self.config.evaluation_periods { self.next as usize } else { 0 };
        let (newer, older) = self.recent.split_at(start);
        older.iter().chain(newer).take(self.filled as usize).copied()
    }

    /// The newest datapoint.
    pub fn latest(&self) -> Option<f64> {
        let periods = self.config.evaluation_periods;
        let newest = if self.next == 0 { periods - 1 } else { self.next - 1 };
        if self.filled == 0 { None } else { self.recent[newest as usize] }
    }

    /// Whether the newest datapoint is data that breaches the threshold (whatever the window
    /// says): what a scale-out from zero running tasks waits for (§1.3).
    pub fn latest_breaches(&self) -> bool {
        self.latest().is_some_and(|v| self.config.comparison.breaches(v, self.config.threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::{Alarm as InAlarm, InsufficientData, Ok};

    fn config(comparison: Comparison, threshold: f64, m: u32, n: u32) -> AlarmConfig {
        AlarmConfig {
            metric: Metric::CpuUtilization,
            statistic: Statistic::Average,
            period_minutes: 1,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            comparison,
            threshold,
            treat_missing_data: MissingData::Missing,
        }
    }

    fn run(alarm: &mut Alarm, minutes: &[Option<f64>]) -> Vec<AlarmState> {
        minutes
            .iter()
            .map(|&v| {
                alarm.push_minute(v.map(|v| Sample::uniform(v, 1.0)).as_ref());
                alarm.state()
            })
            .collect()
    }

    #[test]
    fn three_of_three_above_target() {
        // Target 60: AlarmHigh is "> 60 for 3 datapoints within 3 minutes".
        let mut high = Alarm::new(config(Comparison::GreaterThanThreshold, 60.0, 3, 3));
        let states =
            run(&mut high, &[Some(70.0), Some(65.0), Some(60.0), Some(61.0), Some(62.0), Some(63.0), Some(50.0)]);
        // 60 is not above 60: the count restarts; three more above → ALARM; one below → OK.
        assert_eq!(states, vec![Ok, Ok, Ok, Ok, Ok, InAlarm, Ok]);
        assert_eq!(high.datapoints().collect::<Vec<_>>(), vec![Some(62.0), Some(63.0), Some(50.0)]);
    }

    #[test]
    fn m_of_n_need_not_be_consecutive_and_operators_are_exact() {
        let mut alarm = Alarm::new(config(Comparison::GreaterThanOrEqualToThreshold, 10.0, 2, 3));
        // 10 breaches ≥ 10.
        let states = run(&mut alarm, &[Some(10.0), Some(5.0), Some(12.0), Some(5.0), Some(5.0)]);
        assert_eq!(states, vec![Ok, Ok, InAlarm, Ok, Ok]);
        let mut low = Alarm::new(config(Comparison::LessThanOrEqualToThreshold, 10.0, 1, 1));
        assert_eq!(run(&mut low, &[Some(10.0), Some(10.1)]), vec![InAlarm, Ok]);
    }

    #[test]
    fn missing_data_rules() {
        let missing = [None, None, None];
        let mut alarm = Alarm::new(config(Comparison::GreaterThanThreshold, 1.0, 2, 3));
        assert_eq!(run(&mut alarm, &missing), vec![InsufficientData; 3]);
        let mut c = config(Comparison::GreaterThanThreshold, 1.0, 2, 3);
        c.treat_missing_data = MissingData::Breaching;
        assert_eq!(run(&mut Alarm::new(c.clone()), &missing), vec![Ok, InAlarm, InAlarm]);
        c.treat_missing_data = MissingData::NotBreaching;
        assert_eq!(run(&mut Alarm::new(c.clone()), &missing), vec![Ok, Ok, Ok]);
        // Ignore: the window holds still, so ALARM persists through missing minutes.
        c.treat_missing_data = MissingData::Ignore;
        let mut ignoring = Alarm::new(c);
        assert_eq!(
            run(&mut ignoring, &[Some(5.0), Some(5.0), None, None, Some(0.0)]),
            vec![Ok, InAlarm, InAlarm, InAlarm, InAlarm]
        );
    }

    #[test]
    fn fifteen_of_fifteen_below_and_a_missing_minute_blocks_it() {
        // Target 60: AlarmLow is "< 54 for 15 datapoints within 15 minutes".
        let mut low = Alarm::new(config(Comparison::LessThanThreshold, 54.0, 15, 15));
        let mut minutes = vec![Some(40.0); 14];
        minutes.push(None); // a minute with no running task
        assert!(run(&mut low, &minutes).iter().all(|&s| s != InAlarm));
        let states = run(&mut low, &[Some(40.0); 15]);
        assert_eq!(states[13], Ok);
        assert_eq!(states[14], InAlarm);
    }

    #[test]
    fn a_five_minute_period_aggregates_its_minutes() {
        // Average over 5 minutes of 2 tasks at 50 % and 3 minutes of 4 tasks at 80 %:
        // (2·2·50 + 3·4·80) / (2·2 + 3·4) = 1160 / 16 = 72.5 > 70 → one datapoint, breaching.
        let mut c = config(Comparison::GreaterThanThreshold, 70.0, 1, 1);
        c.period_minutes = 5;
        let mut alarm = Alarm::new(c);
        for (value, count) in [(50.0, 2.0), (50.0, 2.0), (80.0, 4.0), (80.0, 4.0), (80.0, 4.0)] {
            assert_eq!(alarm.state(), InsufficientData);
            alarm.push_minute(Some(&Sample::uniform(value, count)));
        }
        assert_eq!(alarm.state(), InAlarm);
        assert_eq!(alarm.latest(), Some(72.5));
    }

    #[test]
    fn the_window_keeps_the_last_n_datapoints_oldest_first() {
        // 2 of 4 above 10: a missing minute is kept as a gap; a breach counts until it is
        // four datapoints old.
        let mut alarm = Alarm::new(config(Comparison::GreaterThanThreshold, 10.0, 2, 4));
        assert_eq!((alarm.datapoints().count(), alarm.latest()), (0, None));
        let states = run(&mut alarm, &[Some(11.0), None, Some(12.0)]);
        assert_eq!(states, vec![Ok, Ok, InAlarm]);
        assert_eq!(alarm.datapoints().collect::<Vec<_>>(), vec![Some(11.0), None, Some(12.0)]);
        // 11 leaves the window with the fifth datapoint: one breach is left.
        let states = run(&mut alarm, &[Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(states, vec![InAlarm, Ok, Ok]);
        assert_eq!(alarm.datapoints().collect::<Vec<_>>(), vec![Some(12.0), Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(alarm.latest(), Some(3.0));
        let states = run(&mut alarm, &[Some(20.0), Some(30.0), None]);
        assert_eq!(states, vec![Ok, InAlarm, InAlarm]);
        assert_eq!(alarm.datapoints().collect::<Vec<_>>(), vec![Some(3.0), Some(20.0), Some(30.0), None]);
        assert_eq!(alarm.latest(), None);
    }

    #[test]
    fn a_sixty_four_period_window_works() {
        let mut alarm = Alarm::new(config(Comparison::GreaterThanThreshold, 1.0, 64, 64));
        let states = run(&mut alarm, &[Some(2.0); 64]);
        assert_eq!(states[62], Ok);
        assert_eq!(states[63], InAlarm);
    }
}
