//! A CSV line in a reused buffer and the fast formatting of its fields: fixed decimals by
//! integer arithmetic, seconds as short as exact, RFC 3339 timestamps with the date formatted
//! once a day.

use std::fmt::Write as _;
use std::io::{self, Write as _};

use crate::engine::SimTime;
use crate::report::atomic::AtomicFile;

/// One CSV line assembled in a reused buffer. Every field is a number or a fixed word except
/// names, which are escaped once up front, so no field needs quoting here.
#[derive(Default)]
pub(super) struct Line {
    pub(super) text: String,
    started: bool,
}

impl Line {
    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.started = false;
    }

    /// A new line: the time in seconds and as a timestamp, then the name (escaped) of what it
    /// is about.
    pub(super) fn begin(&mut self, timestamps: &mut Timestamps, at: SimTime, name: &str) {
        self.clear();
        self.field(Seconds(at));
        self.separate();
        timestamps.write(at, &mut self.text);
        self.text(name);
    }

    pub(super) fn separate(&mut self) {
        if self.started {
            self.text.push(',');
        }
        self.started = true;
    }

    pub(super) fn field(&mut self, value: impl std::fmt::Display) {
        self.separate();
        write!(self.text, "{value}").expect("writing to a String");
    }

    pub(super) fn int(&mut self, value: impl itoa::Integer) {
        self.separate();
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    pub(super) fn fixed(&mut self, value: f64, decimals: u32) {
        self.separate();
        push_fixed(&mut self.text, value, decimals);
    }

    pub(super) fn text(&mut self, value: &str) {
        self.separate();
        self.text.push_str(value);
    }

    pub(super) fn empty(&mut self, count: usize) {
        for _ in 0..count {
            self.separate();
        }
    }

    pub(super) fn write_to(&mut self, out: &mut AtomicFile) -> io::Result<()> {
        self.text.push('\n');
        out.write_all(self.text.as_bytes())
    }
}

/// A name as one CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a quote
/// or a line break.
pub(super) fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) { format!("\"{}\"", name.replace('"', "\"\"")) } else { name.to_owned() }
}

/// Appends `value` with `decimals` digits after the point, like `{:.N}` but by integer
/// arithmetic: several times faster for the millions of numbers a large run writes. (Exact
/// ties round away from zero here, to even in `{:.N}`.)
pub(super) fn push_fixed(out: &mut String, value: f64, decimals: u32) {
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

/// Seconds since the start, as short as exact: "60", "60.25".
pub(super) struct Seconds(SimTime);

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
pub(super) struct Timestamps {
    start_unix_ms: i64,
    day: i64,
    date: String,
}

impl Timestamps {
    const MS_PER_DAY: i64 = 86_400_000;

    pub(super) fn new(start_unix_ms: i64) -> Self {
        Timestamps { start_unix_ms, day: i64::MIN, date: String::new() }
    }

    pub(super) fn write(&mut self, at: SimTime, out: &mut String) {
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
