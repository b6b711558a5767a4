//! A run's output folder read back for its charts: `summary.json`, `run.json`, the time series
//! (`timeseries.csv`, `providers.csv`) and the events that mark them (scaling decisions, Spot
//! interruptions). Charts are drawn from the files alone, so `ecsim plot` can draw them again
//! for any run.

use std::collections::HashMap;
use std::path::Path;

use super::{CHARTED_SERVICES, ChartError};
use crate::report::Summary;
use crate::report::csv_out;

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
    /// The first target-tracking policy: its metric (the scenario's name for it), target and
    /// name.
    pub target: Option<(String, f64, String)>,
    pub series: Vec<ServicePoint>,
    pub decisions: Vec<Decision>,
    pub cost_usd: f64,
}

#[derive(Clone, Debug)]
pub struct ProviderData {
    pub name: String,
    /// Whether the group launched or billed any instance: a scenario's variants may leave one
    /// unused, and it gets no charts.
    pub used: bool,
    pub series: Vec<ProviderPoint>,
    /// When its Spot instances got their interruption notice.
    pub interruptions: Vec<f64>,
}

/// The Fargate part of the bill over every service, interval by interval.
#[derive(Clone, Debug, Default)]
pub struct FargateCost {
    /// Whether any service runs On-Demand Fargate tasks, and whether any runs Spot ones.
    pub on_demand: bool,
    pub spot: bool,
    /// Per interval: On-Demand cost, its running total, Spot cost, its running total.
    pub intervals: Vec<[f64; 4]>,
}

/// An interval of a service where requests went unserved.
#[derive(Clone, Debug)]
pub struct Unserved {
    pub service: String,
    pub start: f64,
    pub requests: f64,
    pub offered_rps: f64,
    pub running_mean: f64,
}

/// The moments of a run the report tells, over every service: the largest first, the
/// earliest first among equals.
#[derive(Clone, Debug, Default)]
pub struct Moments {
    pub scale_outs: Vec<(String, Decision)>,
    pub unserved: Vec<Unserved>,
    /// How many Fargate Spot tasks were interrupted, and the first of them (time, service).
    pub spot_interruptions: usize,
    pub first_spot_interruption: Option<(f64, String)>,
    /// How many EC2 Spot instances got an interruption notice, and the first (time, group,
    /// instance).
    pub instance_interruptions: usize,
    pub first_instance_interruption: Option<(f64, String, String)>,
}

/// How many moments of each kind are kept.
pub const MOMENTS: usize = 5;

/// Keeps the `MOMENTS` items of largest `size`, the earlier first among equals (items come in
/// time order).
fn keep_largest<T>(kept: &mut Vec<(f64, T)>, size: f64, item: T) {
    if kept.len() == MOMENTS && kept.last().is_some_and(|(smallest, _)| size <= *smallest) {
        return;
    }
    let at = kept.partition_point(|(s, _)| *s >= size);
    kept.insert(at, (size, item));
    kept.truncate(MOMENTS);
}

/// A run's folder, read: the charted services in full, the rest only as far as the run's
/// cost and its moments need them, so a run of many services over many intervals is read in
/// little memory.
pub struct RunData {
    pub summary: Summary,
    pub start_unix_ms: i64,
    pub duration_s: f64,
    /// The services charted, the costliest first (at most `CHARTED_SERVICES`).
    pub services: Vec<ServiceData>,
    pub providers: Vec<ProviderData>,
    /// Each interval's bounds, in seconds from the start.
    pub intervals: Vec<(f64, f64)>,
    pub fargate: FargateCost,
    pub moments: Moments,
}

impl RunData {
    pub fn read(dir: &Path) -> Result<RunData, ChartError> {
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let run: serde_json::Value = read_json(&dir.join("run.json"))?;
        let scenario = &run["scenario"];
        let start_unix_ms = scenario["start_unix_ms"].as_i64().unwrap_or(0);
        let duration_s = summary.duration_s;
        let configs = scenario["services"].as_array().cloned().unwrap_or_default();
        let mut costliest: Vec<usize> = (0..summary.services.len()).collect();
        costliest.sort_by(|&a, &b| summary.services[b].cost_usd.total_cmp(&summary.services[a].cost_usd));
        costliest.truncate(CHARTED_SERVICES);
        let services: Vec<ServiceData> = costliest
            .iter()
            .map(|&i| {
                let line = &summary.services[i];
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
        let providers: Vec<ProviderData> = summary
            .providers
            .iter()
            .map(|p| ProviderData {
                name: p.provider.clone(),
                used: p.used(),
                series: Vec::new(),
                interruptions: Vec::new(),
            })
            .collect();
        let mut data = RunData {
            summary,
            start_unix_ms,
            duration_s,
            services,
            providers,
            intervals: Vec::new(),
            fargate: FargateCost::default(),
            moments: Moments::default(),
        };
        data.read_series(&dir.join(csv_out::SERIES))?;
        data.read_scaling_events(&dir.join(csv_out::SCALING_EVENTS))?;
        // Each Fargate Spot interruption is one task event and one count in the summary: a run
        // without any need not read its largest file for them.
        if data.summary.total.fargate_spot_interruptions > 0 {
            data.read_task_events(&dir.join(csv_out::TASK_EVENTS))?;
        }
        if !data.providers.is_empty() {
            data.read_providers(&dir.join(csv_out::PROVIDER_SERIES))?;
            data.read_instance_events(&dir.join(csv_out::INSTANCE_EVENTS))?;
        }
        Ok(data)
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

/// The scenario's name for the first target-tracking policy's metric, its target and the
/// policy's name.
fn first_target(config: &serde_json::Value) -> Option<(String, f64, String)> {
    let policies = config["policies"].as_array()?;
    let (policy, tracking) = policies.iter().find_map(|p| Some((p, p["kind"].get("TargetTracking")?)))?;
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
    Some((metric.to_owned(), tracking["target_value"].as_f64()?, policy["name"].as_str()?.to_owned()))
}

/// Columns of a CSV header, found by name.
struct Header(csv::StringRecord);

impl Header {
    fn index(&self, name: &str) -> Result<usize, String> {
        self.0.iter().position(|h| h == name).ok_or_else(|| format!("no column `{name}`"))
    }
}

/// A field as a number; `None` when empty or not one.
fn number(record: &csv::ByteRecord, column: usize) -> Option<f64> {
    record.get(column).filter(|f| !f.is_empty()).and_then(|f| std::str::from_utf8(f).ok()?.parse().ok())
}

/// A CSV file opened for reading, with its header.
fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, Header), ChartError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| ChartError::read(path, e))?;
    let header = Header(reader.headers().map_err(|e| ChartError::read(path, e))?.clone());
    Ok((reader, header))
}

/// The columns `names` of `header`, or the first one missing.
fn columns<const N: usize>(path: &Path, header: &Header, names: [&str; N]) -> Result<[usize; N], ChartError> {
    let mut found = [0; N];
    for (slot, name) in found.iter_mut().zip(names) {
        *slot = header.index(name).map_err(|e| ChartError::read(path, e))?;
    }
    Ok(found)
}

impl RunData {
    fn read_series(&mut self, path: &Path) -> Result<(), ChartError> {
        let (mut reader, header) = open(path)?;
        let [
            time,
            service,
            offered_rps,
            served,
            unserved,
            running,
            pending,
            desired,
            cpu,
            cost,
            cumulative,
            spot_running,
            spot_cost,
            spot_cumulative,
        ] = columns(
            path,
            &header,
            [
                "time_s",
                "service",
                "offered_rps",
                "served_requests",
                "unserved_requests",
                "tasks_running_mean",
                "tasks_pending_max",
                "desired_count",
                "cpu_utilization_mean_pct",
                "allocated_cost_usd",
                "cumulative_allocated_cost_usd",
                "fargate_spot_tasks_running_mean",
                "fargate_spot_cost_usd",
                "cumulative_fargate_spot_cost_usd",
            ],
        )?;
        // Per service: whether it runs on Fargate, whether on Fargate Spot, its place among
        // the charted services.
        let mut services: HashMap<&[u8], (bool, bool, Option<usize>)> = HashMap::new();
        for line in &self.summary.services {
            let charted = self.services.iter().position(|s| s.name == line.service);
            let fargate = line.capacity.starts_with("FARGATE");
            let spot = line.capacity.contains("FARGATE_SPOT");
            self.fargate.on_demand |= fargate && line.capacity != "FARGATE_SPOT";
            self.fargate.spot |= spot;
            services.insert(line.service.as_bytes(), (fargate, spot, charted));
        }
        let mut unserved_kept: Vec<(f64, Unserved)> = Vec::new();
        let mut interval_time: Vec<u8> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
            // Rows of one interval share its time: read once, when it changes.
            if record.get(time) != Some(&interval_time[..]) {
                interval_time = record.get(time).unwrap_or(b"").to_vec();
                let at = number(&record, time).unwrap_or(0.0);
                if let Some(last) = self.intervals.last_mut() {
                    last.1 = at;
                }
                self.intervals.push((at, self.duration_s));
                self.fargate.intervals.push([0.0; 4]);
            }
            let at = self.intervals.last().map_or(0.0, |(start, _)| *start);
            let value = |c: usize| number(&record, c).unwrap_or(0.0);
            let name = record.get(service).unwrap_or(b"");
            let Some(&(fargate, spot, charted)) = services.get(name) else { continue };
            if fargate && let Some(costs) = self.fargate.intervals.last_mut() {
                // The Spot part of the service's cost, and the rest On-Demand.
                let (c, total, s, s_total) = (value(cost), value(cumulative), value(spot_cost), value(spot_cumulative));
                *costs = [costs[0] + c - s, costs[1] + total - s_total, costs[2] + s, costs[3] + s_total];
            }
            // Most intervals serve everything: their zero is not parsed.
            let all_served = record.get(unserved).is_none_or(|u| u.iter().all(|b| matches!(b, b'0' | b'.')));
            let requests = if all_served { 0.0 } else { value(unserved) };
            if requests > 0.5 {
                let moment = Unserved {
                    service: String::from_utf8_lossy(name).into_owned(),
                    start: at,
                    requests,
                    offered_rps: value(offered_rps),
                    running_mean: value(running),
                };
                keep_largest(&mut unserved_kept, requests, moment);
            }
            let Some(i) = charted else { continue };
            let s = &mut self.services[i];
            if let Some(last) = s.series.last_mut() {
                last.end = at;
            }
            s.series.push(ServicePoint {
                start: at,
                end: self.duration_s,
                offered_rps: value(offered_rps),
                served_requests: value(served),
                running_mean: value(running),
                pending_max: value(pending),
                desired: value(desired),
                cpu: number(&record, cpu),
                cost_usd: value(cost),
                cumulative_cost_usd: value(cumulative),
                spot: spot.then(|| (value(spot_running), value(spot_cost), value(spot_cumulative))),
            });
        }
        self.moments.unserved = unserved_kept.into_iter().map(|(_, u)| u).collect();
        Ok(())
    }

    /// The Auto Scaling groups' series, from `providers.csv`.
    fn read_providers(&mut self, path: &Path) -> Result<(), ChartError> {
        let (mut reader, header) = open(path)?;
        let [time, provider, desired, pending, active, draining, cost, cumulative, idle] = columns(
            path,
            &header,
            [
                "time_s",
                "provider",
                "desired_capacity",
                "instances_pending_max",
                "instances_active_max",
                "instances_draining_max",
                "cost_usd",
                "cumulative_cost_usd",
                "idle_cost_usd",
            ],
        )?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
            let value = |c: usize| number(&record, c).unwrap_or(0.0);
            let name = record.get(provider).unwrap_or(b"");
            let Some(p) = self.providers.iter_mut().find(|p| p.name.as_bytes() == name) else { continue };
            let at = value(time);
            if let Some(last) = p.series.last_mut() {
                last.end = at;
            }
            p.series.push(ProviderPoint {
                start: at,
                end: self.duration_s,
                desired: value(desired),
                pending: value(pending),
                active: value(active),
                draining: value(draining),
                cost_usd: value(cost),
                idle_cost_usd: value(idle),
                cumulative_cost_usd: value(cumulative),
            });
        }
        Ok(())
    }

    /// The Spot interruptions of Fargate tasks, from the task events.
    fn read_task_events(&mut self, path: &Path) -> Result<(), ChartError> {
        let (mut reader, header) = open(path)?;
        let [time, service, reason] = columns(path, &header, ["time_s", "service", "reason"])?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
            if record.get(reason).is_some_and(|r| r.starts_with(b"Your Spot Task")) {
                self.moments.spot_interruptions += 1;
                if self.moments.first_spot_interruption.is_none() {
                    let name = String::from_utf8_lossy(record.get(service).unwrap_or(b"")).into_owned();
                    self.moments.first_spot_interruption = Some((number(&record, time).unwrap_or(0.0), name));
                }
            }
        }
        Ok(())
    }

    /// The Spot interruption notices of EC2 instances, from the instance events.
    fn read_instance_events(&mut self, path: &Path) -> Result<(), ChartError> {
        let (mut reader, header) = open(path)?;
        let [time, provider, instance, reason] = columns(path, &header, ["time_s", "provider", "instance", "reason"])?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
            if !record.get(reason).is_some_and(|r| r.starts_with(b"Spot interruption notice")) {
                continue;
            }
            let at = number(&record, time).unwrap_or(0.0);
            let text = |c: usize| String::from_utf8_lossy(record.get(c).unwrap_or(b"")).into_owned();
            self.moments.instance_interruptions += 1;
            if self.moments.first_instance_interruption.is_none() {
                self.moments.first_instance_interruption = Some((at, text(provider), text(instance)));
            }
            let group = record.get(provider).unwrap_or(b"");
            if let Some(p) = self.providers.iter_mut().find(|p| p.name.as_bytes() == group) {
                p.interruptions.push(at);
            }
        }
        Ok(())
    }

    /// The decisions that changed a charted service's desired count, and the largest
    /// scale-outs of every service.
    fn read_scaling_events(&mut self, path: &Path) -> Result<(), ChartError> {
        let (mut reader, header) = open(path)?;
        let [time, service, event, policy, before, after, metric] = columns(
            path,
            &header,
            ["time_s", "service", "event", "policy", "desired_before", "desired_after", "metric_value"],
        )?;
        let mut scale_outs: Vec<(f64, (String, Decision))> = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).map_err(|e| ChartError::read(path, e))? {
            let kind = record.get(event).unwrap_or(b"");
            let text = |c: usize| String::from_utf8_lossy(record.get(c).unwrap_or(b"")).into_owned();
            let at = || number(&record, time).unwrap_or(0.0);
            let (Some(b), Some(a)) = (number(&record, before), number(&record, after)) else { continue };
            if a == b {
                continue;
            }
            let decision = Decision {
                at: at(),
                out: kind == b"scale_out",
                policy: text(policy),
                before: b,
                after: a,
                metric_value: number(&record, metric),
            };
            let name = record.get(service).unwrap_or(b"");
            if decision.out {
                keep_largest(&mut scale_outs, a - b, (text(service), decision.clone()));
            }
            if let Some(s) = self.services.iter_mut().find(|s| s.name.as_bytes() == name) {
                s.decisions.push(decision);
            }
        }
        self.moments.scale_outs = scale_outs.into_iter().map(|(_, d)| d).collect();
        Ok(())
    }
}
