//! A service of `describe-services`: its task definition, its scalable target, how it
//! launches and where its tasks go.

use super::{Importer, Inputs, Item, REQUESTS_PER_TASK_PLACEHOLDER, Service, key, list, quoted};
use std::fmt::Write as _;

impl Importer {
    pub(super) fn service(&mut self, text: &mut String, service: &Service, inputs: &Inputs) {
        let s = service.json;
        let at = |field: &str| format!("services[{}].{field}", service.index);
        let _ = writeln!(text, "\n[services.{}]  # {}: {}", key(&service.name), service.file, at("serviceName"));
        let _ = writeln!(text, "load = {}  # the load of the same name above", quoted(&service.name));
        match (s["launchType"].as_str(), s["capacityProviderStrategy"].as_array()) {
            (_, Some(items)) if !items.is_empty() => {
                let _ = writeln!(
                    text,
                    "capacity_provider_strategy = {}  # {}",
                    super::capacity::strategy(items),
                    at("capacityProviderStrategy")
                );
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
        let desired = s["desiredCount"].as_i64().unwrap_or(1);
        let _ = writeln!(text, "desired_count = {desired}  # {}", at("desiredCount"));
        if let Some(lbs) = s["loadBalancers"].as_array().filter(|l| !l.is_empty()) {
            let _ = writeln!(
                text,
                "load_balancer = {{}}  # {}: ALB health checks at AWS's defaults ({} target group(s))",
                at("loadBalancers"),
                lbs.len()
            );
        }
        let strategies: Vec<String> = list(&s["placementStrategy"])
            .map(|strategy| {
                let field = strategy["field"].as_str().map(|f| format!(", field = {}", quoted(f))).unwrap_or_default();
                format!("{{ type = {}{field} }}", quoted(strategy["type"].as_str().unwrap_or("")))
            })
            .collect();
        if !strategies.is_empty() {
            let _ = writeln!(text, "placement_strategy = [{}]  # {}", strategies.join(", "), at("placementStrategy"));
        }
        let constraints: Vec<String> = list(&s["placementConstraints"])
            .map(|c| match c["expression"].as_str() {
                Some(expression) => format!(
                    "{{ type = {}, expression = {} }}",
                    quoted(c["type"].as_str().unwrap_or("")),
                    quoted(expression)
                ),
                None => format!("{{ type = {} }}", quoted(c["type"].as_str().unwrap_or(""))),
            })
            .collect();
        if !constraints.is_empty() {
            let _ = writeln!(
                text,
                "placement_constraints = [{}]  # {}",
                constraints.join(", "),
                at("placementConstraints")
            );
        }
        let arn = s["taskDefinition"].as_str().unwrap_or("");
        match inputs.task_definitions.iter().find(|td| td.json["taskDefinitionArn"].as_str() == Some(arn)) {
            Some(td) => self.task_definition(text, td),
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
            "requests_per_task = {REQUESTS_PER_TASK_PLACEHOLDER:.1}  # placeholder: requests/s one task serves at 100 % CPU (no AWS API states it)"
        );
        if !self.calibrate {
            self.warn(service.file, &at("serviceName"), format!("requests_per_task is a placeholder ({REQUESTS_PER_TASK_PLACEHOLDER}); estimate it from the history with `ecsim calibrate SCENARIO --metrics DIR --out FILE` (RequestCount, CPUUtilization and RunningTaskCount), or by hand: requests per second per task at CPUUtilization U %, times 100 / U"));
        }
        let targets = service.resource_items(&inputs.targets);
        match targets.first().map(|t| (t.file, t.json)) {
            Some((file, t)) => {
                let _ = writeln!(
                    text,
                    "min_capacity = {}  # {}: MinCapacity of {}",
                    t["MinCapacity"].as_i64().unwrap_or(0),
                    file,
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
        self.policies(text, service, inputs);
        self.scheduled_actions(text, service, inputs);
        if let Some(config) = s.get("deploymentConfiguration") {
            // ecsim's deployments are events at a time: a template to uncomment.
            let _ = writeln!(
                text,
                "\n# [[services.{}.deployments]]  # {}: give `at` or `schedule` to deploy",
                key(&service.name),
                at("deploymentConfiguration")
            );
            for (json, key) in
                [("minimumHealthyPercent", "minimum_healthy_percent"), ("maximumPercent", "maximum_percent")]
            {
                if let Some(value) = config[json].as_i64() {
                    let _ = writeln!(text, "# {key} = {value}  # {json}");
                }
            }
            if let Some(grace) = s["healthCheckGracePeriodSeconds"].as_i64() {
                let _ = writeln!(text, "# health_check_grace_period = \"{grace}s\"  # healthCheckGracePeriodSeconds");
            }
            let breaker = &config["deploymentCircuitBreaker"];
            if breaker["enable"].as_bool() == Some(true) {
                let rollback = breaker["rollback"].as_bool().unwrap_or(false);
                let _ = writeln!(text, "# circuit_breaker = {{ rollback = {rollback} }}  # deploymentCircuitBreaker");
            }
            self.warn(service.file, &at("deploymentConfiguration"), "written as a commented `[[services.NAME.deployments]]`: ecsim deploys at a time you give (`at` or `schedule`)");
        }
    }

    fn task_definition(&mut self, text: &mut String, item: &Item) {
        let (file, td) = (item.file, item.json);
        let containers = td["containerDefinitions"].as_array().map(Vec::as_slice).unwrap_or_default();
        // Saturating: a huge figure is the validator's to refuse, not an overflow.
        let add = |values: &mut dyn Iterator<Item = i64>| values.fold(0i64, i64::saturating_add);
        let sum = |field: &str| add(&mut containers.iter().filter_map(|c| c[field].as_i64()));
        let task_level =
            |field: &str| td[field].as_str().and_then(|v| v.parse::<i64>().ok()).or_else(|| td[field].as_i64());
        let (cpu, cpu_from) = match task_level("cpu") {
            Some(cpu) => (cpu, "taskDefinition.cpu".to_owned()),
            None => (sum("cpu"), format!("the sum of {} containers' cpu", containers.len())),
        };
        // ecsim sizes a task as a task-level `cpu` does: 128 units at least (RegisterTaskDefinition).
        let cpu = if cpu < 128 {
            self.warn(
                file,
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
                let hard = add(&mut containers
                    .iter()
                    .map(|c| c["memory"].as_i64().or(c["memoryReservation"].as_i64()).unwrap_or(0)));
                let soft_only = containers.iter().filter(|c| c["memory"].as_i64().is_none()).count();
                let from = match soft_only {
                    0 => format!("the sum of the {} containers' memory", containers.len()),
                    n => format!(
                        "the sum of the {} containers' memory, memoryReservation for the {n} without one",
                        containers.len()
                    ),
                };
                (hard, from)
            }
        };
        let _ = writeln!(text, "cpu = {cpu}  # {}: {cpu_from}", file);
        let _ = writeln!(text, "memory = {memory}  # {memory_from}");
        // What a container reserves on an instance: its soft limit, else its hard one.
        let soft =
            add(&mut containers.iter().map(|c| c["memoryReservation"].as_i64().or(c["memory"].as_i64()).unwrap_or(0)));
        if sum("memoryReservation") > 0 && soft < memory {
            let _ = writeln!(
                text,
                "memory_reservation = {soft}  # the sum of the containers' memoryReservation (memory for one without)"
            );
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
                self.warn(file, &format!("taskDefinition.{field}"), "not modelled by ecsim, left out");
            }
        }
    }
}
