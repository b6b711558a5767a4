//! `ecsim import`: a scenario from the JSON the AWS CLI prints for a running setup. Each file
//! is recognised by its content (its top-level key), not its name. What maps onto a scenario
//! key is written with a comment naming the JSON field it came from; what does not is a
//! warning with its JSON path, never dropped in silence. ecsim never calls AWS.
//!
//! Recognised ([`KINDS`]): `aws ecs describe-clusters`, `describe-services`,
//! `describe-task-definition`, `describe-capacity-providers`; `aws application-autoscaling
//! describe-scalable-targets`, `describe-scaling-policies`, `describe-scheduled-actions`;
//! `aws autoscaling describe-auto-scaling-groups`; `aws cloudwatch describe-alarms` and
//! `get-metric-data` (the load, and the history `calibrate` reads; pages joined by `Id`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod capacity;
mod scaling;
mod service;

/// What `import` makes: the scenario's text, the load traces beside it (file name, CSV) and
/// the warnings.
#[derive(Debug)]
pub struct Imported {
    pub scenario: String,
    pub traces: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// The folder holds the CPU history of its one service: calibrate the scenario from it.
    pub calibrate: bool,
}

/// Why a folder could not be imported: the file, the JSON path, what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {reason}")]
    Read { file: String, reason: String },
    #[error("{file}: `{path}`: {reason}")]
    Field { file: String, path: String, reason: String },
    #[error("{0}")]
    Missing(String),
}

/// One JSON document and where it came from: `file` for errors, `name` (the file's name in
/// the folder) for warnings and the scenario's comments.
struct Document {
    file: String,
    name: String,
    json: Value,
}

/// Datapoints: Unix seconds and the value, in time order.
pub(super) type Points = Vec<(i64, f64)>;
/// Every `get-metric-data` result by its `Id`.
pub(super) type SeriesById = BTreeMap<String, Series>;

/// One `get-metric-data` result, its pages joined: the first file it came from.
pub(super) struct Series {
    pub(super) label: String,
    pub(super) points: Points,
    pub(super) file: String,
}

/// Placeholder for what one task serves at 100 % CPU: no AWS API states it.
const REQUESTS_PER_TASK_PLACEHOLDER: f64 = 100.0;

/// Reads every `*.json` file of `dir` and builds the scenario.
pub fn import(dir: &Path) -> Result<Imported, ImportError> {
    Importer::default().run(&read_documents(dir)?)
}

/// Every `get-metric-data` result in `dir`, by `Id`, and the warnings reading them gave.
pub(super) fn metric_series(dir: &Path) -> Result<(SeriesById, Vec<String>), ImportError> {
    let documents = read_documents(dir)?;
    let pages: Vec<&Document> = documents.iter().filter(|d| d.json.get("MetricDataResults").is_some()).collect();
    let mut importer = Importer::default();
    let series = importer.load_series(&pages)?;
    Ok((series, importer.warnings))
}

fn read_documents(dir: &Path) -> Result<Vec<Document>, ImportError> {
    let read_dir = std::fs::read_dir(dir).map_err(|e| ImportError::Read {
        file: dir.display().to_string(),
        reason: format!("{e}; give the folder scripts/export-from-aws.sh wrote (its --out)"),
    })?;
    let mut paths: Vec<PathBuf> = read_dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut documents = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ImportError::Read { file: file.clone(), reason: e.to_string() })?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| ImportError::Read { file: file.clone(), reason: format!("not JSON: {e}") })?;
        let name = path.file_name().map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
        documents.push(Document { file, name, json });
    }
    Ok(documents)
}

#[derive(Default)]
struct Importer {
    warnings: Vec<String>,
    /// Whether the scenario will be calibrated from the folder's history.
    calibrate: bool,
}

/// A service as described, with where each part came from.
struct Service<'d> {
    file: &'d str,
    index: usize,
    json: &'d Value,
    name: String,
}

impl Service<'_> {
    /// Those of `items` whose Application Auto Scaling `ResourceId` is this service's
    /// (`service/CLUSTER/NAME`, the `service/...` part of its ARN).
    fn resource_items<'a, 'd>(&self, items: &'a [Item<'d>]) -> Vec<&'a Item<'d>> {
        let resource = self.json["serviceArn"].as_str().and_then(|arn| arn.split(':').nth(5)).unwrap_or("");
        let suffix = format!("/{}", self.name);
        items
            .iter()
            .filter(|i| i.json["ResourceId"].as_str().is_some_and(|r| r == resource || r.ends_with(&suffix)))
            .collect()
    }
}

/// One element of a top-level list of a document: where it is and what it says.
struct Item<'d> {
    file: &'d str,
    /// Its JSON path, e.g. `ScalingPolicies[2]`.
    path: String,
    json: &'d Value,
}

impl Item<'_> {
    /// The JSON path of one of its fields.
    fn at(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }
}

/// The folder's documents sorted by the command that printed them.
#[derive(Default)]
struct Inputs<'d> {
    services: Vec<Service<'d>>,
    task_definitions: Vec<Item<'d>>,
    targets: Vec<Item<'d>>,
    policies: Vec<Item<'d>>,
    alarms: Vec<Item<'d>>,
    scheduled_actions: Vec<Item<'d>>,
    providers: Vec<Item<'d>>,
    groups: Vec<Item<'d>>,
    clusters: Vec<Item<'d>>,
    metrics: Vec<&'d Document>,
}

/// The top-level key that names each command's output, and the command.
const KINDS: [(&str, &str); 10] = [
    ("services", "aws ecs describe-services"),
    ("taskDefinition", "aws ecs describe-task-definition"),
    ("capacityProviders", "aws ecs describe-capacity-providers"),
    ("clusters", "aws ecs describe-clusters"),
    ("ScalableTargets", "aws application-autoscaling describe-scalable-targets"),
    ("ScalingPolicies", "aws application-autoscaling describe-scaling-policies"),
    ("ScheduledActions", "aws application-autoscaling describe-scheduled-actions"),
    ("AutoScalingGroups", "aws autoscaling describe-auto-scaling-groups"),
    ("MetricAlarms", "aws cloudwatch describe-alarms"),
    ("MetricDataResults", "aws cloudwatch get-metric-data"),
];

impl<'d> Inputs<'d> {
    fn sort(documents: &'d [Document]) -> Result<Inputs<'d>, ImportError> {
        let mut inputs = Inputs::default();
        for d in documents {
            let Some(object) = d.json.as_object() else {
                return Err(ImportError::Read {
                    file: d.file.clone(),
                    reason: "expected a JSON object, as the AWS CLI prints".into(),
                });
            };
            let Some((kind, _)) = KINDS.iter().find(|(k, _)| object.contains_key(*k)) else {
                let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                return Err(ImportError::Read {
                    file: d.file.clone(),
                    reason: format!(
                        "not output of a command `import` knows (its top-level keys name none: {})",
                        known.join(", ")
                    ),
                });
            };
            let items = |key: &str| -> Result<Vec<Item<'d>>, ImportError> {
                Ok(array(d, key)?
                    .iter()
                    .enumerate()
                    .map(|(i, json)| Item { file: &d.name, path: format!("{key}[{i}]"), json })
                    .collect())
            };
            match *kind {
                "services" => {
                    for (index, s) in array(d, "services")?.iter().enumerate() {
                        let name = string(d, s, &format!("services[{index}].serviceName"), "serviceName")?.to_owned();
                        inputs.services.push(Service { file: &d.name, index, json: s, name });
                    }
                }
                "taskDefinition" => inputs.task_definitions.push(Item {
                    file: &d.name,
                    path: "taskDefinition".into(),
                    json: &d.json["taskDefinition"],
                }),
                "capacityProviders" => inputs.providers.extend(items(kind)?),
                "clusters" => inputs.clusters.extend(items(kind)?),
                "ScalableTargets" => inputs.targets.extend(items(kind)?),
                "ScalingPolicies" => inputs.policies.extend(items(kind)?),
                "ScheduledActions" => inputs.scheduled_actions.extend(items(kind)?),
                "AutoScalingGroups" => inputs.groups.extend(items(kind)?),
                "MetricAlarms" => inputs.alarms.extend(items(kind)?),
                _ => inputs.metrics.push(d),
            }
        }
        Ok(inputs)
    }
}

impl Importer {
    fn warn(&mut self, file: &str, path: &str, what: impl std::fmt::Display) {
        self.warnings.push(format!("{file}: `{path}`: {what}"));
    }

    fn run(mut self, documents: &[Document]) -> Result<Imported, ImportError> {
        let inputs = Inputs::sort(documents)?;
        if inputs.services.is_empty() {
            return Err(ImportError::Missing("no `aws ecs describe-services` output in the folder".into()));
        }
        let series = self.load_series(&inputs.metrics)?;
        let mut text = String::new();
        let mut traces = Vec::new();
        let first = &inputs.services[0];
        let region = first.json["serviceArn"].as_str().and_then(|arn| arn.split(':').nth(3)).unwrap_or("us-east-1");
        let _ =
            writeln!(text, "# Imported by `ecsim import` from the AWS CLI's JSON. Each value says where it came from.");
        let _ = writeln!(text, "version = 1");
        let _ = writeln!(text, "name = {}", quoted(&file_safe(&first.name)));
        let _ = writeln!(text, "region = {}  # {}: services[0].serviceArn", quoted(region), first.file);
        if region != "us-east-1" {
            self.warn(first.file, "services[0].serviceArn", format!("region {region}: ecsim's built-in Fargate prices are us-east-1's; add `prices = \"FILE\"` with that region's rows (columns of shared/data/pricing/fargate.csv)"));
        }
        let mut loads = String::new();
        let mut window: Option<(i64, i64)> = None;
        for service in &inputs.services {
            let load = self.service_load(service, &series, inputs.services.len());
            let Some((label, bucket_s, points)) = load else {
                let _ =
                    writeln!(loads, "\n[loads.{}]  # placeholder: no RequestCount history for it", key(&service.name));
                let _ = writeln!(loads, "shape = \"constant\"\nvalue = 0.0");
                continue;
            };
            let mut file = format!("load-{}.csv", file_safe(&service.name));
            if traces.iter().any(|(taken, _)| *taken == file) {
                file = format!("load-{}-{}.csv", file_safe(&service.name), service.index); // `a b` and `a_b`
            }
            let (start, end) = (points[0].0, points[points.len() - 1].0 + bucket_s);
            window = Some(window.map_or((start, end), |(s, e)| (s.max(start), e.min(end))));
            let mut csv = String::from("timestamp_seconds,requests\n");
            for (t, v) in &points {
                let _ = writeln!(csv, "{t},{v}");
            }
            let _ = writeln!(loads, "\n[loads.{}]  # get-metric-data result {}", key(&service.name), quoted(&label));
            let _ = writeln!(
                loads,
                "shape = \"trace\"\nfile = {}\nbucket = \"{bucket_s}s\"  # the datapoints' spacing (the query's Period)",
                quoted(&file)
            );
            let _ = writeln!(
                loads,
                "gaps = \"zero\"  # CloudWatch has no RequestCount datapoint for a period without requests"
            );
            traces.push((file, csv));
        }
        match window {
            Some((start, end)) if end > start => {
                let start = jiff::Timestamp::from_second(start).map_err(|e| ImportError::Missing(e.to_string()))?;
                let _ = writeln!(text, "start = \"{start}\"  # the first datapoint of the load");
                let seconds = end - start.as_second();
                let duration =
                    if seconds % 86_400 == 0 { format!("{}d", seconds / 86_400) } else { format!("{seconds}s") };
                let _ = writeln!(text, "duration = \"{duration}\"  # to the end of the last datapoint's period");
            }
            Some(_) => {
                self.warn("(folder)", "MetricDataResults", "the services' request histories share no period: a day is simulated; set `start` and `duration` by hand");
                let _ = writeln!(text, "duration = \"1d\"");
            }
            None => {
                self.warn("(folder)", "MetricDataResults", "no load imported: a placeholder load of 0 requests/s for a day; export RequestCount with get-metric-data");
                let _ = writeln!(text, "duration = \"1d\"");
            }
        }
        let calibration_series = ["CPUUtilization", "MemoryUtilization", "RunningTaskCount", "DesiredTaskCount"];
        for (id, s) in &series {
            if load_kind(id, s).is_none() && !calibration_series.iter().any(|name| s.label.contains(name)) {
                self.warn(
                    &s.file,
                    &format!("MetricDataResults[Id = {id}]"),
                    format!(
                        "{} is neither a load (RequestCount) nor a series calibration uses ({}): left out",
                        s.label,
                        calibration_series.join(", ")
                    ),
                );
            }
        }
        self.calibrate = inputs.services.len() == 1 && series.values().any(|s| s.label.contains("CPUUtilization"));
        let providers = self.cluster(&mut text, &inputs);
        text.push_str(&loads);
        for service in &inputs.services {
            self.service(&mut text, service, &inputs);
        }
        self.capacity_providers(&mut text, &inputs, &providers);
        self.unused_alarms(&inputs);
        Ok(Imported { scenario: text, traces, warnings: self.warnings, calibrate: self.calibrate })
    }

    /// Every `get-metric-data` result, pages joined by `Id`: its label and its datapoints
    /// (Unix seconds, value) in time order, repeats dropped.
    fn load_series(&mut self, pages: &[&Document]) -> Result<SeriesById, ImportError> {
        let mut series = SeriesById::new();
        for d in pages {
            for (i, result) in array(d, "MetricDataResults")?.iter().enumerate() {
                let at = |field: &str| format!("MetricDataResults[{i}].{field}");
                let id = string(d, result, &at("Id"), "Id")?.to_owned();
                let label = result["Label"].as_str().unwrap_or(&id).to_owned();
                let field = |name: &str| {
                    result[name].as_array().ok_or_else(|| ImportError::Field {
                        file: d.file.clone(),
                        path: at(name),
                        reason: "expected a list".into(),
                    })
                };
                let (times, values) = (field("Timestamps")?, field("Values")?);
                if times.len() != values.len() {
                    return Err(ImportError::Field {
                        file: d.file.clone(),
                        path: at("Values"),
                        reason: format!("{} values for {} timestamps", values.len(), times.len()),
                    });
                }
                if result["StatusCode"].as_str().is_some_and(|s| s != "Complete") && d.json.get("NextToken").is_none() {
                    self.warn(&d.name, &at("StatusCode"), "not Complete and no NextToken: the history may be partial");
                }
                let entry =
                    series.entry(id).or_insert_with(|| Series { label, points: Vec::new(), file: d.name.clone() });
                for (k, (t, v)) in times.iter().zip(values).enumerate() {
                    let when = t.as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).ok_or_else(|| {
                        ImportError::Field {
                            file: d.file.clone(),
                            path: at(&format!("Timestamps[{k}]")),
                            reason: format!("found {t}; expected an ISO 8601 time, e.g. 2026-01-05T00:00:00+00:00"),
                        }
                    })?;
                    let value =
                        v.as_f64().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| ImportError::Field {
                            file: d.file.clone(),
                            path: at(&format!("Values[{k}]")),
                            reason: format!("found {v}; expected a count of requests, 0 or more"),
                        })?;
                    entry.points.push((when.as_second(), value));
                }
            }
        }
        for Series { points, .. } in series.values_mut() {
            points.sort_by_key(|p| p.0);
            points.dedup_by_key(|p| p.0);
        }
        Ok(series)
    }

    /// The `RequestCount` series that is `service`'s load: the one whose label or id names it,
    /// or the only one there is for a single service. Its label, bucket and datapoints.
    fn service_load(
        &mut self,
        service: &Service,
        series: &SeriesById,
        services: usize,
    ) -> Option<(String, i64, Points)> {
        let Some(found) = requests_of(series, &service.name, services) else {
            self.warn(
                service.file,
                &format!("services[{}]", service.index),
                "no RequestCount result names this service (its Id or Label): it gets a placeholder load",
            );
            return None;
        };
        let (id, label, file) = (found.id, found.label, found.file);
        let points = match found.points {
            Ok(points) => {
                if label.contains("PerTarget") {
                    self.warn(file, &format!("MetricDataResults[Id = {id}]"), "RequestCountPerTarget times RunningTaskCount, minute by minute (a target per RUNNING task): the target group's RequestCount, if you can export it, says it directly");
                }
                points
            }
            Err(why) => {
                self.warn(file, &format!("MetricDataResults[Id = {id}]"), why);
                return None;
            }
        };
        if points.len() < 2 {
            self.warn(file, &format!("MetricDataResults[Id = {id}]"), "fewer than two datapoints: no load imported");
            return None;
        }
        let bucket = points.windows(2).map(|w| w[1].0 - w[0].0).min().unwrap_or(60).max(1);
        let gaps = points.windows(2).filter(|w| w[1].0 - w[0].0 > bucket).count();
        if gaps > 0 {
            self.warn(
                file,
                &format!("MetricDataResults[Id = {id}]"),
                format!("{gaps} gap(s) between datapoints, replayed as periods without requests"),
            );
        }
        Some((label, bucket, points))
    }
}

/// What kind of load a `get-metric-data` result is, in order of preference: 0 a custom metric
/// counting requests (`Id` `load_…`), 1 the target group's `RequestCount`, 2
/// `RequestCountPerTarget`; `None` for another series.
fn load_kind(id: &str, s: &Series) -> Option<u8> {
    if id.starts_with("load_") {
        Some(0)
    } else if s.label.contains("RequestCountPerTarget") {
        Some(2)
    } else if s.label.contains("RequestCount") || id.starts_with("request") {
        Some(1)
    } else {
        None
    }
}

/// Whether a result's label or id names `service`, as `scripts/export-from-aws.sh` names
/// them: the label `METRIC SERVICE` (or the name alone) or the id `metric_SERVICE`, the
/// name's characters other than letters, digits and `_` made `_`. A name merely inside another
/// (`web` in `storefront-web`) does not count.
pub(super) fn names_service(id: &str, label: &str, service: &str) -> bool {
    let safe: String = service.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    label == service
        || label.ends_with(&format!(" {service}"))
        || id.split_once('_').is_some_and(|(_, name)| name == safe)
}

/// Of `candidates`, the one that names `service`; or the only one, when the folder is about a
/// single service; else none (several, none of them this service's: refusing beats guessing).
pub(super) fn of_service<'s>(
    candidates: &[(&'s String, &'s Series)],
    service: &str,
    services: usize,
) -> Option<(&'s String, &'s Series)> {
    let named: Vec<&(&String, &Series)> =
        candidates.iter().filter(|(id, s)| names_service(id, &s.label, service)).collect();
    match (named.as_slice(), candidates) {
        ([one], _) => Some(**one),
        ([], [only]) if services == 1 => Some(*only),
        _ => None,
    }
}

/// The requests of one service: a load series found, or why it cannot be used.
pub(super) struct Requests<'s> {
    pub(super) id: &'s str,
    pub(super) label: String,
    pub(super) file: &'s str,
    /// The requests per period, or why there are none.
    pub(super) points: Result<Points, &'static str>,
}

/// The requests of `service` (one of `services`): a result with `Id` `load_…` (a custom
/// metric that counts them), else the target group's `RequestCount`, else
/// `RequestCountPerTarget` times the service's `RunningTaskCount`; of several, the one whose
/// label or id names the service, or the only one there is for a single service.
pub(super) fn requests_of<'s>(series: &'s SeriesById, service: &str, services: usize) -> Option<Requests<'s>> {
    let (id, found) = (0..3).find_map(|wanted| {
        let candidates: Vec<(&String, &Series)> =
            series.iter().filter(|(id, s)| load_kind(id, s) == Some(wanted)).collect();
        of_service(&candidates, service, services)
    })?;
    let mut points = Ok(found.points.clone());
    if load_kind(id, found) == Some(2) {
        let tasks: Vec<(&String, &Series)> = series
            .iter()
            .filter(|(id, s)| {
                s.label.contains("RunningTaskCount") || id.as_str() == "tasks" || id.starts_with("tasks_")
            })
            .collect();
        let running = of_service(&tasks, service, services);
        points = match running {
            Some((_, tasks)) => {
                let tasks: BTreeMap<i64, f64> = tasks.points.iter().copied().collect();
                Ok(found.points.iter().filter_map(|&(t, v)| Some((t, v * tasks.get(&t)?))).collect())
            }
            None => Err(
                "RequestCountPerTarget counts per task, and there is no RunningTaskCount of the service to multiply it by: export the target group's RequestCount, or Container Insights' RunningTaskCount",
            ),
        };
    }
    Some(Requests { id, label: found.label.clone(), file: &found.file, points })
}

/// The elements of a JSON list; none if it is absent or not a list.
fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn array<'d>(d: &'d Document, key: &str) -> Result<&'d Vec<Value>, ImportError> {
    d.json[key].as_array().ok_or_else(|| ImportError::Field {
        file: d.file.clone(),
        path: key.into(),
        reason: "expected a list".into(),
    })
}

fn string<'v>(d: &Document, value: &'v Value, path: &str, field: &str) -> Result<&'v str, ImportError> {
    value[field].as_str().ok_or_else(|| ImportError::Field {
        file: d.file.clone(),
        path: path.into(),
        reason: "expected a string".into(),
    })
}

/// A TOML string, escaped.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML key: bare when it can be, else quoted.
fn key(name: &str) -> String {
    let bare = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_owned() } else { quoted(name) }
}

/// A name fit for a file of its own: ASCII letters, digits, `-` and `_`, at most 64.
fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    if safe.is_empty() { "service".into() } else { safe }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn imported(documents: Vec<Value>) -> Imported {
        let documents: Vec<Document> = documents
            .into_iter()
            .enumerate()
            .map(|(i, json)| Document { file: format!("f{i}.json"), name: format!("f{i}.json"), json })
            .collect();
        Importer::default().run(&documents).unwrap()
    }

    /// A service on EC2 whose task definition sizes only its containers (as the AWS CLI
    /// reference's `hello_world:8` example does): the task's CPU and memory are their sums,
    /// and the bridge network mode and placement strategies are kept.
    #[test]
    fn container_sizes_add_up_and_ec2_settings_are_kept() {
        let services = json!({"services": [{
            "serviceArn": "arn:aws:ecs:us-east-1:012345678910:service/default/wordpress",
            "serviceName": "wordpress", "launchType": "EC2", "desiredCount": 3,
            "taskDefinition": "arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8",
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}],
            "placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t2.*"}]
        }]});
        let task_definition = json!({"taskDefinition": {
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:012345678910:task-definition/hello_world:8",
            "networkMode": "bridge",
            "containerDefinitions": [
                {"name": "wordpress", "cpu": 10, "memory": 500, "essential": true},
                {"name": "mysql", "cpu": 10, "memory": 500, "essential": true}
            ],
            "volumes": [{"name": "data"}]
        }});
        let out = imported(vec![services, task_definition]);
        let scenario: toml::Value = toml::from_str(&out.scenario).unwrap();
        let web = &scenario["services"]["wordpress"];
        assert_eq!(
            (web["cpu"].as_integer(), web["memory"].as_integer()),
            (Some(128), Some(1000)),
            "10 + 10 CPU units is below ECS's 128 minimum"
        );
        assert_eq!(web["launch_type"].as_str(), Some("EC2"));
        assert_eq!(web["network_mode"].as_str(), Some("bridge"));
        assert_eq!((web["desired_count"].as_integer(), web["min_capacity"].as_integer()), (Some(3), Some(3)));
        let strategies = web["placement_strategy"].as_array().unwrap();
        assert_eq!(strategies[1]["type"].as_str(), Some("binpack"));
        assert_eq!(strategies[0]["field"].as_str(), Some("attribute:ecs.availability-zone"));
        let constraints = web["placement_constraints"].as_array().unwrap();
        assert_eq!(constraints[0]["type"].as_str(), Some("distinctInstance"));
        assert_eq!(constraints[1]["expression"].as_str(), Some("attribute:ecs.instance-type =~ t2.*"));
        assert!(out.warnings.iter().any(|w| w.contains("`taskDefinition.volumes`")), "{:?}", out.warnings);
        assert!(out.warnings.iter().any(|w| w.contains("no RequestCount")), "{:?}", out.warnings);
    }

    /// What cannot be mapped is a warning with its JSON path: a Spot part of a group, a
    /// group whose types only a launch template knows, a step policy whose alarm watches a
    /// metric ecsim does not model, an alarm no policy names, a second cluster.
    #[test]
    fn what_cannot_be_mapped_is_said_with_its_path() {
        let services = json!({"services": [{
            "serviceArn": "arn:aws:ecs:us-east-1:1:service/c/api", "serviceName": "api", "desiredCount": 2,
            "capacityProviderStrategy": [{"capacityProvider": "cp", "base": 0, "weight": 1}],
            "taskDefinition": "td"
        }]});
        let providers = json!({"capacityProviders": [
            {"name": "cp", "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/asg",
             "managedScaling": {"status": "DISABLED"}, "managedTerminationProtection": "DISABLED"}},
            {"name": "unused", "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:x"}}
        ]});
        let groups = json!({"AutoScalingGroups": [{"AutoScalingGroupName": "asg", "MinSize": 1, "MaxSize": 4, "DesiredCapacity": 1,
            "AvailabilityZones": ["us-east-1a", "us-east-1b"], "Instances": [],
            "MixedInstancesPolicy": {"InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": 20}}}]});
        let step = |name: &str, arn: &str, alarms: serde_json::Value| {
            json!({"PolicyName": name, "PolicyARN": arn, "ResourceId": "service/c/api",
            "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}, "Alarms": alarms})
        };
        let policies = json!({"ScalingPolicies": [step("queue", "arn:p", json!([{"AlarmName": "queue-deep"}])), step("cluster-cpu", "arn:q", json!([]))]});
        let alarms = json!({"MetricAlarms": [
            {"AlarmName": "queue-deep", "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "AlarmActions": ["arn:p"]},
            {"AlarmName": "disk-full", "Namespace": "CWAgent", "MetricName": "disk_used_percent", "AlarmActions": []},
            {"AlarmName": "busy", "Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "AlarmActions": ["arn:q"],
             "Dimensions": [{"Name": "ClusterName", "Value": "c"}]}
        ]});
        let clusters = json!({"clusters": [{"clusterName": "c"}, {"clusterName": "d"}]});
        let out = imported(vec![services, providers, groups, policies, alarms, clusters]);
        let scenario: toml::Value = toml::from_str(&out.scenario).unwrap();
        let group = &scenario["capacity_providers"]["cp"];
        assert_eq!(group["instance_types"][0].as_str(), Some("m5.large"), "a placeholder");
        assert_eq!(
            ["min_size", "max_size", "desired_capacity", "availability_zones"].map(|k| group[k].as_integer()),
            [Some(1), Some(4), Some(1), Some(2)]
        );
        assert!(group.get("managed_scaling").is_none(), "managed scaling DISABLED");
        assert!(scenario["services"]["api"].get("step_scaling").is_none());
        assert!(
            !out.warnings.iter().any(|w| w.contains("\"busy\" invokes no scaling policy")),
            "invoked by its action"
        );
        for expected in [
            "f2.json: `AutoScalingGroups[0].Instances`: no instance type",
            "f2.json: `AutoScalingGroups[0].MixedInstancesPolicy.InstancesDistribution`: Spot instances",
            "f4.json: `MetricAlarms[0].MetricName`: AWS/SQS ApproximateNumberOfMessagesVisible",
            "f4.json: `MetricAlarms[1]`: alarm \"disk-full\" invokes no scaling policy",
            "f1.json: `capacityProviders[1]`: capacity provider \"unused\" is in no imported strategy",
            "f5.json: `clusters[1]`: a second cluster",
            "f4.json: `MetricAlarms[2].Dimensions`: the alarm watches the cluster (no ServiceName dimension), not the service \"api\"",
            "no describe-task-definition output for td",
        ] {
            assert!(out.warnings.iter().any(|w| w.contains(expected)), "{expected}: {:#?}", out.warnings);
        }
    }

    /// RequestCountPerTarget counts per task: times RunningTaskCount, minute by minute, it is
    /// the service's requests (3 tasks × 100, then 4 × 90); without the task count, no load.
    #[test]
    fn requests_per_target_times_the_running_tasks_are_the_load() {
        let services = json!({"services": [{"serviceArn": "arn:aws:ecs:us-east-1:1:service/c/api", "serviceName": "api", "launchType": "FARGATE", "desiredCount": 3}]});
        let per_target = json!({"Id": "rpt", "Label": "RequestCountPerTarget", "Timestamps": ["2026-01-05T00:00:00Z", "2026-01-05T00:01:00Z"], "Values": [100.0, 90.0]});
        let tasks = json!({"Id": "tasks_api", "Label": "RunningTaskCount api", "Timestamps": ["2026-01-05T00:00:00Z", "2026-01-05T00:01:00Z"], "Values": [3.0, 4.0]});
        let out = imported(vec![services.clone(), json!({"MetricDataResults": [per_target.clone(), tasks]})]);
        assert_eq!(out.traces[0].1, "timestamp_seconds,requests\n1767571200,300\n1767571260,360\n");
        assert!(out.warnings.iter().any(|w| w.contains("RequestCountPerTarget times RunningTaskCount")));
        let alone = imported(vec![services, json!({"MetricDataResults": [per_target]})]);
        assert!(alone.traces.is_empty());
        assert!(
            alone.warnings.iter().any(|w| w.contains("no RunningTaskCount of the service")),
            "{:?}",
            alone.warnings
        );
    }

    /// A container with only a hard limit reserves it: 512 soft + 256 hard reserve 768 of the
    /// 1024 + 256 the task may use.
    #[test]
    fn a_container_without_a_soft_limit_reserves_its_hard_one() {
        let services = json!({"services": [{"serviceArn": "arn:aws:ecs:us-east-1:1:service/c/api", "serviceName": "api", "launchType": "EC2", "desiredCount": 1, "taskDefinition": "td"}]});
        let td = json!({"taskDefinition": {"taskDefinitionArn": "td", "networkMode": "bridge", "containerDefinitions": [
            {"name": "app", "cpu": 256, "memory": 1024, "memoryReservation": 512},
            {"name": "sidecar", "cpu": 0, "memory": 256}
        ]}});
        let scenario: toml::Value = toml::from_str(&imported(vec![services, td]).scenario).unwrap();
        let api = &scenario["services"]["api"];
        assert_eq!((api["memory"].as_integer(), api["memory_reservation"].as_integer()), (Some(1280), Some(768)));
    }

    /// A series is a service's when its label ends with the name or its id with `_NAME`, as the
    /// export script writes them; `web` is not `storefront-web`.
    #[test]
    fn a_series_names_a_service_by_the_export_scripts_rule() {
        assert!(names_service("cpu_web", "CPUUtilization web", "web"));
        assert!(names_service("cpu_my_api", "x", "my-api"));
        assert!(!names_service("cpu_storefront_web", "CPUUtilization storefront-web", "web"));
        assert!(!names_service("web_requests", "RequestCount", "web"));
    }

    #[test]
    fn names_become_safe_keys_and_files() {
        assert_eq!(key("web-api_2"), "web-api_2");
        assert_eq!(key("web api"), "\"web api\"");
        assert_eq!(file_safe("../../etc/passwd"), "______etc_passwd");
        assert_eq!(file_safe(""), "service");
    }
}
