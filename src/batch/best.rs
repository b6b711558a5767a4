//! The best configuration of a sweep: the point that keeps one figure lowest (or highest)
//! while another stays within a bound — "the cheapest configuration whose unserved share is
//! at most 0.1 %" — judged on the confidence intervals, not the means.
//!
//! A point meets `figure <= bound` when the upper end of its 95 % interval does (`>=`: the
//! lower end), fails it when the whole interval lies beyond the bound, and is undecided when
//! the interval straddles the bound. The best point is the met point with the best mean
//! objective; the met points whose objective interval overlaps the best's are tied with it.
//! With `--precision`, [`more_replications`] asks for more runs of the points near that
//! decision until their intervals are as tight as asked.

use std::str::FromStr;

use crate::report::sweep::{Columns, PointSummary};
use crate::stats::Estimate;

/// `figure <= bound` or `figure >= bound`.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub figure: String,
    pub at_most: bool,
    pub bound: f64,
}

impl FromStr for Constraint {
    type Err = String;

    fn from_str(text: &str) -> Result<Constraint, String> {
        let expected = || {
            format!("found \"{text}\"; expected FIGURE <= NUMBER or FIGURE >= NUMBER, e.g. 'unserved_share <= 0.001'")
        };
        let (figure, at_most, bound) = if let Some((f, b)) = text.split_once("<=") {
            (f, true, b)
        } else if let Some((f, b)) = text.split_once(">=") {
            (f, false, b)
        } else {
            return Err(expected());
        };
        let bound: f64 = bound.trim().parse().map_err(|_| expected())?;
        if !bound.is_finite() || figure.trim().is_empty() {
            return Err(expected());
        }
        Ok(Constraint { figure: figure.trim().to_owned(), at_most, bound })
    }
}

/// What `--best`, `--minimize` and `--maximize` ask for.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub constraint: Option<Constraint>,
    pub objective: String,
    pub maximize: bool,
}

/// The decision over a sweep's points (indices into its point summaries).
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// Points whose interval meets the constraint (every point with a value, without one).
    pub met: Vec<usize>,
    /// Points whose interval straddles the bound.
    pub undecided: Vec<usize>,
    pub best: Option<usize>,
    /// Met points other than the best whose objective interval overlaps the best's.
    pub tied: Vec<usize>,
}

/// The figures a goal names, as column indices: (constraint, objective).
fn figure_columns(goal: &Goal, columns: &Columns) -> Result<(Option<usize>, usize), String> {
    let find = |name: &str| {
        columns.figure(name).ok_or_else(|| {
            format!("`{name}` is not a figure of this sweep; its figures are {}", columns.figures.join(", "))
        })
    };
    let constraint = goal.constraint.as_ref().map(|c| find(&c.figure)).transpose()?;
    Ok((constraint, find(&goal.objective)?))
}

/// Checks that the figures `goal` names are among `columns`.
pub fn check(goal: &Goal, columns: &Columns) -> Result<(), String> {
    figure_columns(goal, columns).map(drop)
}

pub fn judge(points: &[PointSummary], columns: &Columns, goal: &Goal) -> Result<Judgement, String> {
    let (constraint_column, objective) = figure_columns(goal, columns)?;
    let mut judgement = Judgement { met: Vec::new(), undecided: Vec::new(), best: None, tied: Vec::new() };
    for (i, point) in points.iter().enumerate() {
        if point.estimates[objective].is_none() {
            continue;
        }
        match (&goal.constraint, constraint_column.and_then(|c| point.estimates[c])) {
            (None, _) => judgement.met.push(i),
            (Some(_), None) => {}
            (Some(c), Some(estimate)) => {
                let (low, high) = estimate.bounds();
                let (meets, fails) =
                    if c.at_most { (high <= c.bound, low > c.bound) } else { (low >= c.bound, high < c.bound) };
                if meets {
                    judgement.met.push(i);
                } else if !fails {
                    judgement.undecided.push(i);
                }
            }
        }
    }
    let mean = |i: usize| points[i].estimates[objective].map_or(f64::NAN, |e| e.mean);
    let better = |a: f64, b: f64| if goal.maximize { a > b } else { a < b };
    for &i in &judgement.met {
        if judgement.best.is_none_or(|b| better(mean(i), mean(b))) {
            judgement.best = Some(i);
        }
    }
    if let Some(best) = judgement.best {
        let (low, high) = bounds(points[best].estimates[objective]);
        judgement.tied = judgement
            .met
            .iter()
            .copied()
            .filter(|&i| i != best && overlaps(bounds(points[i].estimates[objective]), (low, high)))
            .collect();
    }
    Ok(judgement)
}

fn bounds(estimate: Option<Estimate>) -> (f64, f64) {
    estimate.map_or((f64::NAN, f64::NAN), |e| e.bounds())
}

fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// For the points near the decision whose intervals are wider than `precision` (a share of
/// the mean, or of the bound for the constraint), how many finished runs each should have:
/// the count the interval's width asks for (it narrows as 1/√n), at least one more and at most
/// twice as many as now, never above `cap`. Empty when the decision is as tight as asked.
///
/// Near the decision: the best point, the points tied with it, and the undecided points that
/// could still beat it.
pub fn more_replications(
    points: &[PointSummary],
    columns: &Columns,
    goal: &Goal,
    precision: f64,
    cap: usize,
) -> Result<Vec<(usize, usize)>, String> {
    let (constraint_column, objective) = figure_columns(goal, columns)?;
    let judgement = judge(points, columns, goal)?;
    let best_bounds = judgement.best.map(|b| bounds(points[b].estimates[objective]));
    let could_beat = |i: usize| {
        let (low, high) = bounds(points[i].estimates[objective]);
        match best_bounds {
            None => true,
            Some((best_low, best_high)) => {
                if goal.maximize {
                    high >= best_low
                } else {
                    low <= best_high
                }
            }
        }
    };
    let mut near: Vec<usize> = judgement.best.into_iter().chain(judgement.tied.iter().copied()).collect();
    near.extend(judgement.undecided.iter().copied().filter(|&i| could_beat(i)));
    near.sort_unstable();
    let mut wanted = Vec::new();
    for i in near {
        let point = &points[i];
        let n = point.runs;
        if n == 0 || n >= cap {
            continue;
        }
        // Each loose interval: its half-width and the half-width asked for.
        let mut loose: Vec<(f64, f64)> = Vec::new();
        let mut consider = |estimate: Option<Estimate>, scale: f64| {
            let target = precision * scale.abs();
            match estimate.and_then(|e| e.half_width()) {
                None => loose.push((f64::INFINITY, target)),
                Some(half) if half > target => loose.push((half, target)),
                Some(_) => {}
            }
        };
        let objective_estimate = point.estimates[objective];
        consider(objective_estimate, objective_estimate.map_or(0.0, |e| e.mean));
        if let (Some(c), Some(column)) = (&goal.constraint, constraint_column)
            && judgement.undecided.contains(&i)
        {
            let estimate = point.estimates[column];
            consider(estimate, c.bound.abs().max(estimate.map_or(0.0, |e| e.mean.abs())));
        }
        if loose.is_empty() {
            continue;
        }
        let asked = loose
            .iter()
            .map(|&(half, target)| {
                if half.is_finite() && target > 0.0 {
                    (n as f64 * (half / target).powi(2)).ceil()
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max);
        let next = asked.min((2 * n) as f64).max((n + 1) as f64).min(cap as f64) as usize;
        wanted.push((i, next));
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        Columns { axes: vec!["x".into()], figures: vec!["cost_usd".into(), "unserved_share".into()] }
    }

    /// A point whose cost and unserved share have these means and half-widths (n runs).
    fn point(i: usize, n: usize, cost: (f64, f64), unserved: (f64, f64)) -> PointSummary {
        let estimate = |(mean, half): (f64, f64)| {
            Some(Estimate { n, mean, sd: Some(half), interval: Some((mean - half, mean + half)) })
        };
        PointSummary {
            point: i,
            variant: "base".into(),
            axes: vec![i.to_string()],
            runs: n,
            failed: 0,
            estimates: vec![estimate(cost), estimate(unserved)],
        }
    }

    fn goal() -> Goal {
        Goal {
            constraint: Some("unserved_share <= 0.001".parse().unwrap()),
            objective: "cost_usd".into(),
            maximize: false,
        }
    }

    #[test]
    fn constraints_read_as_written() {
        assert_eq!(
            "unserved_share <= 0.001".parse::<Constraint>(),
            Ok(Constraint { figure: "unserved_share".into(), at_most: true, bound: 0.001 })
        );
        assert_eq!(
            " peak_tasks>=3".parse::<Constraint>(),
            Ok(Constraint { figure: "peak_tasks".into(), at_most: false, bound: 3.0 })
        );
        assert!("unserved_share < 0.001".parse::<Constraint>().is_err());
        assert!("unserved_share <= lots".parse::<Constraint>().is_err());
    }

    #[test]
    fn points_are_judged_on_the_ends_of_their_intervals() {
        let points = [
            // Cheapest, but its interval reaches above 0.001: undecided.
            point(0, 10, (80.0, 2.0), (0.0008, 0.0004)),
            // Meets at the upper end (0.0009): the best of those that meet.
            point(1, 10, (100.0, 3.0), (0.0005, 0.0004)),
            // Meets; its cost interval [101, 105] overlaps the best's [97, 103]: tied.
            point(2, 10, (103.0, 2.0), (0.0001, 0.0001)),
            // Meets, but dearer beyond overlap.
            point(3, 10, (120.0, 2.0), (0.0, 0.0)),
            // Fails: its whole interval is above the bound.
            point(4, 10, (60.0, 1.0), (0.01, 0.002)),
        ];
        let j = judge(&points, &columns(), &goal()).unwrap();
        assert_eq!(j.met, [1, 2, 3]);
        assert_eq!(j.undecided, [0]);
        assert_eq!(j.best, Some(1));
        assert_eq!(j.tied, [2]);

        let cheapest = Goal { constraint: None, ..goal() };
        assert_eq!(judge(&points, &columns(), &cheapest).unwrap().best, Some(4));
        let bad = Goal { objective: "cost".into(), ..goal() };
        assert!(judge(&points, &columns(), &bad).unwrap_err().contains("`cost` is not a figure of this sweep"));
    }

    #[test]
    fn more_runs_go_to_the_points_near_the_decision_until_they_are_tight() {
        let points = [
            point(0, 10, (80.0, 2.0), (0.0008, 0.0004)), // undecided, could beat the best
            point(1, 10, (100.0, 3.0), (0.0005, 0.0004)), // best; cost ±3 % > 2 %
            point(2, 10, (103.0, 1.0), (0.0001, 0.0001)), // tied, but already within 2 %
            point(3, 10, (120.0, 9.0), (0.0, 0.0)),      // loose, but far from the decision
        ];
        let more = more_replications(&points, &columns(), &goal(), 0.02, 100).unwrap();
        // Point 0: unserved half 0.0004 against 2 % of 0.001 = 0.00002: 10 × 400 → capped at 2n = 20.
        // Point 1: cost half 3 against 2 = 2 % of 100: 10 × (3/2)² = 22.5 → 23, capped at 20.
        assert_eq!(more, [(0, 20), (1, 20)]);
        // With room for 15 runs at most, both stop there.
        assert_eq!(more_replications(&points, &columns(), &goal(), 0.02, 15).unwrap(), [(0, 15), (1, 15)]);
        // At 5 % point 1 (3 % wide) is tight; the undecided point still is not.
        assert_eq!(more_replications(&points, &columns(), &goal(), 0.05, 100).unwrap(), [(0, 20)]);

        // A point narrowly loose asks only for what its width needs: 10 × (2.1/2)² = 11.03 → 12.
        let narrow = [point(0, 10, (100.0, 2.1), (0.0, 0.0))];
        assert_eq!(more_replications(&narrow, &columns(), &goal(), 0.02, 100).unwrap(), [(0, 12)]);
        let tight = [point(0, 10, (100.0, 1.9), (0.0, 0.0))];
        assert_eq!(more_replications(&tight, &columns(), &goal(), 0.02, 100).unwrap(), []);
    }
}
