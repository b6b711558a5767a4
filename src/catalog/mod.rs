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

/// Memory ECS container instances are published to register: the type, its nominal MiB and
/// the MiB it registers, `floor(MemTotal / 2^20)` with `ECS_RESERVED_MEMORY` at its default 0
/// (the agent's `getHostMemoryInMiB`, reference §6.3), on the ECS-optimized Amazon Linux AMI.
/// A type applies only with its nominal memory (a catalog file may describe another).
pub const PUBLISHED_REGISTERED_MEMORY: [(&str, u32, u32); 2] = [
    // AWS, "Reserving Amazon ECS Linux container instance memory" (memory-management.md):
    // MemTotal 8373026816 bytes, "which translates to 7985 MiB available for tasks".
    ("m4.large", 8192, 7985),
    // aws/amazon-ecs-agent#399 (2016): a c4.2xlarge registered 15042 MiB of its 15360.
    ("c4.2xlarge", 15360, 15042),
];

/// Share of nominal memory a container instance of a type with no published figure registers.
/// AWS gives no table (§11.11): 0.974 is the largest share in thousandths that puts no type of
/// [`PUBLISHED_REGISTERED_MEMORY`] above its figure (m4.large 7979 ≤ 7985, c4.2xlarge
/// 14960 ≤ 15042; 0.975 would give the m4.large 7987), so a task sized to AWS's documented limit
/// never fits in ecsim and not on AWS.
pub const DEFAULT_REGISTERED_MEMORY_SHARE: f64 = 0.974;

/// What an instance registers with ECS: CPU units = vCPU × 1024, and memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub cpu_units: u32,
    pub memory_mib: u32,
}

impl InstanceType {
    /// `cpu = NumCPU × 1024`; memory the published figure of the type or, with none or with
    /// `memory_share` given, `floor(nominal × share)`; less `ecs_reserved_memory` (agent
    /// `getCpu` / `getHostMemoryInMiB`, reference §6.3).
    pub fn registered(&self, memory_share: Option<f64>, ecs_reserved_memory_mib: u32) -> Registered {
        let published = PUBLISHED_REGISTERED_MEMORY
            .iter()
            .find(|&&(name, nominal, _)| name == self.name && nominal == self.memory_mib)
            .map(|&(_, _, mib)| mib);
        let memory = match (memory_share, published) {
            (None, Some(mib)) => mib,
            (share, _) => {
                (f64::from(self.memory_mib) * share.unwrap_or(DEFAULT_REGISTERED_MEMORY_SHARE)).floor() as u32
            }
        };
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
        // 2 vCPU → 2048 units; no published figure: floor(8192 × 0.974) = 7979 MiB; with
        // ECS_RESERVED_MEMORY=256, 7723; a share of the user's, 0.98: 8028.
        assert_eq!(m5.registered(None, 0), Registered { cpu_units: 2048, memory_mib: 7979 });
        assert_eq!(m5.registered(None, 256).memory_mib, 7723);
        assert_eq!(m5.registered(Some(0.98), 0).memory_mib, 8028);
        // awsvpc without trunking: max ENIs − 1 (m5.large: 3 ENIs → 2 tasks).
        assert_eq!(m5.awsvpc_tasks_without_trunking(), 2);
    }

    #[test]
    fn published_types_register_their_figure_and_the_default_stays_below_every_one() {
        // The AWS m4.large example: MemTotal 8373026816 B → floor(8373026816 / 2^20) = 7985.
        let m4 = PUBLISHED_REGISTERED_MEMORY.iter().find(|e| e.0 == "m4.large").unwrap();
        assert_eq!(u64::from(m4.2), 8_373_026_816 / (1 << 20));
        let like_m5 = Catalog::builtin().get("m5.large").unwrap().clone();
        for &(name, nominal, published) in &PUBLISHED_REGISTERED_MEMORY {
            let kind = InstanceType { name: name.into(), memory_mib: nominal, ..like_m5.clone() };
            assert_eq!(kind.registered(None, 0).memory_mib, published, "{name}");
            assert_eq!(kind.registered(None, 256).memory_mib, published - 256, "{name}");
            // The default share, applied to the same type, never registers more than AWS shows.
            let by_default = kind.registered(Some(DEFAULT_REGISTERED_MEMORY_SHARE), 0).memory_mib;
            assert!(by_default <= published, "{name}: {by_default} > {published}");
        }
        // A catalog's m4.large with other memory is not the published one.
        let other = InstanceType { name: "m4.large".into(), memory_mib: 16384, ..like_m5 };
        assert_eq!(other.registered(None, 0).memory_mib, (16384.0 * DEFAULT_REGISTERED_MEMORY_SHARE) as u32);
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
