//! Where tasks run: the cluster's default capacity provider strategy (`describe-clusters`) and
//! each Auto Scaling group capacity provider a strategy names (`describe-capacity-providers`)
//! with its group (`describe-auto-scaling-groups`): instance types, size limits, zones and
//! managed scaling.

use super::{Importer, Inputs, Item, key, list, quoted};
use serde_json::Value;
use std::fmt::Write as _;

/// A strategy's items as the scenario writes them.
pub(super) fn strategy(items: &[Value]) -> String {
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
    format!("[{}]", items.join(", "))
}

/// What a group is when the folder does not describe it.
const PLACEHOLDER_GROUP: &str = "a placeholder group of m5.large, 0 to 10 instances";

fn placeholder_group(text: &mut String, missing: &str) {
    let _ = writeln!(text, "instance_types = [\"m5.large\"]  # placeholder: no {missing} output");
    let _ = writeln!(text, "min_size = 0  # placeholder\nmax_size = 10  # placeholder");
}

/// The capacity providers of `items` that are Auto Scaling groups (not FARGATE or FARGATE_SPOT).
fn group_providers(items: &[Value]) -> impl Iterator<Item = &str> {
    items.iter().filter_map(|i| i["capacityProvider"].as_str()).filter(|n| !n.starts_with("FARGATE"))
}

impl Importer {
    /// Writes `[cluster]` from the first cluster's default strategy, and returns the group
    /// providers that it and the services name, in order of first mention.
    pub(super) fn cluster(&mut self, text: &mut String, inputs: &Inputs) -> Vec<String> {
        let mut named: Vec<String> = Vec::new();
        let mut name = |provider: &str| {
            if !named.iter().any(|n| n == provider) {
                named.push(provider.to_owned());
            }
        };
        for service in &inputs.services {
            let items = service.json["capacityProviderStrategy"].as_array().map(Vec::as_slice).unwrap_or_default();
            group_providers(items).for_each(&mut name);
        }
        if let Some(cluster) = inputs.clusters.first() {
            let items = cluster.json["defaultCapacityProviderStrategy"].as_array().filter(|i| !i.is_empty());
            if let Some(items) = items {
                let _ = writeln!(text, "\n[cluster]  # {}: {}", cluster.file, cluster.path);
                let _ = writeln!(
                    text,
                    "default_capacity_provider_strategy = {}  # defaultCapacityProviderStrategy",
                    strategy(items)
                );
                group_providers(items).for_each(&mut name);
            }
            for other in &inputs.clusters[1..] {
                self.warn(
                    other.file,
                    &other.path,
                    "a second cluster: a scenario is one cluster, only the first is imported",
                );
            }
        }
        named
    }

    pub(super) fn capacity_providers(&mut self, text: &mut String, inputs: &Inputs, named: &[String]) {
        for provider in &inputs.providers {
            let name = provider.json["name"].as_str().unwrap_or("");
            if !name.starts_with("FARGATE") && !named.iter().any(|n| n == name) {
                self.warn(
                    provider.file,
                    &provider.path,
                    format!("capacity provider {} is in no imported strategy: left out", quoted(name)),
                );
            }
        }
        for name in named {
            let found = inputs.providers.iter().find(|p| p.json["name"].as_str() == Some(name.as_str()));
            let source = found.map_or("placeholder: not in any describe-capacity-providers output".to_owned(), |p| {
                format!("{}: {}", p.file, p.path)
            });
            let _ = writeln!(text, "\n[capacity_providers.{}]  # {source}", key(name));
            let Some(provider) = found else {
                self.warn(
                    "(folder)",
                    "capacityProviders",
                    format!(
                        "no describe-capacity-providers output for {}, which a strategy names: {PLACEHOLDER_GROUP}",
                        quoted(name)
                    ),
                );
                placeholder_group(text, "describe-capacity-providers");
                continue;
            };
            self.provider(text, provider, &inputs.groups);
        }
    }

    fn provider(&mut self, text: &mut String, provider: &Item, groups: &[Item]) {
        let asg = &provider.json["autoScalingGroupProvider"];
        let arn = asg["autoScalingGroupArn"].as_str().unwrap_or("");
        let group_name = arn.rsplit_once("autoScalingGroupName/").map_or(arn, |(_, n)| n);
        let group = groups.iter().find(|g| {
            g.json["AutoScalingGroupARN"].as_str() == Some(arn)
                || g.json["AutoScalingGroupName"].as_str() == Some(group_name)
        });
        match group {
            Some(group) => self.group(text, group),
            None => {
                self.warn(
                    provider.file,
                    &provider.at("autoScalingGroupProvider.autoScalingGroupArn"),
                    format!("no describe-auto-scaling-groups output for {}: {PLACEHOLDER_GROUP}", quoted(group_name)),
                );
                placeholder_group(text, "describe-auto-scaling-groups");
            }
        }
        let at = |field: &str| format!("{}: {}.autoScalingGroupProvider.{field}", provider.file, provider.path);
        let scaling = &asg["managedScaling"];
        if scaling["status"].as_str() == Some("ENABLED") {
            let mut parts = Vec::new();
            for (json, key) in [
                ("targetCapacity", "target_capacity"),
                ("minimumScalingStepSize", "minimum_scaling_step_size"),
                ("maximumScalingStepSize", "maximum_scaling_step_size"),
            ] {
                if let Some(value) = scaling[json].as_i64() {
                    parts.push(format!("{key} = {value}"));
                }
            }
            if let Some(warmup) = scaling["instanceWarmupPeriod"].as_i64() {
                parts.push(format!("instance_warmup_period = \"{warmup}s\""));
            }
            let _ = writeln!(text, "managed_scaling = {{ {} }}  # {}", parts.join(", "), at("managedScaling"));
        }
        if asg["managedTerminationProtection"].as_str() == Some("ENABLED") {
            let _ = writeln!(text, "managed_termination_protection = true  # {}", at("managedTerminationProtection"));
        }
        if asg["managedDraining"].as_str() == Some("DISABLED") {
            let _ = writeln!(text, "managed_draining = false  # {}", at("managedDraining"));
        }
    }

    /// The group's instance types (its mixed-instances overrides in priority order, else the
    /// types of its instances), size limits and zones.
    fn group(&mut self, text: &mut String, group: &Item) {
        let g = group.json;
        let overrides = &g["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"];
        let mut types: Vec<&str> = list(overrides).filter_map(|o| o["InstanceType"].as_str()).collect();
        let from = if types.is_empty() {
            for instance in list(&g["Instances"]) {
                if let Some(t) = instance["InstanceType"].as_str().filter(|t| !types.contains(t)) {
                    types.push(t);
                }
            }
            "the types of Instances[]"
        } else {
            "MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType"
        };
        if types.is_empty() {
            self.warn(group.file, &group.at("Instances"), "no instance type in the group's overrides or instances (a launch template's type is not in this output): m5.large is a placeholder");
            types.push("m5.large");
        }
        let types: Vec<String> = types.iter().map(|t| quoted(t)).collect();
        let _ = writeln!(text, "instance_types = [{}]  # {}: {}.{from}", types.join(", "), group.file, group.path);
        for (json, key) in [("MinSize", "min_size"), ("MaxSize", "max_size"), ("DesiredCapacity", "desired_capacity")] {
            let _ = writeln!(text, "{key} = {}  # {json}", g[json].as_i64().unwrap_or(0));
        }
        if let Some(zones) = g["AvailabilityZones"].as_array().filter(|z| !z.is_empty()) {
            let names: Vec<&str> = zones.iter().filter_map(Value::as_str).collect();
            let _ = writeln!(text, "availability_zones = {}  # AvailabilityZones: {}", zones.len(), names.join(", "));
        }
        let distribution = &g["MixedInstancesPolicy"]["InstancesDistribution"];
        if distribution["OnDemandPercentageAboveBaseCapacity"].as_i64().is_some_and(|p| p < 100) {
            self.warn(group.file, &group.at("MixedInstancesPolicy.InstancesDistribution"), "Spot instances in the group: ecsim's `spot = { … }` makes a whole group Spot, with a price and an interruption rate AWS's output does not give; left On-Demand");
        }
    }
}
