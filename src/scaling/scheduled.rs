//! Scheduled actions (reference §3): at a time, or on a `rate(...)` or `cron(...)` recurrence
//! in an IANA time zone, set the scalable target's min and/or max capacity and move the
//! desired count into the new range at once, ignoring cooldowns.
//!
//! The firing times within a run are worked out up front, so the simulation only replays a
//! sorted list. Cron patterns are AWS's six fields, `Minutes Hours Day-of-month Month
//! Day-of-week Year`, with `?`, `L`, `W` and `#`, day-of-week 1–7 = SUN–SAT; croner evaluates
//! them (given a seconds field of 0) and jiff's bundled time-zone database resolves local
//! times, daylight saving included.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};
use serde::Serialize;

use crate::engine::LONGEST_RUN_MS;

/// One scheduled action of a service, with its firing times in this run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduledAction {
    pub name: String,
    /// The expression as written, e.g. `cron(0 9 ? * MON-FRI *)`.
    pub schedule: String,
    pub timezone: String,
    pub min_capacity: Option<u32>,
    pub max_capacity: Option<u32>,
    /// When it fires, in milliseconds from the run's start, ascending.
    #[serde(skip)]
    pub fire_times_ms: Vec<u64>,
}

/// A capacity range `(min, max)` after a scheduled action sets `min`, `max` or both: a new
/// minimum above the current maximum raises the maximum with it, and the other way round
/// (an Application Auto Scaling action on a service, an EC2 Auto Scaling one on a group).
pub fn reranged((low, high): (u32, u32), min: Option<u32>, max: Option<u32>) -> (u32, u32) {
    let (low, high) = min.map_or((low, high), |min| (min, high.max(min)));
    max.map_or((low, high), |max| (low.min(max), max))
}

/// A parsed schedule expression.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// `at(yyyy-mm-ddThh:mm:ss)`: once, at a local time.
    At(civil::DateTime),
    /// `rate(value unit)`: every so many milliseconds.
    Rate(u64),
    Cron(Box<Cron>),
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')')).map(str::trim);
        if let Some(at) = inner("at(") {
            let time: civil::DateTime =
                at.parse().map_err(|e| format!("`{at}` is not a time yyyy-mm-ddThh:mm:ss ({e})"))?;
            return Ok(Schedule::At(time));
        }
        if let Some(rate) = inner("rate(") {
            let fields: Vec<&str> = rate.split_whitespace().collect();
            let [value, unit] = fields.as_slice() else {
                return Err(format!("`rate({rate})` needs a value and a unit, e.g. rate(5 minutes)"));
            };
            let unit_ms: u64 = match *unit {
                "minute" | "minutes" => 60_000,
                "hour" | "hours" => 3_600_000,
                "day" | "days" => 86_400_000,
                other => return Err(format!("`{other}` is not a unit; expected minute(s), hour(s) or day(s)")),
            };
            // A period longer than the longest run would never fire twice.
            let longest = LONGEST_RUN_MS / unit_ms;
            let value: u64 =
                value.parse().ok().filter(|v| (1..=longest).contains(v)).ok_or(format!(
                    "`{value}` is not a whole number from 1 to {longest} (a period of at most 3 years)"
                ))?;
            return Ok(Schedule::Rate(value * unit_ms));
        }
        if let Some(cron) = inner("cron(") {
            let fields: Vec<&str> = cron.split_whitespace().collect();
            if fields.len() != 6 {
                return Err(format!(
                    "`cron({cron})` has {} fields; AWS cron has 6: Minutes Hours Day-of-month Month Day-of-week Year",
                    fields.len()
                ));
            }
            // "If you specify a value (or a *) in one of the fields, you must use a ? in the other."
            if (fields[2] == "?") == (fields[4] == "?") {
                return Err("exactly one of Day-of-month and Day-of-week must be `?`".into());
            }
            check_cron_ranges(&fields).map_err(|why| format!("`cron({cron})`: {why}"))?;
            let parser = CronParser::builder()
                .seconds(Seconds::Required)
                .year(Year::Required)
                .alternative_weekdays(true)
                .build();
            let pattern = parser.parse(&format!("0 {cron}")).map_err(|e| format!("`cron({cron})`: {e}"))?;
            return Ok(Schedule::Cron(Box::new(pattern)));
        }
        Err(format!("`{text}` is not a schedule; expected at(...), rate(...) or cron(...)"))
    }

    /// An EC2 Auto Scaling `Recurrence`: Unix cron, five fields (Minutes Hours Day-of-month
    /// Month Day-of-week, 0 or 7 = Sunday), e.g. `0 9 * * 1-5`.
    pub fn parse_recurrence(text: &str) -> Result<Schedule, String> {
        let fields = text.split_whitespace().count();
        if fields != 5 {
            return Err(format!(
                "`{text}` has {fields} fields; a recurrence is Unix cron with 5: Minutes Hours Day-of-month Month Day-of-week"
            ));
        }
        let parser = CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build();
        let pattern = parser.parse(text).map_err(|e| format!("`{text}`: {e}"))?;
        Ok(Schedule::Cron(Box::new(pattern)))
    }
}

/// AWS's ranges of the six cron fields, checked number by number so that a message can name
/// the field (croner says only "Number out of bounds"). Names (JAN, MON-FRI), `*`, `?`, `L`,
/// `W` and `#` are croner's to check.
fn check_cron_ranges(fields: &[&str]) -> Result<(), String> {
    const RANGES: [(&str, u32, u32); 6] = [
        ("Minutes", 0, 59),
        ("Hours", 0, 23),
        ("Day-of-month", 1, 31),
        ("Month", 1, 12),
        ("Day-of-week", 1, 7),
        ("Year", 1970, 2199),
    ];
    for (field, (name, low, high)) in fields.iter().zip(RANGES) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').map_or((part, None), |(r, s)| (r, Some(s)));
            if let Some(step) = step
                && step.parse::<u32>().map_or(step.bytes().all(|b| b.is_ascii_digit()), |n| n == 0)
            {
                return Err(format!("the {name} field's step `/{step}` must be a whole number of at least 1"));
            }
            for number in range.split('-').filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
                if number.parse::<u32>().map_or(true, |n| !(low..=high).contains(&n)) {
                    return Err(format!("the {name} field has {number}; AWS allows {low} to {high} there"));
                }
            }
        }
    }
    Ok(())
}

/// Every time `schedule` fires in `[from, until)`: the run, narrowed by the action's
/// `start_time` and `end_time`. "If you specify a start time, Application Auto Scaling
/// performs the action at this time, and then performs the action based on the specified
/// recurrence" (§3); without one, a rate first fires one period after the run starts.
pub fn fire_times(
    schedule: &Schedule,
    zone: &TimeZone,
    run: (Timestamp, Timestamp),
    start_time: Option<Timestamp>,
    end_time: Option<Timestamp>,
) -> Vec<Timestamp> {
    let from = start_time.map_or(run.0, |s| s.max(run.0));
    let until = end_time.map_or(run.1, |e| e.min(run.1));
    let mut times = Vec::new();
    if from >= until {
        return times;
    }
    let in_window = |t: Timestamp| (from..until).contains(&t);
    match schedule {
        Schedule::At(local) => {
            if let Ok(zoned) = zone.to_ambiguous_zoned(*local).compatible()
                && in_window(zoned.timestamp())
            {
                times.push(zoned.timestamp());
            }
        }
        Schedule::Rate(every_ms) => {
            // Periods are at most LONGEST_RUN_MS and timestamps within jiff's years -9999 to
            // 9999 (about ±3.2e14 ms): i64 holds every sum below.
            let every = i64::try_from(*every_ms).unwrap_or(i64::MAX / 4);
            let origin_ms = start_time.map_or(run.0.as_millisecond() + every, Timestamp::as_millisecond);
            // The first firing at or after `from` on the grid origin + k × every.
            let behind = (from.as_millisecond() - origin_ms).max(0);
            let mut at = origin_ms + (behind + every - 1) / every * every;
            while at < until.as_millisecond() {
                times.extend(Timestamp::from_millisecond(at).ok());
                at += every;
            }
        }
        Schedule::Cron(cron) => {
            if let Some(start) = start_time.filter(|&s| in_window(s)) {
                times.push(start);
            }
            let mut cursor = from.to_zoned(zone.clone());
            let mut inclusive = start_time.is_none_or(|s| !in_window(s));
            while let Ok(next) = cron.find_next_occurrence(&cursor, inclusive) {
                if next.timestamp() >= until {
                    break;
                }
                if times.last() != Some(&next.timestamp()) {
                    times.push(next.timestamp());
                }
                cursor = next;
                inclusive = false;
            }
        }
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "sets the MinCapacity and MaxCapacity to what is specified" (reference §3), the other
    /// limit following one that crosses it.
    #[test]
    fn a_new_limit_that_crosses_the_other_moves_it_too() {
        assert_eq!(reranged((2, 10), Some(4), None), (4, 10));
        assert_eq!(reranged((2, 10), Some(12), None), (12, 12));
        assert_eq!(reranged((5, 10), None, Some(3)), (3, 3));
        assert_eq!(reranged((5, 10), Some(1), Some(2)), (1, 2));
        assert_eq!(reranged((5, 10), None, None), (5, 10));
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn fires(schedule: &str, zone: &str, from: &str, until: &str) -> Vec<String> {
        let schedule = Schedule::parse(schedule).unwrap();
        fire_times(&schedule, &TimeZone::get(zone).unwrap(), (ts(from), ts(until)), None, None)
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn weekday_mornings_in_new_york_follow_daylight_saving() {
        // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC from Sunday 8 March
        // 2026, when daylight saving starts; no firing at the weekend.
        let times =
            fires("cron(0 9 ? * MON-FRI *)", "America/New_York", "2026-03-02T00:00:00Z", "2026-03-14T00:00:00Z");
        assert_eq!(
            times,
            [
                "2026-03-02T14:00:00Z",
                "2026-03-03T14:00:00Z",
                "2026-03-04T14:00:00Z",
                "2026-03-05T14:00:00Z",
                "2026-03-06T14:00:00Z",
                "2026-03-09T13:00:00Z",
                "2026-03-10T13:00:00Z",
                "2026-03-11T13:00:00Z",
                "2026-03-12T13:00:00Z",
                "2026-03-13T13:00:00Z",
            ]
        );
    }

    #[test]
    fn aws_day_of_week_numbers_start_on_sunday_and_hash_and_l_work() {
        // 2 = MON in AWS's numbering; 2026-01-05 is a Monday.
        let mondays = fires("cron(30 6 ? * 2 *)", "UTC", "2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z");
        assert_eq!(mondays, ["2026-01-05T06:30:00Z", "2026-01-12T06:30:00Z", "2026-01-19T06:30:00Z"]);
        // The second Tuesday (3#2) and the last day of the month (L), in 2026.
        assert_eq!(
            fires("cron(0 0 ? * 3#2 2026)", "UTC", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            ["2026-01-13T00:00:00Z", "2026-02-10T00:00:00Z"]
        );
        assert_eq!(
            fires("cron(0 18 L * ? *)", "UTC", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            ["2026-01-31T18:00:00Z", "2026-02-28T18:00:00Z"]
        );
        // A year field outside the run: nothing.
        assert!(fires("cron(0 0 * * ? 2030)", "UTC", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").is_empty());
    }

    #[test]
    fn rates_start_one_period_in_or_at_the_start_time() {
        let run = (ts("2026-01-05T00:00:00Z"), ts("2026-01-05T01:00:00Z"));
        let every_20 = Schedule::parse("rate(20 minutes)").unwrap();
        let times: Vec<String> =
            fire_times(&every_20, &TimeZone::UTC, run, None, None).iter().map(|t| t.to_string()).collect();
        assert_eq!(times, ["2026-01-05T00:20:00Z", "2026-01-05T00:40:00Z"]);
        let times: Vec<String> = fire_times(
            &every_20,
            &TimeZone::UTC,
            run,
            Some(ts("2026-01-05T00:05:00Z")),
            Some(ts("2026-01-05T00:50:00Z")),
        )
        .iter()
        .map(|t| t.to_string())
        .collect();
        assert_eq!(times, ["2026-01-05T00:05:00Z", "2026-01-05T00:25:00Z", "2026-01-05T00:45:00Z"]);
    }

    #[test]
    fn at_is_a_local_time_once() {
        // 18:00 in Berlin in January (CET, UTC+1) is 17:00 UTC.
        let times = fires("at(2026-01-06T18:00:00)", "Europe/Berlin", "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z");
        assert_eq!(times, ["2026-01-06T17:00:00Z"]);
    }

    #[test]
    fn malformed_schedules_say_what_is_wrong() {
        for (text, expected) in [
            ("cron(0 9 * * MON-FRI *)", "exactly one of Day-of-month and Day-of-week"),
            ("cron(0 9 ? * MON-FRI)", "has 5 fields"),
            ("cron(0 99 ? * MON *)", "the Hours field has 99; AWS allows 0 to 23"),
            ("cron(60 9 ? * MON *)", "the Minutes field has 60"),
            ("cron(0 9 ? 13 MON *)", "the Month field has 13"),
            ("cron(0 9 ? * 8 *)", "the Day-of-week field has 8"),
            ("cron(0 9 ? * MON 99999999999999999999)", "the Year field has 99999999999999999999"),
            ("cron(0/0 9 ? * MON *)", "step `/0`"),
            ("rate(0 minutes)", "not a whole number from 1 to 1576800"),
            ("rate(1576801 minutes)", "not a whole number from 1 to 1576800"),
            ("rate(18446744073709551 minutes)", "(a period of at most 3 years)"),
            ("rate(100000000 days)", "from 1 to 1095"),
            ("rate(5 weeks)", "not a unit"),
            ("at(2026-13-01T00:00:00)", "not a time"),
            ("every day", "not a schedule"),
        ] {
            let error = Schedule::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
