//! A sweep's runs summed into points: counts and running estimates per point, `points.csv`,
//! the Pareto front in `pareto.csv`, and the `--best` answer in words.

use std::path::Path;

use indexmap::IndexMap;

use super::{Columns, PARETO, POINTS, RunRow, SweepFileError, csv_line, io_error, number, optional};
use crate::report::atomic::write_file;
use crate::stats::best::{Evidence, Goal, Judgement};
use crate::stats::{Accumulator, Estimate, pareto_front};

/// What the runs of one point say: its figures' estimates over the runs that finished.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSummary {
    pub point: usize,
    pub variant: String,
    pub axes: Vec<String>,
    pub runs: usize,
    pub failed: usize,
    /// Per figure; `None` where no run had a value.
    pub estimates: Vec<Option<Estimate>>,
}

/// A sweep's rows as they come, summed point by point — the rows themselves are not kept, so
/// memory does not grow with the runs; only the failed ones stay, for their messages.
#[derive(Default)]
pub struct Tally {
    points: IndexMap<(String, usize), PointTally>,
    /// Rows added.
    pub runs: usize,
    pub failed: Vec<RunRow>,
}

struct PointTally {
    axes: Vec<String>,
    rows: u64,
    ok: usize,
    figures: Vec<Accumulator>,
}

impl Tally {
    /// Adds a row; rows come in run order, so the estimates are the same however they came.
    pub fn add(&mut self, row: RunRow) {
        self.runs += 1;
        let point = self.points.entry((row.variant.clone(), row.point)).or_insert_with(|| PointTally {
            axes: row.axes.clone(),
            rows: 0,
            ok: 0,
            figures: Vec::new(),
        });
        point.rows += 1;
        match &row.result {
            Ok(values) => {
                point.ok += 1;
                point.figures.resize(values.len(), Accumulator::default());
                for (accumulator, value) in point.figures.iter_mut().zip(values) {
                    if let Some(value) = value {
                        accumulator.push(*value);
                    }
                }
            }
            Err(_) => self.failed.push(row),
        }
    }

    /// The rows a point has so far, finished or failed: its next replication's number.
    pub fn rows_of(&self, variant: &str, point: usize) -> u64 {
        self.points.get(&(variant.to_owned(), point)).map_or(0, |p| p.rows)
    }

    /// The points, in the order their first rows came, each with `figures` estimates.
    pub fn points(&self, figures: usize) -> Vec<PointSummary> {
        self.points
            .iter()
            .map(|((variant, point), tally)| PointSummary {
                point: *point,
                variant: variant.clone(),
                axes: tally.axes.clone(),
                runs: tally.ok,
                failed: tally.rows as usize - tally.ok,
                estimates: (0..figures).map(|f| tally.figures.get(f).and_then(Accumulator::estimate)).collect(),
            })
            .collect()
    }
}

impl PointSummary {
    /// The point's row, each figure rounded as its runs' figures are, and its interval kept
    /// within what the figure can be (a share within [0, 1], a count or cost at least 0): a
    /// t-interval around a mean near a bound can pass it.
    fn fields(&self, columns: &Columns) -> Vec<String> {
        use crate::report::rounding::{figure_places, figure_range, round};
        let mut fields = vec![self.point.to_string(), self.variant.clone()];
        fields.extend(self.axes.iter().cloned());
        fields.extend([self.runs.to_string(), self.failed.to_string()]);
        for (estimate, name) in self.estimates.iter().zip(&columns.figures) {
            let (places, (low, high)) = (figure_places(name), figure_range(name));
            let value = |v: f64| round(v, places);
            let interval = estimate.and_then(|e| e.interval);
            fields.extend([
                optional(estimate.map(|e| value(e.mean))),
                optional(estimate.and_then(|e| e.sd).map(value)),
                optional(interval.map(|i| value(i.0.clamp(low, high)))),
                optional(interval.map(|i| value(i.1.clamp(low, high)))),
            ]);
        }
        fields
    }

    pub fn mean(&self, figure: usize) -> Option<f64> {
        self.estimates[figure].map(|e| e.mean)
    }
}

/// The points on the cost × unserved-share front (by their means), cheapest first.
pub fn pareto(points: &[PointSummary], columns: &Columns) -> Vec<usize> {
    let (Some(cost), Some(unserved)) = (columns.figure("cost_usd"), columns.figure("unserved_share")) else {
        return Vec::new();
    };
    let candidates: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].mean(cost).is_some() && points[i].mean(unserved).is_some()).collect();
    let pairs: Vec<(f64, f64)> = candidates
        .iter()
        .map(|&i| (points[i].mean(cost).unwrap_or(0.0), points[i].mean(unserved).unwrap_or(0.0)))
        .collect();
    let mut front: Vec<usize> = pareto_front(&pairs).into_iter().map(|i| candidates[i]).collect();
    front
        .sort_by(|&a, &b| points[a].mean(cost).partial_cmp(&points[b].mean(cost)).unwrap_or(std::cmp::Ordering::Equal));
    front
}

/// Writes `points.csv` and `pareto.csv` into `dir`, each whole or not at all.
pub fn write_points(dir: &Path, columns: &Columns, points: &[PointSummary]) -> Result<(), SweepFileError> {
    let header = csv_line(&columns.points_header());
    let mut all = header.clone();
    for point in points {
        all.extend(csv_line(&point.fields(columns)));
    }
    let mut front = header;
    for &i in &pareto(points, columns) {
        front.extend(csv_line(&points[i].fields(columns)));
    }
    write_file(&dir.join(POINTS), &all).map_err(io_error(&dir.join(POINTS)))?;
    write_file(&dir.join(PARETO), &front).map_err(io_error(&dir.join(PARETO)))
}

impl PointSummary {
    /// What the point's runs give the decision.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence { estimates: &self.estimates, rows: self.runs + self.failed }
    }
}

/// The answer to `--best` in words: what was asked, how many points meet it, the best point,
/// those as good within their intervals and the undecided ones that could beat it. `cap` is
/// `--max-replications`, when `--precision` ran: a point that reached it is marked.
pub fn best_text(
    points: &[PointSummary],
    columns: &Columns,
    goal: &Goal,
    cap: Option<usize>,
) -> Result<String, String> {
    let resolved = goal.resolve(&columns.figures)?;
    let evidence: Vec<Evidence> = points.iter().map(PointSummary::evidence).collect();
    let judgement: Judgement = crate::stats::best::judge(&evidence, &resolved);
    let lowest = if goal.maximize { "highest" } else { "lowest" };
    let mut out = format!("best: the {lowest} mean {}", goal.objective);
    let variants = points.iter().map(|p| p.variant.as_str()).collect::<std::collections::BTreeSet<_>>().len();
    let counted = if variants > 1 { " (each variant's points counted apart)" } else { "" };
    let mut tally = vec![format!("{} of {} point(s){counted} meet it", judgement.met.len(), points.len())];
    if let Some((_, c)) = &resolved.constraint {
        let end = if c.at_most { "upper" } else { "lower" };
        out.push_str(&format!(" with {c} at the {end} end of its 95 % interval"));
        let failed = points.len() - judgement.met.len() - judgement.undecided.len() - judgement.unjudged.len();
        tally.push(format!("{failed} do not"));
        if !judgement.undecided.is_empty() {
            tally.push(format!("{} undecided (the interval straddles {})", judgement.undecided.len(), number(c.bound)));
        }
    }
    if !judgement.unjudged.is_empty() {
        tally.push(format!("{} not judged (no run finished)", judgement.unjudged.len()));
    }
    out.push_str(&format!("\n  {}\n", tally.join(", ")));
    let describe = |i: usize| {
        let p = &points[i];
        let values: Vec<String> = columns.axes.iter().zip(&p.axes).map(|(k, v)| format!("{k} = {v}")).collect();
        let mut figures = vec![figure_text(&goal.objective, p.estimates[resolved.objective])];
        if let Some((column, c)) = &resolved.constraint {
            figures.push(figure_text(&c.figure, p.estimates[*column]));
        }
        let values = if values.is_empty() { String::new() } else { format!(": {}", values.join(", ")) };
        let capped = match cap {
            Some(cap) if p.runs + p.failed >= cap => ", at --max-replications",
            _ => "",
        };
        format!("  point {} ({}){values}\n    {}, {} run(s){capped}\n", p.point, p.variant, figures.join(", "), p.runs)
    };
    match judgement.best {
        Some(best) => {
            out.push_str(&describe(best));
            if !judgement.tied.is_empty() {
                out.push_str(&format!("  as good within the intervals ({}):\n", judgement.tied.len()));
                judgement.tied.iter().for_each(|&i| out.push_str(&describe(i)));
            }
            if points[best].runs < 2 {
                out.push_str("  (one run a point gives no interval: judged on the single run; add replications)\n");
            }
        }
        None => out.push_str("  no point meets it\n"),
    }
    if !judgement.contenders.is_empty() {
        out.push_str(&format!(
            "  undecided, and better than the best if they meet it ({}); more replications (--replications, or --precision) may settle them:\n",
            judgement.contenders.len()
        ));
        judgement.contenders.iter().for_each(|&i| out.push_str(&describe(i)));
    }
    Ok(out)
}

fn figure_text(name: &str, estimate: Option<Estimate>) -> String {
    match estimate {
        None => format!("{name} -"),
        Some(e) => match e.interval {
            Some((low, high)) => format!("{name} {} [{}, {}]", short(e.mean), short(low), short(high)),
            None => format!("{name} {}", short(e.mean)),
        },
    }
}

/// Six significant digits, for the terminal.
fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let digits = (5 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{value:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sweep::journal::tests::{columns, row};

    #[test]
    fn points_summarize_their_ok_runs_in_order() {
        let rows = [
            row(0, 0, Ok(vec![Some(1.0), Some(0.0)])),
            row(1, 0, Ok(vec![Some(3.0), Some(0.5)])),
            row(2, 1, Ok(vec![Some(2.0), Some(0.0)])),
            row(3, 1, Err("boom".into())),
        ];
        let mut tally = Tally::default();
        rows.iter().cloned().for_each(|r| tally.add(r));
        let points = tally.points(2);
        assert_eq!(points.len(), 2);
        assert_eq!((points[0].runs, points[0].failed, points[0].mean(0)), (2, 0, Some(2.0)));
        // mean 2, sd √2, t(0.975, 1) = 12.706: half-width 12.706 × √2 / √2 = 12.706.
        let (low, high) = points[0].estimates[0].unwrap().interval.unwrap();
        assert!((high - 2.0 - 12.706).abs() < 1e-3 && (2.0 - low - 12.706).abs() < 1e-3);
        assert_eq!((points[1].runs, points[1].failed, points[1].mean(0)), (1, 1, Some(2.0)));
        // Point 1 (2.0, 0.0) beats point 0 (2.0, 0.25): the front is point 1 alone.
        assert_eq!(pareto(&points, &columns()), vec![1]);
    }
}
