//! A capacity provider strategy's split of a service's tasks (reference §4.5): "Base
//! requirements are satisfied first before weight distribution", then the weights share the
//! rest. AWS does not document how a remainder rounds, nor which provider a scale-in takes
//! from; AWS's Spot workshop shows both (§4.5). With CP-OD at base 2 and weight 1 and CP-SPOT
//! at weight 3, ten tasks run 4 and 6; scaled in to six they run 3 and 3 ("CP-OD will have 2
//! as per the base configuration, and the remaining 4 tasks will be split with 1 on CP-OD and 3
//! on CP-SPOT"), and to four, 3 and 1 ("remaining 2 (4-2) will be split with 1 on CP-OD and 1 on
//! CP-SPOT"). [`SplitRule::AwsObserved`] reproduces that: the split of n tasks is the base, then
//! the rest by the largest remainder (Hamilton), ties to the earlier provider; a launch goes to
//! the provider most below the split of the new count, a stop comes from the one most above it.
//! With two providers every count's split is one task from the next, so the tasks always are
//! the split; with three or more the largest remainder can move a task between providers from
//! one count to the next, and then the tasks are one launch or stop off it until a later count
//! brings them back.
//! [`SplitRule::ReverseOfLaunch`] keeps ecsim's earlier rule for comparison: launches one at a
//! time by D'Hondt, a scale-in undoing them in reverse.

use serde::Serialize;

/// One item of a strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    pub base: u32,
    pub weight: u32,
}

/// How a strategy's tasks are shared out, and which goes first on scale-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// Towards the split of the new count, remainders to the largest fractions (AWS's
    /// workshop, observed rather than documented).
    #[default]
    AwsObserved,
    /// D'Hondt one launch at a time; a scale-in undoes the launches in reverse.
    ReverseOfLaunch,
}

/// How `n` tasks split over the strategy's items.
pub fn split(rule: SplitRule, shares: &[Share], n: u32) -> Vec<u32> {
    match rule {
        SplitRule::AwsObserved => largest_remainder(shares, n),
        SplitRule::ReverseOfLaunch => {
            let mut tasks = vec![0; shares.len()];
            for _ in 0..n {
                let next = d_hondt_launch(shares, &tasks);
                tasks[next] += 1;
            }
            tasks
        }
    }
}

/// The item the next launch goes to, given the service's tasks per item.
pub fn next_launch(rule: SplitRule, shares: &[Share], tasks: &[u32]) -> usize {
    if shares.len() == 1 {
        return 0;
    }
    match rule {
        SplitRule::AwsObserved => {
            let target = largest_remainder(shares, tasks.iter().sum::<u32>() + 1);
            let below = |i: usize| i64::from(target[i]) - i64::from(tasks[i]);
            // The earliest of the items most below: `max_by_key` keeps the last of equals.
            (0..shares.len()).rev().max_by_key(|&i| below(i)).expect("a strategy has items")
        }
        SplitRule::ReverseOfLaunch => d_hondt_launch(shares, tasks),
    }
}

/// The item the next scale-in takes a task from, given the service's tasks per item (some
/// item has one).
pub fn next_stop(rule: SplitRule, shares: &[Share], tasks: &[u32]) -> usize {
    if shares.len() == 1 {
        return 0;
    }
    match rule {
        SplitRule::AwsObserved => {
            let target = largest_remainder(shares, tasks.iter().sum::<u32>().saturating_sub(1));
            let above = |i: usize| i64::from(tasks[i]) - i64::from(target[i]);
            // The latest of the items most above, among those with a task.
            (0..shares.len()).filter(|&i| tasks[i] > 0).max_by_key(|&i| above(i)).unwrap_or(0)
        }
        SplitRule::ReverseOfLaunch => d_hondt_stop(shares, tasks),
    }
}

/// Base first, item by item; the rest by the weights, each item its whole quota and the tasks
/// left over one each to the largest fractions, the earlier item on a tie. Exact in integers.
fn largest_remainder(shares: &[Share], n: u32) -> Vec<u32> {
    let mut left = n;
    let mut tasks: Vec<u32> = shares
        .iter()
        .map(|s| {
            let base = s.base.min(left);
            left -= base;
            base
        })
        .collect();
    let total: u64 = shares.iter().map(|s| u64::from(s.weight)).sum();
    if total == 0 || left == 0 {
        return tasks;
    }
    let rest = u64::from(left);
    let mut fractions: Vec<(u64, usize)> = Vec::with_capacity(shares.len());
    let mut given = 0;
    for (i, s) in shares.iter().enumerate() {
        let quota = rest * u64::from(s.weight);
        let whole = (quota / total) as u32; // at most `left`
        tasks[i] += whole;
        given += whole;
        if s.weight > 0 {
            fractions.push((quota % total, i));
        }
    }
    // Largest fraction first, the earlier item on a tie.
    fractions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in fractions.iter().take((left - given) as usize) {
        tasks[i] += 1;
    }
    tasks
}

/// D'Hondt: an item below its base first; then the item with weight whose `(tasks beyond base
/// + 1) / weight` is least, the earlier item on a tie.
fn d_hondt_launch(shares: &[Share], tasks: &[u32]) -> usize {
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

/// Undoing `d_hondt_launch`: among items with tasks beyond their base, the one with the
/// greatest `(tasks beyond base) / weight` (no weight: first), the later item on a tie; an
/// item's base goes last.
fn d_hondt_stop(shares: &[Share], tasks: &[u32]) -> usize {
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
    use SplitRule::{AwsObserved, ReverseOfLaunch};

    /// Launches `n` tasks one by one and returns the items chosen.
    fn launches(rule: SplitRule, shares: &[Share], n: usize) -> Vec<usize> {
        let mut tasks = vec![0; shares.len()];
        (0..n)
            .map(|_| {
                let i = next_launch(rule, shares, &tasks);
                tasks[i] += 1;
                i
            })
            .collect()
    }

    /// Stops tasks one by one from `tasks` down to `n`, returning the items chosen.
    fn stops(rule: SplitRule, shares: &[Share], tasks: &mut [u32], n: u32) -> Vec<usize> {
        let mut stopped = Vec::new();
        while tasks.iter().sum::<u32>() > n {
            let i = next_stop(rule, shares, tasks);
            tasks[i] -= 1;
            stopped.push(i);
        }
        stopped
    }

    const fn share(base: u32, weight: u32) -> Share {
        Share { base, weight }
    }

    /// The Spot workshop's strategy: CP-OD base 2 weight 1, CP-SPOT weight 3.
    const WORKSHOP: [Share; 2] = [share(2, 1), share(0, 3)];

    #[test]
    fn the_workshop_split_and_its_scale_in_as_aws_showed_them() {
        // 10 tasks: 2 base + 8 at 1 : 3 = 4 and 6. Six: 2 + 4 at 1 : 3 = 3 and 3. Four: 2 + 2,
        // whose 0.5 : 1.5 leaves one task to the larger fraction, a tie, so to CP-OD: 3 and 1.
        assert_eq!(split(AwsObserved, &WORKSHOP, 10), [4, 6]);
        assert_eq!(split(AwsObserved, &WORKSHOP, 6), [3, 3]);
        assert_eq!(split(AwsObserved, &WORKSHOP, 4), [3, 1]);
        // Scaled in task by task, 10 → 6 → 4 ends where AWS's console showed it.
        let mut tasks = [4, 6];
        stops(AwsObserved, &WORKSHOP, &mut tasks, 6);
        assert_eq!(tasks, [3, 3]);
        stops(AwsObserved, &WORKSHOP, &mut tasks, 4);
        assert_eq!(tasks, [3, 1]);
        // ecsim's earlier rule undoes the launches and leaves 2 and 2.
        let mut tasks = [4, 6];
        stops(ReverseOfLaunch, &WORKSHOP, &mut tasks, 4);
        assert_eq!(tasks, [2, 2]);
    }

    #[test]
    fn launches_follow_the_split_of_each_new_count() {
        // By hand: n = 3 → 2 + 1 at 0.25 : 0.75 → SPOT; 4 → OD (the tie above); 5 → 2 + 3 at
        // 0.75 : 2.25 → [3, 2] → SPOT; 6 → SPOT; 7 → 2 + 5 at 1.25 : 3.75 → [3, 4] → SPOT;
        // 8 → 2 + 6 at 1.5 : 4.5, a tie → OD; 9 → 2 + 7 at 1.75 : 5.25 → [4, 5] → SPOT; 10 → SPOT.
        assert_eq!(launches(AwsObserved, &WORKSHOP, 10), [0, 0, 1, 0, 1, 1, 1, 0, 1, 1]);
        // With two providers, at every count the tasks are that count's split.
        let mut tasks = vec![0, 0];
        for (n, i) in launches(AwsObserved, &WORKSHOP, 30).into_iter().enumerate() {
            tasks[i] += 1;
            assert_eq!(tasks, split(AwsObserved, &WORKSHOP, n as u32 + 1), "{n}");
        }
        // AWS's weights 1 and 4: "for every 1 task on A, 4 tasks will run on B".
        assert_eq!(split(AwsObserved, &[share(0, 1), share(0, 4)], 10), [2, 8]);
        assert_eq!(split(AwsObserved, &[share(0, 1), share(0, 4)], 5), [1, 4]);
        // Three items 1 : 1 : 1 and 4 tasks: 1.33 each, the leftover to the first.
        assert_eq!(split(AwsObserved, &[share(0, 1), share(0, 1), share(0, 1)], 4), [2, 1, 1]);
        // Fewer tasks than the base: all on the base.
        assert_eq!(split(AwsObserved, &WORKSHOP, 1), [1, 0]);
    }

    #[test]
    fn with_three_providers_a_launch_can_fall_off_the_split_for_a_count() {
        // Weights 1 : 3 : 3. By hand: 1 task → 0.14 : 0.43 : 0.43, the tie to the earlier →
        // [0, 1, 0]; 2 → [0, 1, 1]; 3 → 0.43 : 1.29 : 1.29, floors 0 1 1, the leftover to the
        // largest fraction, 0.43 → [1, 1, 1]; 4 → 0.57 : 1.71 : 1.71 → [0, 2, 2], which one
        // launch from [1, 1, 1] cannot reach: it goes to the earliest most below → [1, 2, 1];
        // 5 → [1, 2, 2], the split again.
        let shares = [share(0, 1), share(0, 3), share(0, 3)];
        assert_eq!(split(AwsObserved, &shares, 3), [1, 1, 1]);
        assert_eq!(split(AwsObserved, &shares, 4), [0, 2, 2]);
        assert_eq!(launches(AwsObserved, &shares, 5), [1, 2, 0, 1, 2]);
        assert_eq!(split(AwsObserved, &shares, 5), [1, 2, 2]);
    }

    #[test]
    fn a_task_outside_the_split_stops_first_and_the_base_goes_last() {
        // A Fargate strategy with its On-Demand fallback item (no base, no weight) holding a
        // task launched while Spot had no capacity: that task is the first to stop.
        let with_fallback = [share(0, 1), share(0, 3), share(0, 0)];
        assert_eq!(next_stop(AwsObserved, &with_fallback, &[1, 3, 1]), 2);
        // Down to nothing, the base tasks go last.
        let mut tasks = [4, 6];
        let order = stops(AwsObserved, &WORKSHOP, &mut tasks, 0);
        assert_eq!(&order[8..], [0, 0]);
    }

    #[test]
    fn reverse_of_launch_by_hand() {
        // AWS's example: weight 1 and 4 → "for every 1 task on A, 4 tasks will run on B".
        let one_four = [share(0, 1), share(0, 4)];
        // D'Hondt: (0+1)/1 = 1 against (0+1)/4 = 0.25 → B; B; B; then A 1 vs B 1 → A (earlier).
        assert_eq!(launches(ReverseOfLaunch, &one_four, 5), [1, 1, 1, 0, 1]);
        assert_eq!(split(ReverseOfLaunch, &one_four, 10), [2, 8]);
        // Base 2 on FARGATE, weight 3 on FARGATE_SPOT: the first two on FARGATE, then Spot.
        let base_two = [share(2, 0), share(0, 3)];
        assert_eq!(launches(ReverseOfLaunch, &base_two, 5), [0, 0, 1, 1, 1]);
        // Base 2 with weights 1 : 3 beyond it: 7 tasks = 2 base + 5 split 1 : 3 → 1.25 : 3.75.
        // D'Hondt gives 1 : 4 (A: 2/1 = 2 against B: 4/3 = 1.33 for the 5th).
        assert_eq!(split(ReverseOfLaunch, &WORKSHOP, 7), [3, 4]);
        // Equal weights alternate, the earlier first; a remainder goes to the earlier.
        assert_eq!(launches(ReverseOfLaunch, &[share(0, 1), share(0, 1)], 3), [0, 1, 0]);
        // Weight 0 takes nothing beyond its base.
        assert_eq!(split(ReverseOfLaunch, &[share(1, 0), share(0, 1)], 4), [1, 3]);

        let mut tasks = [4, 6];
        let stopped = stops(ReverseOfLaunch, &WORKSHOP, &mut tasks, 0);
        // Beyond base A has 2/1 = 2 against 6/3 = 2 → the later, B; then A 2 against 5/3 → A;
        // B (1 against 5/3), B (1 against 4/3), B (1 against 1: the later), A (1 against 2/3),
        // B, B; and the 2 base tasks last.
        assert_eq!(stopped, [1, 0, 1, 1, 1, 0, 1, 1, 0, 0]);
        // Stopping undoes launching, task by task, whenever the split is whole.
        let order = launches(ReverseOfLaunch, &one_four, 10);
        let mut tasks = [2, 8];
        let stopped = stops(ReverseOfLaunch, &one_four, &mut tasks, 0);
        assert_eq!(stopped, order.into_iter().rev().collect::<Vec<_>>());
    }
}
