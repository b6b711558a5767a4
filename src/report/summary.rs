//! The run's summary: per-service and total figures, as JSON, CSV and a terminal table.

use serde::Serialize;

use crate::config::Scenario;
use crate::engine::MS_PER_HOUR;
use crate::sim::{RunOutcome, ServiceSummary};

/// One line of the summary: a service, or the total over all services.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SummaryLine {
    pub service: String,
    pub cost_usd: f64,
    pub cost_vcpu_usd: f64,
    pub cost_memory_usd: f64,
    pub billed_task_hours: f64,
    pub running_task_hours: f64,
    pub requests_offered: f64,
    pub requests_served: f64,
    pub requests_unserved: f64,
    pub unserved_share: f64,
    /// Served requests over what the running tasks could have served: 1 − over-provisioning.
    pub running_capacity_utilization: Option<f64>,
    pub cost_per_million_served_usd: Option<f64>,
    /// Peaks are per service; the total line leaves them empty.
    pub peak_running_tasks: Option<u32>,
    pub peak_desired_count: Option<u32>,
    pub tasks_launched: u64,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub underprovisioned_tick_share: f64,
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub ecsim_version: &'static str,
    pub duration_s: f64,
    pub total: SummaryLine,
    pub services: Vec<SummaryLine>,
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

fn line(service: String, s: &ServiceSummary, capacity_requests: f64, peaks: Option<(u32, u32)>) -> SummaryLine {
    SummaryLine {
        service,
        cost_usd: s.cost_usd(),
        cost_vcpu_usd: s.cost_vcpu_usd,
        cost_memory_usd: s.cost_memory_usd,
        billed_task_hours: s.billed_ms as f64 / MS_PER_HOUR as f64,
        running_task_hours: s.running_task_ms as f64 / MS_PER_HOUR as f64,
        requests_offered: s.offered_requests,
        requests_served: s.served_requests,
        requests_unserved: s.unserved_requests(),
        unserved_share: ratio(s.unserved_requests(), s.offered_requests).unwrap_or(0.0),
        running_capacity_utilization: ratio(s.served_requests, capacity_requests),
        cost_per_million_served_usd: ratio(s.cost_usd() * 1e6, s.served_requests),
        peak_running_tasks: peaks.map(|p| p.0),
        peak_desired_count: peaks.map(|p| p.1),
        tasks_launched: s.tasks_launched,
        scale_outs: s.scale_outs,
        scale_ins: s.scale_ins,
        underprovisioned_tick_share: ratio(s.underprovisioned_ticks as f64, s.ticks as f64).unwrap_or(0.0),
    }
}

impl Summary {
    pub fn new(scenario: &Scenario, outcome: &RunOutcome) -> Self {
        let mut total = ServiceSummary::default();
        let mut total_capacity = 0.0;
        let mut services = Vec::new();
        for (config, s) in scenario.services.iter().zip(&outcome.services) {
            let capacity = s.running_task_ms as f64 / 1000.0 * config.requests_per_task;
            services.push(line(config.name.clone(), s, capacity, Some((s.peak_running, s.peak_desired))));
            total_capacity += capacity;
            total.billed_ms += s.billed_ms;
            total.cost_vcpu_usd += s.cost_vcpu_usd;
            total.cost_memory_usd += s.cost_memory_usd;
            total.offered_requests += s.offered_requests;
            total.served_requests += s.served_requests;
            total.running_task_ms += s.running_task_ms;
            total.tasks_launched += s.tasks_launched;
            total.scale_outs += s.scale_outs;
            total.scale_ins += s.scale_ins;
            total.ticks += s.ticks;
            total.underprovisioned_ticks += s.underprovisioned_ticks;
        }
        Summary {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            ecsim_version: env!("CARGO_PKG_VERSION"),
            duration_s: scenario.duration_ms as f64 / 1000.0,
            total: line("TOTAL".into(), &total, total_capacity, None),
            services,
        }
    }

    pub fn to_csv(&self) -> csv::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for line in self.services.iter().chain([&self.total]) {
            writer.serialize(line)?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    }

    /// The line that introduces a run in the terminal.
    pub fn headline(&self) -> String {
        let simulated = humantime::format_duration(std::time::Duration::from_secs_f64(self.duration_s));
        format!("ecsim: {} (seed {}), {simulated} simulated", self.scenario, self.seed)
    }

    /// A short table for the terminal.
    pub fn table(&self) -> String {
        let header = [
            "service",
            "cost USD",
            "task-hours",
            "served %",
            "unserved req",
            "peak tasks",
            "scale out/in",
            "under-prov ticks %",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for line in self.services.iter().chain([&self.total]) {
            rows.push(vec![
                line.service.clone(),
                format!("{:.4}", line.cost_usd),
                format!("{:.2}", line.billed_task_hours),
                format!("{:.3}", 100.0 * (1.0 - line.unserved_share)),
                format!("{:.0}", line.requests_unserved),
                line.peak_running_tasks.map_or("-".into(), |p| p.to_string()),
                format!("{}/{}", line.scale_outs, line.scale_ins),
                format!("{:.2}", 100.0 * line.underprovisioned_tick_share),
            ]);
        }
        let widths: Vec<usize> =
            (0..header.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for row in rows {
            let cells: Vec<String> =
                row.iter()
                    .enumerate()
                    .map(|(c, cell)| {
                        if c == 0 { format!("{cell:<w$}", w = widths[c]) } else { format!("{cell:>w$}", w = widths[c]) }
                    })
                    .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}
