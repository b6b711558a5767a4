//! What `ecsim calibrate` (and `ecsim import`, when it calibrates) tells the user: each
//! estimate with its uncertainty, how well it explains the history, and the replay check.

use crate::calibration::Calibrated;
use crate::scenario::calibrate::{Day, FEWEST_STEPS, LONGEST_STEP_S, POOR_FIT, date};

/// CPU at no requests above this is worth a word: ecsim does not model it.
const NOTABLE_BASELINE_PCT: f64 = 5.0;
/// Days whose estimates differ by more than this share are said to have moved.
const NOTABLE_DRIFT: f64 = 0.05;

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
    // Runs of days whose estimates stay within NOTABLE_DRIFT of the run's first.
    let mut runs: Vec<Vec<&Day>> = Vec::new();
    for day in &c.calibration.days {
        match runs.last_mut() {
            Some(run) if (day.requests_per_task / run[0].requests_per_task - 1.0).abs() <= NOTABLE_DRIFT => {
                run.push(day)
            }
            _ => runs.push(vec![day]),
        }
    }
    // A move between days also makes a baseline appear; the move is said below instead.
    if fit.baseline_cpu_pct > NOTABLE_BASELINE_PCT && runs.len() <= 1 {
        warnings.push(format!("a task uses {:.1} % CPU without requests (least squares); ecsim's CPU is the requests served alone, so its utilization reads that much lower", fit.baseline_cpu_pct));
    }
    if runs.len() > 1 {
        let each: Vec<String> = runs
            .iter()
            .map(|run| {
                let mut values: Vec<f64> = run.iter().map(|d| d.requests_per_task).collect();
                values.sort_by(f64::total_cmp);
                let median = values[values.len() / 2];
                format!("{median:.3} from {} ({} days)", date(run[0].start_s), run.len())
            })
            .collect();
        lines.push(format!("{name}: requests_per_task day by day: {}", each.join(", ")));
        let last = &runs[runs.len() - 1];
        warnings.push(format!("requests_per_task moved during the history: a release or a new traffic mix changed what a request costs, and one figure cannot fit every day. Calibrate on the days like the ones you ask about: `--since {}T00:00:00Z` keeps the last {} days", date(last[0].start_s), last.len()));
    }
    match &c.calibration.startup {
        Some(s) => lines.push(format!(
            "{name}: startup = {:.0} s from the decision to RUNNING, the median of {} scale-outs (quartiles {:.0} to {:.0} s)",
            s.seconds, s.steps, s.quartiles.0, s.quartiles.1
        )),
        None => warnings.push(format!("start-up delay not estimated: it needs DesiredTaskCount and RunningTaskCount (Container Insights) with at least {FEWEST_STEPS} scale-outs whose tasks all ran within {} minutes", LONGEST_STEP_S / 60)),
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
            "no replay check: the run has no period the history's RunningTaskCount covers (is `start` the history's?), or the history's period is not a whole number of the scenario's ticks".into(),
        ),
    }
    (lines, warnings)
}
