//! Shards: the I-th of N disjoint, deterministic slices of a sweep's runs, so that an existing
//! batch engine's array job can run a sweep on many machines: run `i` of the sweep's order
//! belongs to shard `i mod N`, which spreads the points' costs evenly over the shards.
//!
//! With no `--shard`, the slice comes from the engine's own variables: Slurm job arrays
//! (`SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN`, and `SLURM_ARRAY_TASK_COUNT`),
//! Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`; the count is the Job's `completions`,
//! given as `--shards`) and AWS Batch array jobs (`AWS_BATCH_JOB_ARRAY_INDEX` and
//! `AWS_BATCH_JOB_ARRAY_SIZE`).

use std::fmt;
use std::str::FromStr;

/// The `index`-th of `count` slices, `0 ≤ index < count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The most shards a sweep may be split into (AWS Batch's largest array, 10,000 children).
pub const MAX_SHARDS: u32 = 10_000;

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("{count} shards; expected 1 to {MAX_SHARDS}"));
        }
        if index >= count {
            return Err(format!("shard {index} of {count}; shards are numbered 0 to {}", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `run` of the sweep's order is this shard's.
    pub fn owns(&self, run: u64) -> bool {
        run % u64::from(self.count) == u64::from(self.index)
    }

    /// The shard's folder inside the sweep's: `shard-I-of-N`.
    pub fn folder(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, e.g. `0/4`.
    fn from_str(text: &str) -> Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        let (index, count) = parsed.ok_or_else(|| format!("found \"{text}\"; expected I/N, e.g. 0/4"))?;
        Shard::new(index, count)
    }
}

/// The shard a batch engine's variables give, and the engine's name; `None` outside an array
/// job. `shards` is the `--shards` count, which Kubernetes needs and the others must agree with.
pub fn from_environment(
    variable: impl Fn(&str) -> Option<String>,
    shards: Option<u32>,
) -> Result<Option<(Shard, &'static str)>, String> {
    let number = |name: &str| -> Result<Option<u32>, String> {
        variable(name)
            .map(|v| v.trim().parse::<u32>().map_err(|_| format!("{name}={v} is not a whole number")))
            .transpose()
    };
    let agree = |engine: &str, name: &str, count: u32| match shards {
        Some(n) if n != count => Err(format!("--shards {n}, but {engine} runs {count} array tasks ({name})")),
        _ => Ok(count),
    };
    let needed = |engine: &str, name: &str| {
        shards.ok_or_else(|| {
            format!(
                "{name} is set ({engine}) but not how many shards there are: pass --shards N (the Job's completions)"
            )
        })
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        if number("SLURM_ARRAY_TASK_STEP")?.is_some_and(|step| step != 1) {
            return Err("a Slurm array with a step other than 1: give consecutive task ids, e.g. --array=0-3".into());
        }
        let count = match number("SLURM_ARRAY_TASK_COUNT")? {
            Some(count) => agree("Slurm", "SLURM_ARRAY_TASK_COUNT", count)?,
            None => needed("Slurm", "SLURM_ARRAY_TASK_ID")?,
        };
        let index = id.checked_sub(min).ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
        return Shard::new(index, count).map(|s| Some((s, "Slurm")));
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = needed("a Kubernetes Indexed Job", "JOB_COMPLETION_INDEX")?;
        return Shard::new(index, count).map(|s| Some((s, "Kubernetes")));
    }
    if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
        let count = match number("AWS_BATCH_JOB_ARRAY_SIZE")? {
            Some(size) => agree("AWS Batch", "AWS_BATCH_JOB_ARRAY_SIZE", size)?,
            None => needed("AWS Batch", "AWS_BATCH_JOB_ARRAY_INDEX")?,
        };
        return Shard::new(index, count).map(|s| Some((s, "AWS Batch")));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_split_the_runs_round_robin_and_cover_each_once() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        for run in 0..10u64 {
            assert_eq!(shards.iter().filter(|s| s.owns(run)).count(), 1);
        }
        let owned: Vec<u64> = (0..10).filter(|&r| shards[1].owns(r)).collect();
        assert_eq!(owned, [1, 4, 7]);
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert!("4/4".parse::<Shard>().unwrap_err().contains("numbered 0 to 3"));
        assert!("1-4".parse::<Shard>().unwrap_err().contains("expected I/N"));
        assert!("0/0".parse::<Shard>().is_err());
    }

    #[test]
    fn each_batch_engine_is_read_from_its_own_variables() {
        // sbatch --array=1-4: ids 1..4, counted from the minimum.
        let slurm = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        assert_eq!(from_environment(env(&slurm), None), Ok(Some((Shard { index: 2, count: 4 }, "Slurm"))));
        assert!(from_environment(env(&slurm), Some(5)).unwrap_err().contains("Slurm runs 4"));
        let k8s = [("JOB_COMPLETION_INDEX", "5")];
        assert_eq!(from_environment(env(&k8s), Some(8)), Ok(Some((Shard { index: 5, count: 8 }, "Kubernetes"))));
        assert!(from_environment(env(&k8s), None).unwrap_err().contains("pass --shards N"));
        let batch = [("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("AWS_BATCH_JOB_ARRAY_SIZE", "10")];
        assert_eq!(from_environment(env(&batch), None), Ok(Some((Shard { index: 0, count: 10 }, "AWS Batch"))));
        assert_eq!(from_environment(env(&[]), None), Ok(None));
        assert!(
            from_environment(env(&[("SLURM_ARRAY_TASK_ID", "x")]), None).unwrap_err().contains("not a whole number")
        );
        let stepped = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_STEP", "2"), ("SLURM_ARRAY_TASK_COUNT", "2")];
        assert!(from_environment(env(&stepped), None).unwrap_err().contains("step other than 1"));
    }
}
