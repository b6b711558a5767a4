//! Writes a run's per-minute history of one service as the JSON `aws cloudwatch
//! get-metric-data` prints, named as `scripts/export-from-aws.sh` names its queries: the
//! target group's `RequestCount` (Sum of the requests offered), the service's `CPUUtilization`
//! (Average) and Container Insights' `RunningTaskCount` and `DesiredTaskCount` (Average).
//! Pages are newest first (CloudWatch's default `TimestampDescending`) with at most 100,800
//! datapoints each, every page but the last with a `NextToken`, as the API returns them.
//!
//! It is how `scenarios/imported-example/aws/get-metric-data-*.json` was made from
//! `scenarios/imported-example/history/truth.toml`:
//!
//! ```text
//! ecsim run scenarios/imported-example/history/truth.toml --out /tmp/truth --outputs series --no-charts
//! cargo run --release --example cloudwatch_history -- /tmp/truth/timeseries.csv storefront scenarios/imported-example/aws
//! ```

use std::collections::BTreeMap;
use std::error::Error;

/// Datapoints GetMetricData returns in one call at most.
const DATAPOINTS_PER_PAGE: usize = 100_800;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [timeseries, service, out] = args.as_slice() else {
        return Err("usage: cloudwatch_history TIMESERIES_CSV SERVICE OUT_DIR".into());
    };
    // (Id, Label, timeseries.csv column)
    let series = [
        (format!("requests_{service}"), format!("RequestCount {service}"), "offered_requests"),
        (format!("cpu_{service}"), format!("CPUUtilization {service}"), "cpu_utilization_mean_pct"),
        (format!("tasks_{service}"), format!("RunningTaskCount {service}"), "tasks_running_mean"),
        (format!("desired_{service}"), format!("DesiredTaskCount {service}"), "desired_count"),
    ];
    let mut points: Vec<Vec<(String, f64)>> = vec![Vec::new(); series.len()];
    for row in csv::Reader::from_path(timeseries)?.deserialize::<BTreeMap<String, String>>() {
        let row = row?;
        if row.get("service") != Some(service) {
            continue;
        }
        // CloudWatch stamps a period at its start, in the CLI's +00:00 form.
        let Some(stamp) = row.get("timestamp").map(|t| t.replace('Z', "+00:00")) else { continue };
        for (k, (_, _, column)) in series.iter().enumerate() {
            // No datapoint where CloudWatch would have none: no requests, no CPU without tasks.
            let Some(Ok(value)) = row.get(*column).map(|v| v.parse::<f64>()) else { continue };
            if *column == "offered_requests" && value == 0.0 {
                continue;
            }
            points[k].push((stamp.clone(), value));
        }
    }
    for p in &mut points {
        p.reverse(); // newest first
    }
    if points.iter().all(Vec::is_empty) {
        let columns: Vec<&str> = series.iter().map(|s| s.2).collect();
        return Err(format!(
            "{timeseries}: no rows of the service {service:?} (with columns service, timestamp, {})",
            columns.join(", ")
        )
        .into());
    }
    let per_series = DATAPOINTS_PER_PAGE / series.len();
    let pages = points.iter().map(|p| p.len().div_ceil(per_series)).max().unwrap_or(1);
    std::fs::create_dir_all(out)?;
    for page in 0..pages {
        let results: Vec<serde_json::Value> = series
            .iter()
            .zip(&points)
            .map(|((id, label, _), p)| {
                let slice = &p[(page * per_series).min(p.len())..((page + 1) * per_series).min(p.len())];
                serde_json::json!({
                    "Id": id,
                    "Label": label,
                    "Timestamps": slice.iter().map(|(t, _)| t).collect::<Vec<_>>(),
                    "Values": slice.iter().map(|(_, v)| v).collect::<Vec<_>>(),
                    "StatusCode": if page + 1 < pages { "PartialData" } else { "Complete" },
                })
            })
            .collect();
        let mut document = serde_json::json!({ "MetricDataResults": results, "Messages": [] });
        if page + 1 < pages {
            document["NextToken"] = serde_json::json!(format!("page-{}-of-{pages}", page + 2));
        }
        let file = format!("{out}/get-metric-data-{}.json", page + 1);
        std::fs::write(&file, serde_json::to_string(&document)? + "\n")?;
        eprintln!("wrote {file}");
    }
    Ok(())
}
