//! What `ecsim calibrate` (and `ecsim import`, when it calibrates) tells the user: each
//! estimate with its uncertainty, how well it explains the history, and the replay check.

use crate::calibration::Calibrated;

/// Below this R² a fit is said to be worth little.
const POOR_FIT: f64 = 0.5;
/// CPU at no requests above this is worth a word: ecsim does not model it.
const NOTABLE_BASELINE_PCT: f64 = 5.0;

/// The lines to print, and the warnings (without their `warning: `) to print apart.
pub fn calibration_lines(c: &Calibrated) -> (Vec<String>, Vec<String>) {
    let (fit, name) = (&c.calibration.fit, &c.service);
    let mut lines = vec![format!(
        "{name}: requests_per_task = {:.3} (95 % interval {:.3} to {:.3}) from {} minutes; R² {:.3}, residual SD {:.2} % CPU; CPU at no requests (least squares) {:.2} %",
        fit.requests_per_task,
        fit.interval.0,
        fit.interval.1,
        fit.minutes,
        fit.r_squared,
        fit.residual_sd_pct,
        fit.baseline_cpu_pct
    )];
    let mut warnings = c.warnings.clone();
    if fit.r_squared < POOR_FIT {
        warnings.push(format!(
            "R² {:.3}: CPU follows the requests per task poorly; trust this estimate little",
            fit.r_squared
        ));
    }
    if fit.baseline_cpu_pct > NOTABLE_BASELINE_PCT {
        warnings.push(format!("a task uses {:.1} % CPU without requests (least squares); ecsim's CPU is the requests served alone, so its utilization reads that much lower", fit.baseline_cpu_pct));
    }
    match &c.calibration.startup {
        Some(s) => lines.push(format!(
            "{name}: startup = {:.0} s from the decision to RUNNING, the median of {} scale-outs (quartiles {:.0} to {:.0} s)",
            s.seconds, s.steps, s.quartiles.0, s.quartiles.1
        )),
        None => warnings.push("start-up delay not estimated: it needs DesiredTaskCount and RunningTaskCount (Container Insights) with at least 3 scale-outs whose tasks all ran within 20 minutes".into()),
    }
    if let Some(m) = &c.calibration.memory {
        lines.push(format!(
            "{name}: memory_use = {:.1} MiB + {:.4} MiB per request/s per task, from {} minutes; R² {:.3}",
            m.base_mib, m.per_request_per_second_mib, m.minutes, m.r_squared
        ));
    }
    match &c.replay {
        Some(r) => {
            lines.push(format!(
                "replay over {} minutes: RUNNING tasks off by {:.2} on average (history {:.2}, model {:.2}), within one task in {:.1} % of minutes{}",
                r.minutes,
                r.tasks_mae,
                r.history_mean_tasks,
                r.model_mean_tasks,
                100.0 * r.within_one_task,
                r.cpu_mae_pct.map(|e| format!("; CPU off by {e:.2} points on average")).unwrap_or_default()
            ));
        }
        None => warnings.push(
            "no replay check: the run has no minute the history's RunningTaskCount covers (is `start` the history's?)"
                .into(),
        ),
    }
    (lines, warnings)
}
