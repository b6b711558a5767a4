//! `ecsim explain`: the story of one moment of a run, in plain words, read back from the files
//! the run wrote — which decisions were taken, on which datapoints, by which rule, and what
//! held them back.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::csv_out;

type Row = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("{0}")]
    Question(String),
}

/// One record of a CSV file, its fields found by column name: looked at before a row is kept,
/// so a large event file is read without a map for every record.
struct Fields<'a> {
    headers: &'a csv::StringRecord,
    record: &'a csv::ByteRecord,
}

impl std::ops::Index<&str> for Fields<'_> {
    type Output = str;
    fn index(&self, name: &str) -> &str {
        let field = self.headers.iter().position(|h| h == name).and_then(|i| self.record.get(i));
        field.and_then(|f| std::str::from_utf8(f).ok()).unwrap_or("")
    }
}

/// Calls `take` with each row `keep` accepts, in file order, up to the first accepted row after
/// `t`, which it is given too (it tells what came next): the files are in time order, so a
/// moment early in a long run is told without reading the rest.
fn scan(path: &Path, t: f64, keep: impl Fn(&Fields) -> bool, mut take: impl FnMut(Row)) -> Result<(), ExplainError> {
    let fail = |reason: String| ExplainError::Read { file: path.display().to_string(), reason };
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(e.to_string()))?;
    let headers = reader.headers().map_err(|e| fail(e.to_string()))?.clone();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| fail(e.to_string()))? {
        let fields = Fields { headers: &headers, record: &record };
        if keep(&fields) {
            let field = |i: usize| record.get(i).and_then(|f| std::str::from_utf8(f).ok()).unwrap_or("");
            let row: Row = headers.iter().enumerate().map(|(i, h)| (h.to_owned(), field(i).to_owned())).collect();
            let after = seconds(&row) > t;
            take(row);
            if after {
                break;
            }
        }
    }
    Ok(())
}

/// The rows `keep` accepts up to `t`, and the first one after it.
fn read_until(path: &Path, t: f64, keep: impl Fn(&Fields) -> bool) -> Result<Vec<Row>, ExplainError> {
    let mut rows = Vec::new();
    scan(path, t, keep, |row| rows.push(row))?;
    Ok(rows)
}

fn seconds(row: &Row) -> f64 {
    row["time_s"].parse().unwrap_or(f64::NAN)
}

/// Milliseconds since the run's start for `at`: a duration ("1h38m", "5880s") or an RFC 3339
/// time ("2026-01-05T01:38:00Z").
fn moment(at: &str, start_unix_ms: i64) -> Result<f64, ExplainError> {
    if let Ok(duration) = humantime::parse_duration(at) {
        return Ok(duration.as_secs_f64());
    }
    if let Ok(time) = at.parse::<jiff::Timestamp>() {
        return Ok((time.as_millisecond() - start_unix_ms) as f64 / 1000.0);
    }
    Err(ExplainError::Question(format!(
        "--at \"{at}\" is neither a time since the start (\"1h38m\") nor an RFC 3339 time (\"2026-01-05T01:38:00Z\")"
    )))
}

/// The story of `service` at `at` in the run written to `dir`.
pub fn explain(dir: &Path, service: &str, at: &str) -> Result<String, ExplainError> {
    let run_path = dir.join("run.json");
    if !run_path.exists() {
        // A scenario's variants: a folder of runs, each explained on its own.
        let mut runs: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path().join("run.json").exists())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        runs.sort();
        if let Some(first) = runs.first() {
            return Err(ExplainError::Question(format!(
                "{} holds the runs {}: explain one of them, e.g. {}",
                dir.display(),
                runs.join(", "),
                dir.join(first).display()
            )));
        }
    } else if !dir.join(csv_out::TASK_EVENTS).exists() || !dir.join(csv_out::SERIES).exists() {
        return Err(ExplainError::Question(format!(
            "{} was written without its series and events (--outputs): run it again with --outputs summary,series,events",
            dir.display()
        )));
    }
    let run: serde_json::Value = std::fs::read_to_string(&run_path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .map_err(|reason| ExplainError::Read { file: run_path.display().to_string(), reason })?;
    let scenario = &run["scenario"];
    let names: Vec<&str> =
        scenario["services"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    if !names.contains(&service) {
        return Err(ExplainError::Question(format!(
            "no service \"{service}\" in this run; its services: {}",
            names.join(", ")
        )));
    }
    let start = scenario["start_unix_ms"].as_i64().unwrap_or(0);
    let duration_s = scenario["duration_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let t = moment(at, start)?;
    if !(0.0..=duration_s).contains(&t) {
        return Err(ExplainError::Question(format!("--at {at} is outside the run, which lasts {duration_s} s")));
    }

    let mine = |row: &Fields| &row["service"] == service;
    // The service's decisions, by scaling policies and by scheduled actions, in time order
    // (a scheduled action before a policy at the same moment: it sets the range first).
    let mut decisions = read_until(&dir.join(csv_out::SCHEDULED_EVENTS), t, mine)?;
    decisions.extend(read_until(&dir.join(csv_out::SCALING_EVENTS), t, mine)?);
    decisions.sort_by(|a, b| seconds(a).total_cmp(&seconds(b)));
    // Its tasks up to `t`: each one's latest state.
    let mut tasks: BTreeMap<String, (String, bool)> = BTreeMap::new();
    scan(&dir.join(csv_out::TASK_EVENTS), t, mine, |row| {
        if seconds(&row) <= t {
            tasks.insert(row["task"].clone(), (row["to_state"].clone(), row["instance"].is_empty()));
        }
    })?;
    // The series interval `t` falls in.
    let mut interval = None;
    scan(&dir.join(csv_out::SERIES), t, mine, |row| {
        if seconds(&row) <= t {
            interval = Some(row);
        }
    })?;
    let mut story = String::new();

    // The moment itself, to the millisecond the files keep: tasks from their state changes,
    // the desired count from the latest decision (or the scenario's initial count).
    let count = |states: &[&str]| tasks.values().filter(|(state, _)| states.contains(&state.as_str())).count();
    let desired = decisions
        .iter()
        .rev()
        .find(|r| seconds(r) <= t)
        .map_or_else(|| service_config(scenario, service)["desired_count"].to_string(), |r| r["desired_after"].clone());
    let _ = writeln!(
        story,
        "{service} at {} ({t} s): {} task(s) RUNNING, {} starting (PROVISIONING or PENDING), {} stopping; desired count {desired}.",
        timestamp(start, t),
        count(&["RUNNING"]),
        count(&["PROVISIONING", "PENDING"]),
        count(&["DEACTIVATING", "STOPPING"]),
    );
    if let Some(row) = interval {
        let cpu = if row["cpu_utilization_mean_pct"].is_empty() {
            "no CPU datapoint (no task running)".to_owned()
        } else {
            format!("CPU {} % on average", row["cpu_utilization_mean_pct"])
        };
        let _ = writeln!(
            story,
            "The series interval from {} ({} s) it falls in: {} requests/s offered, {} unserved, {} tasks running on average (at most {}), desired count {} at its end, {cpu}.",
            row["timestamp"],
            row["time_s"],
            row["offered_rps"],
            row["unserved_requests"],
            row["tasks_running_mean"],
            row["tasks_running_max"],
            row["desired_count"]
        );
    }

    let groups: Vec<String> = service_config(scenario, service)["launch"]["ec2"]["providers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| scenario["providers"][p[0].as_u64()? as usize]["name"].as_str().map(str::to_owned))
        .collect();
    if !groups.is_empty() {
        let waiting = tasks.values().filter(|(state, unplaced)| state == "PROVISIONING" && *unplaced).count();
        capacity_story(&mut story, dir, service, waiting, &groups, t)?;
    }
    if dir.join(csv_out::DEPLOYMENT_EVENTS).exists() {
        deployment_story(&mut story, dir, service, t)?;
    }
    if dir.join("outages.csv").exists() {
        outage_story(&mut story, dir, service, t)?;
    }

    let Some(last) = decisions.iter().rev().map(seconds).find(|&s| s <= t) else {
        let _ = writeln!(story, "No scaling decision was taken for {service} up to then.");
        return Ok(story);
    };
    let when = decisions.iter().find(|r| seconds(r) == last).map_or("", |r| r["timestamp"].as_str());
    if last < t {
        let _ = writeln!(
            story,
            "Nothing was decided at that moment; the latest decisions before it, at {when} ({last} s):"
        );
    } else {
        let _ = writeln!(story, "At {when} ({last} s):");
    }
    for row in decisions.iter().filter(|r| seconds(r) == last) {
        story.push_str("- ");
        story.push_str(&describe(row));
        story.push('\n');
    }
    if let Some(next) = decisions.iter().find(|r| seconds(r) > t) {
        let by = if next.contains_key("action") {
            format!("scheduled action {}", next["action"])
        } else {
            format!("{} by {}", next["event"], next["policy"])
        };
        let _ = writeln!(story, "The next decision came at {} ({} s): {by}.", next["timestamp"], next["time_s"]);
    }
    Ok(story)
}

/// The service's latest deployment started by `t`: its bounds, where it stood at `t` (tasks of
/// the new revision and of the old, healthy ones, the circuit breaker's count), how it ended
/// and what its surge cost (from `deployments.csv`).
fn deployment_story(story: &mut String, dir: &Path, service: &str, t: f64) -> Result<(), ExplainError> {
    let steps = read_until(&dir.join(csv_out::DEPLOYMENT_EVENTS), t, |row| &row["service"] == service)?;
    let Some(start) =
        steps.iter().rev().find(|r| seconds(r) <= t && r["step"] == "started" && r["rollback"] == "false")
    else {
        return Ok(());
    };
    let (name, number) = (&start["deployment"], &start["number"]);
    let this = |r: &&Row| &r["deployment"] == name && &r["number"] == number;
    let _ = writeln!(
        story,
        "Deployment {name} #{number} started at {} ({} s): at a desired count of {}, at least {} healthy task(s) and at most {} RUNNING or PENDING.",
        start["timestamp"], start["time_s"], start["desired"], start["minimum_healthy"], start["maximum"]
    );
    if let Some(now) = steps.iter().filter(this).rev().find(|r| seconds(r) <= t) {
        let breaker = if now["failure_threshold"].is_empty() {
            String::new()
        } else {
            format!("; circuit breaker {} of {} failures", now["failures"], now["failure_threshold"])
        };
        let phase = if now["rollback"] == "true" { "rolling back: " } else { "" };
        let _ = writeln!(
            story,
            "At {} ({} s), its latest step ({phase}{}): {} task(s) of the revision it brings, {} of others, {} healthy{breaker}.",
            now["timestamp"], now["time_s"], now["step"], now["new_tasks"], now["old_tasks"], now["healthy"]
        );
    }
    if let Some(next) = steps.iter().filter(this).find(|r| seconds(r) > t) {
        let _ =
            writeln!(story, "Its next step came at {} ({} s): {}.", next["timestamp"], next["time_s"], next["step"]);
    }
    let path = dir.join("deployments.csv");
    if path.exists() {
        let fail = |reason: String| ExplainError::Read { file: path.display().to_string(), reason };
        let mut reader = csv::Reader::from_path(&path).map_err(|e| fail(e.to_string()))?;
        let rows: Vec<Row> = reader.deserialize().collect::<Result<_, _>>().map_err(|e| fail(e.to_string()))?;
        let field = |d: &Row, key: &str| d.get(key).cloned().unwrap_or_default();
        let found = rows.iter().find(|d| {
            field(d, "service") == service && &field(d, "deployment") == name && &field(d, "number") == number
        });
        if let Some(d) = found {
            let d: Row = super::summary::DEPLOYMENTS_HEADER.iter().map(|&k| (k.to_owned(), field(d, k))).collect();
            let ended = if d["ended_s"].is_empty() {
                "was still going at the end of the run".to_owned()
            } else {
                format!("ended at {} s", d["ended_s"])
            };
            let _ = writeln!(
                story,
                "Its revision's tasks have {} CPU units and {} MiB. It {ended}, {}: at most {} task(s) beyond the desired count ({} task-seconds), {} instance(s) beyond those at its start ({} instance-seconds), surge cost {} USD, {} requests unserved, {} task(s) of the new revision failed.",
                d["task_cpu"],
                d["task_memory"],
                d["outcome"].replace('_', " "),
                d["peak_extra_tasks"],
                d["extra_task_seconds"],
                d["peak_extra_instances"],
                d["extra_instance_seconds"],
                d["surge_cost_usd"],
                d["unserved_requests"],
                d["failed_tasks"]
            );
        }
    }
    Ok(())
}

/// The outages that had begun by `t` and whose zone had not returned, or from which the service
/// had not yet recovered: what it lost, when it was back, what went unserved (`outages.csv`).
fn outage_story(story: &mut String, dir: &Path, service: &str, t: f64) -> Result<(), ExplainError> {
    let path = dir.join("outages.csv");
    let fail = |reason: String| ExplainError::Read { file: path.display().to_string(), reason };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| fail(e.to_string()))?;
    let rows: Vec<Row> = reader.deserialize().collect::<Result<_, _>>().map_err(|e| fail(e.to_string()))?;
    let field = |r: &Row, key: &str| r.get(key).cloned().unwrap_or_default();
    let number = |r: &Row, key: &str| field(r, key).parse::<f64>().ok();
    for row in rows.iter().filter(|r| field(r, "kind") == "service" && field(r, "name") == service) {
        let (Some(start), Some(end)) = (number(row, "start_s"), number(row, "end_s")) else { continue };
        let back = number(row, "recovery_s").map(|r| start + r);
        if t < start || (t >= end && back.is_some_and(|b| t >= b)) {
            continue;
        }
        let recovery = match back {
            Some(b) => format!("back to its count of tasks {} s after (at {b} s)", b - start),
            None => "never back to its count of tasks in the run".to_owned(),
        };
        let _ = writeln!(
            story,
            "Availability Zone {} was lost from {start} s to {end} s (outage {}): {service} lost {} task(s) there, was {recovery}, and left {} requests unserved until then.",
            field(row, "zone"),
            field(row, "outage"),
            field(row, "lost"),
            field(row, "unserved_requests")
        );
    }
    Ok(())
}

/// The resolved configuration of `service` in `run.json`'s scenario.
fn service_config<'a>(scenario: &'a serde_json::Value, service: &str) -> &'a serde_json::Value {
    let services = scenario["services"].as_array().map_or(&[][..], Vec::as_slice);
    services.iter().find(|s| s["name"] == service).unwrap_or(&serde_json::Value::Null)
}

/// `t` seconds after the run's start as an RFC 3339 time.
fn timestamp(start_unix_ms: i64, t: f64) -> String {
    jiff::Timestamp::from_millisecond(start_unix_ms.saturating_add((t * 1000.0).round() as i64))
        .map_or_else(|_| format!("{t} s"), |time| time.to_string())
}

/// An EC2 service's side of the cluster at `t`: its tasks waiting for an instance, the
/// placements that failed, and each of its groups' latest managed-scaling decision.
fn capacity_story(
    story: &mut String,
    dir: &Path,
    service: &str,
    waiting: usize,
    groups: &[String],
    t: f64,
) -> Result<(), ExplainError> {
    if waiting > 0 {
        let _ = writeln!(story, "{waiting} task(s) of {service} were waiting in PROVISIONING for room on an instance.");
    }
    let failures = read_until(&dir.join(csv_out::PLACEMENT_EVENTS), t, |row| &row["service"] == service)?;
    if let Some(failure) = failures.iter().rev().find(|r| seconds(r) <= t) {
        let _ = writeln!(
            story,
            "The latest launch that could not be placed, at {} ({} s): {}; the scheduler tries again each tick.",
            failure["timestamp"], failure["time_s"], failure["reason"]
        );
    }
    let decisions =
        read_until(&dir.join(csv_out::GROUP_EVENTS), t, |row| groups.iter().any(|g| g == &row["provider"]))?;
    for group in groups {
        let Some(row) = decisions.iter().rev().find(|r| r["provider"] == *group && seconds(r) <= t) else { continue };
        if row["event"] == "scheduled_action" {
            let _ = writeln!(
                story,
                "Capacity provider {group}, latest decision at {} ({} s): its scheduled action {} set min_size {}, max_size {}, and the desired capacity from {} to {} instances.",
                row["timestamp"],
                row["time_s"],
                row["scheduled_action"],
                row["min_size"],
                row["max_size"],
                row["desired_before"],
                row["desired_after"]
            );
            continue;
        }
        let effect = if row["changed"] == "false" {
            format!(
                "it wanted {} instances but {} held it at {}",
                row["proposed"], row["limited_by"], row["desired_after"]
            )
        } else {
            format!("the group went from {} to {} instances", row["desired_before"], row["desired_after"])
        };
        let _ = writeln!(
            story,
            "Capacity provider {group}, latest decision at {} ({} s): CapacityProviderReservation {} % against its target of {} % ({} instances, {} of them empty, {} tasks waiting); {effect}.",
            row["timestamp"],
            row["time_s"],
            row["capacity_provider_reservation_pct"],
            row["target_capacity_pct"],
            row["instances"],
            row["empty_instances"],
            row["tasks_waiting"]
        );
    }
    Ok(())
}

/// One decision row in words.
fn describe(row: &Row) -> String {
    let before = &row["desired_before"];
    let after = &row["desired_after"];
    if row.contains_key("action") {
        let effect = if before == after {
            format!("the desired count, {after}, was already within it")
        } else {
            format!("moved the desired count {before} → {after} at once, ignoring cooldowns")
        };
        return format!(
            "Scheduled action {} ({}) set the range to [{}, {}]; {effect}.",
            row["action"], row["schedule"], row["min_capacity"], row["max_capacity"]
        );
    }
    let datapoints: Vec<&str> = row["datapoints"].split(';').collect();
    let mut text = if row["from_zero"] == "true" {
        format!(
            "Policy {} was invoked with no task running, on the first datapoint of its {} that breached ({}): from zero, Service Auto Scaling waits for one datapoint, not the whole alarm, and adds the minimum, one task, then scales from the running count again; the datapoints, oldest first: {}. ",
            row["policy"],
            row["alarm"],
            row["alarm_condition"],
            datapoints.join(", ")
        )
    } else {
        format!(
            "Policy {} was invoked because its {} was in ALARM ({}); the datapoints it saw, oldest first: {}. ",
            row["policy"],
            row["alarm"],
            row["alarm_condition"],
            datapoints.join(", ")
        )
    };
    let direction = if row["event"] == "scale_out" { "out" } else { "in" };
    let _ = write!(
        text,
        "From {} running tasks and a metric of {}, it asked to scale {direction} to {} tasks. ",
        row["running_count"], row["metric_value"], row["proposed"]
    );
    text.push_str(&match (row["limited_by"].as_str(), row["won"].as_str()) {
        ("", "true") => format!("The desired count went {before} → {after}."),
        ("min_capacity" | "max_capacity", "true") => {
            format!("{} clamped it: the desired count went {before} → {after}.", row["limited_by"])
        }
        ("min_capacity" | "max_capacity", _) => format!("{} held the desired count at {after}.", row["limited_by"]),
        ("scale_out_cooldown", _) => format!(
            "The scale-out cooldown held it: the capacity an earlier scale-out added counts toward this one, so the desired count stayed {after}."
        ),
        ("scale_in_cooldown", _) => format!("The scale-in cooldown blocked it: the desired count stayed {after}."),
        _ => format!("Another policy asked for more capacity and won: this one left the desired count at {after}."),
    });
    text
}
