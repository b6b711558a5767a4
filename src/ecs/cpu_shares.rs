//! Container CPU shares on an EC2 instance (reference §9): a task whose CPU is given only as
//! container CPU units (cgroup CPU shares, no task-level limit) may use CPU its instance's
//! other tasks leave idle. When the tasks want more than the instance has, each gets CPU in
//! proportion to its units, and what a task does not want goes to the others in the same
//! proportion (the Linux scheduler's weighted fair share, which is what CPU shares are). A task
//! with a task-level limit never wants more than it reserved.

/// The CPU units each task of an instance gets, from the instance's `capacity` and each task's
/// `(units, wanted)`: everything wanted if it fits, else max-min fair shares weighted by units.
/// Since placement never reserves more than the instance has, every task gets at least the
/// lesser of what it wants and what it reserved.
pub fn allocate(capacity: f64, tasks: &[(f64, f64)]) -> Vec<f64> {
    let mut got: Vec<f64> = tasks.iter().map(|&(_, wanted)| wanted).collect();
    if got.iter().sum::<f64>() <= capacity {
        return got;
    }
    // Fill level by level: the task wanting least per unit first (the earlier on a tie).
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| (tasks[a].1 / tasks[a].0).total_cmp(&(tasks[b].1 / tasks[b].0)));
    let (mut left, mut units_left) = (capacity, tasks.iter().map(|&(units, _)| units).sum::<f64>());
    for (k, &i) in order.iter().enumerate() {
        let (units, wanted) = tasks[i];
        if wanted <= left * units / units_left {
            left -= wanted;
            units_left -= units;
            continue;
        }
        // Every task from here on wants more than the level: each gets the level × its units.
        let level = left / units_left;
        for &j in &order[k..] {
            got[j] = level * tasks[j].0;
        }
        break;
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_cpu_goes_to_the_busy_tasks_by_their_units() {
        // An m5.large's 2048 units, two tasks of 512: one idle (wants 100), one busy (wants
        // 4096): the busy one gets everything left, 1948 — 3.8 × what it reserved.
        assert_eq!(allocate(2048.0, &[(512.0, 100.0), (512.0, 4096.0)]), [100.0, 1948.0]);
        // Both busy: 1024 each, by their equal units.
        assert_eq!(allocate(2048.0, &[(512.0, 4096.0), (512.0, 4096.0)]), [1024.0, 1024.0]);
        // Units 1024 and 512, both busy: 2048 split 2 : 1.
        let got = allocate(2048.0, &[(1024.0, 5000.0), (512.0, 5000.0)]);
        assert!((got[0] - 4096.0 / 3.0).abs() < 1e-9 && (got[1] - 2048.0 / 3.0).abs() < 1e-9, "{got:?}");
        // What fits is given whole.
        assert_eq!(allocate(2048.0, &[(512.0, 600.0), (512.0, 700.0)]), [600.0, 700.0]);
        // A task capped at its reservation (it wants 512 at most) keeps it; the other gets the rest.
        assert_eq!(allocate(2048.0, &[(512.0, 512.0), (512.0, 9000.0)]), [512.0, 1536.0]);
    }
}
