//! Valid Fargate task sizes (reference §5.1, from the ECS API model
//! `RegisterTaskDefinitionRequest.memory` and the AWS_Fargate page).

/// The memory values (MiB) Fargate accepts for `cpu_units`, or `None` if the CPU value itself
/// is not a Fargate size.
pub fn valid_memory_mib(cpu_units: u32) -> Option<Vec<u32>> {
    const GB: u32 = 1024;
    let (from, to, step) = match cpu_units {
        256 => return Some(vec![512, GB, 2 * GB]),
        512 => (GB, 4 * GB, GB),
        1024 => (2 * GB, 8 * GB, GB),
        2048 => (4 * GB, 16 * GB, GB),
        4096 => (8 * GB, 30 * GB, GB),
        8192 => (16 * GB, 60 * GB, 4 * GB),
        16384 => (32 * GB, 120 * GB, 8 * GB),
        _ => return None,
    };
    Some((from..=to).step_by(step as usize).collect())
}

/// The CPU values Fargate accepts.
pub const VALID_CPU_UNITS: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_aws_table() {
        // (cpu, valid memory in GB) straight from the table: 0.5 GB written as 512 MiB.
        let mib = |gb: &[u32]| gb.iter().map(|g| g * 1024).collect::<Vec<_>>();
        assert_eq!(valid_memory_mib(256), Some(vec![512, 1024, 2048]));
        assert_eq!(valid_memory_mib(512), Some(mib(&[1, 2, 3, 4])));
        assert_eq!(valid_memory_mib(1024), Some(mib(&[2, 3, 4, 5, 6, 7, 8])));
        assert_eq!(valid_memory_mib(2048), Some(mib(&(4..=16).collect::<Vec<_>>())));
        assert_eq!(valid_memory_mib(4096), Some(mib(&(8..=30).collect::<Vec<_>>())));
        assert_eq!(valid_memory_mib(8192), Some(mib(&[16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60])));
        assert_eq!(valid_memory_mib(16384), Some(mib(&[32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120])));
        assert_eq!(valid_memory_mib(768), None);
        assert_eq!(valid_memory_mib(32768), None); // the 32 vCPU row is not in the ECS API model
    }
}
