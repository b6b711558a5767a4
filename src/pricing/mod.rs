//! Prices and the billing arithmetic: pure functions from usage to dollars.
//!
//! Fargate bills "per second with a 1-minute minimum … from the time you start to download
//! your container image (Docker pull) until the task terminates, rounded up to the nearest
//! second" for the vCPU and memory a task requests, not what it uses (AWS Fargate pricing
//! page; reference §5.3). The simulation keeps billed milliseconds per service in closed form
//! and asks this module what they cost.

use serde::Serialize;

use crate::engine::{MS_PER_HOUR, MS_PER_SECOND};

/// The CPU architecture of a task (`runtimePlatform.cpuArchitecture`), which sets its rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CpuArchitecture {
    X86_64,
    Arm64,
}

/// Fargate On-Demand rates for one region, OS and architecture, in USD per hour.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FargateRates {
    pub vcpu_hour: f64,
    /// Per GB-hour, where "GB = 1024^3 bytes" (AWS Fargate pricing page).
    pub gb_hour: f64,
}

/// Fargate Linux/x86 in us-east-1: $0.04048 per vCPU-hour and $0.004445 per GB-hour
/// (AWS Fargate pricing page, reference §5.2).
pub const US_EAST_1_LINUX_X86: FargateRates = FargateRates { vcpu_hour: 0.04048, gb_hour: 0.004445 };
/// Fargate Linux/ARM in us-east-1: $0.03238 per vCPU-hour and $0.00356 per GB-hour
/// (AWS Fargate pricing page, reference §5.2).
pub const US_EAST_1_LINUX_ARM: FargateRates = FargateRates { vcpu_hour: 0.03238, gb_hour: 0.00356 };

/// Fargate Windows/x86 in us-east-1: $0.0915 per vCPU-hour and $0.01 per GB-hour (AWS Fargate
/// pricing page, reference §5.2), plus the Windows licence below.
pub const US_EAST_1_WINDOWS_X86: FargateRates = FargateRates { vcpu_hour: 0.0915, gb_hour: 0.01 };
/// The Windows OS licence on Fargate: $0.046 per vCPU-hour (reference §5.2).
pub const WINDOWS_LICENSE_VCPU_HOUR: f64 = 0.046;
/// Ephemeral storage above the 20 GB included: $0.000111 per GB-hour in us-east-1 (reference
/// §5.2).
pub const EPHEMERAL_STORAGE_GB_HOUR: f64 = 0.000111;
/// Storage every Fargate task has without charge, GiB (reference §5.1).
pub const INCLUDED_EPHEMERAL_STORAGE_GIB: u32 = 20;
/// Windows on Fargate: "billing is calculated per second with a 5-minute minimum" (reference
/// §5.3, §11.8).
pub const FARGATE_WINDOWS_MINIMUM_BILLED_MS: u64 = 5 * 60 * MS_PER_SECOND;

/// Fargate Spot as a share of On-Demand when no price is given: the us-east-1 Linux/x86 snapshot
/// of AWS's floating price, $0.01264791 per vCPU-hour and $0.00138883 per GB-hour, is 31.245 %
/// of $0.04048 and $0.004445 (reference §5.4, §11.9).
pub const DEFAULT_FARGATE_SPOT_SHARE: f64 = 0.31245;

/// The rates ecsim knows without a price file.
pub fn builtin_fargate_rates(region: &str, arch: CpuArchitecture) -> Option<FargateRates> {
    match (region, arch) {
        ("us-east-1", CpuArchitecture::X86_64) => Some(US_EAST_1_LINUX_X86),
        ("us-east-1", CpuArchitecture::Arm64) => Some(US_EAST_1_LINUX_ARM),
        _ => None,
    }
}

/// "Pricing is calculated per second with a 1-minute minimum" (AWS Fargate pricing page).
pub const FARGATE_MINIMUM_BILLED_MS: u64 = 60 * MS_PER_SECOND;

/// EC2: "Pay for the instances that you use by the second, with a minimum of 60 seconds",
/// billed only while `running`, a new minimum with every start (reference §6.1).
pub const EC2_MINIMUM_BILLED_MS: u64 = 60 * MS_PER_SECOND;

/// The cost of `billed_ms` of an instance at `hour_usd`.
pub fn ec2_cost(billed_ms: u64, hour_usd: f64) -> f64 {
    billed_ms as f64 / MS_PER_HOUR as f64 * hour_usd
}

/// Billed milliseconds for a task that ran `lifetime_ms` and has stopped: rounded up to the
/// whole second, and at least `minimum_ms`.
pub fn billed_ms(lifetime_ms: u64, minimum_ms: u64) -> u64 {
    lifetime_ms.div_ceil(MS_PER_SECOND).saturating_mul(MS_PER_SECOND).max(minimum_ms)
}

/// The cost of `billed_ms` of one task size, split into (vCPU, memory) dollars.
pub fn fargate_cost(billed_ms: u64, cpu_units: u32, memory_mib: u32, rates: FargateRates) -> (f64, f64) {
    let hours = billed_ms as f64 / MS_PER_HOUR as f64;
    let vcpu = f64::from(cpu_units) / 1024.0;
    let gb = f64::from(memory_mib) / 1024.0;
    (hours * vcpu * rates.vcpu_hour, hours * gb * rates.gb_hour)
}

/// What a Fargate task pays beyond vCPU and memory, per billed hour: the Windows licence per
/// vCPU and the ephemeral storage above the included 20 GB.
pub fn fargate_extras_hour(cpu_units: u32, windows: bool, storage_gib: u32) -> (f64, f64) {
    let license = if windows { f64::from(cpu_units) / 1024.0 * WINDOWS_LICENSE_VCPU_HOUR } else { 0.0 };
    let storage = f64::from(storage_gib.saturating_sub(INCLUDED_EPHEMERAL_STORAGE_GIB)) * EPHEMERAL_STORAGE_GB_HOUR;
    (license, storage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_rounds_up_to_the_second_with_a_one_minute_minimum() {
        for (lifetime_ms, expected_ms) in [
            (0, 60_000),      // a task stopped at once still pays a minute
            (20_000, 60_000), // 20 s → one full minute
            (59_999, 60_000),
            (60_000, 60_000),
            (60_001, 61_000),   // rounded up to the next second
            (220_000, 220_000), // 3 min 40 s exactly
            (220_400, 221_000),
        ] {
            assert_eq!(billed_ms(lifetime_ms, FARGATE_MINIMUM_BILLED_MS), expected_ms, "{lifetime_ms}");
        }
    }

    #[test]
    fn fargate_cost_matches_the_pricing_page_arithmetic() {
        // 0.5 vCPU, 1 GB for one hour on x86: 0.5 × 0.04048 + 1 × 0.004445 = 0.024685.
        let (cpu, mem) = fargate_cost(3_600_000, 512, 1024, US_EAST_1_LINUX_X86);
        assert!((cpu - 0.02024).abs() < 1e-12);
        assert!((mem - 0.004445).abs() < 1e-12);
        // 4 vCPU, 16 GB on ARM for 10 minutes: (4 × 0.03238 + 16 × 0.00356) / 6 = 0.03108.
        let (cpu, mem) = fargate_cost(600_000, 4096, 16_384, US_EAST_1_LINUX_ARM);
        assert!((cpu + mem - 0.031080).abs() < 1e-12);
    }

    #[test]
    fn windows_and_ephemeral_storage_add_what_the_pricing_page_says() {
        // 1 vCPU / 2 GB on Windows for an hour: 0.0915 + 0.046 licence + 2 × 0.01 = 0.1575.
        let (cpu, memory) = fargate_cost(3_600_000, 1024, 2048, US_EAST_1_WINDOWS_X86);
        let (license, storage) = fargate_extras_hour(1024, true, 20);
        assert!((cpu + memory + license + storage - 0.1575).abs() < 1e-12);
        // 50 GB of ephemeral storage on Linux: 30 GB above the included 20, 0.00333 per hour.
        assert_eq!(fargate_extras_hour(512, false, 50), (0.0, 30.0 * 0.000111));
        // A Windows task stopped after 2 minutes pays its 5-minute minimum.
        assert_eq!(billed_ms(120_000, FARGATE_WINDOWS_MINIMUM_BILLED_MS), 300_000);
    }

    #[test]
    fn ec2_bills_the_seconds_used_with_a_minute_minimum() {
        // AWS's example: "if you run an instance for 20 seconds and then stop it, we charge for a
        // full one minute. If you run an instance for 3 minutes and 40 seconds, we charge for
        // exactly 3 minutes and 40 seconds" (reference §6.1).
        assert_eq!(billed_ms(20_000, EC2_MINIMUM_BILLED_MS), 60_000);
        assert_eq!(billed_ms(220_000, EC2_MINIMUM_BILLED_MS), 220_000);
        // An m5.large ($0.096/h) for 3 min 40 s: 0.096 × 220 / 3600.
        assert!((ec2_cost(220_000, 0.096) - 0.096 * 220.0 / 3600.0).abs() < 1e-15);
    }

    #[test]
    fn builtin_rates_cover_us_east_1_only() {
        assert_eq!(builtin_fargate_rates("us-east-1", CpuArchitecture::X86_64), Some(US_EAST_1_LINUX_X86));
        assert_eq!(builtin_fargate_rates("eu-west-1", CpuArchitecture::X86_64), None);
    }
}
