//! Shards: the I-th of N disjoint, deterministic slices of a sweep's runs, so that an existing
//! batch engine's array job can run a sweep on many machines: run `i` of the sweep's order
//! belongs to shard `i mod N`, which spreads the points' costs evenly over the shards.
//!
//! With no `--shard`, the slice comes from the engine's own variables: Slurm job arrays
//! (`SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN` in steps of
//! `SLURM_ARRAY_TASK_STEP`, and `SLURM_ARRAY_TASK_COUNT`),
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
    let needed = |name: &str, what: &str| {
        shards.ok_or_else(|| format!("{name} is set but not how many shards there are: pass --shards N ({what})"))
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let count = match number("SLURM_ARRAY_TASK_COUNT")? {
            Some(count) => agree("Slurm", "SLURM_ARRAY_TASK_COUNT", count)?,
            None => needed("SLURM_ARRAY_TASK_ID", "the array's size")?,
        };
        // Ids min, min + step, …: the k-th is shard k. A list such as --array=1,4,9 has no
        // such order: its tasks cannot tell their shard.
        let max = number("SLURM_ARRAY_TASK_MAX")?;
        let evenly =
            max.is_none_or(|max| u64::from(max) == u64::from(min) + u64::from(step) * u64::from(count.max(1) - 1));
        let offset = id.checked_sub(min).filter(|o| evenly && o % step == 0);
        let index = offset.ok_or(
            "the Slurm array's task ids are not evenly spaced (e.g. --array=1,4,9): give a range such as --array=0-3 or 1-7:2, or --shard I/N",
        )? / step;
        return Shard::new(index, count).map(|s| Some((s, "Slurm")));
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = needed("JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)", "the Job's completions")?;
        return Shard::new(index, count).map(|s| Some((s, "Kubernetes")));
    }
    if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
        let count = match number("AWS_BATCH_JOB_ARRAY_SIZE")? {
            Some(size) => agree("AWS Batch", "AWS_BATCH_JOB_ARRAY_SIZE", size)?,
            None => needed("AWS_BATCH_JOB_ARRAY_INDEX", "the array's size")?,
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
        // sbatch --array=1-7:2: ids 1, 3, 5, 7 are shards 0 to 3.
        let stepped = |id: &'static str| {
            [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "7"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]
        };
        for (id, index) in [("1", 0), ("3", 1), ("5", 2), ("7", 3)] {
            assert_eq!(from_environment(env(&stepped(id)), None), Ok(Some((Shard { index, count: 4 }, "Slurm"))));
        }
        // sbatch --array=1,4,9: min 1, max 9, count 3 — not a range.
        let list = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(from_environment(env(&list), None).unwrap_err().contains("not evenly spaced"));
    }
}
