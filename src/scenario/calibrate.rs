//! `ecsim calibrate`: what a user cannot read from AWS's configuration, estimated from the
//! CloudWatch history `get-metric-data` exported: the requests one task serves at 100 % CPU,
//! the start-up delay and the memory a task uses.
//!
//! ecsim's CPU utilization is the requests the RUNNING tasks serve over what they could serve
//! (reference §9): `U = 100 × x / requests_per_task`, with `x` the requests per second per
//! task. Each minute with CPU between 1 % and 99 % (a saturated task only bounds the figure)
//! gives an estimate `100 × x / U`; the estimate is their median (a bad minute, a deployment
//! or a cold cache, moves it little), with the 95 % distribution-free interval of a median
//! (the order statistics n/2 ± 0.98 √n). How well the fitted model explains the history is its
//! R² and the residuals' standard deviation. The least-squares intercept of CPU on `x` is
//! reported as the CPU a task uses without requests, which ecsim does not model.
//!
//! The start-up delay, with `DesiredTaskCount` and `RunningTaskCount` (Container Insights):
//! from the start of the period whose desired count has stepped up from `a` to `b` (the
//! decision is taken within it), the task-seconds missing until `b` run,
//! over `b − a`, is the mean time from the decision to RUNNING (Little's law on one step);
//! the estimate is the median over the steps, so the few that waited for an instance move it
//! little. The memory a task uses, with `MemoryUtilization`: least squares of MiB used per task
//! (utilization × the task's reservation) on `x`, ecsim's `memory_use`.

use super::import::{ImportError, Series, SeriesById, metric_series, of_service, requests_of};
use std::collections::BTreeMap;
use std::path::Path;

/// One period of the history: each series' datapoint, where it has one. A period without a
/// `RequestCount` datapoint had no requests (CloudWatch publishes none).
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// Unix seconds at the period's start.
    pub at_s: i64,
    pub requests: f64,
    pub cpu_pct: Option<f64>,
    pub running: Option<f64>,
    pub desired: Option<f64>,
    pub memory_pct: Option<f64>,
}

/// A service's history, period by period in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub period_s: i64,
    pub periods: Vec<Period>,
}

impl History {
    /// The history from `start_s` (Unix seconds) on.
    pub fn since(mut self, start_s: i64) -> History {
        self.periods.retain(|m| m.at_s >= start_s);
        self
    }
}

/// The fit of `requests_per_task`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub requests_per_task: f64,
    /// 95 % interval of the estimate.
    pub interval: (f64, f64),
    pub minutes: usize,
    pub r_squared: f64,
    /// Standard deviation of measured less modelled CPU, in percentage points.
    pub residual_sd_pct: f64,
    /// Least-squares CPU at no requests, in percent.
    pub baseline_cpu_pct: f64,
}

/// The start-up delay: decision to RUNNING.
#[derive(Debug, Clone, PartialEq)]
pub struct StartupFit {
    pub seconds: f64,
    /// Scale-out steps it is the median of.
    pub steps: usize,
    /// Their lower and upper quartiles.
    pub quartiles: (f64, f64),
}

/// A task's memory use, MiB: `base + per_request_per_second × x`.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryFit {
    pub base_mib: f64,
    pub per_request_per_second_mib: f64,
    pub minutes: usize,
    pub r_squared: f64,
}

/// The `requests_per_task` fit of one day (UTC) of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// Unix seconds at its start.
    pub start_s: i64,
    pub requests_per_task: f64,
    pub minutes: usize,
}

/// Everything estimated from one history.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The history's first and last period, Unix seconds at their start.
    pub span_s: (i64, i64),
    pub fit: Fit,
    /// The fit day by day (days with too few minutes left out): a release or a new traffic
    /// mix shows as a move from one day to the next.
    pub days: Vec<Day>,
    pub startup: Option<StartupFit>,
    pub memory: Option<MemoryFit>,
}

/// Minutes needed for a fit worth stating.
const FEWEST_MINUTES: usize = 30;
/// Scale-out steps needed for a start-up estimate.
pub const FEWEST_STEPS: usize = 3;
/// How long after a step up its tasks may take to run before the step is not used.
pub const LONGEST_STEP_S: i64 = 1200;
/// Below this R² a fit is said to be worth little.
pub const POOR_FIT: f64 = 0.5;
const DAY_S: i64 = 86_400;

/// Reads the history of `service` in `metrics`: a `RequestCount` (per period sums),
/// `CPUUtilization` (average %), `RunningTaskCount` (average tasks) and, if there,
/// `DesiredTaskCount` and `MemoryUtilization`, each matched by its label or id (of several,
/// the one that names the service, one of `services`). Also the warnings reading them gave.
pub fn history(metrics: &Path, service: &str, services: usize) -> Result<(History, Vec<String>), ImportError> {
    let whose = (service, services);
    let (series, warnings) = metric_series(metrics)?;
    let missing = |what: &str| {
        ImportError::Missing(format!(
            "{}: no {what} series (get-metric-data) to calibrate from; calibration needs RequestCount, CPUUtilization and RunningTaskCount (DesiredTaskCount for the start-up delay): scripts/export-from-aws.sh fetches them with --start and --end",
            metrics.display()
        ))
    };
    let requests = requests_of(&series, service, services)
        .ok_or_else(|| missing("RequestCount"))?
        .points
        .map_err(|why| ImportError::Missing(format!("{}: {why}", metrics.display())))?;
    let requests = requests.as_slice();
    let cpu = find(&series, "CPUUtilization", "cpu", whose).ok_or_else(|| missing("CPUUtilization"))?;
    let running = find(&series, "RunningTaskCount", "tasks", whose)
        .ok_or_else(|| missing("RunningTaskCount (Container Insights)"))?;
    let desired = find(&series, "DesiredTaskCount", "desired", whose);
    let memory = find(&series, "MemoryUtilization", "memory", whose);
    let period_s = requests.windows(2).map(|w| w[1].0 - w[0].0).min().unwrap_or(60).max(1);
    let by_time = |points: &[(i64, f64)]| points.iter().copied().collect::<BTreeMap<i64, f64>>();
    let (requests_at, cpu_at, running_at) = (by_time(requests), by_time(cpu), by_time(running));
    let (desired_at, memory_at) = (by_time(desired.unwrap_or_default()), by_time(memory.unwrap_or_default()));
    let mut times: Vec<i64> = requests_at.keys().chain(cpu_at.keys()).chain(running_at.keys()).copied().collect();
    times.sort_unstable();
    times.dedup();
    let periods = times
        .into_iter()
        .map(|at_s| Period {
            at_s,
            requests: requests_at.get(&at_s).copied().unwrap_or(0.0),
            cpu_pct: cpu_at.get(&at_s).copied(),
            running: running_at.get(&at_s).copied(),
            desired: desired_at.get(&at_s).copied(),
            memory_pct: memory_at.get(&at_s).copied(),
        })
        .collect();
    Ok((History { period_s, periods }, warnings))
}

/// The datapoints of the series whose label holds `label`, or whose id is `id` or `id_…`;
/// of several, the one whose label or id names `service` (see `of_service`).
fn find<'s>(
    series: &'s SeriesById,
    label: &str,
    id: &str,
    (service, services): (&str, usize),
) -> Option<&'s [(i64, f64)]> {
    let prefix = format!("{id}_");
    let candidates: Vec<(&String, &Series)> = series
        .iter()
        .filter(|(key, s)| s.label.contains(label) || key.as_str() == id || key.starts_with(&prefix))
        .collect();
    of_service(&candidates, service, services).map(|(_, s)| s.points.as_slice())
}

/// Calibrates from `history`; `memory_mib` is what memory utilization is measured against
/// (the task's `memoryReservation` sum, else its memory). An error says why no fit was made.
pub fn calibrate(history: &History, memory_mib: f64) -> Result<Calibration, String> {
    let period = history.period_s as f64;
    // Requests per second per task, for the periods with tasks.
    let per_task = |m: &Period| m.running.filter(|n| *n > 0.0).map(|n| m.requests / period / n);
    // (day, (x, CPU %)) for the periods with tasks and CPU, in time order.
    let dated: Vec<(i64, (f64, f64))> = (history.periods.iter())
        .filter_map(|m| Some((m.at_s.div_euclid(DAY_S) * DAY_S, (per_task(m)?, m.cpu_pct.filter(|u| u.is_finite())?))))
        .collect();
    let samples: Vec<(f64, f64)> = dated.iter().map(|&(_, s)| s).collect();
    let whole = fit(&samples).ok_or_else(|| {
        format!(
            "{} minute(s) with requests, CPU between 1 % and 99 % and tasks; at least {FEWEST_MINUTES} are needed",
            samples.iter().filter(|s| usable(**s)).count()
        )
    })?;
    let memory: Vec<(f64, f64)> = history
        .periods
        .iter()
        .filter_map(|m| Some((per_task(m)?, m.memory_pct.filter(|u| u.is_finite())? / 100.0 * memory_mib)))
        .collect();
    let days: Vec<Day> = (dated.chunk_by(|a, b| a.0 == b.0))
        .filter_map(|day| {
            let f = fit(&day.iter().map(|&(_, s)| s).collect::<Vec<_>>())?;
            Some(Day { start_s: day[0].0, requests_per_task: f.requests_per_task, minutes: f.minutes })
        })
        .collect();
    let span_s = (history.periods.first().map_or(0, |m| m.at_s), history.periods.last().map_or(0, |m| m.at_s));
    Ok(Calibration { span_s, fit: whole, days, startup: startup(history), memory: memory_fit(&memory) })
}

/// A minute that says something about requests_per_task.
fn usable((x, u): (f64, f64)) -> bool {
    x > 0.0 && u > 1.0 && u < 99.0
}

/// The fit of `U = 100 x / requests_per_task` to `(x, U)` samples; `None` with too few.
fn fit(samples: &[(f64, f64)]) -> Option<Fit> {
    let usable: Vec<(f64, f64)> = samples.iter().copied().filter(|s| usable(*s)).collect();
    if usable.len() < FEWEST_MINUTES {
        return None;
    }
    let mut estimates: Vec<f64> = usable.iter().map(|&(x, u)| 100.0 * x / u).collect();
    estimates.sort_by(f64::total_cmp);
    let n = estimates.len();
    let median = if n % 2 == 1 { estimates[n / 2] } else { (estimates[n / 2 - 1] + estimates[n / 2]) / 2.0 };
    let half = 0.98 * (n as f64).sqrt();
    let rank = |r: f64| estimates[(r.round().max(0.0) as usize).min(n - 1)];
    let interval = (rank(n as f64 / 2.0 - half - 1.0), rank(n as f64 / 2.0 + half));
    let (r_squared, ss_res) = explained(&usable, |x| 100.0 * x / median);
    Some(Fit {
        requests_per_task: median,
        interval,
        minutes: n,
        r_squared,
        residual_sd_pct: (ss_res / n as f64).sqrt(),
        baseline_cpu_pct: least_squares(&usable).0,
    })
}

/// The least-squares line through `(x, y)` samples: its intercept and slope (slope 0 when x
/// does not vary).
fn least_squares(samples: &[(f64, f64)]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean_x = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let sxx: f64 = samples.iter().map(|s| (s.0 - mean_x).powi(2)).sum();
    let sxy: f64 = samples.iter().map(|s| (s.0 - mean_x) * (s.1 - mean_y)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_y - slope * mean_x, slope)
}

/// How well `model` explains the samples' `y`: R² (0 for a constant y) and the residual sum
/// of squares.
fn explained(samples: &[(f64, f64)], model: impl Fn(f64) -> f64) -> (f64, f64) {
    let mean_y = samples.iter().map(|s| s.1).sum::<f64>() / samples.len() as f64;
    let ss_res: f64 = samples.iter().map(|&(x, y)| (y - model(x)).powi(2)).sum();
    let ss_tot: f64 = samples.iter().map(|s| (s.1 - mean_y).powi(2)).sum();
    (if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 }, ss_res)
}

/// The median start-up delay over the history's scale-out steps (see the module's docs);
/// `None` without `DesiredTaskCount` or with fewer than three clean steps.
fn startup(history: &History) -> Option<StartupFit> {
    let m = &history.periods;
    let period = history.period_s;
    let mut lags = Vec::new();
    for i in 1..m.len() {
        let (Some(before), Some(after)) = (m[i - 1].desired, m[i].desired) else { continue };
        if after <= before || m[i].at_s - m[i - 1].at_s != period {
            continue;
        }
        // The step first shows in period i: the decision is taken at its start (ecsim decides
        // at the tick; CloudWatch's own period is within one of it). The tasks missing from
        // then on, until the step's tasks all run.
        let mut missing = 0.0;
        let mut done = false;
        for (k, later) in (0i64..).zip(&m[i..]) {
            let steady = later.desired.is_some_and(|d| (d - after).abs() < 1e-9);
            if later.at_s != m[i].at_s + k * period || later.at_s - m[i].at_s > LONGEST_STEP_S || !steady {
                break;
            }
            let Some(running) = later.running else { break };
            missing += (after - running).max(0.0) * period as f64;
            if running >= after - 1e-9 {
                done = true;
                break;
            }
        }
        if done {
            lags.push(missing / (after - before));
        }
    }
    if lags.len() < FEWEST_STEPS {
        return None;
    }
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q).round() as usize];
    Some(StartupFit { seconds: at(0.5), steps: lags.len(), quartiles: (at(0.25), at(0.75)) })
}

/// Least squares of MiB used on requests per second per task; `None` with too few minutes.
fn memory_fit(samples: &[(f64, f64)]) -> Option<MemoryFit> {
    let samples: Vec<(f64, f64)> = samples.iter().copied().filter(|(x, _)| *x > 0.0).collect();
    let n = samples.len();
    if n < FEWEST_MINUTES {
        return None;
    }
    // Memory neither shrinks with load nor goes below nothing: a falling line is held flat
    // at the mean.
    let (intercept, raw) = least_squares(&samples);
    let slope = raw.max(0.0);
    let mean_x = samples.iter().map(|s| s.0).sum::<f64>() / n as f64;
    let base = (intercept + (raw - slope) * mean_x).max(0.0);
    let (r_squared, _) = explained(&samples, |x| base + slope * x);
    Some(MemoryFit { base_mib: base, per_request_per_second_mib: slope, minutes: n, r_squared })
}

/// The lines `calibrated` writes into a service's table: each estimated value, commented.
fn estimated_lines(calibration: &Calibration) -> Vec<(&'static str, String)> {
    let fit = &calibration.fit;
    let (from, to) = (date(calibration.span_s.0), date(calibration.span_s.1));
    let poor = if fit.r_squared < POOR_FIT { ": a poor fit, see ecsim calibrate's warnings" } else { "" };
    let mut lines = vec![(
        "requests_per_task",
        format!(
            "requests_per_task = {:.3}  # ecsim calibrate, history {from} to {to}: requests/s a task serves at 100 % CPU, median of {} minutes, 95 % interval {:.3}–{:.3}, R² {:.3}{poor}",
            fit.requests_per_task, fit.minutes, fit.interval.0, fit.interval.1, fit.r_squared
        ),
    )];
    if let Some(startup) = &calibration.startup {
        lines.push((
            "startup",
            format!(
                "startup = \"{}s\"  # ecsim calibrate: median of {} scale-outs, decision to RUNNING (quartiles {:.0}–{:.0} s)",
                startup.seconds.round(),
                startup.steps,
                startup.quartiles.0,
                startup.quartiles.1
            ),
        ));
    }
    if let Some(memory) = &calibration.memory {
        lines.push((
            "memory_use",
            format!(
                "memory_use = {{ base = {:.1}, per_request_per_second = {:.4} }}  # ecsim calibrate: least squares of {} minutes, R² {:.3}",
                memory.base_mib, memory.per_request_per_second_mib, memory.minutes, memory.r_squared
            ),
        ));
    }
    lines
}

/// The date of a Unix time, `2026-11-01`.
pub fn date(unix_s: i64) -> String {
    jiff::Timestamp::from_second(unix_s).map_or_else(|_| unix_s.to_string(), |t| t.strftime("%Y-%m-%d").to_string())
}

/// `text` (a scenario) with the estimates set in the service's table `[services.NAME]`, each
/// commented, replacing a line of the same key; `None` if the file has no such table.
pub fn calibrated(text: &str, service: &str, calibration: &Calibration) -> Option<String> {
    let headers = [format!("[services.{service}]"), format!("[services.\"{service}\"]")];
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| headers.iter().any(|h| l.trim_start().starts_with(h.as_str())))?;
    let end = (start + 1..lines.len()).find(|&i| lines[i].trim_start().starts_with('[')).unwrap_or(lines.len());
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let mut added = Vec::new();
    let mut after = start; // new lines go after requests_per_task's, else first in the table
    for (key, line) in estimated_lines(calibration) {
        let is_key = |l: &str| l.trim_start().strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='));
        match (start + 1..end).find(|&i| is_key(lines[i])) {
            Some(i) => {
                out[i] = line;
                if key == "requests_per_task" {
                    after = i;
                }
            }
            None => added.push(line),
        }
    }
    out.splice(after + 1..after + 1, added);
    Some(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes of a task serving `x` requests/s at 100 x / 80 % CPU: the fit finds 80, and a
    /// perfect fit has R² 1.
    #[test]
    fn a_clean_history_gives_back_its_requests_per_task() {
        let samples: Vec<(f64, f64)> = (1..=100).map(|i| (f64::from(i), 100.0 * f64::from(i) / 80.0)).collect();
        let clean = fit(&samples).unwrap();
        assert!((clean.requests_per_task - 80.0).abs() < 1e-9);
        assert!((clean.r_squared - 1.0).abs() < 1e-9 && clean.residual_sd_pct < 1e-9);
        assert!(clean.interval.0 <= 80.0 && 80.0 <= clean.interval.1);
        assert!(clean.baseline_cpu_pct.abs() < 1e-9);
        // A tenth of the minutes wildly off (a deployment, a cold start) moves the median little.
        let mut spoiled = samples.clone();
        for s in spoiled.iter_mut().step_by(10) {
            s.1 *= 3.0;
        }
        assert!((fit_of(&spoiled) - 80.0).abs() < 1e-9);
        assert!(fit(&samples[..20]).is_none(), "20 minutes are too few");
    }

    fn fit_of(samples: &[(f64, f64)]) -> f64 {
        fit(samples).unwrap().requests_per_task
    }

    /// CPU unrelated to the requests: the fit says so with a low R².
    #[test]
    fn noise_fits_badly() {
        let samples: Vec<(f64, f64)> =
            (0..200u32).map(|i| (f64::from(10 + i % 7), 20.0 + f64::from((i * 37) % 50))).collect();
        assert!(fit(&samples).unwrap().r_squared < 0.2);
    }

    #[test]
    fn the_service_line_is_replaced_or_added() {
        let fit = Fit {
            requests_per_task: 80.0,
            interval: (79.0, 81.0),
            minutes: 60,
            r_squared: 0.99,
            residual_sd_pct: 1.0,
            baseline_cpu_pct: 0.0,
        };
        let startup = Some(StartupFit { seconds: 74.6, steps: 12, quartiles: (70.0, 80.0) });
        let calibration = Calibration { span_s: (0, 0), fit, days: Vec::new(), startup, memory: None };
        let text = "[services.web]  # x\ncpu = 256\nrequests_per_task = 100.0  # placeholder\n\n[services.other]\nrequests_per_task = 5.0\n";
        let out = calibrated(text, "web", &calibration).unwrap();
        assert!(out.contains("\nrequests_per_task = 80.000  # ecsim calibrate"), "{out}");
        assert!(
            out.starts_with("[services.web]  # x\ncpu = 256\nrequests_per_task = 80.000  # ecsim calibrate"),
            "{out}"
        );
        assert!(out.contains(" R² 0.990\nstartup = \"75s\"  # ecsim calibrate"), "{out}");
        assert!(out.contains("[services.other]\nrequests_per_task = 5.0"), "{out}");
        assert_eq!(out.matches("requests_per_task").count(), 2, "{out}");
        let added = calibrated("[services.web]\ncpu = 256\n", "web", &calibration).unwrap();
        assert!(added.starts_with("[services.web]\nrequests_per_task = 80.000"), "{added}");
        assert!(added.contains("\nstartup = \"75s\""), "{added}");
        assert!(calibrated(text, "absent", &calibration).is_none());
    }

    /// Three steps up of 2 tasks whose tasks run 90 s after the decision at the start of the
    /// period that first shows the step: that period has the old count, the next one half of
    /// the new tasks, so 2 × 60 + 1 × 60 task-seconds are missing per step: 180 / 2 = 90 s.
    #[test]
    fn the_start_up_delay_is_the_missing_task_time_of_a_step() {
        let mut minutes = Vec::new();
        let (mut desired, mut running) = (Vec::new(), Vec::new());
        for step in 0..3 {
            let (before, after) = (4.0 + 2.0 * f64::from(step), 6.0 + 2.0 * f64::from(step));
            desired.extend([before, after, after, after, after]);
            running.extend([before, before, (before + after) / 2.0, after, after]);
        }
        for (i, (d, r)) in desired.iter().zip(&running).enumerate() {
            let at_s = 60 * i64::try_from(i).unwrap();
            minutes.push(Period {
                at_s,
                requests: 0.0,
                cpu_pct: None,
                running: Some(*r),
                desired: Some(*d),
                memory_pct: None,
            });
        }
        let history = History { period_s: 60, periods: minutes };
        let found = startup(&history).unwrap();
        assert_eq!((found.seconds, found.steps), (90.0, 3));
        let mut two = history.clone();
        two.periods.truncate(10);
        assert!(startup(&two).is_none(), "two steps are too few");
    }

    /// MiB used = 300 + 5 per request/s per task, read back by least squares.
    #[test]
    fn memory_use_is_a_line_through_the_minutes() {
        let samples: Vec<(f64, f64)> = (1..=60).map(|i| (f64::from(i), 300.0 + 5.0 * f64::from(i))).collect();
        let memory = memory_fit(&samples).unwrap();
        assert!((memory.base_mib - 300.0).abs() < 1e-9 && (memory.per_request_per_second_mib - 5.0).abs() < 1e-9);
        assert!((memory.r_squared - 1.0).abs() < 1e-9);
    }
}
