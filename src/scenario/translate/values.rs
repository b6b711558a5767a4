//! The checks of one value, shared by every table: durations (a month as AWS bills one),
//! numbers in range, counts, choices among words, the tick and delays.

use super::Translator;
use crate::engine::{Delay, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND};
use crate::scenario::error::KeyPath;
use crate::scenario::file::{DelayFile, DistributionFile};
use crate::scenario::limits::{MAX_DURATION_MS, MAX_DURATION_TEXT, Quota};

impl Translator<'_, '_> {
    /// `text` as whole milliseconds, e.g. "45s", "1m 30s", "7d", "2w", "1 month"; at most
    /// [`MAX_DURATION_MS`], so that no sum of times in a run can overflow.
    pub(super) fn duration(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        match humantime::parse_duration(&months_as_hours(text)) {
            Ok(d) if d.as_millis() > u128::from(MAX_DURATION_MS) => {
                self.fail(
                    path,
                    format!(
                        "found \"{}\", longer than ecsim simulates; expected at most {MAX_DURATION_TEXT}",
                        shorten(text)
                    ),
                );
                None
            }
            Ok(d) if d.subsec_nanos() % 1_000_000 == 0 => Some(u64::try_from(d.as_millis()).unwrap_or(MAX_DURATION_MS)),
            Ok(_) => {
                self.fail(path, format!("found \"{text}\"; a duration must be whole milliseconds"));
                None
            }
            Err(e) => {
                // humantime's own list of units names its 30.44-day month, not ours.
                let why = match e {
                    humantime::DurationError::UnknownUnit { unit, .. } => {
                        format!("`{}` is not a unit of time", shorten(&unit))
                    }
                    humantime::DurationError::NumberOverflow => {
                        format!("too long, at most {MAX_DURATION_TEXT}, or finer than a nanosecond")
                    }
                    humantime::DurationError::Empty => "it is empty".to_owned(),
                    humantime::DurationError::InvalidCharacter(_) | humantime::DurationError::NumberExpected(_) => {
                        "a duration is numbers each followed by a unit".to_owned()
                    }
                };
                self.fail(
                    path,
                    format!(
                        "found \"{}\", which is not a duration ({why}); expected e.g. \"45s\", \"5m\", \"2h\", \"7d\", \"2w\", \"1 month\" (730 h)",
                        shorten(text)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn positive_duration(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        let ms = self.duration(path, text)?;
        if ms == 0 {
            self.fail(path, format!("found \"{text}\"; expected a duration greater than zero"));
            return None;
        }
        Some(ms)
    }

    pub(super) fn optional_duration(&mut self, path: &KeyPath, text: Option<&str>, default: u64) -> Option<u64> {
        text.map_or(Some(default), |t| self.duration(path, t))
    }

    /// A finite number ≥ 0 (requests, factors, prices).
    pub(super) fn non_negative(&mut self, path: &KeyPath, value: f64) -> Option<f64> {
        if value.is_finite() && value >= 0.0 {
            Some(value)
        } else {
            self.fail(path, format!("found {}; expected a finite number ≥ 0", number(value)));
            None
        }
    }

    pub(super) fn in_range(&mut self, path: &KeyPath, value: f64, low: f64, high: f64, allowed: &str) -> Option<f64> {
        if value.is_finite() && (low..=high).contains(&value) {
            Some(value)
        } else {
            self.fail(path, format!("found {}; expected {allowed}", number(value)));
            None
        }
    }

    pub(super) fn count(&mut self, path: &KeyPath, value: i64) -> Option<u32> {
        match u32::try_from(value) {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(path, format!("found {value}; expected a whole number from 0 to {}", u32::MAX));
                None
            }
        }
    }

    /// A count AWS bounds with a service quota: 0 to the quota.
    pub(super) fn count_within(&mut self, path: &KeyPath, value: i64, quota: Quota) -> Option<u32> {
        match u32::try_from(value) {
            Ok(v) if v <= quota.max => Some(v),
            _ => {
                self.fail(
                    path,
                    format!("found {value}; expected a whole number from 0 to {}, {}", quota.max, quota.describe()),
                );
                None
            }
        }
    }

    /// `found` items of a list that a quota bounds; false (with the problem) above it.
    pub(super) fn list_within(&mut self, path: &KeyPath, found: usize, items: &str, quota: Quota) -> bool {
        if found <= quota.max as usize {
            return true;
        }
        self.fail(path, format!("found {found} {items}; expected at most {}, {}", quota.max, quota.describe()));
        false
    }

    pub(super) fn choice<T: Copy>(&mut self, path: &KeyPath, text: &str, options: &[(&str, T)]) -> Option<T> {
        if let Some(&(_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(value);
        }
        let allowed: Vec<String> = options.iter().map(|(name, _)| format!("\"{name}\"")).collect();
        self.fail(path, format!("found \"{text}\"; expected one of {}", allowed.join(", ")));
        None
    }

    pub(super) fn tick(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        let tick = self.positive_duration(path, text)?;
        let fits = (tick.is_multiple_of(MS_PER_SECOND) && MS_PER_MINUTE.is_multiple_of(tick))
            || (tick.is_multiple_of(MS_PER_MINUTE) && MS_PER_HOUR.is_multiple_of(tick));
        if !fits {
            self.fail(path, format!(
                "found \"{text}\"; expected a tick from 1s to 1h that divides a minute (1s, 2s, 5s, 10s, 15s, 20s, 30s, …) or is whole minutes dividing an hour (1m, 2m, 5m, 10m, 15m, 30m, 1h, …)"
            ));
            return None;
        }
        Some(tick)
    }

    pub(super) fn delay(&mut self, path: &KeyPath, file: Option<&DelayFile>, default_ms: u64) -> Option<Delay> {
        match file {
            None => Some(Delay::Fixed { ms: default_ms }),
            Some(DelayFile::Fixed(text)) => Some(Delay::Fixed { ms: self.duration(path, text)? }),
            Some(DelayFile::Distribution(DistributionFile::Uniform { min, max })) => {
                let min_ms = self.duration(&path.key("min"), min);
                let max_ms = self.duration(&path.key("max"), max);
                if let (Some(lo), Some(hi)) = (min_ms, max_ms)
                    && hi < lo
                {
                    self.fail(&path.key("max"), format!("found \"{max}\"; expected max ≥ min (\"{min}\")"));
                    return None;
                }
                Some(Delay::Uniform { min_ms: min_ms?, max_ms: max_ms? })
            }
            Some(DelayFile::Distribution(DistributionFile::Normal { mean, sd })) => {
                let mean_ms = self.duration(&path.key("mean"), mean);
                let sd_ms = self.duration(&path.key("sd"), sd);
                Some(Delay::Normal { mean_ms: mean_ms?, sd_ms: sd_ms? })
            }
            Some(DelayFile::Distribution(DistributionFile::LogNormal { median, sigma })) => {
                let median_ms = self.positive_duration(&path.key("median"), median);
                let sigma = self.in_range(&path.key("sigma"), *sigma, 0.0, 3.0, "a sigma from 0 to 3");
                Some(Delay::LogNormal { median_ms: median_ms?, sigma: sigma? })
            }
        }
    }
}

/// `value` as a message shows it: plain decimals, or with an exponent when it is very large
/// or very small (1e308, not its 309 digits).
pub(crate) fn number(value: f64) -> String {
    if value != 0.0 && value.is_finite() && !(1e-6..1e15).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// `text` cut to a length worth echoing back in a message.
pub(crate) fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// A month as AWS's pricing pages count it, 730 hours, in place of humantime's 30.44 days
/// (which is no whole number of minutes): "1 month", "2months", "3mo" → "730h", "1460h", "2190h";
/// and a year as twelve of them, "3y" → "26280h". Other units are left to humantime.
fn months_as_hours(text: &str) -> std::borrow::Cow<'_, str> {
    // Longest first, so that "months" is not read as "mo" + "nths"; a year is 12 such months,
    // 8,760 h, the 365 days of an EC2 Reserved Instance year (humantime's is 365.25 days).
    const UNITS: [(&str, u64); 7] =
        [("months", 730), ("month", 730), ("mo", 730), ("M", 730), ("years", 8_760), ("year", 8_760), ("y", 8_760)];
    if !UNITS.iter().any(|(u, _)| text.contains(u)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            let mut chars = rest.chars();
            out.extend(chars.next());
            rest = chars.as_str();
            continue;
        }
        let (number, after) = rest.split_at(digits);
        let spaced = after.trim_start();
        let unit = UNITS
            .iter()
            .find(|(u, _)| spaced.starts_with(u) && !spaced[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic()));
        match (unit, number.parse::<u64>()) {
            (Some((unit, hours)), Ok(n)) if n.checked_mul(*hours).is_some() => {
                out.push_str(&format!("{}h", n * hours));
                rest = &spaced[unit.len()..];
            }
            _ => {
                out.push_str(number);
                rest = after;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::months_as_hours;

    #[test]
    fn a_month_is_730_hours_as_aws_bills_it() {
        for (text, expected) in [
            ("1 month", "730h"),
            ("2months", "1460h"),
            ("1 month 2d", "730h 2d"),
            ("3mo", "2190h"),
            ("1M", "730h"),
            ("45m", "45m"),
            ("2w", "2w"),
            ("10min", "10min"),
            ("3y", "26280h"),
            ("1 year 2 months", "8760h 1460h"),
            ("2years", "17520h"),
        ] {
            assert_eq!(months_as_hours(text), expected, "{text}");
        }
        // humantime then reads them: a month of 730 h, a week of 7 days.
        assert_eq!(humantime::parse_duration(&months_as_hours("1 month")).unwrap().as_secs(), 730 * 3600);
        assert_eq!(humantime::parse_duration("2w").unwrap().as_secs(), 14 * 86_400);
    }
}
