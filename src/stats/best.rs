//! The best configuration of a sweep: the point that keeps one figure lowest (or highest)
//! while another stays within a bound — "the cheapest configuration whose unserved share is
//! at most 0.1 %" — judged on the confidence intervals, not the means.
//!
//! A point meets `figure <= bound` when the upper end of its 95 % interval does (`>=`: the
//! lower end), fails it when the whole interval lies beyond the bound, and is undecided when
//! the interval straddles the bound. The best point is the met point with the best mean
//! objective; the met points whose objective interval overlaps the best's are tied with it,
//! and the undecided points whose objective interval reaches past the best's could still beat
//! it. With `--precision`, [`more_replications`] asks for more runs of the points near that
//! decision until their intervals are as tight as asked.

use std::str::FromStr;

use super::Estimate;

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

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.figure, if self.at_most { "<=" } else { ">=" }, self.bound)
    }
}

/// What `--best`, `--minimize` and `--maximize` ask for.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub constraint: Option<Constraint>,
    pub objective: String,
    pub maximize: bool,
}

/// A goal whose figures were found among a sweep's: their column indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub constraint: Option<(usize, Constraint)>,
    pub objective: usize,
    pub maximize: bool,
}

impl Goal {
    /// The goal over a sweep with these figure columns; an unknown figure is an error that
    /// lists them.
    pub fn resolve(&self, figures: &[String]) -> Result<Resolved, String> {
        let find = |name: &str| {
            figures.iter().position(|f| f == name).ok_or_else(|| {
                format!("`{name}` is not a figure of this sweep; its figures are {}", figures.join(", "))
            })
        };
        let constraint = match &self.constraint {
            Some(c) => Some((find(&c.figure)?, c.clone())),
            None => None,
        };
        Ok(Resolved { constraint, objective: find(&self.objective)?, maximize: self.maximize })
    }
}

/// What one point's runs say, as the decision sees them.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    /// Per figure, over the point's finished runs.
    pub estimates: &'a [Option<Estimate>],
    /// Runs made, finished or failed.
    pub rows: usize,
}

/// The decision over a sweep's points (indices into its points).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judgement {
    /// Points whose interval meets the constraint (every point with a value, without one).
    pub met: Vec<usize>,
    /// Points whose interval straddles the bound.
    pub undecided: Vec<usize>,
    /// Points with no finished run to judge.
    pub unjudged: Vec<usize>,
    pub best: Option<usize>,
    /// Met points other than the best whose objective interval overlaps the best's.
    pub tied: Vec<usize>,
    /// Undecided points whose objective interval reaches past the best's: had they met the
    /// constraint, they might have been better.
    pub contenders: Vec<usize>,
}

fn bounds(estimate: Option<Estimate>) -> (f64, f64) {
    estimate.map_or((f64::NAN, f64::NAN), |e| e.bounds())
}

fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

pub fn judge(points: &[Evidence], goal: &Resolved) -> Judgement {
    let mut judgement = Judgement::default();
    for (i, point) in points.iter().enumerate() {
        if point.estimates[goal.objective].is_none() {
            judgement.unjudged.push(i);
            continue;
        }
        match &goal.constraint {
            None => judgement.met.push(i),
            Some((column, c)) => match point.estimates[*column] {
                None => judgement.unjudged.push(i),
                Some(estimate) => {
                    let (low, high) = estimate.bounds();
                    let (meets, fails) =
                        if c.at_most { (high <= c.bound, low > c.bound) } else { (low >= c.bound, high < c.bound) };
                    if meets {
                        judgement.met.push(i);
                    } else if !fails {
                        judgement.undecided.push(i);
                    }
                }
            },
        }
    }
    let objective = |i: usize| points[i].estimates[goal.objective];
    let mean = |i: usize| objective(i).map_or(f64::NAN, |e| e.mean);
    let better = |a: f64, b: f64| if goal.maximize { a > b } else { a < b };
    for &i in &judgement.met {
        if judgement.best.is_none_or(|b| better(mean(i), mean(b))) {
            judgement.best = Some(i);
        }
    }
    let best_bounds = judgement.best.map(|b| bounds(objective(b)));
    if let (Some(best), Some(best_bounds)) = (judgement.best, best_bounds) {
        judgement.tied = judgement
            .met
            .iter()
            .copied()
            .filter(|&i| i != best && overlaps(bounds(objective(i)), best_bounds))
            .collect();
    }
    judgement.contenders = judgement
        .undecided
        .iter()
        .copied()
        .filter(|&i| {
            let (low, high) = bounds(objective(i));
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
        })
        .collect();
    judgement
}

/// For the points near the decision — the best, those tied with it, the undecided ones that
/// could beat it — whose intervals are wider than `precision` (a share of the mean, or of the
/// bound for the constraint), how many runs each should have made in all: what the interval's
/// width asks for (it narrows as 1/√n of the finished runs), at least one more and at most
/// twice as many finished runs as now, and never more than `cap` runs made (failed ones
/// count, so runs that keep failing cannot go on for ever). Empty when the decision is as
/// tight as asked.
pub fn more_replications(points: &[Evidence], goal: &Resolved, precision: f64, cap: usize) -> Vec<(usize, usize)> {
    let judgement = judge(points, goal);
    let mut near: Vec<usize> = judgement.best.into_iter().chain(judgement.tied.iter().copied()).collect();
    near.extend(&judgement.contenders);
    near.sort_unstable();
    let mut undecided = vec![false; points.len()];
    for &i in &judgement.undecided {
        undecided[i] = true;
    }
    let mut wanted = Vec::new();
    for i in near {
        let point = &points[i];
        let objective = point.estimates[goal.objective];
        let n = objective.map_or(0, |e| e.n);
        if n == 0 || point.rows >= cap {
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
        consider(objective, objective.map_or(0.0, |e| e.mean));
        if let Some((column, c)) = &goal.constraint
            && undecided[i]
        {
            let estimate = point.estimates[*column];
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
        let finished = asked.min((2 * n) as f64).max((n + 1) as f64) as usize;
        wanted.push((i, (point.rows + finished - n).min(cap)));
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIGURES: [&str; 2] = ["cost_usd", "unserved_share"];

    /// The estimates of a point whose cost and unserved share have these means and
    /// half-widths (n runs).
    fn estimates(n: usize, cost: (f64, f64), unserved: (f64, f64)) -> Vec<Option<Estimate>> {
        let estimate = |(mean, half): (f64, f64)| {
            Some(Estimate { n, mean, sd: Some(half), interval: Some((mean - half, mean + half)) })
        };
        vec![estimate(cost), estimate(unserved)]
    }

    fn evidence(points: &[Vec<Option<Estimate>>]) -> Vec<Evidence<'_>> {
        points.iter().map(|e| Evidence { estimates: e, rows: e[0].map_or(0, |e| e.n) }).collect()
    }

    fn goal() -> Resolved {
        let goal = Goal {
            constraint: Some("unserved_share <= 0.001".parse().unwrap()),
            objective: "cost_usd".into(),
            maximize: false,
        };
        goal.resolve(&FIGURES.map(String::from)).unwrap()
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
        let bad = Goal { constraint: None, objective: "cost".into(), maximize: false };
        assert!(bad.resolve(&FIGURES.map(String::from)).unwrap_err().contains("`cost` is not a figure of this sweep"));
    }

    #[test]
    fn points_are_judged_on_the_ends_of_their_intervals() {
        let points = [
            // Cheapest, but its interval reaches above 0.001: undecided, and could beat the best.
            estimates(10, (80.0, 2.0), (0.0008, 0.0004)),
            // Meets at the upper end (0.0009): the best of those that meet.
            estimates(10, (100.0, 3.0), (0.0005, 0.0004)),
            // Meets; its cost interval [101, 105] overlaps the best's [97, 103]: tied.
            estimates(10, (103.0, 2.0), (0.0001, 0.0001)),
            // Meets, but dearer beyond overlap.
            estimates(10, (120.0, 2.0), (0.0, 0.0)),
            // Fails: its whole interval is above the bound.
            estimates(10, (60.0, 1.0), (0.01, 0.002)),
            // Undecided, but dearer than the best whatever its service level: no contender.
            estimates(10, (130.0, 1.0), (0.001, 0.0005)),
            // No finished run.
            vec![None, None],
        ];
        let j = judge(&evidence(&points), &goal());
        assert_eq!(j.met, [1, 2, 3]);
        assert_eq!(j.undecided, [0, 5]);
        assert_eq!(j.unjudged, [6]);
        assert_eq!(j.best, Some(1));
        assert_eq!(j.tied, [2]);
        assert_eq!(j.contenders, [0]);
        let cheapest = Resolved { constraint: None, ..goal() };
        assert_eq!(judge(&evidence(&points), &cheapest).best, Some(4));
    }

    #[test]
    fn more_runs_go_to_the_points_near_the_decision_until_they_are_tight() {
        let points = [
            estimates(10, (80.0, 2.0), (0.0008, 0.0004)), // undecided, could beat the best
            estimates(10, (100.0, 3.0), (0.0005, 0.0004)), // best; cost ±3 % > 2 %
            estimates(10, (103.0, 1.0), (0.0001, 0.0001)), // tied, but already within 2 %
            estimates(10, (120.0, 9.0), (0.0, 0.0)),      // loose, but far from the decision
        ];
        let points = evidence(&points);
        // Point 0: unserved half 0.0004 against 2 % of 0.001 = 0.00002: 10 × 400 → capped at 2n = 20.
        // Point 1: cost half 3 against 2 = 2 % of 100: 10 × (3/2)² = 22.5 → 23, capped at 20.
        assert_eq!(more_replications(&points, &goal(), 0.02, 100), [(0, 20), (1, 20)]);
        // With room for 15 runs at most, both stop there.
        assert_eq!(more_replications(&points, &goal(), 0.02, 15), [(0, 15), (1, 15)]);
        // At 5 % point 1 (3 % wide) is tight; the undecided point still is not.
        assert_eq!(more_replications(&points, &goal(), 0.05, 100), [(0, 20)]);

        // A point narrowly loose asks only for what its width needs: 10 × (2.1/2)² = 11.03 → 12.
        let narrow = [estimates(10, (100.0, 2.1), (0.0, 0.0))];
        assert_eq!(more_replications(&evidence(&narrow), &goal(), 0.02, 100), [(0, 12)]);
        let tight = [estimates(10, (100.0, 1.9), (0.0, 0.0))];
        assert_eq!(more_replications(&evidence(&tight), &goal(), 0.02, 100), []);

        // Failed runs count against the cap: 10 finished of 14 made, cap 15 → one more run.
        let failing = [estimates(10, (100.0, 3.0), (0.0, 0.0))];
        let with_failures = [Evidence { estimates: &failing[0], rows: 14 }];
        assert_eq!(more_replications(&with_failures, &goal(), 0.02, 15), [(0, 15)]);
        let at_cap = [Evidence { estimates: &failing[0], rows: 15 }];
        assert_eq!(more_replications(&at_cap, &goal(), 0.02, 15), []);
    }
}
