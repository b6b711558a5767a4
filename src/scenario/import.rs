//! `ecsim import`: a scenario from the JSON the AWS CLI prints for a running setup. Each file
//! is recognised by its content (its top-level key), not its name. What maps onto a scenario
//! key is written with a comment naming the JSON field it came from; what does not is a
//! warning with its JSON path, never dropped in silence. ecsim never calls AWS.
//!
//! Recognised: `aws ecs describe-services`, `describe-task-definition`,
//! `aws application-autoscaling describe-scalable-targets`, `describe-scaling-policies`
//! (target tracking), `aws cloudwatch get-metric-data` (the load: `RequestCount`, pages
//! joined by `Id`). Recognised but not mapped yet, each with a warning: capacity providers,
//! Auto Scaling groups, alarms, scheduled actions, clusters.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `import` makes: the scenario's text, the load traces beside it (file name, CSV) and
/// the warnings.
#[derive(Debug)]
pub struct Imported {
    pub scenario: String,
    pub traces: Vec<(String, String)>,
    pub warnings: Vec<String>,
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

/// One JSON document and where it came from.
struct Document {
    file: String,
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
    let read_dir = std::fs::read_dir(dir)
        .map_err(|e| ImportError::Read { file: dir.display().to_string(), reason: e.to_string() })?;
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
        documents.push(Document { file, json });
    }
    Ok(documents)
}

#[derive(Default)]
struct Importer {
    warnings: Vec<String>,
}

/// A service as described, with where each part came from.
struct Service<'d> {
    file: &'d str,
    index: usize,
    json: &'d Value,
    name: String,
}

impl Importer {
    fn warn(&mut self, file: &str, path: &str, what: impl std::fmt::Display) {
        self.warnings.push(format!("{file}: `{path}`: {what}"));
    }

    fn run(mut self, documents: &[Document]) -> Result<Imported, ImportError> {
        let mut services = Vec::new();
        let mut task_definitions = Vec::new();
        let mut targets = Vec::new();
        let mut policies = Vec::new();
        let mut metrics = Vec::new();
        for d in documents {
            let Some(object) = d.json.as_object() else {
                return Err(ImportError::Read {
                    file: d.file.clone(),
                    reason: "expected a JSON object, as the AWS CLI prints".into(),
                });
            };
            let kind = ["services", "taskDefinition", "ScalableTargets", "ScalingPolicies", "MetricDataResults"]
                .into_iter()
                .find(|k| object.contains_key(*k));
            match kind {
                Some("services") => {
                    for (index, s) in array(d, "services")?.iter().enumerate() {
                        let name = string(d, s, &format!("services[{index}].serviceName"), "serviceName")?.to_owned();
                        services.push(Service { file: &d.file, index, json: s, name });
                    }
                }
                Some("taskDefinition") => task_definitions.push((d, &d.json["taskDefinition"])),
                Some("ScalableTargets") => targets.extend(array(d, "ScalableTargets")?.iter().map(|t| (d, t))),
                Some("ScalingPolicies") => {
                    policies.extend(array(d, "ScalingPolicies")?.iter().enumerate().map(|(i, p)| (d, i, p)))
                }
                Some(_) => metrics.push(d),
                None => {
                    let later =
                        ["capacityProviders", "AutoScalingGroups", "MetricAlarms", "ScheduledActions", "clusters"];
                    match later.iter().find(|k| object.contains_key(**k)) {
                        Some(key) => {
                            self.warn(&d.file, key, "recognised, not imported yet: add it to the scenario by hand")
                        }
                        None => {
                            return Err(ImportError::Read {
                                file: d.file.clone(),
                                reason: "not output of a command `import` knows (its top-level keys name none: services, taskDefinition, ScalableTargets, ScalingPolicies, MetricDataResults)".into(),
                            });
                        }
                    }
                }
            }
        }
        if services.is_empty() {
            return Err(ImportError::Missing("no `aws ecs describe-services` output in the folder".into()));
        }
        let series = self.load_series(&metrics)?;
        let mut text = String::new();
        let mut traces = Vec::new();
        let first = &services[0];
        let region = first.json["serviceArn"].as_str().and_then(|arn| arn.split(':').nth(3)).unwrap_or("us-east-1");
        let _ =
            writeln!(text, "# Imported by `ecsim import` from the AWS CLI's JSON. Each value says where it came from.");
        let _ = writeln!(text, "version = 1");
        let _ = writeln!(text, "name = {}", quoted(&file_safe(&first.name)));
        let _ = writeln!(text, "region = {}  # services[0].serviceArn", quoted(region));
        if region != "us-east-1" {
            self.warn(first.file, "services[0].serviceArn", format!("region {region}: ecsim's built-in Fargate prices are us-east-1's; add `prices = \"FILE\"` with that region's rows (columns of shared/data/pricing/fargate.csv)"));
        }
        let mut loads = String::new();
        let mut window: Option<(i64, i64)> = None;
        for service in &services {
            let load = self.service_load(service, &series, services.len());
            let Some((label, bucket_s, points)) = load else {
                let _ =
                    writeln!(loads, "\n[loads.{}]  # placeholder: no RequestCount history for it", key(&service.name));
                let _ = writeln!(loads, "shape = \"constant\"\nvalue = 0.0");
                continue;
            };
            {
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
                let _ =
                    writeln!(loads, "\n[loads.{}]  # get-metric-data result {}", key(&service.name), quoted(&label));
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
        }
        match window {
            Some((start, end)) if end > start => {
                let start = jiff::Timestamp::from_second(start).map_err(|e| ImportError::Missing(e.to_string()))?;
                let _ = writeln!(text, "start = \"{start}\"  # the first datapoint of the load");
                let _ = writeln!(text, "duration = \"{}s\"  # to the last datapoint", end - start.as_second());
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
        for (id, s) in &series {
            if !s.label.contains("RequestCount") && !id.contains("request") {
                self.warn(
                    &s.file,
                    &format!("MetricDataResults[Id = {id}]"),
                    format!(
                        "{} is not a load; ecsim does not use it yet (calibration against it is not built)",
                        s.label
                    ),
                );
            }
        }
        text.push_str(&loads);
        for service in &services {
            self.service(&mut text, service, &task_definitions, &targets, &policies);
        }
        Ok(Imported { scenario: text, traces, warnings: self.warnings })
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
                    self.warn(&d.file, &at("StatusCode"), "not Complete and no NextToken: the history may be partial");
                }
                let entry =
                    series.entry(id).or_insert_with(|| Series { label, points: Vec::new(), file: d.file.clone() });
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
        let requests: Vec<(&String, &Series)> =
            series.iter().filter(|(id, s)| s.label.contains("RequestCount") || id.contains("request")).collect();
        let named = requests.iter().find(|(id, s)| s.label.contains(&service.name) || id.contains(&service.name));
        let (id, Series { label, points, file }) = match (named, requests.as_slice()) {
            (Some(found), _) => *found,
            (None, [only]) if services == 1 => *only,
            _ => {
                self.warn(
                    service.file,
                    &format!("services[{}]", service.index),
                    "no RequestCount result names this service (its Id or Label): it gets a placeholder load",
                );
                return None;
            }
        };
        if label.contains("PerTarget") {
            self.warn(
                file,
                &format!("MetricDataResults[Id = {id}]"),
                "RequestCountPerTarget is per task; export the target group's RequestCount instead",
            );
            return None;
        }
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
        Some((label.clone(), bucket, points.clone()))
    }

    fn service(
        &mut self,
        text: &mut String,
        service: &Service,
        task_definitions: &[(&Document, &Value)],
        targets: &[(&Document, &Value)],
        policies: &[(&Document, usize, &Value)],
    ) {
        let s = service.json;
        let at = |field: &str| format!("services[{}].{field}", service.index);
        let _ = writeln!(text, "\n[services.{}]  # {}: {}", key(&service.name), service.file, at("serviceName"));
        let _ = writeln!(text, "load = {}  # the load of the same name above", quoted(&service.name));
        match (s["launchType"].as_str(), s["capacityProviderStrategy"].as_array()) {
            (_, Some(items)) if !items.is_empty() => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| {
                        format!(
                            "{{ capacity_provider = {}, base = {}, weight = {} }}",
                            quoted(i["capacityProvider"].as_str().unwrap_or("")),
                            i["base"].as_i64().unwrap_or(0),
                            i["weight"].as_i64().unwrap_or(0)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    text,
                    "capacity_provider_strategy = [{}]  # {}",
                    items.join(", "),
                    at("capacityProviderStrategy")
                );
                if items.iter().any(|i| !i.contains("\"FARGATE")) {
                    self.warn(service.file, &at("capacityProviderStrategy"), "an Auto Scaling group capacity provider: add `[capacity_providers.NAME]` by hand (describe-capacity-providers is not imported yet)");
                }
            }
            (Some(launch @ ("FARGATE" | "EC2")), _) => {
                let _ = writeln!(text, "launch_type = {}  # {}", quoted(launch), at("launchType"));
            }
            (other, _) => {
                self.warn(service.file, &at("launchType"), format!("found {other:?}; ecsim models FARGATE and EC2"))
            }
        }
        if s["schedulingStrategy"].as_str() == Some("DAEMON") {
            let _ = writeln!(text, "scheduling_strategy = \"DAEMON\"  # {}", at("schedulingStrategy"));
        }
        let arn = s["taskDefinition"].as_str().unwrap_or("");
        match task_definitions.iter().find(|(_, td)| td["taskDefinitionArn"].as_str() == Some(arn)) {
            Some((d, td)) => self.task_definition(text, d, td),
            None => {
                self.warn(
                    service.file,
                    &at("taskDefinition"),
                    format!("no describe-task-definition output for {arn}: cpu 256 and memory 512 are placeholders"),
                );
                let _ = writeln!(text, "cpu = 256  # placeholder: no task definition\nmemory = 512  # placeholder");
            }
        }
        let _ = writeln!(
            text,
            "requests_per_task = {REQUESTS_PER_TASK_PLACEHOLDER:.1}  # placeholder: requests/s one task serves at 100 % CPU"
        );
        self.warn(service.file, &at("serviceName"), format!("requests_per_task is a placeholder ({REQUESTS_PER_TASK_PLACEHOLDER}); estimate it from the history with `ecsim calibrate SCENARIO --metrics DIR --out FILE` (RequestCount, CPUUtilization and RunningTaskCount), or by hand: requests per second per task at CPUUtilization U %, times 100 / U"));
        let desired = s["desiredCount"].as_i64().unwrap_or(1);
        let _ = writeln!(text, "desired_count = {desired}  # {}", at("desiredCount"));
        let resource = s["serviceArn"].as_str().and_then(|arn| arn.split(':').nth(5)).unwrap_or("");
        let target = targets.iter().find(|(_, t)| {
            t["ResourceId"].as_str().is_some_and(|r| r == resource || r.ends_with(&format!("/{}", service.name)))
        });
        match target {
            Some((d, t)) => {
                let _ = writeln!(
                    text,
                    "min_capacity = {}  # {}: MinCapacity of {}",
                    t["MinCapacity"].as_i64().unwrap_or(0),
                    d.file,
                    t["ResourceId"].as_str().unwrap_or("")
                );
                let _ =
                    writeln!(text, "max_capacity = {}  # MaxCapacity", t["MaxCapacity"].as_i64().unwrap_or(desired));
                for (json, key) in [
                    ("DynamicScalingInSuspended", "dynamic_scaling_in_suspended"),
                    ("DynamicScalingOutSuspended", "dynamic_scaling_out_suspended"),
                    ("ScheduledScalingSuspended", "scheduled_scaling_suspended"),
                ] {
                    if t["SuspendedState"][json].as_bool() == Some(true) {
                        let _ = writeln!(text, "{key} = true  # SuspendedState.{json}");
                    }
                }
            }
            None => {
                let _ = writeln!(
                    text,
                    "min_capacity = {desired}  # no scalable target: held at the desired count\nmax_capacity = {desired}"
                );
            }
        }
        if let Some(lbs) = s["loadBalancers"].as_array().filter(|l| !l.is_empty()) {
            let _ = writeln!(
                text,
                "load_balancer = {{}}  # {}: ALB health checks at AWS's defaults ({} target group(s))",
                at("loadBalancers"),
                lbs.len()
            );
        }
        let strategies: Vec<String> = (s["placementStrategy"].as_array().into_iter().flatten())
            .map(|strategy| {
                let field = strategy["field"].as_str().map(|f| format!(", field = {}", quoted(f))).unwrap_or_default();
                format!("{{ type = {}{field} }}", quoted(strategy["type"].as_str().unwrap_or("")))
            })
            .collect();
        if !strategies.is_empty() {
            let _ = writeln!(text, "placement_strategy = [{}]  # {}", strategies.join(", "), at("placementStrategy"));
        }
        if let Some(config) = s.get("deploymentConfiguration") {
            self.warn(service.file, &at("deploymentConfiguration"), format!("not written (ecsim's deployments are events): a `[[services.NAME.deployments]]` you add should give minimum_healthy_percent = {} and maximum_percent = {}", config["minimumHealthyPercent"], config["maximumPercent"]));
        }
        let mut tracking = String::new();
        for (d, i, p) in policies {
            let resource_matches =
                p["ResourceId"].as_str().is_some_and(|r| r == resource || r.ends_with(&format!("/{}", service.name)));
            if !resource_matches {
                continue;
            }
            let path = format!("ScalingPolicies[{i}]");
            match p["PolicyType"].as_str() {
                Some("TargetTrackingScaling") => {
                    let c = &p["TargetTrackingScalingPolicyConfiguration"];
                    let metric = match c["PredefinedMetricSpecification"]["PredefinedMetricType"].as_str() {
                        Some("ECSServiceAverageCPUUtilization") => "cpu",
                        Some("ECSServiceAverageMemoryUtilization") => "memory",
                        Some("ALBRequestCountPerTarget") => "alb_requests_per_target",
                        other => {
                            self.warn(
                                &d.file,
                                &format!("{path}.TargetTrackingScalingPolicyConfiguration"),
                                format!("a customized metric ({other:?}) is not imported"),
                            );
                            continue;
                        }
                    };
                    let _ = writeln!(
                        tracking,
                        "\n[[services.{}.target_tracking]]  # {}: {path}",
                        key(&service.name),
                        d.file
                    );
                    let _ = writeln!(
                        tracking,
                        "name = {}  # PolicyName",
                        quoted(p["PolicyName"].as_str().unwrap_or("policy"))
                    );
                    let _ = writeln!(tracking, "metric = {}  # PredefinedMetricType", quoted(metric));
                    let _ = writeln!(
                        tracking,
                        "target_value = {:?}  # TargetValue",
                        c["TargetValue"].as_f64().unwrap_or(50.0)
                    );
                    for (json, key) in
                        [("ScaleOutCooldown", "scale_out_cooldown"), ("ScaleInCooldown", "scale_in_cooldown")]
                    {
                        if let Some(seconds) = c[json].as_i64() {
                            let _ = writeln!(tracking, "{key} = \"{seconds}s\"  # {json}");
                        }
                    }
                    if c["DisableScaleIn"].as_bool() == Some(true) {
                        let _ = writeln!(tracking, "disable_scale_in = true  # DisableScaleIn");
                    }
                }
                other => self.warn(
                    &d.file,
                    &format!("{path}.PolicyType"),
                    format!(
                        "found {}: step scaling needs its alarms (describe-alarms), not imported yet",
                        other.unwrap_or("nothing")
                    ),
                ),
            }
        }
        text.push_str(&tracking);
    }

    fn task_definition(&mut self, text: &mut String, d: &Document, td: &Value) {
        let containers = td["containerDefinitions"].as_array().map(Vec::as_slice).unwrap_or_default();
        let sum = |field: &str| containers.iter().filter_map(|c| c[field].as_i64()).sum::<i64>();
        let task_level =
            |field: &str| td[field].as_str().and_then(|v| v.parse::<i64>().ok()).or_else(|| td[field].as_i64());
        let (cpu, cpu_from) = match task_level("cpu") {
            Some(cpu) => (cpu, "taskDefinition.cpu".to_owned()),
            None => (sum("cpu"), format!("the sum of {} containers' cpu", containers.len())),
        };
        // ecsim sizes a task as a task-level `cpu` does: 128 units at least (RegisterTaskDefinition).
        let cpu = if cpu < 128 {
            self.warn(
                &d.file,
                "taskDefinition.containerDefinitions",
                format!(
                    "the containers' cpu adds up to {cpu} units, below the 128 a task-level cpu may be: imported as 128"
                ),
            );
            128
        } else {
            cpu
        };
        let (memory, memory_from) = match task_level("memory") {
            Some(memory) => (memory, "taskDefinition.memory".to_owned()),
            None => {
                let hard = containers
                    .iter()
                    .map(|c| c["memory"].as_i64().or(c["memoryReservation"].as_i64()).unwrap_or(0))
                    .sum::<i64>();
                (hard, format!("the sum of {} containers' memory (or memoryReservation)", containers.len()))
            }
        };
        let _ = writeln!(text, "cpu = {cpu}  # {}: {cpu_from}", d.file);
        let _ = writeln!(text, "memory = {memory}  # {memory_from}");
        let soft = sum("memoryReservation");
        if soft > 0 && soft < memory {
            let _ = writeln!(text, "memory_reservation = {soft}  # the sum of the containers' memoryReservation");
        }
        if let Some(arch) = td["runtimePlatform"]["cpuArchitecture"].as_str() {
            let _ = writeln!(text, "cpu_architecture = {}  # runtimePlatform.cpuArchitecture", quoted(arch));
        }
        if let Some(os) = td["runtimePlatform"]["operatingSystemFamily"].as_str() {
            let _ = writeln!(text, "operating_system_family = {}  # runtimePlatform.operatingSystemFamily", quoted(os));
        }
        if let Some(mode) = td["networkMode"].as_str().filter(|m| {
            *m != "awsvpc"
                || td["requiresCompatibilities"].as_array().is_some_and(|c| !c.iter().any(|x| x == "FARGATE"))
        }) {
            let _ = writeln!(text, "network_mode = {}  # networkMode", quoted(mode));
        }
        if let Some(size) = td["ephemeralStorage"]["sizeInGiB"].as_i64() {
            let _ = writeln!(text, "ephemeral_storage = {size}  # ephemeralStorage.sizeInGiB");
        }
        for field in ["placementConstraints", "volumes", "proxyConfiguration", "inferenceAccelerators"] {
            if td[field].as_array().is_some_and(|v| !v.is_empty()) {
                self.warn(&d.file, &format!("taskDefinition.{field}"), "not modelled by ecsim, left out");
            }
        }
    }
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
        let documents: Vec<Document> =
            documents.into_iter().enumerate().map(|(i, json)| Document { file: format!("f{i}.json"), json }).collect();
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
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}]
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
        assert!(out.warnings.iter().any(|w| w.contains("`taskDefinition.volumes`")), "{:?}", out.warnings);
        assert!(out.warnings.iter().any(|w| w.contains("no RequestCount")), "{:?}", out.warnings);
    }

    #[test]
    fn names_become_safe_keys_and_files() {
        assert_eq!(key("web-api_2"), "web-api_2");
        assert_eq!(key("web api"), "\"web api\"");
        assert_eq!(file_safe("../../etc/passwd"), "______etc_passwd");
        assert_eq!(file_safe(""), "service");
    }
}
