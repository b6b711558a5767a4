//! `report.html`: one self-contained page per run, comparison and sweep — its charts inlined
//! as SVG, its styles inline, no script and nothing fetched — that a user can mail, archive or
//! paste from. A run's page gives what was simulated, the headline figures, the tables, the
//! charts, the moments worth reading (with what `ecsim explain` says of them), and the choices
//! ecsim made where AWS is silent that the run depended on.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::ReportError;
use super::atomic::write_file;
use super::charts::{Chart, RunData};
use super::compare::Comparison;
use super::summary::{SummaryLine, span};

/// Escaped text with `code` between backticks set as code.
fn with_code(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_owned() })
        .collect()
}

/// Text safe inside HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #222; margin: 0 auto; max-width: 1060px; padding: 16px 24px 48px; line-height: 1.45; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.sub { color: #555; margin: 0 0 16px; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.figure { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.figure b { display: block; font-size: 22px; } .figure span { color: #555; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f5f5f5; }
figure.chart { margin: 12px 0 20px; } figure.chart svg { width: 100%; height: auto; display: block; border: 1px solid #eee; }
figure.chart figcaption { font-size: 13px; color: #555; }
details { margin: 8px 0; } pre { background: #f7f7f7; padding: 10px; overflow-x: auto; font-size: 12px; }
.story { white-space: pre-wrap; background: #f7f7f7; padding: 8px 12px; font-size: 13px; border-left: 3px solid #0072B2; }
ul { padding-left: 20px; } li { margin: 3px 0; }
";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The charts of `dir/charts`, inlined, each in a figure with its title.
fn charts_html(dir: &Path, charts: &[Chart]) -> Result<String, ReportError> {
    let mut out = String::new();
    for chart in charts {
        let path = super::charts::folder(dir).join(format!("{}.svg", chart.file));
        let svg = std::fs::read_to_string(&path)
            .map_err(|source| ReportError::Io { path: path.display().to_string(), source })?;
        let _ = write!(
            out,
            "<figure class=\"chart\" id=\"{}\">\n{svg}\n<figcaption>{} — <code>charts/{}.svg</code>, <code>.png</code></figcaption>\n</figure>\n",
            escape(&chart.file),
            escape(&chart.title),
            escape(&chart.file)
        );
    }
    Ok(out)
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table>\n<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

fn usd(v: f64) -> String {
    if v.abs() >= 1000.0 { format!("${v:.0}") } else { format!("${v:.2}") }
}

fn optional(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

fn figure(value: &str, what: &str) -> String {
    format!("<div class=\"figure\"><b>{}</b><span>{}</span></div>", escape(value), escape(what))
}

/// Writes `dir/report.html` for the run whose files (and charts) are in `dir`; `moments` is
/// what [`moments`] said of it.
pub fn run_report(dir: &Path, data: &RunData, charts: &[Chart], moments: &str) -> Result<(), ReportError> {
    let s = &data.summary;
    let total = &s.total;
    let hours = s.duration_s / 3600.0;
    let run: serde_json::Value = std::fs::read_to_string(dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let variant = s.variant.as_ref().map_or(String::new(), |v| format!(", variant {v}"));
    let title = format!("ecsim: {}{variant}", s.scenario);
    let simulated = span(s.duration_s);
    let start = jiff::Timestamp::from_millisecond(data.start_unix_ms).map_or(String::new(), |t| t.to_string());
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1>\n<p class=\"sub\">{simulated} simulated from {start} (UTC), seed {}, ecsim {}. Every figure below comes from the files in this folder.</p>\n",
        escape(&title),
        s.seed,
        escape(&s.ecsim_version)
    );

    // The headline figures.
    body.push_str("<div class=\"figures\">\n");
    body.push_str(&figure(&usd(total.cost_usd), "AWS bill for the run"));
    body.push_str(&figure(&usd(total.cost_usd * super::sweep::HOURS_PER_MONTH / hours.max(1e-9)), "per month (730 h)"));
    body.push_str(&figure(&format!("{:.3} %", 100.0 * (1.0 - total.unserved_share)), "of the requests served"));
    body.push_str(&figure(&total.peak_running_tasks.map_or("–".into(), |p| p.to_string()), "tasks at the peak"));
    let used: Vec<_> = s.providers.iter().filter(|p| p.used()).collect();
    if !used.is_empty() {
        let peak: u32 = used.iter().map(|p| p.peak_instances).sum();
        body.push_str(&figure(&peak.to_string(), "EC2 instances at the peak"));
        let idle: f64 = used.iter().map(|p| p.idle_cost_usd).sum();
        body.push_str(&figure(&usd(idle), "of EC2 capacity left idle"));
    }
    if let Some(per_million) = total.cost_per_million_served_usd {
        body.push_str(&figure(&format!("${per_million:.3}"), "per million requests served"));
    }
    if let Some(unserved) = total.unserved_cost_usd {
        body.push_str(&figure(&usd(unserved), "what the unserved requests cost (apart from the bill)"));
    }
    body.push_str("</div>\n");

    // The tables.
    body.push_str("<h2>Services</h2>\n");
    let lines: Vec<&SummaryLine> = s.services.iter().chain([total]).collect();
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.service.clone(),
                l.capacity.clone(),
                format!("{:.2}", l.cost_usd),
                format!("{:.1}", l.running_task_hours),
                format!("{:.3}", 100.0 * (1.0 - l.unserved_share)),
                l.peak_running_tasks.map_or("–".into(), |p| p.to_string()),
                format!("{}/{}", l.scale_outs, l.scale_ins),
                optional(l.under_provisioning_accuracy_pct, 2),
                optional(l.over_provisioning_accuracy_pct, 2),
                optional(l.under_provisioning_timeshare_pct, 1),
                optional(l.over_provisioning_timeshare_pct, 1),
                optional(l.instability_pct, 1),
                optional(l.jitter_per_hour, 2),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "service",
            "capacity",
            "cost USD",
            "task-hours",
            "served %",
            "peak tasks",
            "out/in",
            "θU %",
            "θO %",
            "τU %",
            "τO %",
            "υ %",
            "j /h",
        ],
        &rows,
    ));
    body.push_str("<p class=\"sub\">Elasticity (SPEC RG): θU and θO, the mean share of the demanded tasks missing and in excess; τU and τO, the share of the time under and over; υ, the share of ticks where supply and demand moved unlike; j, supply changes less demand changes per hour. Demand is the tasks the load needs at the policy's target (scenarios/README.md, “Elasticity”).</p>\n");
    if !used.is_empty() {
        body.push_str("<h2>EC2 capacity</h2>\n");
        let rows: Vec<Vec<String>> = used
            .iter()
            .map(|p| {
                vec![
                    p.provider.clone(),
                    format!("{:.2}", p.cost_usd),
                    format!("{:.2} ({:.1} %)", p.idle_cost_usd, 100.0 * p.idle_share),
                    format!("{:.1}", p.billed_instance_hours),
                    format!("{}/{}", p.instances_launched, p.peak_instances),
                    optional(p.cpu_reservation_mean_pct, 1),
                    optional(p.memory_reservation_mean_pct, 1),
                    p.spot_interruptions.to_string(),
                    format!("{:.2}", p.under_provisioning_accuracy_pct),
                    format!("{:.2}", p.over_provisioning_accuracy_pct),
                ]
            })
            .collect();
        body.push_str(&table(
            &[
                "group",
                "cost USD",
                "idle USD",
                "instance-hours",
                "launched/peak",
                "CPU reserved %",
                "memory reserved %",
                "Spot interruptions",
                "θU %",
                "θO %",
            ],
            &rows,
        ));
    }

    body.push_str("<h2>Charts</h2>\n");
    if s.services.len() > super::charts::CHARTED_SERVICES {
        let _ = writeln!(
            body,
            "<p class=\"sub\">Charts for the {} costliest of the {} services; `ecsim explain` and the CSV files have them all.</p>",
            super::charts::CHARTED_SERVICES,
            s.services.len()
        );
    }
    body.push_str(&charts_html(dir, charts)?);

    body.push_str(moments);
    body.push_str(&choices(&run["scenario"]));

    let warnings: Vec<&str> = run["warnings"].as_array().into_iter().flatten().filter_map(|w| w.as_str()).collect();
    if !warnings.is_empty() {
        body.push_str("<h2>Warnings</h2>\n<ul>\n");
        for w in warnings {
            let _ = writeln!(body, "<li>{}</li>", escape(w));
        }
        body.push_str("</ul>\n");
    }
    let scenario = serde_json::to_string_pretty(&run["scenario"]).unwrap_or_default();
    let _ = write!(
        body,
        "<h2>What was simulated</h2>\n<details><summary>The resolved scenario, every default filled in (<code>run.json</code>)</summary>\n<pre>{}</pre>\n</details>\n",
        escape(&scenario)
    );
    let path = dir.join("report.html");
    write_file(&path, page(&title, &body).as_bytes())
        .map_err(|source| ReportError::Io { path: path.display().to_string(), source })
}

/// The largest scale-outs, the worst unserved intervals and the Spot interruptions, with
/// `ecsim explain`'s story of the first of each.
pub fn moments(dir: &Path, data: &RunData) -> String {
    let mut out = String::from("<h2>Moments worth a look</h2>\n");
    let at = |t: f64| {
        let ms = data.start_unix_ms + (t * 1000.0) as i64;
        jiff::Timestamp::from_millisecond(ms).map_or(format!("{t} s"), |ts| ts.to_string())
    };
    let explain =
        |service: &str, t: f64| match super::explain(dir, service, &format!("{}ms", (t * 1000.0).round() as u64)) {
            Ok(story) => format!("<div class=\"story\">{}</div>\n", escape(story.trim_end())),
            Err(e) => format!("<p class=\"sub\">ecsim explain: {}</p>\n", escape(&e.to_string())),
        };
    let (outs, unserved) = (&data.moments.scale_outs, &data.moments.unserved);
    // `ecsim explain`'s story of the first moment of each kind; each reads the run's files,
    // so they are told side by side.
    let asked = [
        outs.first().map(|(service, d)| (service.as_str(), d.at)),
        unserved.first().map(|u| (u.service.as_str(), u.start)),
        data.moments.first_spot_interruption.as_ref().map(|(t, service)| (service.as_str(), *t)),
    ];
    let stories: Vec<String> =
        asked.par_iter().map(|moment| moment.map_or(String::new(), |(service, t)| explain(service, t))).collect();

    out.push_str("<h3>The largest scale-outs</h3>\n");
    if outs.is_empty() {
        out.push_str("<p class=\"sub\">No scale-out changed a desired count.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = outs
            .iter()
            .map(|(service, d)| {
                vec![
                    at(d.at),
                    service.to_string(),
                    d.policy.clone(),
                    format!("{} → {}", d.before, d.after),
                    optional(d.metric_value, 2),
                ]
            })
            .collect();
        out.push_str(&table(&["when", "service", "policy", "desired", "metric"], &rows));
        out.push_str(&stories[0]);
    }

    out.push_str("<h3>The worst unserved intervals</h3>\n");
    if unserved.is_empty() {
        out.push_str("<p class=\"sub\">Every request offered was served.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = unserved
            .iter()
            .map(|u| {
                vec![
                    at(u.start),
                    u.service.clone(),
                    format!("{:.0}", u.requests),
                    format!("{:.1}", u.offered_rps),
                    format!("{:.1}", u.running_mean),
                ]
            })
            .collect();
        out.push_str(&table(
            &["interval from", "service", "requests unserved", "offered per s", "RUNNING tasks"],
            &rows,
        ));
        out.push_str(&stories[1]);
    }

    out.push_str("<h3>Spot interruptions</h3>\n");
    let moments = &data.moments;
    if moments.first_spot_interruption.is_none() && moments.first_instance_interruption.is_none() {
        out.push_str("<p class=\"sub\">No Spot capacity was interrupted.</p>\n");
    }
    if let Some((t, service)) = &moments.first_spot_interruption {
        let _ = writeln!(
            out,
            "<p>Fargate Spot: {} task interruption(s); the first at {} ({}). Each interrupted task got the two-minute warning, stopped after its stop timeout, and was replaced at once.</p>",
            moments.spot_interruptions,
            at(*t),
            escape(service)
        );
        out.push_str(&stories[2]);
    }
    if let Some((t, group, instance)) = &moments.first_instance_interruption {
        let _ = writeln!(
            out,
            "<p>EC2 Spot: {} instance interruption notice(s); the first at {}, to {} of {}. EC2 takes an instance two minutes after its notice; with Spot draining its tasks move at the notice, without it they stop with the instance (marked on the group's instances chart).</p>",
            moments.instance_interruptions,
            at(*t),
            escape(instance),
            escape(group)
        );
    }
    out
}

/// The choices ecsim makes where AWS documents no rule, that this run depended on.
fn choices(scenario: &serde_json::Value) -> String {
    let services = scenario["services"].as_array().cloned().unwrap_or_default();
    let mut items: Vec<String> = vec![
        "Task timings: PROVISIONING, then PENDING (image pull, billed on Fargate) for the service's `startup`, then RUNNING; AWS documents no typical durations.".into(),
        "CPU utilization is the served requests over what the RUNNING tasks serve at 100 % (`requests_per_task`): a model of the metric, not a measurement of your code.".into(),
        "Target tracking's capacity is ceil(running × metric / target), its alarms 3 of 3 datapoints above the target and 15 of 15 below 90 % of it (settings: `scale_out_datapoints`, `scale_in_datapoints`, `scale_in_threshold_ratio`).".into(),
        "A cooldown starts when the desired count is set; scale-in stops the newest task of the fullest zone.".into(),
    ];
    let uses = |kind: &str| services.iter().any(|s| s["launch"].get(kind).is_some());
    let spot = services
        .iter()
        .any(|s| s["launch"]["fargate"]["strategy"].as_array().is_some_and(|items| items.iter().any(|i| i[0] == true)));
    if spot {
        items.push("Fargate Spot interruptions come at `interruptions_per_task_hour` as a Poisson process (AWS publishes no rate), from RUNNING; a task leaves service at the warning and stops after its stop timeout; its replacement is launched at once.".into());
        items.push("A capacity provider strategy's tasks split base first, then by weight with the largest remainder, ties to the earlier provider, as AWS's Spot workshop shows (not documented); launches go to the provider most below the split of the new count, scale-in takes from the one most above it (`strategy_split`). Fargate Spot storage is billed at the On-Demand rate.".into());
    }
    if uses("ec2") {
        items.push("EC2 instances register their published memory figure or 97.4 % of nominal (`registered_memory_share`), spend `pending` (30 s) in EC2 pending and `boot` (60 s) before the agent registers them.".into());
        items.push("Managed scaling: the instance warm-up counts from launch; per-group estimates add up (`group_estimate`); the scale-in reading is the ECS guide's 100 − empty instances (`scale_in_reading`); at most 50 % a minute (`scale_in_pace`).".into());
        items.push("The Auto Scaling group removes an instance from the zone with the most, there the one with the fewest non-daemon tasks, then the newest.".into());
        items.push("The EC2 bill is shared among services by split cost allocation's weights (9 × vCPU + GiB); what no task reserved is idle.".into());
    }
    let mut out = String::from(
        "<h2>Choices ecsim made where AWS is silent</h2>\n<p class=\"sub\">Each is written in scenarios/README.md, and those users may disagree with are settings.</p>\n<ul>\n",
    );
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", with_code(&item));
    }
    out.push_str("</ul>\n");
    out
}

/// Writes `dir/report.html` for a comparison of `runs` (labels and folders).
pub fn comparison_report(
    dir: &Path,
    comparison: &Comparison,
    runs: &[(String, PathBuf)],
    charts: &[Chart],
) -> Result<(), ReportError> {
    let title = format!("ecsim: {} runs compared", comparison.rows.len());
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"sub\">Each run against the first, from their summaries (comparison.csv).</p>\n",
        escape(&title)
    );
    let rows: Vec<Vec<String>> = comparison
        .rows
        .iter()
        .map(|r| {
            vec![
                r.run.clone(),
                format!("{:.2}", r.total_cost_usd),
                format!("{:.2}", r.cost_per_month_usd),
                r.difference_pct
                    .map_or(format!("{:+.2}", r.difference_usd), |p| format!("{:+.2} ({p:+.1} %)", r.difference_usd)),
                format!("{:.2}", r.fargate_cost_usd),
                format!("{:.2} ({:.2})", r.ec2_cost_usd, r.ec2_idle_cost_usd),
                optional(r.cost_per_million_served_usd, 3),
                format!("{:.4}", 100.0 * r.unserved_share),
                format!("{:.1}/{}", r.average_tasks, r.peak_tasks.map_or("–".into(), |p| p.to_string())),
                r.spot_interruptions.to_string(),
                optional(r.under_provisioning_accuracy_pct, 2),
                optional(r.over_provisioning_accuracy_pct, 2),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "run",
            "cost USD",
            "per month",
            if comparison.per_month { "vs first, per month" } else { "vs first" },
            "Fargate",
            "EC2 (idle)",
            "USD/M served",
            "unserved %",
            "avg/peak tasks",
            "Spot int.",
            "θU %",
            "θO %",
        ],
        &rows,
    ));
    if comparison.per_month {
        body.push_str(
            "<p>The runs last differently long: each is compared with the first by its cost per month (730 h).</p>\n",
        );
    }
    if let Some(b) = &comparison.break_even {
        let _ = writeln!(body, "<p>Break-even: {}.</p>", escape(&b.sentence()));
    }
    body.push_str("<h2>Charts</h2>\n");
    body.push_str(&charts_html(dir, charts)?);
    body.push_str("<h2>The runs</h2>\n<ul>\n");
    for (label, run_dir) in runs {
        let link =
            run_dir.strip_prefix(dir).map_or_else(|_| run_dir.join("report.html"), |rel| rel.join("report.html"));
        let _ = writeln!(body, "<li><a href=\"{}\">{}</a></li>", escape(&link.display().to_string()), escape(label));
    }
    body.push_str("</ul>\n");
    let path = dir.join("report.html");
    write_file(&path, page(&title, &body).as_bytes())
        .map_err(|source| ReportError::Io { path: path.display().to_string(), source })
}

/// Writes `dir/report.html` for the sweep in `dir`, with the `--best` answer if there is one.
pub fn sweep_report(dir: &Path, charts: &[Chart], best: Option<&str>) -> Result<(), ReportError> {
    let record: serde_json::Value = std::fs::read_to_string(dir.join("sweep.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let name = record["name"].as_str().unwrap_or("sweep");
    let title = format!("ecsim sweep: {name}");
    let replications = if record["precision"].is_null() {
        format!("{} replication(s) each", record["replications"])
    } else {
        format!("{} replication(s) each, more where --precision needed them", record["replications"])
    };
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"sub\">{} point(s) × {} variant(s), {replications}: {} run(s) in all; {}.</p>\n",
        escape(&title),
        record["points"],
        record["variants"].as_array().map_or(1, Vec::len),
        runs_in(&dir.join("points.csv")),
        escape(record["seeds"].as_str().unwrap_or(""))
    );
    body.push_str("<h2>Axes</h2>\n");
    let rows: Vec<Vec<String>> = record["axes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let values: Vec<&str> = a["values"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
            vec![a["key"].as_str().unwrap_or("").to_owned(), values.join(", ")]
        })
        .collect();
    body.push_str(&table(&["key", "values"], &rows));
    if let Some(best) = best {
        let _ = writeln!(body, "<h2>The best point</h2>\n<div class=\"story\">{}</div>", escape(best.trim_end()));
    }
    body.push_str("<h2>Charts</h2>\n");
    body.push_str(&charts_html(dir, charts)?);
    body.push_str("<p class=\"sub\">Every run is in runs.csv, every point with its 95 % intervals in points.csv, the front in pareto.csv.</p>\n");
    let path = dir.join("report.html");
    write_file(&path, page(&title, &body).as_bytes())
        .map_err(|source| ReportError::Io { path: path.display().to_string(), source })
}

/// The runs a sweep's `points.csv` counts, finished and failed.
fn runs_in(points: &Path) -> u64 {
    let Ok(mut reader) = csv::Reader::from_path(points) else { return 0 };
    let Ok(header) = reader.headers().cloned() else { return 0 };
    let columns: Vec<usize> =
        header.iter().enumerate().filter(|(_, h)| *h == "runs" || *h == "failed").map(|(i, _)| i).collect();
    reader.records().flatten().map(|r| columns.iter().filter_map(|&c| r.get(c)?.parse::<u64>().ok()).sum::<u64>()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("<api & \"web\">"), "&lt;api &amp; &quot;web&quot;&gt;");
        assert_eq!(with_code("set `startup` <here>"), "set <code>startup</code> &lt;here&gt;");
    }

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span(7.0 * 86_400.0), "7 days");
        assert_eq!(span(86_400.0 + 3600.0 + 60.0), "1 day 1 hour 1 minute");
        assert_eq!(span(2400.0), "40 minutes");
        assert_eq!(span(30.0), "30 seconds");
    }
}
