//! `ecsim calibrate`'s whole job, which `ecsim import` also does when the history is there:
//! read the CloudWatch history, fit what AWS's configuration does not say
//! ([`scenario::calibrate`]), write the estimates into the scenario, and the replay check:
//! the calibrated scenario run over the history's period, its RUNNING tasks and CPU set
//! against what CloudWatch recorded, period by period. It tells a user how far to trust the
//! model before acting on its what-ifs.

use std::path::Path;

use crate::config::Scenario;
use crate::scenario::calibrate::{self, Calibration, History};
use crate::scenario::{self, Overrides};
use crate::sim::{self, Recorder, SeriesRow};

/// A scenario calibrated against a history, and how its replay went.
#[derive(Debug)]
pub struct Calibrated {
    pub service: String,
    /// The scenario's text with the estimates written in.
    pub text: String,
    pub calibration: Calibration,
    pub replay: Option<Replay>,
    /// What reading the history or the calibrated scenario warned of.
    pub warnings: Vec<String>,
}

/// Calibrates the service `service` (`None`: the only one) of the scenario `text`, read from
/// `file`, against the history in `metrics` from `since` (Unix seconds) on, and replays the
/// result over that history. The error says what the user must change.
pub fn calibrate_scenario(
    file: &Path,
    text: &str,
    service: Option<&str>,
    metrics: &Path,
    since: Option<i64>,
) -> Result<Calibrated, String> {
    let base = file.parent().unwrap_or(Path::new("."));
    let loaded = scenario::parse(file, text, base, &Overrides::default()).map_err(|e| e.to_string())?;
    let services = &loaded.scenario.services;
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let index = match (service, names.as_slice()) {
        (Some(name), _) if names.contains(&name) => names.iter().position(|n| *n == name).unwrap_or(0),
        (None, [_]) => 0,
        (given, _) => {
            let why = given.map_or("the scenario has several services".to_owned(), |n| format!("no service \"{n}\""));
            return Err(format!("{}: {why}; give --service, one of: {}", file.display(), names.join(", ")));
        }
    };
    let name = names[index].to_owned();
    let (history, mut warnings) = calibrate::history(metrics, &name, names.len()).map_err(|e| e.to_string())?;
    let history = match since {
        Some(start) => history.since(start),
        None => history,
    };
    let memory_mib = f64::from(services[index].task_size(0).reserved_memory_mib());
    let calibration = calibrate::calibrate(&history, memory_mib).map_err(|e| format!("{}: {e}", metrics.display()))?;
    let text = calibrate::calibrated(text, &name, &calibration)
        .ok_or_else(|| format!("{}: no [services.{name}] table to write the estimates into", file.display()))?;
    let checked = scenario::parse(file, &text, base, &Overrides::default())
        .map_err(|e| format!("{e}\nthe calibrated scenario does not validate"))?;
    warnings.extend(checked.warnings.iter().cloned());
    let replay = replay(&checked.scenario, index, &history);
    Ok(Calibrated { service: name, text, calibration, replay, warnings })
}

/// How closely the run followed the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// Periods compared: those of the run that the history has a `RunningTaskCount` for.
    pub minutes: usize,
    /// Mean absolute difference of RUNNING tasks (the period's mean).
    pub tasks_mae: f64,
    /// Share of the periods whose RUNNING tasks differ by at most one.
    pub within_one_task: f64,
    pub history_mean_tasks: f64,
    pub model_mean_tasks: f64,
    /// Mean absolute difference of CPU utilization, percentage points, over the periods both
    /// have it; `None` without any.
    pub cpu_mae_pct: Option<f64>,
}

/// Runs `scenario` and compares its service `service` with `history`, the series interval set
/// to the history's period. `None` if that period is not a whole number of ticks (the rows
/// would not be the history's periods) or no period of the run has a datapoint in it.
pub fn replay(scenario: &Scenario, service: usize, history: &History) -> Option<Replay> {
    let mut scenario = scenario.clone();
    let period_ms = u64::try_from(history.period_s).ok()?.checked_mul(1000)?;
    if period_ms == 0 || !period_ms.is_multiple_of(scenario.tick_ms) {
        return None;
    }
    scenario.series_interval_ms = period_ms;
    let mut rows = ServiceRows { service, rows: Vec::new() };
    sim::run(&scenario, &mut rows);
    let start_ms = scenario.start_unix_ms;
    let by_time: std::collections::HashMap<i64, &calibrate::Period> =
        history.periods.iter().map(|m| (m.at_s, m)).collect();
    let (mut n, mut abs, mut within, mut history_sum, mut model_sum) = (0usize, 0.0, 0usize, 0.0, 0.0);
    let (mut cpu_n, mut cpu_abs) = (0usize, 0.0);
    for row in &rows.rows {
        let at_ms = i64::try_from(row.start.as_millis()).ok()?.checked_add(start_ms)?;
        let Some(minute) = by_time.get(&at_ms.div_euclid(1000)) else { continue };
        let Some(running) = minute.running else { continue };
        let difference = (row.running_mean - running).abs();
        n += 1;
        abs += difference;
        within += usize::from(difference <= 1.0 + 1e-9);
        history_sum += running;
        model_sum += row.running_mean;
        if let (Some(model), Some(measured)) = (row.cpu_mean, minute.cpu_pct) {
            cpu_n += 1;
            cpu_abs += (model - measured).abs();
        }
    }
    (n > 0).then(|| Replay {
        minutes: n,
        tasks_mae: abs / n as f64,
        within_one_task: within as f64 / n as f64,
        history_mean_tasks: history_sum / n as f64,
        model_mean_tasks: model_sum / n as f64,
        cpu_mae_pct: (cpu_n > 0).then(|| cpu_abs / cpu_n as f64),
    })
}

/// Keeps one service's series rows.
struct ServiceRows {
    service: usize,
    rows: Vec<SeriesRow>,
}

impl Recorder for ServiceRows {
    fn series(&mut self, row: &SeriesRow) {
        if row.service == self.service {
            self.rows.push(row.clone());
        }
    }
    fn task(&mut self, _: &sim::TaskEvent) {}
    fn scaling(&mut self, _: &sim::ScalingEvent) {}
    fn scheduled(&mut self, _: &sim::ScheduledEvent) {}
    fn deployment(&mut self, _: &sim::DeploymentEvent) {}
    fn instance(&mut self, _: &sim::InstanceEvent) {}
    fn group_scaling(&mut self, _: &sim::GroupScalingEvent) {}
    fn placement_failure(&mut self, _: &sim::PlacementFailure) {}
    fn provider_series(&mut self, _: &sim::ProviderRow) {}
}
