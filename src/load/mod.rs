//! Load curves: offered requests per second as a pure function of simulated time.
//!
//! A curve is a tree of shapes (constant, ramp, step, diurnal, spike, trace replay) combined
//! by sums and products, with optional multiplicative noise on top. The simulation samples
//! each load once per tick, so the load is constant within a tick: analytic shapes are read
//! at the tick's start, a trace is averaged over the tick. Nothing here reads files: the
//! scenario module loads trace data and hands it over as a [`Trace`].

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use crate::engine::Rng;
use rand_distr::{Distribution, LogNormal, StandardNormal};

const MS_PER_DAY: i64 = 86_400_000;

/// A load: a shape and the noise drawn on top of it every tick.
#[derive(Clone, Debug, Serialize)]
pub struct Load {
    pub shape: Shape,
    pub noise: Noise,
}

impl Load {
    /// The offered rate for the tick `[t_ms, t_ms + tick_ms)`, with one noise draw.
    pub fn sample(&self, t_ms: u64, tick_ms: u64, rng: &mut Rng) -> f64 {
        (self.shape.rate(t_ms, tick_ms) * self.noise.factor(rng)).max(0.0)
    }
}

/// The shape of a load, in requests per second.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Shape {
    Constant {
        value: f64,
    },
    /// Linear from `from` at `start_ms` to `to` at `end_ms`; flat outside.
    Ramp {
        from: f64,
        to: f64,
        start_ms: u64,
        end_ms: u64,
    },
    /// Piecewise constant: each `(at_ms, value)` holds until the next; zero before the first.
    Step {
        steps: Vec<(u64, f64)>,
    },
    /// `mean × (1 + amplitude × cos θ)`, θ = 2π (time of day − peak) / 24 h, with `power` 1;
    /// with a peak above twice the mean (amplitude above 1), `mean × (1 + amplitude) ×
    /// ((1 + cos θ) / 2)^power`, `power` chosen so that the day's mean is `mean`
    /// ([`power_for_mean`]). Times `weekend_factor` on Saturdays and Sundays (UTC). Needs
    /// wall-clock time, hence `start_unix_ms`.
    Diurnal {
        mean: f64,
        amplitude: f64,
        power: f64,
        peak_ms_of_day: u64,
        weekend_factor: f64,
        start_unix_ms: i64,
    },
    /// A factor: `multiplier` during `[start_ms, start_ms + length_ms)`, 1 elsewhere, so that
    /// `diurnal × spike` is the diurnal curve with a burst.
    Spike {
        start_ms: u64,
        length_ms: u64,
        multiplier: f64,
    },
    Trace(Trace),
    Sum {
        parts: Vec<Shape>,
    },
    Product {
        parts: Vec<Shape>,
    },
}

impl Shape {
    /// Requests per second offered during `[t_ms, t_ms + span_ms)`.
    pub fn rate(&self, t_ms: u64, span_ms: u64) -> f64 {
        match self {
            Shape::Constant { value } => *value,
            Shape::Ramp { from, to, start_ms, end_ms } => {
                if t_ms <= *start_ms {
                    *from
                } else if t_ms >= *end_ms {
                    *to
                } else {
                    let f = (t_ms - start_ms) as f64 / (end_ms - start_ms) as f64;
                    from + (to - from) * f
                }
            }
            Shape::Step { steps } => {
                let passed = steps.partition_point(|&(at, _)| at <= t_ms);
                if passed == 0 { 0.0 } else { steps[passed - 1].1 }
            }
            Shape::Diurnal { mean, amplitude, power, peak_ms_of_day, weekend_factor, start_unix_ms } => {
                let unix_ms = start_unix_ms + t_ms as i64;
                // One division for the day and the time of day (this runs every tick).
                let day = unix_ms.div_euclid(MS_PER_DAY);
                let since_midnight = unix_ms - day * MS_PER_DAY;
                let peak = *peak_ms_of_day as i64;
                let since_peak =
                    if since_midnight >= peak { since_midnight - peak } else { since_midnight - peak + MS_PER_DAY };
                let weekday = day.rem_euclid(7); // 0 = Thursday 1970-01-01
                let weekend = weekday == 2 || weekday == 3; // Saturday, Sunday
                let day_factor = if weekend { *weekend_factor } else { 1.0 };
                let cos = daily_cosine(since_peak);
                let shape = if *power == 1.0 {
                    1.0 + amplitude * cos
                } else {
                    (1.0 + amplitude) * ((1.0 + cos) / 2.0).powf(*power)
                };
                mean * shape * day_factor
            }
            Shape::Spike { start_ms, length_ms, multiplier } => {
                if (*start_ms..start_ms + length_ms).contains(&t_ms) {
                    *multiplier
                } else {
                    1.0
                }
            }
            Shape::Trace(trace) => trace.mean_rate(t_ms, span_ms),
            Shape::Sum { parts } => parts.iter().map(|p| p.rate(t_ms, span_ms)).sum(),
            Shape::Product { parts } => parts.iter().map(|p| p.rate(t_ms, span_ms)).product(),
        }
    }
}

impl Shape {
    /// A rate the shape never exceeds, at any time: its parts' highest values added (sums)
    /// or multiplied (products). A scenario bounds it, so no composition of shapes can reach
    /// infinity, or lose a rate to infinity × 0.
    pub fn ceiling(&self) -> f64 {
        match self {
            Shape::Constant { value } => *value,
            Shape::Ramp { from, to, .. } => from.max(*to),
            Shape::Step { steps } => steps.iter().map(|s| s.1).fold(0.0, f64::max),
            Shape::Diurnal { mean, amplitude, weekend_factor, .. } => {
                mean * (1.0 + amplitude) * weekend_factor.max(1.0)
            }
            Shape::Spike { multiplier, .. } => multiplier.max(1.0),
            Shape::Trace(trace) => trace.rates.iter().copied().fold(0.0, f64::max),
            Shape::Sum { parts } => parts.iter().map(Shape::ceiling).sum(),
            Shape::Product { parts } => parts.iter().map(Shape::ceiling).product(),
        }
    }
}

/// `cos(2π × ms / 24 h)` for `ms` in `[0, 24 h)`. Whole minutes, where every tick of a minute
/// or more lands, come from a table filled by the same expression, so the value is the same
/// either way and a month of ticks costs no trigonometry.
fn daily_cosine(ms: i64) -> f64 {
    static BY_MINUTE: std::sync::LazyLock<Vec<f64>> =
        std::sync::LazyLock::new(|| (0..MS_PER_DAY / 60_000).map(|m| cosine_of_day_fraction(m * 60_000)).collect());
    let minute = ms / 60_000;
    if minute * 60_000 == ms { BY_MINUTE[minute as usize] } else { cosine_of_day_fraction(ms) }
}

fn cosine_of_day_fraction(ms: i64) -> f64 {
    (std::f64::consts::TAU * ms as f64 / MS_PER_DAY as f64).cos()
}

/// A replayed request trace: a dense series of per-bucket rates (requests per second,
/// already scaled), starting `offset_ms` into the series at simulated time zero.
#[derive(Clone, Debug, Serialize)]
pub struct Trace {
    pub file: String,
    pub bucket_ms: u64,
    pub offset_ms: u64,
    pub looped: bool,
    #[serde(skip)]
    pub rates: Vec<f64>,
}

impl Trace {
    /// How long the trace lasts before it ends (or loops).
    pub fn length_ms(&self) -> u64 {
        self.rates.len() as u64 * self.bucket_ms
    }

    /// The time-weighted mean rate over `[t_ms, t_ms + span_ms)`. Past the end of a trace
    /// that does not loop the rate is zero (validation rejects scenarios that get there).
    pub fn mean_rate(&self, t_ms: u64, span_ms: u64) -> f64 {
        let span_ms = span_ms.max(1);
        let length = self.length_ms();
        let mut at = t_ms + self.offset_ms;
        let end = at + span_ms;
        let mut weighted = 0.0;
        while at < end {
            let position = if self.looped { at % length } else { at };
            let bucket = (position / self.bucket_ms) as usize;
            let bucket_end = at - position % self.bucket_ms + self.bucket_ms;
            let piece = bucket_end.min(end) - at;
            weighted += self.rates.get(bucket).copied().unwrap_or(0.0) * piece as f64;
            at += piece;
        }
        weighted / span_ms as f64
    }
}

/// Multiplicative noise, drawn once per tick; every kind has mean 1.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Noise {
    None,
    /// `1 + sd × N(0, 1)`, floored at zero.
    Normal {
        sd: f64,
    },
    /// `1 + U(−width, +width)`.
    Uniform {
        width: f64,
    },
    /// `exp(sigma × N(0, 1) − sigma² / 2)`.
    LogNormal {
        sigma: f64,
    },
}

impl Noise {
    pub fn factor(&self, rng: &mut Rng) -> f64 {
        match *self {
            Noise::None => 1.0,
            Noise::Normal { sd } => {
                let z: f64 = StandardNormal.sample(rng);
                (1.0 + sd * z).max(0.0)
            }
            Noise::Uniform { width } => {
                let u: f64 = rand::Rng::random(rng);
                1.0 + width * (2.0 * u - 1.0)
            }
            Noise::LogNormal { sigma } => {
                let dist = LogNormal::new(-sigma * sigma / 2.0, sigma).expect("sigma validated");
                dist.sample(rng)
            }
        }
    }
}

/// The power k at which `((1 + cos θ) / 2)^k` has the day's mean `share` of its peak, for a
/// share below ½ (k = 1 gives ½): the mean over θ is Γ(k + ½) / (√π Γ(k + 1)), which falls
/// as k grows; found by bisection, the same bits every time.
pub fn power_for_mean(share: f64) -> f64 {
    let mean_at = |k: f64| (ln_gamma(k + 0.5) - ln_gamma(k + 1.0)).exp() / std::f64::consts::PI.sqrt();
    let (mut low, mut high) = (1.0, 2.0);
    while mean_at(high) > share && high < 1e12 {
        (low, high) = (high, high * 2.0);
    }
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if mean_at(mid) > share { low = mid } else { high = mid }
    }
    (low + high) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    const H: u64 = 3_600_000;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn a_peak_above_twice_the_mean_sharpens_the_day_and_keeps_its_mean() {
        // Closed forms: the mean of ((1 + cos θ) / 2)^k is C(2k, k) / 4^k: k = 2 → 3/8, 3 → 5/16.
        assert!((power_for_mean(3.0 / 8.0) - 2.0).abs() < 1e-9);
        assert!((power_for_mean(5.0 / 16.0) - 3.0).abs() < 1e-9);
        // "300 on average, 900 at the peak": the day's mean over every minute is 300, the
        // peak 900 at 14:00 and the trough 0 at 02:00.
        let day = Shape::Diurnal {
            mean: 300.0,
            amplitude: 2.0,
            power: power_for_mean(1.0 / 3.0),
            peak_ms_of_day: 14 * H,
            weekend_factor: 1.0,
            start_unix_ms: 1_767_571_200_000, // 2026-01-05T00:00:00Z, a Monday
        };
        let minutes: Vec<f64> = (0..1440).map(|m| day.rate(m * 60_000, 60_000)).collect();
        let mean = minutes.iter().sum::<f64>() / 1440.0;
        assert!((mean - 300.0).abs() < 1e-6, "{mean}");
        assert!(close(day.rate(14 * H, 60_000), 900.0) && day.rate(2 * H, 60_000) < 1e-9);
    }

    #[test]
    fn ramp_is_linear_between_its_ends_and_flat_outside() {
        let ramp = Shape::Ramp { from: 100.0, to: 300.0, start_ms: H, end_ms: 3 * H };
        for (t, expected) in [(0, 100.0), (H, 100.0), (2 * H, 200.0), (5 * H / 2, 250.0), (9 * H, 300.0)] {
            assert!(close(ramp.rate(t, 60_000), expected), "t={t}");
        }
    }

    #[test]
    fn step_holds_each_value_until_the_next_and_is_zero_before_the_first() {
        let step = Shape::Step { steps: vec![(H, 580.0), (2 * H, 1160.0)] };
        for (t, expected) in [(0, 0.0), (H - 1, 0.0), (H, 580.0), (2 * H - 1, 580.0), (2 * H, 1160.0), (99 * H, 1160.0)]
        {
            assert_eq!(step.rate(t, 1_000), expected, "t={t}");
        }
    }

    #[test]
    fn diurnal_peaks_at_the_peak_hour_and_applies_the_weekend_factor() {
        // 2026-01-05T00:00:00Z is a Monday: unix 1767571200 s.
        let monday = 1_767_571_200_000;
        let diurnal = Shape::Diurnal {
            mean: 400.0,
            amplitude: 0.5,
            power: 1.0,
            peak_ms_of_day: 14 * H,
            weekend_factor: 0.6,
            start_unix_ms: monday,
        };
        assert!(close(diurnal.rate(14 * H, 0), 600.0)); // peak: 400 × 1.5
        assert!(close(diurnal.rate(2 * H, 0), 200.0)); // trough 12 h later: 400 × 0.5
        assert!(close(diurnal.rate(20 * H, 0), 400.0)); // a quarter day after the peak: cos = 0
        // Saturday 2026-01-10, 14:00 UTC: 5 days later.
        assert!(close(diurnal.rate(5 * 24 * H + 14 * H, 0), 360.0)); // 600 × 0.6
        // Sunday too, Monday again not.
        assert!(close(diurnal.rate(6 * 24 * H + 14 * H, 0), 360.0));
        assert!(close(diurnal.rate(7 * 24 * H + 14 * H, 0), 600.0));
    }

    #[test]
    fn the_minute_table_gives_the_same_cosine_as_computing_it() {
        for ms in [0, 60_000, 21_600_000, 43_200_000, 86_340_000] {
            assert_eq!(daily_cosine(ms), cosine_of_day_fraction(ms));
        }
        assert_eq!(daily_cosine(43_200_000), -1.0);
        assert!((daily_cosine(30_000) - (std::f64::consts::TAU * 30.0 / 86_400.0).cos()).abs() < 1e-15);
    }

    #[test]
    fn spike_multiplies_only_inside_its_window() {
        let spike = Shape::Spike { start_ms: H, length_ms: H / 2, multiplier: 3.0 };
        assert_eq!(spike.rate(H - 1, 0), 1.0);
        assert_eq!(spike.rate(H, 0), 3.0);
        assert_eq!(spike.rate(H + H / 2 - 1, 0), 3.0);
        assert_eq!(spike.rate(H + H / 2, 0), 1.0);
    }

    #[test]
    fn shapes_compose_as_sums_and_products() {
        // 200 × growth ramp (1 → 2 over 10 h) × a 3× burst in hour 5, plus a floor of 50.
        let load = Shape::Sum {
            parts: vec![
                Shape::Product {
                    parts: vec![
                        Shape::Constant { value: 200.0 },
                        Shape::Ramp { from: 1.0, to: 2.0, start_ms: 0, end_ms: 10 * H },
                        Shape::Spike { start_ms: 5 * H, length_ms: H, multiplier: 3.0 },
                    ],
                },
                Shape::Constant { value: 50.0 },
            ],
        };
        assert!(close(load.rate(0, 0), 250.0));
        assert!(close(load.rate(5 * H, 0), 200.0 * 1.5 * 3.0 + 50.0));
        assert!(close(load.rate(6 * H, 0), 200.0 * 1.6 + 50.0));
        assert!(close(load.rate(10 * H, 0), 450.0));
    }

    fn trace(rates: Vec<f64>, looped: bool, offset_ms: u64) -> Trace {
        Trace { file: "t.csv".into(), bucket_ms: 60_000, offset_ms, looped, rates }
    }

    #[test]
    fn trace_averages_the_buckets_a_tick_overlaps() {
        let t = trace(vec![10.0, 20.0, 40.0], false, 0);
        assert_eq!(t.mean_rate(0, 60_000), 10.0);
        assert_eq!(t.mean_rate(60_000, 30_000), 20.0);
        // Half of bucket 0 and half of bucket 1.
        assert_eq!(t.mean_rate(30_000, 60_000), 15.0);
        // All three buckets: (10 + 20 + 40) / 3.
        assert!(close(t.mean_rate(0, 180_000), 70.0 / 3.0));
        // Past the end without looping: zero.
        assert_eq!(t.mean_rate(180_000, 60_000), 0.0);
    }

    #[test]
    fn trace_offset_and_loop_move_the_read_position() {
        let t = trace(vec![10.0, 20.0, 40.0], true, 60_000);
        assert_eq!(t.mean_rate(0, 60_000), 20.0);
        assert_eq!(t.mean_rate(120_000, 60_000), 10.0); // wrapped to bucket 0
        // A tick that straddles the wrap: the last bucket, then the first.
        assert_eq!(t.mean_rate(90_000, 60_000), 25.0);
    }

    #[test]
    fn noise_has_mean_one_and_respects_its_bounds() {
        let mut rng = stream(11, "noise-test");
        let n = 100_000;
        for noise in [Noise::Normal { sd: 0.1 }, Noise::Uniform { width: 0.2 }, Noise::LogNormal { sigma: 0.2 }] {
            let draws: Vec<f64> = (0..n).map(|_| noise.factor(&mut rng)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            // Standard errors are ≤ 0.2/√n ≈ 0.0006; 0.003 is five of them.
            assert!((mean - 1.0).abs() < 0.003, "{noise:?}: mean {mean}");
            assert!(draws.iter().all(|&f| f >= 0.0));
            if let Noise::Uniform { width } = noise {
                assert!(draws.iter().all(|&f| (1.0 - width..=1.0 + width).contains(&f)));
            }
        }
        assert_eq!(Noise::None.factor(&mut rng), 1.0);
    }
}
