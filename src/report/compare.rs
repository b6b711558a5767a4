//! Runs side by side: `comparison.csv` and a terminal table of cost, capacity and service for
//! each run, each against the first, and where EC2 and Fargate break even.
//!
//! Built from the runs' summaries alone, so `ecsim compare` works on any output folders, and a
//! run with variants compares them when it ends.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::rounding;
use super::summary::Summary;
use crate::engine::MS_PER_HOUR;

/// One run in the comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub run: String,
    pub total_cost_usd: f64,
    /// The total scaled to a month of 730 hours, as AWS's pricing pages count one.
    pub cost_per_month_usd: f64,
    /// This run's total minus the first run's, in dollars and in % of the first.
    pub difference_usd: f64,
    pub difference_pct: Option<f64>,
    pub fargate_cost_usd: f64,
    pub ec2_cost_usd: f64,
    pub ec2_idle_cost_usd: f64,
    pub cost_per_million_served_usd: Option<f64>,
    pub requests_unserved: f64,
    pub unserved_share: f64,
    /// Unserved requests in ticks while interrupted Fargate Spot tasks were being replaced.
    pub unserved_while_replacing_spot_tasks: f64,
    pub average_tasks: f64,
    pub peak_tasks: Option<u32>,
    pub average_instances: f64,
    pub peak_instances: u32,
    pub spot_interruptions: u32,
    /// The run's elasticity (the summary's total line): tasks against the tasks demanded.
    pub under_provisioning_accuracy_pct: Option<f64>,
    pub over_provisioning_accuracy_pct: Option<f64>,
    pub under_provisioning_timeshare_pct: Option<f64>,
    pub over_provisioning_timeshare_pct: Option<f64>,
    pub instability_pct: Option<f64>,
    pub jitter_per_hour: Option<f64>,
    /// The shortfall at the scenario's `unserved_cost_per_million`, and the cost with it.
    pub unserved_cost_usd: Option<f64>,
    pub cost_with_unserved_usd: Option<f64>,
    /// Cost per capacity (`FARGATE`, `FARGATE_SPOT`, each provider) and per service, in the
    /// order first seen.
    #[serde(skip)]
    pub by_capacity: Vec<(String, f64)>,
    #[serde(skip)]
    pub by_service: Vec<(String, f64)>,
    /// The scenario the run is of: a break-even needs one load run both ways.
    #[serde(skip)]
    pub scenario: String,
}

impl BreakEven {
    /// The break-even in words: where EC2 would cost what Fargate does, and which is cheaper.
    pub fn sentence(&self) -> String {
        let (at, ran) = (100.0 * self.break_even_utilization, 100.0 * self.utilization);
        if self.break_even_utilization > 1.0 {
            format!(
                "{} (EC2) would need {at:.1} % of its instances to cost what {} (Fargate) does: more than all of them, so EC2 is dearer here however well the tasks were packed (it ran at {ran:.1} %)",
                self.ec2_run, self.fargate_run
            )
        } else {
            let verdict = if self.utilization >= self.break_even_utilization { "cheaper" } else { "dearer" };
            format!(
                "{} (EC2) would cost what {} (Fargate) does at {at:.1} % average utilization of its instances; it ran at {ran:.1} %, so EC2 is {verdict} here",
                self.ec2_run, self.fargate_run
            )
        }
    }
}

/// Where an all-EC2 run and an all-Fargate run of the comparison would cost the same.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakEven {
    pub ec2_run: String,
    pub fargate_run: String,
    /// The share of the instances' cost the tasks reserved in the EC2 run (split cost
    /// allocation's weights: 1 − idle / EC2 cost).
    pub utilization: f64,
    /// The utilization at which the EC2 run would cost what the Fargate run does: the same
    /// reserved capacity, with only as much idle capacity around it as that leaves.
    pub break_even_utilization: f64,
}

#[derive(Clone, Debug)]
pub struct Comparison {
    pub rows: Vec<ComparisonRow>,
    pub break_even: Option<BreakEven>,
    /// Whether the runs last differently long, so that they are compared by their cost per
    /// month (730 h), not by their totals.
    pub per_month: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{path}: cannot read summary.json ({source}); is it an ecsim output folder?")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: summary.json is not an ecsim summary: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
}

/// The run folders `dirs` name: each folder with a `summary.json`, and for a folder without
/// one the runs inside it (a scenario's variants, or any runs side by side) in the order of
/// its `comparison.csv` when it has one, else by name.
pub fn run_folders(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, CompareError> {
    let mut folders = Vec::new();
    for dir in dirs {
        if dir.join("summary.json").exists() {
            folders.push(dir.clone());
            continue;
        }
        let listed = labels(&dir.join("comparison.csv")).ok().map(|runs| {
            runs.into_iter().map(|(_, folder)| dir.join(folder)).filter(|f| f.join("summary.json").exists()).collect()
        });
        let inside: Vec<PathBuf> = match listed {
            Some(listed) => listed,
            None => {
                let entries = std::fs::read_dir(dir)
                    .map_err(|source| CompareError::Read { path: dir.join("summary.json"), source })?;
                let mut inside: Vec<PathBuf> = entries
                    .filter_map(|e| Some(e.ok()?.path()))
                    .filter(|p| !hidden(p) && p.join("summary.json").exists())
                    .collect();
                inside.sort();
                inside
            }
        };
        if inside.is_empty() {
            return Err(CompareError::Read {
                path: dir.join("summary.json"),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no run in it or in its subfolders"),
            });
        }
        folders.extend(inside);
    }
    Ok(folders)
}

/// Reads `summary.json` from each run folder, each labelled as [`labels_for`] says.
pub fn read_summaries(dirs: &[PathBuf]) -> Result<Vec<(String, Summary)>, CompareError> {
    let summaries: Vec<Summary> = dirs
        .iter()
        .map(|dir| {
            let path = dir.join("summary.json");
            let text =
                std::fs::read_to_string(&path).map_err(|source| CompareError::Read { path: path.clone(), source })?;
            serde_json::from_str(&text).map_err(|source| CompareError::Parse { path, source })
        })
        .collect::<Result<_, _>>()?;
    let labels = labels_for(&summaries.iter().zip(dirs).collect::<Vec<_>>());
    Ok(labels.into_iter().zip(summaries).collect())
}

/// Each run's label: its scenario, variant (`base` without one), seed and length, as far as
/// they tell the runs apart (`fargate` among one scenario's variants, `seed 43` among its
/// replications, `quickstart/base seed 42` among runs of several scenarios); where even all
/// are the same, the folder too.
pub fn labels_for(runs: &[(&Summary, &PathBuf)]) -> Vec<String> {
    let variant = |s: &Summary| s.variant.clone().unwrap_or_else(|| "base".to_owned());
    let differ = |part: &dyn Fn(&Summary) -> String| runs.iter().any(|(s, _)| part(s) != part(runs[0].0));
    let (scenarios, variants, seeds, lengths) = (
        differ(&|s| s.scenario.clone()),
        differ(&variant),
        differ(&|s| s.seed.to_string()),
        differ(&|s| s.duration_s.to_string()),
    );
    let label = |s: &Summary| {
        let mut parts: Vec<String> = Vec::new();
        match (scenarios, variants) {
            (true, _) => parts.push(format!("{}/{}", s.scenario, variant(s))),
            (false, true) => parts.push(variant(s)),
            (false, false) => {}
        }
        if seeds {
            parts.push(format!("seed {}", s.seed));
        }
        if lengths {
            parts.push(super::summary::span(s.duration_s));
        }
        if parts.is_empty() { variant(s) } else { parts.join(" ") }
    };
    let labels: Vec<String> = runs.iter().map(|(s, _)| label(s)).collect();
    labels
        .iter()
        .zip(runs)
        .map(|(l, (_, dir))| {
            if labels.iter().filter(|other| *other == l).count() > 1 {
                format!("{l} ({})", dir.display())
            } else {
                l.clone()
            }
        })
        .collect()
}

impl Comparison {
    pub fn new(runs: &[(String, Summary)]) -> Self {
        let rows: Vec<ComparisonRow> = runs.iter().map(|(label, summary)| row(label, summary)).collect();
        let per_month = runs.iter().any(|(_, s)| s.duration_s != runs[0].1.duration_s);
        let compared = |r: &ComparisonRow| if per_month { r.cost_per_month_usd } else { r.total_cost_usd };
        let first = rows.first().map_or(0.0, compared);
        let rows = rows
            .into_iter()
            .map(|r| {
                let difference_usd = rounding::sum([compared(&r), -first], rounding::DOLLARS);
                ComparisonRow {
                    difference_usd,
                    difference_pct: rounding::ratio(100.0 * difference_usd, first, rounding::PCT),
                    ..r
                }
            })
            .collect::<Vec<_>>();
        let break_even = break_even(&rows);
        Comparison { rows, break_even, per_month }
    }

    /// Every row, with a cost column per capacity and per service seen in any run; `folders`
    /// are the runs' folders as `comparison.csv` names them.
    pub fn to_csv(&self, folders: &[String]) -> csv::Result<Vec<u8>> {
        let capacities = union(self.rows.iter().map(|r| &r.by_capacity));
        let services = union(self.rows.iter().map(|r| &r.by_service));
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<String> = [
            "run",
            "folder",
            "total_cost_usd",
            "cost_per_month_usd",
            "difference_usd",
            "difference_pct",
            "fargate_cost_usd",
            "ec2_cost_usd",
            "ec2_idle_cost_usd",
            "cost_per_million_served_usd",
            "requests_unserved",
            "unserved_share",
            "unserved_while_replacing_spot_tasks",
            "average_tasks",
            "peak_tasks",
            "average_instances",
            "peak_instances",
            "spot_interruptions",
            "under_provisioning_accuracy_pct",
            "over_provisioning_accuracy_pct",
            "under_provisioning_timeshare_pct",
            "over_provisioning_timeshare_pct",
            "instability_pct",
            "jitter_per_hour",
            "unserved_cost_usd",
            "cost_with_unserved_usd",
        ]
        .map(String::from)
        .to_vec();
        header.extend(rounding::columns("cost_usd_capacity", &capacities));
        header.extend(rounding::columns("cost_usd_service", &services));
        writer.write_record(&header)?;
        let optional = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        for (i, r) in self.rows.iter().enumerate() {
            let mut record = vec![
                r.run.clone(),
                folders.get(i).cloned().unwrap_or_default(),
                r.total_cost_usd.to_string(),
                r.cost_per_month_usd.to_string(),
                r.difference_usd.to_string(),
                optional(r.difference_pct),
                r.fargate_cost_usd.to_string(),
                r.ec2_cost_usd.to_string(),
                r.ec2_idle_cost_usd.to_string(),
                optional(r.cost_per_million_served_usd),
                r.requests_unserved.to_string(),
                r.unserved_share.to_string(),
                r.unserved_while_replacing_spot_tasks.to_string(),
                r.average_tasks.to_string(),
                r.peak_tasks.map_or(String::new(), |p| p.to_string()),
                r.average_instances.to_string(),
                r.peak_instances.to_string(),
                r.spot_interruptions.to_string(),
                optional(r.under_provisioning_accuracy_pct),
                optional(r.over_provisioning_accuracy_pct),
                optional(r.under_provisioning_timeshare_pct),
                optional(r.over_provisioning_timeshare_pct),
                optional(r.instability_pct),
                optional(r.jitter_per_hour),
                optional(r.unserved_cost_usd),
                optional(r.cost_with_unserved_usd),
            ];
            let cost_of = |pairs: &[(String, f64)], name: &String| {
                pairs.iter().find(|(n, _)| n == name).map_or(String::new(), |(_, c)| c.to_string())
            };
            record.extend(capacities.iter().map(|c| cost_of(&r.by_capacity, c)));
            record.extend(services.iter().map(|s| cost_of(&r.by_service, s)));
            writer.write_record(&record)?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    }

    /// A table for the terminal, and the break-even when there is one.
    pub fn table(&self) -> String {
        let header = [
            "run",
            "cost USD",
            "USD/month",
            if self.per_month { "vs first, per month" } else { "vs first" },
            "Fargate",
            "EC2 (idle)",
            "USD/M served",
            "unserved %",
            "avg/peak tasks",
            "avg/peak inst.",
            "Spot int.",
            "under/over-prov. %",
        ];
        let mut rows = vec![header.map(String::from).to_vec()];
        for r in &self.rows {
            rows.push(vec![
                r.run.clone(),
                format!("{:.2}", r.total_cost_usd),
                format!("{:.2}", r.cost_per_month_usd),
                match r.difference_pct {
                    Some(pct) => format!("{:+.2} ({pct:+.1} %)", r.difference_usd),
                    None => format!("{:+.2}", r.difference_usd),
                },
                format!("{:.2}", r.fargate_cost_usd),
                format!("{:.2} ({:.2})", r.ec2_cost_usd, r.ec2_idle_cost_usd),
                r.cost_per_million_served_usd.map_or("-".into(), |c| format!("{c:.3}")),
                format!("{:.3}", 100.0 * r.unserved_share),
                format!("{:.1}/{}", r.average_tasks, r.peak_tasks.map_or("-".into(), |p| p.to_string())),
                format!("{:.1}/{}", r.average_instances, r.peak_instances),
                r.spot_interruptions.to_string(),
                match (r.under_provisioning_accuracy_pct, r.over_provisioning_accuracy_pct) {
                    (Some(under), Some(over)) => format!("{under:.1}/{over:.1}"),
                    _ => "-".into(),
                },
            ]);
        }
        let mut out = super::summary::aligned(&rows);
        if self.per_month {
            out.push_str(
                "the runs last differently long: each is compared with the first by its cost per month (730 h)\n",
            );
        }
        if let Some(b) = &self.break_even {
            out.push_str(&format!("break-even: {}\n", b.sentence()));
        }
        out
    }
}

/// Writes `comparison.csv` into `dir`, whole or not at all, and with `charts` the comparison's
/// charts of `runs` (their labels and folders).
pub fn write_comparison(
    dir: &Path,
    comparison: &Comparison,
    runs: &[(String, PathBuf)],
    charts: bool,
) -> Result<(), super::ReportError> {
    let shown = dir.display().to_string();
    // A run inside the comparison's folder is named relative to it, so the folders can move.
    let folders: Vec<String> = runs
        .iter()
        .map(|(_, run)| {
            let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
            let run = absolute(run);
            run.strip_prefix(absolute(dir)).map_or_else(|_| run.display().to_string(), |rel| rel.display().to_string())
        })
        .collect();
    let csv = comparison.to_csv(&folders).map_err(|source| super::ReportError::Csv { path: shown.clone(), source })?;
    std::fs::create_dir_all(dir).map_err(|source| super::ReportError::Io { path: shown.clone(), source })?;
    super::atomic::write_file(&dir.join("comparison.csv"), &csv)
        .map_err(|source| super::ReportError::Io { path: shown, source })?;
    if charts {
        let drawn = super::charts::draw_comparison(dir, comparison, runs)?;
        super::html::comparison_report(dir, comparison, runs, &drawn)?;
    }
    Ok(())
}

/// The runs a `comparison.csv` names, in its order: each one's label and folder (relative to
/// the comparison's folder, or absolute).
pub(super) fn labels(path: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut reader = csv::Reader::from_path(path).map_err(std::io::Error::other)?;
    let folder = reader.headers().map_err(std::io::Error::other)?.iter().position(|h| h == "folder");
    reader
        .records()
        .map(|r| {
            let r = r.map_err(std::io::Error::other)?;
            let label = r.get(0).unwrap_or("").to_owned();
            let dir = PathBuf::from(folder.and_then(|f| r.get(f)).filter(|f| !f.is_empty()).unwrap_or(&label));
            Ok((label, dir))
        })
        .collect()
}

pub(super) fn row(label: &str, s: &Summary) -> ComparisonRow {
    use rounding::{DOLLARS, RATE, round, sum};
    let hours = s.duration_s * 1000.0 / MS_PER_HOUR as f64;
    let per_hour = |v: f64| if hours > 0.0 { round(v / hours, RATE) } else { 0.0 };
    let ec2_cost = sum(s.providers.iter().map(|p| p.cost_usd), DOLLARS);
    let ec2_idle = sum(s.providers.iter().map(|p| p.idle_cost_usd), DOLLARS);
    let on_fargate = || s.services.iter().filter(|l| l.capacity.starts_with("FARGATE"));
    let fargate_cost = sum(on_fargate().map(|l| l.cost_usd), DOLLARS);
    let spot_cost = sum(on_fargate().map(|l| l.fargate_spot_cost_usd), DOLLARS);
    let mut by_capacity: Vec<(String, f64)> = Vec::new();
    if on_fargate().any(|l| l.capacity != "FARGATE_SPOT") {
        by_capacity.push(("FARGATE".into(), sum([fargate_cost, -spot_cost], DOLLARS)));
    }
    if on_fargate().any(|l| l.capacity.contains("FARGATE_SPOT")) {
        by_capacity.push(("FARGATE_SPOT".into(), spot_cost));
    }
    by_capacity.extend(s.providers.iter().map(|p| (p.provider.clone(), p.cost_usd)));
    ComparisonRow {
        run: label.to_owned(),
        total_cost_usd: s.total.cost_usd,
        cost_per_month_usd: s.total.cost_per_month_usd,
        difference_usd: 0.0,
        difference_pct: None,
        fargate_cost_usd: fargate_cost,
        ec2_cost_usd: ec2_cost,
        ec2_idle_cost_usd: ec2_idle,
        cost_per_million_served_usd: s.total.cost_per_million_served_usd,
        requests_unserved: s.total.requests_unserved,
        unserved_share: s.total.unserved_share,
        unserved_while_replacing_spot_tasks: s.total.unserved_while_replacing_spot_tasks,
        average_tasks: per_hour(s.total.running_task_hours),
        peak_tasks: s.total.peak_running_tasks,
        average_instances: per_hour(s.providers.iter().map(|p| p.billed_instance_hours).fold(0.0, |a, b| a + b)),
        peak_instances: s.providers.iter().map(|p| p.peak_instances).sum(),
        spot_interruptions: s.providers.iter().map(|p| p.spot_interruptions).sum::<u32>()
            + s.total.fargate_spot_interruptions as u32,
        under_provisioning_accuracy_pct: s.total.under_provisioning_accuracy_pct,
        over_provisioning_accuracy_pct: s.total.over_provisioning_accuracy_pct,
        under_provisioning_timeshare_pct: s.total.under_provisioning_timeshare_pct,
        over_provisioning_timeshare_pct: s.total.over_provisioning_timeshare_pct,
        instability_pct: s.total.instability_pct,
        jitter_per_hour: s.total.jitter_per_hour,
        unserved_cost_usd: s.total.unserved_cost_usd,
        cost_with_unserved_usd: s.total.cost_with_unserved_usd,
        by_capacity,
        by_service: s.services.iter().map(|l| (l.service.clone(), l.cost_usd)).collect(),
        scenario: s.scenario.clone(),
    }
}

/// For the first run on EC2 alone and the first on Fargate alone of the same scenario (one load
/// run both ways): the EC2 run's reserved work
/// costs `EC2 cost × utilization`; at utilization `u*` it would cost that over `u*`, which
/// equals the Fargate cost at `u* = utilization × EC2 cost / Fargate cost`.
fn break_even(rows: &[ComparisonRow]) -> Option<BreakEven> {
    let ec2 = rows.iter().find(|r| r.ec2_cost_usd > 0.0 && r.fargate_cost_usd == 0.0)?;
    let fargate =
        rows.iter().find(|r| r.fargate_cost_usd > 0.0 && r.ec2_cost_usd == 0.0 && r.scenario == ec2.scenario)?;
    let utilization = 1.0 - ec2.ec2_idle_cost_usd / ec2.ec2_cost_usd;
    // Per month, so that runs of different lengths compare.
    let monthly = |r: &ComparisonRow, cost: f64| cost * r.cost_per_month_usd / r.total_cost_usd;
    Some(BreakEven {
        ec2_run: ec2.run.clone(),
        fargate_run: fargate.run.clone(),
        utilization,
        break_even_utilization: utilization * monthly(ec2, ec2.ec2_cost_usd)
            / monthly(fargate, fargate.fargate_cost_usd),
    })
}

/// The names of `lists`, each once, in the order first seen.
fn union<'a>(lists: impl Iterator<Item = &'a Vec<(String, f64)>>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in lists.flatten() {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// A hidden entry: a run folder still being written (`.NAME.PID.partial`) among others.
fn hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}
