//! A capacity provider strategy's split of a service's tasks (reference §4.5): "Base
//! requirements are satisfied first before weight distribution", then the weights share the
//! rest. AWS does not say how a remainder rounds; ecsim apportions as D'Hondt does, one task at
//! a time, which keeps every split as close to the weights as whole tasks allow and is the
//! same every run.

use serde::Serialize;

/// One item of a strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    pub base: u32,
    pub weight: u32,
}

/// The item the next launch goes to, given the service's tasks per item: an item below its
/// base first; then the item with weight whose `(tasks beyond base + 1) / weight` is least,
/// the earlier item on a tie.
pub fn next_launch(shares: &[Share], tasks: &[u32]) -> usize {
    if let Some(below) = (0..shares.len()).find(|&i| tasks[i] < shares[i].base) {
        return below;
    }
    (0..shares.len())
        .filter(|&i| shares[i].weight > 0)
        .min_by(|&a, &b| {
            let key = |i: usize| f64::from(tasks[i] - shares[i].base + 1) / f64::from(shares[i].weight);
            key(a).total_cmp(&key(b)).then(a.cmp(&b))
        })
        .expect("a strategy has a weight above 0")
}

/// The item the next scale-in takes a task from, undoing `next_launch`: among items with tasks
/// beyond their base, the one with the greatest `(tasks beyond base) / weight` (no weight:
/// first), the later item on a tie; an item's base goes last.
pub fn next_stop(shares: &[Share], tasks: &[u32]) -> usize {
    let beyond = |i: usize| tasks[i].saturating_sub(shares[i].base);
    let over = (0..shares.len()).filter(|&i| beyond(i) > 0).max_by(|&a, &b| {
        let key = |i: usize| {
            if shares[i].weight == 0 { f64::INFINITY } else { f64::from(beyond(i)) / f64::from(shares[i].weight) }
        };
        key(a).total_cmp(&key(b)).then(a.cmp(&b))
    });
    over.unwrap_or_else(|| (0..shares.len()).rev().find(|&i| tasks[i] > 0).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Launches `n` tasks one by one and returns the items chosen.
    fn launches(shares: &[Share], n: usize) -> Vec<usize> {
        let mut tasks = vec![0; shares.len()];
        (0..n)
            .map(|_| {
                let i = next_launch(shares, &tasks);
                tasks[i] += 1;
                i
            })
            .collect()
    }

    fn split(shares: &[Share], n: usize) -> Vec<u32> {
        let mut tasks = vec![0; shares.len()];
        for i in launches(shares, n) {
            tasks[i] += 1;
        }
        tasks
    }

    const fn share(base: u32, weight: u32) -> Share {
        Share { base, weight }
    }

    #[test]
    fn base_first_then_weights_by_hand() {
        // AWS's example: weight 1 and 4 → "for every 1 task on A, 4 tasks will run on B".
        let one_four = [share(0, 1), share(0, 4)];
        // D'Hondt: (0+1)/1 = 1 against (0+1)/4 = 0.25 → B; B; B; then A 1 vs B 1 → A (earlier).
        assert_eq!(launches(&one_four, 5), [1, 1, 1, 0, 1]);
        assert_eq!(split(&one_four, 10), [2, 8]);
        // Base 2 on FARGATE, weight 3 on FARGATE_SPOT: the first two on FARGATE, then Spot.
        let base_two = [share(2, 0), share(0, 3)];
        assert_eq!(launches(&base_two, 5), [0, 0, 1, 1, 1]);
        // Base 2 with weights 1 : 3 beyond it: 7 tasks = 2 base + 5 split 1 : 3 → 1.25 : 3.75.
        // D'Hondt gives 1 : 4 (A: 2/1 = 2 against B: 4/3 = 1.33 for the 5th).
        assert_eq!(split(&[share(2, 1), share(0, 3)], 7), [3, 4]);
        // Equal weights alternate, the earlier first; a remainder goes to the earlier.
        assert_eq!(launches(&[share(0, 1), share(0, 1)], 3), [0, 1, 0]);
        // Weight 0 takes nothing beyond its base.
        assert_eq!(split(&[share(1, 0), share(0, 1)], 4), [1, 3]);
    }

    #[test]
    fn scale_in_keeps_the_split_and_base_goes_last() {
        let shares = [share(2, 1), share(0, 3)];
        let mut tasks = split(&shares, 10); // 2 base + 8 beyond: 2 : 6 → [4, 6]
        assert_eq!(tasks, [4, 6]);
        let mut stopped = Vec::new();
        while tasks.iter().sum::<u32>() > 0 {
            let i = next_stop(&shares, &tasks);
            tasks[i] -= 1;
            stopped.push(i);
        }
        // Beyond base A has 2/1 = 2 against 6/3 = 2 → the later, B; then A 2 against 5/3 → A;
        // B (1 against 5/3), B (1 against 4/3), B (1 against 1: the later), A (1 against 2/3),
        // B, B; and the 2 base tasks last.
        assert_eq!(stopped, [1, 0, 1, 1, 1, 0, 1, 1, 0, 0]);
        // Stopping undoes launching, task by task, whenever the split is whole.
        let one_four = [share(0, 1), share(0, 4)];
        let mut tasks = vec![0, 0];
        let order = launches(&one_four, 10);
        for &i in &order {
            tasks[i] += 1;
        }
        for &expected in order.iter().rev() {
            let i = next_stop(&one_four, &tasks);
            assert_eq!(i, expected);
            tasks[i] -= 1;
        }
    }
}
