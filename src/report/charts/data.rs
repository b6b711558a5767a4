//! A run's output folder read back for its charts: `summary.json`, `run.json`,
//! `timeseries.csv` and the scaling decisions of `events.csv`. Charts are drawn from the files
//! alone, so `ecsim plot` can draw them again for any run, old or new.

use std::path::Path;

use super::ChartError;
use crate::report::Summary;

/// One interval of a service's time series.
#[derive(Clone, Debug, Default)]
pub struct ServicePoint {
    /// Seconds from the run's start.
    pub start: f64,
    pub end: f64,
    pub offered_rps: f64,
    pub served_requests: f64,
    pub running_mean: f64,
    pub pending_max: f64,
    pub desired: f64,
    pub cpu: Option<f64>,
    pub cost_usd: f64,
    pub cumulative_cost_usd: f64,
    /// The Fargate Spot part: RUNNING tasks and cost.
    pub spot: Option<(f64, f64, f64)>,
}

impl ServicePoint {
    pub fn served_rps(&self) -> f64 {
        self.served_requests / (self.end - self.start).max(1e-9)
    }
}

/// One interval of an Auto Scaling group's time series.
#[derive(Clone, Debug, Default)]
pub struct ProviderPoint {
    pub start: f64,
    pub end: f64,
    pub desired: f64,
    pub pending: f64,
    pub active: f64,
    pub draining: f64,
    pub cost_usd: f64,
    pub idle_cost_usd: f64,
    pub cumulative_cost_usd: f64,
}

/// A scaling decision that changed the desired count.
#[derive(Clone, Debug)]
pub struct Decision {
    pub at: f64,
    pub out: bool,
    pub policy: String,
    pub before: f64,
    pub after: f64,
    pub metric_value: Option<f64>,
}

/// What a service's charts need.
#[derive(Clone, Debug)]
pub struct ServiceData {
    pub name: String,
    /// `FARGATE`, `FARGATE+FARGATE_SPOT`, a group's name, …: the summary's `capacity`.
    pub capacity: String,
    pub requests_per_task: f64,
    /// The first target-tracking policy: its metric (the scenario's name for it) and target.
    pub target: Option<(String, f64)>,
    pub series: Vec<ServicePoint>,
    pub decisions: Vec<Decision>,
    pub cost_usd: f64,
}

#[derive(Clone, Debug)]
pub struct ProviderData {
    pub name: String,
    pub series: Vec<ProviderPoint>,
}

/// A run's folder, read.
pub struct RunData {
    pub summary: Summary,
    pub start_unix_ms: i64,
    pub duration_s: f64,
    pub services: Vec<ServiceData>,
    pub providers: Vec<ProviderData>,
    /// The Spot interruptions of Fargate tasks (times, in seconds), for the report.
    pub spot_interruptions: Vec<(f64, String)>,
}

impl RunData {
    pub fn read(dir: &Path) -> Result<RunData, ChartError> {
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let run: serde_json::Value = read_json(&dir.join("run.json"))?;
        let scenario = &run["scenario"];
        let start_unix_ms = scenario["start_unix_ms"].as_i64().unwrap_or(0);
        let duration_s = summary.duration_s;
        let configs = scenario["services"].as_array().cloned().unwrap_or_default();
        let mut services: Vec<ServiceData> = summary
            .services
            .iter()
            .map(|line| {
                let config = configs.iter().find(|c| c["name"] == line.service.as_str());
                ServiceData {
                    name: line.service.clone(),
                    capacity: line.capacity.clone(),
                    requests_per_task: config.and_then(|c| c["requests_per_task"].as_f64()).unwrap_or(0.0),
                    target: config.and_then(first_target),
                    series: Vec::new(),
                    decisions: Vec::new(),
                    cost_usd: line.cost_usd,
                }
            })
            .collect();
        let mut providers: Vec<ProviderData> =
            summary.providers.iter().map(|p| ProviderData { name: p.provider.clone(), series: Vec::new() }).collect();
        read_series(&dir.join("timeseries.csv"), duration_s, &mut services, &mut providers)?;
        let spot_interruptions = read_events(&dir.join("events.csv"), &mut services)?;
        Ok(RunData { summary, start_unix_ms, duration_s, services, providers, spot_interruptions })
    }

    /// The Auto Scaling groups' names, in the scenario's order (for their colours).
    pub fn groups(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.name.clone()).collect()
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ChartError> {
    let text = std::fs::read_to_string(path).map_err(|e| ChartError::read(path, e))?;
    serde_json::from_str(&text).map_err(|e| ChartError::read(path, e))
}

/// The scenario's name for the first target-tracking policy's metric, and its target.
fn first_target(config: &serde_json::Value) -> Option<(String, f64)> {
    let policies = config["policies"].as_array()?;
    let tracking = policies.iter().find_map(|p| p["kind"].get("TargetTracking"))?;
    let metric = match tracking["metric"].as_str()? {
        "CpuUtilization" => "cpu",
        "MemoryUtilization" => "memory",
        "AlbRequestCountPerTarget" => "alb_requests_per_target",
        "RequestsPerSecond" => "requests_per_second",
        "RequestsPerTask" => "requests_per_task",
        "Backlog" => "backlog",
        "BacklogPerTask" => "backlog_per_task",
        other => other,
    };
    Some((metric.to_owned(), tracking["target_value"].as_f64()?))
}

/// Columns of a CSV header, found by name.
struct Header(csv::StringRecord);

impl Header {
    fn index(&self, name: &str) -> Result<usize, String> {
        self.0.iter().position(|h| h == name).ok_or_else(|| format!("no column `{name}`"))
    }
}

fn number(record: &csv::StringRecord, column: usize) -> Option<f64> {
    record.get(column).filter(|f| !f.is_empty()).and_then(|f| f.parse().ok())
}

fn read_series(
    path: &Path,
    duration_s: f64,
    services: &mut [ServiceData],
    providers: &mut [ProviderData],
) -> Result<(), ChartError> {
    let fail = |e: String| ChartError::read(path, e);
    let mut reader = csv::Reader::from_path(path).map_err(|e| ChartError::read(path, e))?;
    let header = Header(reader.headers().map_err(|e| ChartError::read(path, e))?.clone());
    let column = |name: &str| header.index(name).map_err(fail);
    let [time, service, provider, offered_rps, served, running, pending, desired, cpu, cost, cumulative] = [
        "time_s",
        "service",
        "provider",
        "offered_rps",
        "served_requests",
        "tasks_running_mean",
        "tasks_pending_max",
        "desired_count",
        "cpu_utilization_mean",
        "cost_usd",
        "cumulative_cost_usd",
    ]
    .map(column);
    let [p_pending, p_active, p_draining, idle] =
        ["instances_pending_max", "instances_active_max", "instances_draining_max", "idle_cost_usd"].map(column);
    let (time, service, provider, offered_rps, served, running, pending, desired, cpu, cost, cumulative) =
        (time?, service?, provider?, offered_rps?, served?, running?, pending?, desired?, cpu?, cost?, cumulative?);
    let (p_pending, p_active, p_draining, idle) = (p_pending?, p_active?, p_draining?, idle?);
    for record in reader.records() {
        let record = record.map_err(|e| ChartError::read(path, e))?;
        let at = number(&record, time).unwrap_or(0.0);
        let value = |c: usize| number(&record, c).unwrap_or(0.0);
        let (service_name, provider_name) = (record.get(service).unwrap_or(""), record.get(provider).unwrap_or(""));
        if let Some(s) = services.iter_mut().find(|s| !service_name.is_empty() && s.name == service_name) {
            if provider_name == "FARGATE_SPOT" {
                if let Some(last) = s.series.last_mut() {
                    last.spot = Some((value(running), value(cost), value(cumulative)));
                }
                continue;
            }
            if let Some(last) = s.series.last_mut() {
                last.end = at;
            }
            s.series.push(ServicePoint {
                start: at,
                end: duration_s,
                offered_rps: value(offered_rps),
                served_requests: value(served),
                running_mean: value(running),
                pending_max: value(pending),
                desired: value(desired),
                cpu: number(&record, cpu),
                cost_usd: value(cost),
                cumulative_cost_usd: value(cumulative),
                spot: None,
            });
        } else if let Some(p) = providers.iter_mut().find(|p| service_name.is_empty() && p.name == provider_name) {
            if let Some(last) = p.series.last_mut() {
                last.end = at;
            }
            p.series.push(ProviderPoint {
                start: at,
                end: duration_s,
                desired: value(desired),
                pending: value(p_pending),
                active: value(p_active),
                draining: value(p_draining),
                cost_usd: value(cost),
                idle_cost_usd: value(idle),
                cumulative_cost_usd: value(cumulative),
            });
        }
    }
    Ok(())
}

/// The decisions that changed a service's desired count, and the Spot interruptions.
fn read_events(path: &Path, services: &mut [ServiceData]) -> Result<Vec<(f64, String)>, ChartError> {
    let fail = |e: String| ChartError::read(path, e);
    let mut reader = csv::Reader::from_path(path).map_err(|e| ChartError::read(path, e))?;
    let header = Header(reader.headers().map_err(|e| ChartError::read(path, e))?.clone());
    let column = |name: &str| header.index(name).map_err(fail);
    let [time, service, event, policy, before, after, metric, reason] =
        ["time_s", "service", "event", "policy", "desired_before", "desired_after", "metric_value", "reason"]
            .map(column);
    let (time, service, event, policy, before, after, metric, reason) =
        (time?, service?, event?, policy?, before?, after?, metric?, reason?);
    let mut interruptions = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
        let kind = record.get(event).unwrap_or(b"");
        let is_decision = kind == b"scale_out" || kind == b"scale_in";
        let interrupted = kind == b"task" && record.get(reason).is_some_and(|r| r.starts_with(b"Your Spot Task"));
        if !is_decision && !interrupted {
            continue;
        }
        let record = csv::StringRecord::from_byte_record_lossy(record.clone());
        let at = number(&record, time).unwrap_or(0.0);
        let name = record.get(service).unwrap_or("");
        if interrupted {
            interruptions.push((at, name.to_owned()));
            continue;
        }
        let (Some(b), Some(a)) = (number(&record, before), number(&record, after)) else { continue };
        if a == b {
            continue;
        }
        if let Some(s) = services.iter_mut().find(|s| s.name == name) {
            s.decisions.push(Decision {
                at,
                out: kind == b"scale_out",
                policy: record.get(policy).unwrap_or("").to_owned(),
                before: b,
                after: a,
                metric_value: number(&record, metric),
            });
        }
    }
    Ok(interruptions)
}
