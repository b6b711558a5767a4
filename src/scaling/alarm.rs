//! A CloudWatch metric alarm over one-minute datapoints: "M out of N" datapoints breaching
//! (not necessarily consecutive) puts it in ALARM (reference §1.2, CloudWatch
//! AlarmThatSendsEmail). Missing datapoints never breach, so an alarm that needs every
//! datapoint of its window stays out of ALARM while data is missing: insufficient data
//! never scales in.
//!
//! The window is a pair of bit masks, so pushing a datapoint and reading the state are O(1).

use serde::Serialize;

/// How the datapoint is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Comparison {
    GreaterThanThreshold,
    LessThanThreshold,
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

#[derive(Clone, Debug)]
pub struct Alarm {
    threshold: f64,
    comparison: Comparison,
    datapoints_to_alarm: u32,
    window_mask: u64,
    /// Bit i set: the datapoint i minutes ago breached.
    breaching: u64,
    /// Bit i set: there was a datapoint i minutes ago.
    present: u64,
    state: AlarmState,
}

impl Alarm {
    pub fn new(threshold: f64, comparison: Comparison, datapoints_to_alarm: u32, evaluation_periods: u32) -> Self {
        assert!(
            (1..=MAX_EVALUATION_PERIODS).contains(&evaluation_periods)
                && (1..=evaluation_periods).contains(&datapoints_to_alarm),
            "alarm window validated by the scenario"
        );
        let window_mask = if evaluation_periods == 64 { u64::MAX } else { (1u64 << evaluation_periods) - 1 };
        Alarm {
            threshold,
            comparison,
            datapoints_to_alarm,
            window_mask,
            breaching: 0,
            present: 0,
            state: AlarmState::InsufficientData,
        }
    }

    /// Adds the newest one-minute datapoint (`None`: no data that minute).
    pub fn push(&mut self, datapoint: Option<f64>) {
        let (present, breaching) = match datapoint {
            None => (0, 0),
            Some(value) => {
                let breaches = match self.comparison {
                    Comparison::GreaterThanThreshold => value > self.threshold,
                    Comparison::LessThanThreshold => value < self.threshold,
                };
                (1, u64::from(breaches))
            }
        };
        self.present = ((self.present << 1) | present) & self.window_mask;
        self.breaching = ((self.breaching << 1) | breaching) & self.window_mask;
        self.state = self.evaluate();
    }

    /// The state after the newest datapoint: CloudWatch evaluates alarms every minute.
    pub fn state(&self) -> AlarmState {
        self.state
    }

    fn evaluate(&self) -> AlarmState {
        if self.breaching.count_ones() >= self.datapoints_to_alarm {
            AlarmState::Alarm
        } else if self.present.count_ones() < self.datapoints_to_alarm {
            AlarmState::InsufficientData
        } else {
            AlarmState::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::{Alarm as InAlarm, InsufficientData, Ok};

    fn run(alarm: &mut Alarm, datapoints: &[Option<f64>]) -> Vec<AlarmState> {
        datapoints
            .iter()
            .map(|&d| {
                alarm.push(d);
                alarm.state()
            })
            .collect()
    }

    #[test]
    fn three_of_three_above_target() {
        // Target 60: AlarmHigh is "> 60 for 3 datapoints within 3 minutes".
        let mut high = Alarm::new(60.0, Comparison::GreaterThanThreshold, 3, 3);
        let states =
            run(&mut high, &[Some(70.0), Some(65.0), Some(60.0), Some(61.0), Some(62.0), Some(63.0), Some(50.0)]);
        // 60 is not above 60: the streak restarts; three more above → ALARM; one below → OK.
        assert_eq!(states, vec![InsufficientData, InsufficientData, Ok, Ok, Ok, InAlarm, Ok]);
    }

    #[test]
    fn m_of_n_need_not_be_consecutive() {
        let mut alarm = Alarm::new(10.0, Comparison::GreaterThanThreshold, 2, 3);
        let states = run(&mut alarm, &[Some(11.0), Some(5.0), Some(12.0), Some(5.0), Some(5.0)]);
        assert_eq!(states, vec![InsufficientData, Ok, InAlarm, Ok, Ok]);
    }

    #[test]
    fn fifteen_of_fifteen_below_and_missing_data_blocks_it() {
        // Target 60: AlarmLow is "< 54 for 15 datapoints within 15 minutes".
        let mut low = Alarm::new(54.0, Comparison::LessThanThreshold, 15, 15);
        let mut points = vec![Some(40.0); 14];
        points.push(None); // a minute with no running task
        let states = run(&mut low, &points);
        assert!(states.iter().all(|&s| s == InsufficientData));
        // 15 more real datapoints below 54: ALARM only on the 15th.
        let states = run(&mut low, &[Some(40.0); 15]);
        assert_eq!(states[13], InsufficientData);
        assert_eq!(states[14], InAlarm);
    }

    #[test]
    fn a_sixty_four_minute_window_works() {
        let mut alarm = Alarm::new(1.0, Comparison::GreaterThanThreshold, 64, 64);
        let states = run(&mut alarm, &[Some(2.0); 64]);
        assert_eq!(states[62], InsufficientData);
        assert_eq!(states[63], InAlarm);
    }
}
