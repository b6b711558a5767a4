//! `ecsim calibrate`: what a user cannot read from AWS's configuration, estimated from the
//! CloudWatch history `get-metric-data` exported: the requests one task serves at 100 % CPU.
//!
//! ecsim's CPU utilization is the requests the RUNNING tasks serve over what they could serve
//! (reference §9): `U = 100 × x / requests_per_task`, with `x` the requests per second per
//! task. Each minute with CPU above 1 % gives an estimate `100 × x / U`; the estimate is their
//! median (a bad minute, a deployment or a cold cache, moves it little), with the 95 %
//! distribution-free interval of a median (the order statistics n/2 ± 0.98 √n). How well the
//! fitted model explains the history is its R² and the residuals' standard deviation. The
//! least-squares intercept of CPU on `x` is reported as the CPU a task uses without requests,
//! which ecsim does not model.

use super::import::{ImportError, metric_series};
use std::collections::BTreeMap;
use std::path::Path;

/// The fit, per minute of history used.
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

/// Minutes needed for a fit worth stating.
const FEWEST_MINUTES: usize = 30;

/// Fits `requests_per_task` from the series in `metrics`: a `RequestCount` (per period sums),
/// `CPUUtilization` (average %) and `RunningTaskCount` (average tasks), matched by label or
/// id. Also the warnings reading them gave.
pub fn calibrate(metrics: &Path) -> Result<(Fit, Vec<String>), ImportError> {
    let (series, warnings) = metric_series(metrics)?;
    let find = |names: &[&str], what: &str| {
        series
            .iter()
            .find(|(id, s)| names.iter().any(|n| s.label.contains(n) || id.as_str() == n.to_lowercase()))
            .map(|(_, s)| s)
            .ok_or_else(|| {
                ImportError::Missing(format!(
                    "{}: no {what} series (get-metric-data) to calibrate from",
                    metrics.display()
                ))
            })
    };
    let requests = find(&["RequestCount"], "RequestCount")?;
    let cpu = find(&["CPUUtilization", "cpu"], "CPUUtilization")?;
    let tasks = find(&["RunningTaskCount", "tasks"], "RunningTaskCount (Container Insights)")?;
    let period = requests.points.windows(2).map(|w| w[1].0 - w[0].0).min().unwrap_or(60).max(1);
    let by_time = |points: &[(i64, f64)]| points.iter().copied().collect::<BTreeMap<i64, f64>>();
    let (cpu, tasks) = (by_time(&cpu.points), by_time(&tasks.points));
    // (requests per second per task, CPU %) for the minutes all three series have.
    let samples: Vec<(f64, f64)> = requests
        .points
        .iter()
        .filter_map(|&(t, r)| {
            let (u, n) = (*cpu.get(&t)?, *tasks.get(&t)?);
            (n > 0.0 && u.is_finite()).then(|| (r / period as f64 / n, u))
        })
        .collect();
    fit(&samples).map(|fit| (fit, warnings)).ok_or_else(|| {
        ImportError::Missing(format!(
            "{}: {} minute(s) with requests, CPU above 1 % and tasks in common; at least {FEWEST_MINUTES} are needed",
            metrics.display(),
            samples.iter().filter(|(x, u)| *x > 0.0 && *u > 1.0).count()
        ))
    })
}

/// The fit of `U = 100 x / requests_per_task` to `(x, U)` samples; `None` with too few.
fn fit(samples: &[(f64, f64)]) -> Option<Fit> {
    let usable: Vec<(f64, f64)> = samples.iter().copied().filter(|&(x, u)| x > 0.0 && u > 1.0).collect();
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
    let mean_u = usable.iter().map(|s| s.1).sum::<f64>() / n as f64;
    let residuals: Vec<f64> = usable.iter().map(|&(x, u)| u - 100.0 * x / median).collect();
    let ss_res: f64 = residuals.iter().map(|r| r * r).sum();
    let ss_tot: f64 = usable.iter().map(|s| (s.1 - mean_u).powi(2)).sum();
    let mean_x = usable.iter().map(|s| s.0).sum::<f64>() / n as f64;
    let sxx: f64 = usable.iter().map(|s| (s.0 - mean_x).powi(2)).sum();
    let sxy: f64 = usable.iter().map(|s| (s.0 - mean_x) * (s.1 - mean_u)).sum();
    let baseline = if sxx > 0.0 { mean_u - sxy / sxx * mean_x } else { 0.0 };
    Some(Fit {
        requests_per_task: median,
        interval,
        minutes: n,
        r_squared: if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 },
        residual_sd_pct: (ss_res / n as f64).sqrt(),
        baseline_cpu_pct: baseline,
    })
}

/// `text` (a scenario) with `requests_per_task` of the service `[services.NAME]` set to the
/// fit, commented; `None` if the file has no such table.
pub fn calibrated(text: &str, service: &str, fit: &Fit) -> Option<String> {
    let headers = [format!("[services.{service}]"), format!("[services.\"{service}\"]")];
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| headers.iter().any(|h| l.trim_start().starts_with(h.as_str())))?;
    let end = (start + 1..lines.len()).find(|&i| lines[i].trim_start().starts_with('[')).unwrap_or(lines.len());
    let line = format!(
        "requests_per_task = {:.3}  # ecsim calibrate: median of {} minutes, 95 % interval {:.3}–{:.3}, R² {:.3}",
        fit.requests_per_task, fit.minutes, fit.interval.0, fit.interval.1, fit.r_squared
    );
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match (start + 1..end).find(|&i| lines[i].trim_start().starts_with("requests_per_task")) {
        Some(i) => out[i] = line,
        None => out.insert(start + 1, line),
    }
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
        let text = "[services.web]  # x\ncpu = 256\nrequests_per_task = 100.0  # placeholder\n\n[services.other]\nrequests_per_task = 5.0\n";
        let out = calibrated(text, "web", &fit).unwrap();
        assert!(out.contains("requests_per_task = 80.000  # ecsim calibrate"), "{out}");
        assert!(out.contains("[services.other]\nrequests_per_task = 5.0"), "{out}");
        let added = calibrated("[services.web]\ncpu = 256\n", "web", &fit).unwrap();
        assert!(added.starts_with("[services.web]\nrequests_per_task = 80.000"), "{added}");
        assert!(calibrated(text, "absent", &fit).is_none());
    }
}
