//! EC2 instance types: what an instance offers ECS and what it costs.
//!
//! ecsim knows the common families in us-east-1 ([`builtin`]); a catalog file in the layout of
//! `shared/data/pricing/ec2_us_east_1.csv` adds or replaces types for any region (the scenario
//! module reads it). Pure data and arithmetic: no I/O here.

mod builtin;

use std::borrow::Cow;

use serde::Serialize;

use crate::pricing::CpuArchitecture;

/// One EC2 instance type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceType {
    pub name: Cow<'static, str>,
    pub vcpu: u32,
    /// Nominal memory.
    pub memory_mib: u32,
    pub arch: CpuArchitecture,
    /// Network interfaces, the primary one included.
    pub max_enis: u32,
    pub eni_trunking: bool,
    /// Linux On-Demand, USD per hour.
    pub on_demand_hour_usd: f64,
}

/// Share of nominal memory an ECS container instance registers: the kernel's MemTotal is below
/// nominal, and the agent registers `floor(MemTotal MiB) − ECS_RESERVED_MEMORY`. AWS gives no
/// table; its m4.large example registers 7985 of 8192 MiB (97.5 %), which is the default here
/// (reference §6.3, §11.11).
pub const DEFAULT_REGISTERED_MEMORY_SHARE: f64 = 0.975;

/// What an instance registers with ECS: CPU units = vCPU × 1024, and memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub cpu_units: u32,
    pub memory_mib: u32,
}

impl InstanceType {
    /// `cpu = NumCPU × 1024`; memory `floor(nominal × share) − ecs_reserved_memory`
    /// (agent `getCpu` / `getHostMemoryInMiB`, reference §6.3).
    pub fn registered(&self, memory_share: f64, ecs_reserved_memory_mib: u32) -> Registered {
        let memory = (f64::from(self.memory_mib) * memory_share).floor() as u32;
        Registered { cpu_units: self.vcpu * 1024, memory_mib: memory.saturating_sub(ecs_reserved_memory_mib) }
    }

    /// awsvpc tasks an instance can run without ENI trunking: each needs an ENI of its own and
    /// the primary ENI counts (reference §6.2).
    pub fn awsvpc_tasks_without_trunking(&self) -> u32 {
        self.max_enis.saturating_sub(1)
    }
}

/// Instance types by name, in a fixed order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Catalog {
    types: Vec<InstanceType>,
}

impl Catalog {
    /// The built-in us-east-1 types.
    pub fn builtin() -> Self {
        Catalog { types: builtin::US_EAST_1.to_vec() }
    }

    /// This catalog with `types` added; a type already known is replaced.
    pub fn with(mut self, types: Vec<InstanceType>) -> Self {
        for t in types {
            match self.types.iter_mut().find(|known| known.name == t.name) {
                Some(known) => *known = t,
                None => self.types.push(t),
            }
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.iter().find(|t| t.name == name)
    }

    pub fn types(&self) -> &[InstanceType] {
        &self.types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_figures_match_the_reference_table() {
        // Reference §6.2 (vCPU, GiB, max ENIs, USD/h in us-east-1).
        let catalog = Catalog::builtin();
        for (name, vcpu, gib, enis, price) in [
            ("m5.large", 2, 8, 3, 0.096),
            ("m5.xlarge", 4, 16, 4, 0.192),
            ("m6i.large", 2, 8, 3, 0.096),
            ("c5.large", 2, 4, 3, 0.085),
            ("c6g.large", 2, 4, 3, 0.068),
            ("m6g.large", 2, 8, 3, 0.077),
            ("t3.medium", 2, 4, 3, 0.0416),
            ("r5.large", 2, 16, 3, 0.126),
            ("m7g.large", 2, 8, 3, 0.0816),
        ] {
            let t = catalog.get(name).unwrap_or_else(|| panic!("{name} is built in"));
            assert_eq!(
                (t.vcpu, t.memory_mib, t.max_enis, t.on_demand_hour_usd),
                (vcpu, gib * 1024, enis, price),
                "{name}"
            );
        }
        assert_eq!(catalog.get("c6g.large").unwrap().arch, CpuArchitecture::Arm64);
        assert_eq!(catalog.get("m5.large").unwrap().arch, CpuArchitecture::X86_64);
        assert!(catalog.get("p4d.24xlarge").is_none());
        // Every family the issue names is there.
        for family in
            ["m5", "m6i", "m7i", "m6g", "m7g", "c5", "c6i", "c6g", "c7g", "r5", "r6i", "r6g", "t3", "t3a", "t4g"]
        {
            assert!(catalog.types().iter().any(|t| t.name.starts_with(&format!("{family}."))), "{family}");
        }
    }

    #[test]
    fn registered_resources_follow_the_agent() {
        let m5 = Catalog::builtin().get("m5.large").unwrap().clone();
        // 2 vCPU → 2048 units; floor(8192 × 0.975) = 7987 MiB; with ECS_RESERVED_MEMORY=256, 7731.
        assert_eq!(m5.registered(DEFAULT_REGISTERED_MEMORY_SHARE, 0), Registered { cpu_units: 2048, memory_mib: 7987 });
        assert_eq!(m5.registered(DEFAULT_REGISTERED_MEMORY_SHARE, 256).memory_mib, 7731);
        // The AWS m4.large example: 7985 MiB registered of 8192 → share 7985/8192.
        assert_eq!(m5.registered(7985.0 / 8192.0, 0).memory_mib, 7985);
        // awsvpc without trunking: max ENIs − 1 (m5.large: 3 ENIs → 2 tasks).
        assert_eq!(m5.awsvpc_tasks_without_trunking(), 2);
    }

    #[test]
    fn a_catalog_file_adds_and_replaces_types() {
        let mut cheaper = Catalog::builtin().get("m5.large").unwrap().clone();
        cheaper.on_demand_hour_usd = 0.107; // another region's price
        let extra = InstanceType { name: "x9.large".into(), ..cheaper.clone() };
        let catalog = Catalog::builtin().with(vec![cheaper, extra]);
        assert_eq!(catalog.get("m5.large").unwrap().on_demand_hour_usd, 0.107);
        assert!(catalog.get("x9.large").is_some());
        assert_eq!(catalog.types().len(), Catalog::builtin().types().len() + 1);
    }
}
