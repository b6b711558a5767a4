//! The run's summary: per-service and total figures, as JSON, CSV and a terminal table.

use serde::{Deserialize, Serialize};

use super::rounding;
use crate::config::{Launch, Scenario};
use crate::engine::MS_PER_HOUR;
use crate::sim::{DeploymentSummary, InstanceSummary, ProviderSummary, RunOutcome, ServiceSummary};
use crate::stats::Elasticity;

/// One line of the summary: a service, or the total over all services.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SummaryLine {
    pub service: String,
    /// Where the service runs: `FARGATE`, its capacity provider, or `EC2` (launch type); empty
    /// on the total line.
    pub capacity: String,
    /// A Fargate service's bill, or an EC2 service's share of its instances; the total adds
    /// the idle EC2 capacity, so it is the whole bill.
    pub cost_usd: f64,
    /// `cost_usd` scaled to a month of 730 hours, as AWS's pricing pages count one.
    pub cost_per_month_usd: f64,
    pub cost_vcpu_usd: f64,
    pub cost_memory_usd: f64,
    /// Fargate ephemeral storage above the included 20 GB.
    pub cost_storage_usd: f64,
    /// EC2 capacity no task reserved (total line only; 0 for a service).
    pub idle_cost_usd: f64,
    pub billed_task_hours: f64,
    pub running_task_hours: f64,
    pub requests_offered: f64,
    pub requests_served: f64,
    /// Requests never served in the run: lost, or (with a queue) still waiting at its end.
    pub requests_unserved: f64,
    /// With `overflow = "queue"`: the part of `requests_unserved` still waiting at the end.
    pub requests_queued_at_end: f64,
    pub unserved_share: f64,
    /// Served requests over what the running tasks could have served: 1 − over-provisioning.
    pub running_capacity_utilization_share: Option<f64>,
    pub cost_per_million_served_usd: Option<f64>,
    /// Per service; on the total line the most tasks running at once over all services (as
    /// seen at the ticks).
    pub peak_running_tasks: Option<u32>,
    pub peak_desired_count: Option<u32>,
    pub tasks_launched: u64,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub underprovisioned_tick_share: f64,
    /// Ticks that ended with the desired count at the scenario's `max_capacity` while the load
    /// demanded more tasks (at the policy's target).
    pub at_max_capacity_tick_share: f64,
    pub placement_failures: u64,
    /// The part of `cost_usd` billed at Fargate Spot rates, and the Spot tasks AWS took back.
    pub fargate_spot_cost_usd: f64,
    pub fargate_spot_interruptions: u64,
    pub fargate_spot_replacements: u64,
    /// Requests lost in ticks during which an interrupted Spot task's replacement was starting.
    pub unserved_while_replacing_spot_tasks: f64,
    /// How RUNNING tasks followed the tasks the load demanded (SPEC RG's elasticity metrics:
    /// accuracy and timeshare in %, jitter in adaptations per hour); none without a load. On
    /// the total line, the services' values weighted by the tasks each demanded.
    pub under_provisioning_accuracy_pct: Option<f64>,
    pub over_provisioning_accuracy_pct: Option<f64>,
    pub under_provisioning_timeshare_pct: Option<f64>,
    pub over_provisioning_timeshare_pct: Option<f64>,
    pub instability_pct: Option<f64>,
    pub jitter_per_hour: Option<f64>,
    /// The unserved requests at the scenario's `unserved_cost_per_million`, and the cost with
    /// them: a price on the shortfall, never part of the AWS bill (`cost_usd`).
    pub unserved_cost_usd: Option<f64>,
    pub cost_with_unserved_usd: Option<f64>,
}

/// A capacity provider's line: its instances' bill and how well tasks filled them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProviderLine {
    pub provider: String,
    pub cost_usd: f64,
    pub idle_cost_usd: f64,
    pub idle_share: f64,
    pub billed_instance_hours: f64,
    pub instances_launched: u64,
    pub peak_instances: u32,
    pub cpu_reservation_mean_pct: Option<f64>,
    pub memory_reservation_mean_pct: Option<f64>,
    pub scale_outs: u32,
    pub scale_ins: u32,
    pub spot_interruptions: u32,
    /// ACTIVE instances against the instances the demanded tasks need (as for a service line).
    pub under_provisioning_accuracy_pct: f64,
    pub over_provisioning_accuracy_pct: f64,
    pub under_provisioning_timeshare_pct: f64,
    pub over_provisioning_timeshare_pct: f64,
    pub instability_pct: f64,
    pub jitter_per_hour: f64,
}

/// Services the terminal table shows without `--all`: the costliest.
pub const TABLE_SERVICES: usize = 10;

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub scenario: String,
    /// The `[variants.NAME]` the run is, if any.
    pub variant: Option<String>,
    pub seed: u64,
    pub ecsim_version: String,
    pub duration_s: f64,
    pub total: SummaryLine,
    pub services: Vec<SummaryLine>,
    pub providers: Vec<ProviderLine>,
}

/// A line's figures, rounded as the outputs keep them (see [`rounding`]). Its sums are the
/// exact sums of its rounded parts: the cost of its vCPU, memory, storage and idle parts, the
/// unserved requests of the offered less the served; its shares are taken from them.
fn rounded(l: SummaryLine, per_month: f64, unserved_cost_per_million: Option<f64>) -> SummaryLine {
    use rounding::{DOLLARS, HOURS, PCT, RATE, REQUESTS, SHARE, ratio, round, sum};
    let dollars = |v: f64| round(v, DOLLARS);
    let pct = |v: Option<f64>| v.map(|v| round(v, PCT));
    let (vcpu, memory, storage, idle) =
        (dollars(l.cost_vcpu_usd), dollars(l.cost_memory_usd), dollars(l.cost_storage_usd), dollars(l.idle_cost_usd));
    let cost_usd = sum([vcpu, memory, storage, idle], DOLLARS);
    // Scaled before rounding: a millionth of a dollar over a short run is more over a month.
    let unrounded = l.cost_vcpu_usd + l.cost_memory_usd + l.cost_storage_usd + l.idle_cost_usd;
    let (offered, served) = (round(l.requests_offered, REQUESTS), round(l.requests_served, REQUESTS));
    let unserved = sum([offered, -served], REQUESTS).max(0.0);
    let unserved_cost_usd = unserved_cost_per_million.map(|price| dollars(unserved * price / 1e6));
    SummaryLine {
        cost_usd,
        cost_per_month_usd: dollars(unrounded * per_month),
        cost_vcpu_usd: vcpu,
        cost_memory_usd: memory,
        cost_storage_usd: storage,
        idle_cost_usd: idle,
        billed_task_hours: round(l.billed_task_hours, HOURS),
        running_task_hours: round(l.running_task_hours, HOURS),
        requests_offered: offered,
        requests_served: served,
        requests_unserved: unserved,
        requests_queued_at_end: round(l.requests_queued_at_end, REQUESTS),
        unserved_share: ratio(unserved, offered, SHARE).unwrap_or(0.0),
        running_capacity_utilization_share: l.running_capacity_utilization_share.map(|v| round(v, SHARE)),
        cost_per_million_served_usd: ratio(cost_usd * 1e6, served, DOLLARS),
        underprovisioned_tick_share: round(l.underprovisioned_tick_share, SHARE),
        at_max_capacity_tick_share: round(l.at_max_capacity_tick_share, SHARE),
        fargate_spot_cost_usd: dollars(l.fargate_spot_cost_usd),
        unserved_while_replacing_spot_tasks: round(l.unserved_while_replacing_spot_tasks, REQUESTS),
        under_provisioning_accuracy_pct: pct(l.under_provisioning_accuracy_pct),
        over_provisioning_accuracy_pct: pct(l.over_provisioning_accuracy_pct),
        under_provisioning_timeshare_pct: pct(l.under_provisioning_timeshare_pct),
        over_provisioning_timeshare_pct: pct(l.over_provisioning_timeshare_pct),
        instability_pct: pct(l.instability_pct),
        jitter_per_hour: l.jitter_per_hour.map(|v| round(v, RATE)),
        unserved_cost_usd,
        cost_with_unserved_usd: unserved_cost_usd.map(|c| sum([cost_usd, c], DOLLARS)),
        ..l
    }
}

fn line(
    (service, capacity): (String, String),
    s: &ServiceSummary,
    idle_cost_usd: f64,
    capacity_requests: f64,
    (peak_running_tasks, peak_desired_count): (Option<u32>, Option<u32>),
) -> SummaryLine {
    let elasticity = |f: fn(&Elasticity) -> f64| s.elasticity.as_ref().map(f);
    let ratio = |numerator: f64, denominator: f64| (denominator > 0.0).then(|| numerator / denominator);
    SummaryLine {
        service,
        capacity,
        cost_usd: 0.0,
        cost_per_month_usd: 0.0,
        cost_vcpu_usd: s.cost_vcpu_usd,
        cost_memory_usd: s.cost_memory_usd,
        cost_storage_usd: s.cost_storage_usd,
        idle_cost_usd,
        billed_task_hours: s.billed_ms as f64 / MS_PER_HOUR as f64,
        running_task_hours: s.running_task_ms as f64 / MS_PER_HOUR as f64,
        requests_offered: s.offered_requests,
        requests_served: s.served_requests,
        requests_unserved: 0.0,
        requests_queued_at_end: s.queued_at_end,
        unserved_share: 0.0,
        running_capacity_utilization_share: ratio(s.served_requests, capacity_requests),
        cost_per_million_served_usd: None,
        peak_running_tasks,
        peak_desired_count,
        tasks_launched: s.tasks_launched,
        scale_outs: s.scale_outs,
        scale_ins: s.scale_ins,
        underprovisioned_tick_share: ratio(s.underprovisioned_ticks as f64, s.ticks as f64).unwrap_or(0.0),
        at_max_capacity_tick_share: ratio(s.ticks_at_max_capacity as f64, s.ticks as f64).unwrap_or(0.0),
        placement_failures: s.placement_failures,
        fargate_spot_cost_usd: s.spot_cost_usd,
        fargate_spot_interruptions: s.spot_interruptions,
        fargate_spot_replacements: s.spot_replacements,
        unserved_while_replacing_spot_tasks: s.unserved_while_replacing,
        under_provisioning_accuracy_pct: elasticity(|e| e.under_accuracy),
        over_provisioning_accuracy_pct: elasticity(|e| e.over_accuracy),
        under_provisioning_timeshare_pct: elasticity(|e| e.under_timeshare),
        over_provisioning_timeshare_pct: elasticity(|e| e.over_timeshare),
        instability_pct: elasticity(|e| e.instability),
        jitter_per_hour: elasticity(|e| e.jitter_per_hour),
        unserved_cost_usd: None,
        cost_with_unserved_usd: None,
    }
}

/// The services' elasticity, each weighted by the tasks it demanded (equally if none did).
fn weighted_elasticity(services: &[(&ServiceSummary, Elasticity)]) -> Option<Elasticity> {
    if services.is_empty() {
        return None;
    }
    let total: u64 = services.iter().map(|(s, _)| s.demanded_task_ms).sum();
    let weight = |s: &ServiceSummary| {
        if total > 0 { s.demanded_task_ms as f64 / total as f64 } else { 1.0 / services.len() as f64 }
    };
    let mean = |f: fn(&Elasticity) -> f64| services.iter().map(|(s, e)| weight(s) * f(e)).fold(0.0, |a, b| a + b);
    Some(Elasticity {
        under_accuracy: mean(|e| e.under_accuracy),
        over_accuracy: mean(|e| e.over_accuracy),
        under_timeshare: mean(|e| e.under_timeshare),
        over_timeshare: mean(|e| e.over_timeshare),
        instability: mean(|e| e.instability),
        jitter_per_hour: mean(|e| e.jitter_per_hour),
    })
}

fn provider_line(provider: String, p: &ProviderSummary) -> ProviderLine {
    use rounding::{DOLLARS, HOURS, PCT, RATE, SHARE, ratio, round};
    let (cost_usd, idle_cost_usd) = (round(p.cost_usd, DOLLARS), round(p.idle_cost_usd, DOLLARS));
    let pct = |v: f64| round(v, PCT);
    ProviderLine {
        provider,
        cost_usd,
        idle_cost_usd,
        idle_share: ratio(idle_cost_usd, cost_usd, SHARE).unwrap_or(0.0),
        billed_instance_hours: round(p.billed_ms as f64 / MS_PER_HOUR as f64, HOURS),
        instances_launched: p.instances_launched,
        peak_instances: p.peak_instances,
        cpu_reservation_mean_pct: p.cpu_reservation_mean.map(pct),
        memory_reservation_mean_pct: p.memory_reservation_mean.map(pct),
        scale_outs: p.scale_outs,
        scale_ins: p.scale_ins,
        spot_interruptions: p.interruptions,
        under_provisioning_accuracy_pct: pct(p.elasticity.under_accuracy),
        over_provisioning_accuracy_pct: pct(p.elasticity.over_accuracy),
        under_provisioning_timeshare_pct: pct(p.elasticity.under_timeshare),
        over_provisioning_timeshare_pct: pct(p.elasticity.over_timeshare),
        instability_pct: pct(p.elasticity.instability),
        jitter_per_hour: round(p.elasticity.jitter_per_hour, RATE),
    }
}

impl ProviderLine {
    /// Whether the group ran any instance: a scenario's variants may leave a group unused.
    pub fn used(&self) -> bool {
        self.instances_launched > 0 || self.billed_instance_hours > 0.0
    }
}

impl Summary {
    pub fn new(scenario: &Scenario, outcome: &RunOutcome) -> Self {
        // A month as AWS's pricing pages count it, 730 hours, over the simulated span.
        let per_month = super::sweep::HOURS_PER_MONTH * MS_PER_HOUR as f64 / scenario.duration_ms.max(1) as f64;
        let mut total = ServiceSummary::default();
        let mut total_capacity = 0.0;
        let mut services = Vec::new();
        for (config, s) in scenario.services.iter().zip(&outcome.services) {
            let capacity = s.running_task_ms as f64 / 1000.0 * config.requests_per_task;
            let runs_on = match &config.launch {
                Launch::Fargate(fargate) => match (fargate.uses_spot(), fargate.strategy.iter().any(|(spot, _)| !spot))
                {
                    (true, true) => "FARGATE+FARGATE_SPOT".to_owned(),
                    (true, false) => "FARGATE_SPOT".to_owned(),
                    _ => "FARGATE".to_owned(),
                },
                Launch::Ec2(placement) => {
                    if placement.providers.is_empty() {
                        "EC2".to_owned()
                    } else {
                        let names: Vec<&str> =
                            placement.providers.iter().map(|&(p, _)| scenario.providers[p].name.as_str()).collect();
                        names.join("+")
                    }
                }
            };
            let peaks = (Some(s.peak_running), Some(s.peak_desired));
            let raw = line((config.name.clone(), runs_on), s, 0.0, capacity, peaks);
            services.push(rounded(raw, per_month, scenario.unserved_cost_per_million));
            total_capacity += capacity;
            total.served_requests += s.served_requests;
            total.tasks_launched += s.tasks_launched;
            total.scale_outs += s.scale_outs;
            total.scale_ins += s.scale_ins;
            total.ticks += s.ticks;
            total.underprovisioned_ticks += s.underprovisioned_ticks;
            total.ticks_at_max_capacity += s.ticks_at_max_capacity;
            total.placement_failures += s.placement_failures;
            total.spot_interruptions += s.spot_interruptions;
            total.spot_replacements += s.spot_replacements;
        }
        let providers: Vec<ProviderLine> = scenario
            .providers
            .iter()
            .zip(&outcome.providers)
            .map(|(config, p)| provider_line(config.name.clone(), p))
            .collect();
        let followed: Vec<(&ServiceSummary, Elasticity)> =
            outcome.services.iter().filter_map(|s| s.elasticity.map(|e| (s, e))).collect();
        total.elasticity = weighted_elasticity(&followed);
        let raw_total = line(
            ("TOTAL".into(), String::new()),
            &total,
            0.0,
            total_capacity,
            (Some(outcome.peak_running_tasks), None),
        );
        // The total's sums are the sums of the rounded lines, so they add up exactly.
        let of_services = |field: fn(&SummaryLine) -> f64, places| rounding::sum(services.iter().map(field), places);
        let total_line = SummaryLine {
            cost_vcpu_usd: of_services(|l| l.cost_vcpu_usd, rounding::DOLLARS),
            cost_memory_usd: of_services(|l| l.cost_memory_usd, rounding::DOLLARS),
            cost_storage_usd: of_services(|l| l.cost_storage_usd, rounding::DOLLARS),
            idle_cost_usd: rounding::sum(providers.iter().map(|p| p.idle_cost_usd), rounding::DOLLARS),
            billed_task_hours: of_services(|l| l.billed_task_hours, rounding::HOURS),
            running_task_hours: of_services(|l| l.running_task_hours, rounding::HOURS),
            requests_offered: of_services(|l| l.requests_offered, rounding::REQUESTS),
            requests_served: of_services(|l| l.requests_served, rounding::REQUESTS),
            requests_queued_at_end: of_services(|l| l.requests_queued_at_end, rounding::REQUESTS),
            fargate_spot_cost_usd: of_services(|l| l.fargate_spot_cost_usd, rounding::DOLLARS),
            unserved_while_replacing_spot_tasks: of_services(
                |l| l.unserved_while_replacing_spot_tasks,
                rounding::REQUESTS,
            ),
            ..raw_total
        };
        // The services' monthly costs and the idle capacity's, each scaled before rounding.
        let idle_per_month = rounding::round(
            outcome.providers.iter().map(|p| p.idle_cost_usd).fold(0.0, |a, b| a + b) * per_month,
            rounding::DOLLARS,
        );
        let total_per_month =
            rounding::sum(services.iter().map(|l| l.cost_per_month_usd).chain([idle_per_month]), rounding::DOLLARS);
        Summary {
            scenario: scenario.name.clone(),
            variant: scenario.variant.clone(),
            seed: scenario.seed,
            ecsim_version: env!("CARGO_PKG_VERSION").to_owned(),
            duration_s: scenario.duration_ms as f64 / 1000.0,
            total: SummaryLine {
                cost_per_month_usd: total_per_month,
                ..rounded(total_line, per_month, scenario.unserved_cost_per_million)
            },
            services,
            providers,
        }
    }

    pub fn to_csv(&self) -> csv::Result<Vec<u8>> {
        rounding::plain_csv(self.services.iter().chain([&self.total]))
    }

    /// The line that introduces a run in the terminal.
    pub fn headline(&self) -> String {
        let simulated = span(self.duration_s);
        let variant = self.variant.as_ref().map_or(String::new(), |v| format!(", variant {v}"));
        format!("ecsim: {}{variant} (seed {}), {simulated} simulated", self.scenario, self.seed)
    }

    /// A short table for the terminal: with `all` every service, else the costliest
    /// [`TABLE_SERVICES`] and the rest summed on one line; then the total.
    pub fn table(&self, all: bool) -> String {
        let header = [
            "service",
            "cost USD",
            "USD/month",
            "running task-h",
            "served %",
            "unserved req",
            "peak tasks",
            "scale out/in",
            "under-prov ticks %",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        let cells = |line: &SummaryLine| {
            vec![
                line.service.clone(),
                format!("{:.4}", line.cost_usd),
                format!("{:.2}", line.cost_per_month_usd),
                format!("{:.2}", line.running_task_hours),
                format!("{:.3}", 100.0 * (1.0 - line.unserved_share)),
                format!("{:.0}", line.requests_unserved),
                line.peak_running_tasks.map_or("-".into(), |p| p.to_string()),
                format!("{}/{}", line.scale_outs, line.scale_ins),
                format!("{:.2}", 100.0 * line.underprovisioned_tick_share),
            ]
        };
        let mut shown: Vec<&SummaryLine> = self.services.iter().collect();
        let hidden = if all || shown.len() <= TABLE_SERVICES {
            Vec::new()
        } else {
            // Costliest first; a stable sort keeps the scenario's order among equals.
            shown.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd));
            shown.split_off(TABLE_SERVICES)
        };
        rows.extend(shown.into_iter().map(cells));
        if !hidden.is_empty() {
            let cost = rounding::sum(hidden.iter().map(|l| l.cost_usd), rounding::DOLLARS);
            let per_month = rounding::sum(hidden.iter().map(|l| l.cost_per_month_usd), rounding::DOLLARS);
            let mut others = vec![String::new(); header.len()];
            others[0] = format!("({} more: --all)", hidden.len());
            others[1] = format!("{cost:.4}");
            others[2] = format!("{per_month:.2}");
            rows.push(others);
        }
        rows.push(cells(&self.total));
        let mut out = aligned(&rows);
        for p in self.providers.iter().filter(|p| p.used()) {
            let reservation = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} %"));
            out.push_str(&format!(
                "EC2 {}: {:.4} USD for {:.2} instance-hours ({} launched, peak {}, {} Spot interruptions), idle {:.4} USD ({:.1} %), CPU reserved {}, memory {}\n",
                p.provider,
                p.cost_usd,
                p.billed_instance_hours,
                p.instances_launched,
                p.peak_instances,
                p.spot_interruptions,
                p.idle_cost_usd,
                100.0 * p.idle_share,
                reservation(p.cpu_reservation_mean_pct),
                reservation(p.memory_reservation_mean_pct),
            ));
        }
        out
    }
}

/// A table for the terminal: the first column left-aligned, the others right-aligned.
pub(super) fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(
                |(c, cell)| {
                    if c == 0 { format!("{cell:<w$}", w = widths[c]) } else { format!("{cell:>w$}", w = widths[c]) }
                },
            )
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One row of `instances.csv`: an EC2 instance's life and its own bill.
#[derive(Serialize)]
struct InstanceLine<'a> {
    provider: &'a str,
    instance: u64,
    instance_type: &'a str,
    availability_zone: String,
    launched_s: f64,
    /// When billing started (EC2 `running`); empty if it never did.
    running_s: Option<f64>,
    /// Empty for an instance still running at the end.
    terminated_s: Option<f64>,
    billed_s: f64,
    cost_usd: f64,
    spot_interrupted: bool,
}

const INSTANCES_HEADER: [&str; 10] = [
    "provider",
    "instance",
    "instance_type",
    "availability_zone",
    "launched_s",
    "running_s",
    "terminated_s",
    "billed_s",
    "cost_usd",
    "spot_interrupted",
];

/// `instances.csv`: every EC2 instance of the run, in launch order.
pub fn instances_csv(scenario: &Scenario, instances: &[InstanceSummary]) -> csv::Result<Vec<u8>> {
    if instances.is_empty() {
        // The header is written even for a run that launched no instance.
        return Ok(format!("{}\n", INSTANCES_HEADER.join(",")).into_bytes());
    }
    let seconds = |ms: u64| rounding::round(ms as f64 / 1000.0, 3);
    rounding::plain_csv(instances.iter().map(|i| {
        let provider = &scenario.providers[i.provider];
        InstanceLine {
            provider: &provider.name,
            instance: i.instance,
            instance_type: &provider.instance_types[i.instance_type].instance.name,
            availability_zone: format!("{}{}", scenario.region, char::from(b'a' + i.az as u8)),
            launched_s: seconds(i.launched.as_millis()),
            running_s: i.running.map(|t| seconds(t.as_millis())),
            terminated_s: i.terminated.map(|t| seconds(t.as_millis())),
            billed_s: seconds(i.billed_ms),
            cost_usd: rounding::round(i.cost_usd, rounding::DOLLARS),
            spot_interrupted: i.spot_interrupted,
        }
    }))
}

/// One row of `deployments.csv`: a deployment's course and what its surge cost.
#[derive(Serialize)]
struct DeploymentLine<'a> {
    service: &'a str,
    deployment: &'a str,
    number: u32,
    /// The task size of the revision it brings.
    task_cpu: u32,
    task_memory: u32,
    started_s: f64,
    /// Empty for a deployment still in progress at the end.
    ended_s: Option<f64>,
    outcome: &'static str,
    peak_extra_tasks: u32,
    extra_task_seconds: f64,
    peak_extra_instances: u32,
    extra_instance_seconds: f64,
    surge_cost_usd: f64,
    unserved_requests: f64,
    failed_tasks: u32,
}

pub(super) const DEPLOYMENTS_HEADER: [&str; 15] = [
    "service",
    "deployment",
    "number",
    "task_cpu",
    "task_memory",
    "started_s",
    "ended_s",
    "outcome",
    "peak_extra_tasks",
    "extra_task_seconds",
    "peak_extra_instances",
    "extra_instance_seconds",
    "surge_cost_usd",
    "unserved_requests",
    "failed_tasks",
];

/// `deployments.csv`: every start of a deployment, per service in start order.
pub fn deployments_csv(scenario: &Scenario, deployments: &[DeploymentSummary]) -> csv::Result<Vec<u8>> {
    if deployments.is_empty() {
        return Ok(format!("{}\n", DEPLOYMENTS_HEADER.join(",")).into_bytes());
    }
    let seconds = |ms: f64| rounding::round(ms / 1000.0, 3);
    rounding::plain_csv(deployments.iter().map(|d| {
        let service = &scenario.services[d.service];
        DeploymentLine {
            service: &service.name,
            deployment: &service.deployments[d.deployment].name,
            number: d.number,
            task_cpu: d.task_size.0,
            task_memory: d.task_size.1,
            started_s: seconds(d.started.as_millis() as f64),
            ended_s: d.ended.map(|t| seconds(t.as_millis() as f64)),
            outcome: d.outcome.as_str(),
            peak_extra_tasks: d.peak_extra_tasks,
            extra_task_seconds: seconds(d.extra_task_ms as f64),
            peak_extra_instances: d.peak_extra_instances,
            extra_instance_seconds: seconds(d.extra_instance_ms as f64),
            surge_cost_usd: rounding::round(d.surge_cost_usd, rounding::DOLLARS),
            unserved_requests: rounding::round(d.unserved_requests, rounding::REQUESTS),
            failed_tasks: d.failed_tasks,
        }
    }))
}

/// One row of `jobs.csv`: a job's starts, its tasks' fates, their wait and their cost.
#[derive(Serialize)]
struct JobLine<'a> {
    job: &'a str,
    starts: u64,
    tasks_started: u64,
    tasks_completed: u64,
    tasks_failed_to_place: u64,
    retries: u64,
    /// From the first `RunTask` to RUNNING, over the tasks that got there; empty if none did.
    mean_wait_s: Option<f64>,
    task_hours: f64,
    cost_usd: f64,
}

/// `jobs.csv`: every job of the run, in file order.
pub fn jobs_csv(scenario: &Scenario, outcome: &RunOutcome) -> csv::Result<Vec<u8>> {
    rounding::plain_csv(scenario.services.iter().zip(&outcome.services).filter_map(|(config, s)| {
        let job = s.job.as_ref()?;
        Some(JobLine {
            job: &config.name,
            starts: job.starts,
            tasks_started: job.tasks_started,
            tasks_completed: job.tasks_completed,
            tasks_failed_to_place: job.tasks_failed_to_place,
            retries: job.retries,
            mean_wait_s: (job.tasks_running_reached > 0)
                .then(|| rounding::round(job.wait_ms as f64 / job.tasks_running_reached as f64 / 1000.0, 3)),
            task_hours: rounding::round(s.running_task_ms as f64 / MS_PER_HOUR as f64, rounding::HOURS),
            cost_usd: rounding::round(s.cost_usd(), rounding::DOLLARS),
        })
    }))
}

/// One row of `outages.csv`: a service's or a group's course through an outage.
#[derive(Serialize)]
struct OutageLine<'a> {
    outage: usize,
    zone: String,
    start_s: f64,
    end_s: f64,
    kind: &'static str,
    name: &'a str,
    lost: u32,
    /// Empty if it never got back to its count before the outage.
    recovery_s: Option<f64>,
    unserved_requests: f64,
    /// Over the outage's span; empty if the zone was still lost when the run ended.
    cost_usd: Option<f64>,
}

/// `outages.csv`: per outage (numbered from 1 in file order), each service's row, then each
/// capacity provider's.
pub fn outages_csv(scenario: &Scenario, outcome: &RunOutcome) -> csv::Result<Vec<u8>> {
    if outcome.outages.is_empty() {
        let header = "outage,zone,start_s,end_s,kind,name,lost,recovery_s,unserved_requests,cost_usd";
        return Ok(format!("{header}\n").into_bytes());
    }
    let seconds = |ms: u64| rounding::round(ms as f64 / 1000.0, 3);
    rounding::plain_csv(outcome.outages.iter().map(|o| {
        let outage = &scenario.outages[o.outage];
        let (kind, name) = if o.provider {
            ("provider", scenario.providers[o.index].name.as_str())
        } else {
            ("service", scenario.services[o.index].name.as_str())
        };
        OutageLine {
            outage: o.outage + 1,
            zone: format!("{}{}", scenario.region, char::from(b'a' + outage.zone as u8)),
            start_s: seconds(outage.start_ms),
            end_s: seconds(outage.end_ms),
            kind,
            name,
            lost: o.lost,
            recovery_s: o.recovery_ms.map(seconds),
            unserved_requests: rounding::round(o.unserved_requests, rounding::REQUESTS),
            cost_usd: o.cost_usd.map(|c| rounding::round(c, rounding::DOLLARS)),
        }
    }))
}

/// A simulated span in words: "7 days", "2 days 4 hours", "40 minutes".
pub(super) fn span(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60);
    let unit = |n: u64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    let parts: Vec<String> = [(days, "day"), (hours, "hour"), (minutes, "minute")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| unit(n, one))
        .collect();
    if parts.is_empty() { format!("{total} seconds") } else { parts.join(" ") }
}
