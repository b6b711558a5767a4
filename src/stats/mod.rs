//! Statistics, pure: over replications, a figure's mean, standard deviation and 95 %
//! confidence interval, the Pareto front of two figures to keep low, and (`best`) the best
//! point of a sweep judged on those intervals; over one run, how well supply followed demand
//! (`elasticity`).
//!
//! Replications of a point are independent runs (each its own seed), so the interval is
//! Student's t on n − 1 degrees of freedom: `mean ± t(0.975, n − 1) · sd / √n`. The quantile
//! comes from statrs rather than a typed-in table.

pub mod best;
mod elasticity;

pub use elasticity::{Elasticity, ElasticityTally};

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The two-sided confidence level of every interval ecsim reports.
pub const CONFIDENCE: f64 = 0.95;

/// What n replications say about one figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    /// The sample standard deviation; `None` with one value.
    pub sd: Option<f64>,
    /// The 95 % confidence interval of the mean; `None` with one value.
    pub interval: Option<(f64, f64)>,
}

/// A figure's mean and spread, taken in one value at a time without keeping the values
/// (Welford 1962): the same values in the same order give the same bits, so a sweep summed
/// from its rows as they come, resumed or merged, agrees with itself to the last digit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accumulator {
    n: usize,
    mean: f64,
    /// The sum of squared deviations from the mean.
    squares: f64,
}

impl Accumulator {
    pub fn push(&mut self, value: f64) {
        self.n += 1;
        let before = value - self.mean;
        self.mean += before / self.n as f64;
        self.squares += before * (value - self.mean);
    }

    /// What the values so far say; `None` if there are none.
    pub fn estimate(&self) -> Option<Estimate> {
        let (n, mean) = (self.n, self.mean);
        match n {
            0 => None,
            1 => Some(Estimate { n, mean, sd: None, interval: None }),
            _ => {
                let sd = (self.squares / (n - 1) as f64).sqrt();
                let half = t_quantile(n - 1) * sd / (n as f64).sqrt();
                Some(Estimate { n, mean, sd: Some(sd), interval: Some((mean - half, mean + half)) })
            }
        }
    }
}

impl Estimate {
    /// The estimate of `values`, taken in their order; `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let mut accumulator = Accumulator::default();
        values.iter().for_each(|&v| accumulator.push(v));
        accumulator.estimate()
    }

    /// Half the interval's width; `None` with one value.
    pub fn half_width(&self) -> Option<f64> {
        self.interval.map(|(low, high)| (high - low) / 2.0)
    }

    /// The interval, or the single value as a point when there is no interval.
    pub fn bounds(&self) -> (f64, f64) {
        self.interval.unwrap_or((self.mean, self.mean))
    }
}

/// The (1 + CONFIDENCE) / 2 quantile of Student's t with `freedom` degrees of freedom.
pub fn t_quantile(freedom: usize) -> f64 {
    StudentsT::new(0.0, 1.0, freedom as f64)
        .expect("one or more degrees of freedom")
        .inverse_cdf(0.5 + CONFIDENCE / 2.0)
}

/// The indices of the points no other point beats: none has both figures at most as high
/// and one of them lower. Equal points are all kept. In index order.
///
/// Sorted by the first figure (then the second), a point is beaten exactly when a point
/// before it has a lower second figure, or the same second figure with a lower first one.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&i, &j| points[i].0.total_cmp(&points[j].0).then(points[i].1.total_cmp(&points[j].1)));
    let mut front = Vec::new();
    // The lowest second figure so far, and the lowest first figure it came with.
    let mut lowest: Option<(f64, f64)> = None;
    for i in order {
        let (a, b) = points[i];
        let beaten = lowest.is_some_and(|(low_b, low_a)| low_b < b || (low_b == b && low_a < a));
        if !beaten {
            front.push(i);
        }
        if lowest.is_none_or(|(low_b, _)| b < low_b) {
            lowest = Some((b, a));
        }
    }
    front.sort_unstable();
    front
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_published_table() {
        // Two-sided 95 % critical values of Student's t (NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
        for (df, t) in [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045), (100, 1.984)] {
            assert!((t_quantile(df) - t).abs() < 5e-4, "df {df}: {}", t_quantile(df));
        }
    }

    #[test]
    fn an_estimate_of_one_to_five() {
        // mean 3; sd = √(10 / 4) = 1.5811; half-width = 2.7764 × 1.5811 / √5 = 1.9632.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!((e.n, e.mean), (5, 3.0));
        assert!((e.sd.unwrap() - 2.5f64.sqrt()).abs() < 1e-12);
        let (low, high) = e.interval.unwrap();
        assert!((high - 3.0 - 1.9632).abs() < 1e-3 && (3.0 - low - 1.9632).abs() < 1e-3, "{low} {high}");
        assert!((e.half_width().unwrap() - 1.9632).abs() < 1e-3);
    }

    #[test]
    fn the_running_mean_and_sd_agree_with_the_two_pass_formula() {
        let values = [12.5, 9.75, 11.0, 30.25, 0.5, 17.0, 17.0, 4.125];
        let mean = values.iter().sum::<f64>() / 8.0;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 7.0).sqrt();
        let e = Estimate::of(&values).unwrap();
        assert!((e.mean - mean).abs() < 1e-12 && (e.sd.unwrap() - sd).abs() < 1e-12, "{e:?}");
    }

    #[test]
    fn one_value_has_no_interval_and_equal_values_a_point_interval() {
        let one = Estimate::of(&[7.5]).unwrap();
        assert_eq!((one.sd, one.interval, one.bounds()), (None, None, (7.5, 7.5)));
        let same = Estimate::of(&[2.0; 4]).unwrap();
        assert_eq!((same.sd, same.interval), (Some(0.0), Some((2.0, 2.0))));
        assert_eq!(Estimate::of(&[]), None);
    }

    #[test]
    fn the_pareto_front_keeps_what_nothing_beats() {
        // (cost, unserved): (3, 0) and (1, 5) trade off; (2, 2) too; (3, 3) loses to (2, 2);
        // (1, 6) loses to (1, 5); the duplicate (2, 2) stays.
        let points = [(3.0, 0.0), (1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (1.0, 6.0), (2.0, 2.0)];
        assert_eq!(pareto_front(&points), vec![0, 1, 2, 5]);
        assert_eq!(pareto_front(&[]), Vec::<usize>::new());
        // The same against the definition, pair by pair, over a grid with many ties.
        let grid: Vec<(f64, f64)> = (0..60).map(|i| (f64::from(i % 7), f64::from((i * 5) % 9))).collect();
        let beaten = |&(a, b): &(f64, f64)| grid.iter().any(|&(x, y)| x <= a && y <= b && (x < a || y < b));
        let expected: Vec<usize> = (0..grid.len()).filter(|&i| !beaten(&grid[i])).collect();
        assert_eq!(pareto_front(&grid), expected);
    }
}
