//! Seeded, portable random streams, one per purpose.
//!
//! Every stream is ChaCha8 (a specified algorithm, identical on every platform and rand
//! version) keyed by the run seed and selected by a stable hash of a purpose name such as
//! `"load:web"`. Giving each purpose its own stream means that adding a feature which draws
//! random numbers does not reshuffle the draws of the others, and that variants of a
//! scenario see the same load noise (common random numbers).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

/// The generator every stream uses.
pub type Rng = ChaCha8Rng;

/// The stream for `purpose` under `seed`.
pub fn stream(seed: u64, purpose: &str) -> Rng {
    let mut key = [0u8; 32];
    let mut state = seed;
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(fnv1a(purpose));
    rng
}

/// The seed of replication `k` of a run whose seed is `seed`: replication 0 runs on `seed`
/// itself (so it is the run `ecsim run` makes), replication `k ≥ 1` on SplitMix64's `k`-th
/// output from state `seed`. It depends on nothing else, so every point of a sweep draws the
/// same random numbers in its replication `k` (common random numbers).
pub fn replication_seed(seed: u64, k: u64) -> u64 {
    if k == 0 {
        return seed;
    }
    let mut state = seed.wrapping_add((k - 1).wrapping_mul(GOLDEN_GAMMA));
    splitmix64(&mut state)
}

/// A stable 64-bit hash of `bytes` (FNV-1a), for telling files and plans apart; not for
/// security.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME))
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

/// SplitMix64 (Steele, Lea & Flood 2014): spreads a 64-bit seed over the 256-bit key.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64-bit: a stable name → stream number map (std's hasher is not stable).
fn fnv1a(text: &str) -> u64 {
    stable_hash(text.as_bytes())
}

/// A duration that is fixed or drawn from a distribution, in milliseconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Delay {
    Fixed {
        ms: u64,
    },
    /// Uniform on `[min_ms, max_ms]`.
    Uniform {
        min_ms: u64,
        max_ms: u64,
    },
    /// Normal, truncated at zero.
    Normal {
        mean_ms: u64,
        sd_ms: u64,
    },
    /// Log-normal with the given median and shape `sigma`.
    LogNormal {
        median_ms: u64,
        sigma: f64,
    },
}

impl Delay {
    /// The typical delay, half of the draws below it: the fixed value, the middle of a
    /// uniform, a normal's mean (truncation at zero leaves a positive mean the median), a
    /// log-normal's median.
    pub fn median_ms(&self) -> u64 {
        match *self {
            Delay::Fixed { ms } => ms,
            Delay::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) / 2,
            Delay::Normal { mean_ms, .. } => mean_ms,
            Delay::LogNormal { median_ms, .. } => median_ms,
        }
    }

    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match *self {
            Delay::Fixed { ms } => ms,
            Delay::Uniform { min_ms, max_ms } => {
                let u: f64 = rand::Rng::random(rng);
                min_ms + (u * (max_ms - min_ms) as f64).round() as u64
            }
            Delay::Normal { mean_ms, sd_ms } => {
                let normal = Normal::new(mean_ms as f64, sd_ms as f64).expect("sd validated");
                normal.sample(rng).max(0.0).round() as u64
            }
            Delay::LogNormal { median_ms, sigma } => {
                let dist = LogNormal::new((median_ms as f64).ln(), sigma).expect("sigma validated");
                dist.sample(rng).round() as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = stream(7, "load:web");
                move |_| r.next_u64()
            })
            .collect();
        let again: Vec<u64> = (0..4)
            .map({
                let mut r = stream(7, "load:web");
                move |_| r.next_u64()
            })
            .collect();
        let other_purpose = stream(7, "startup:api").next_u64();
        let other_seed = stream(8, "load:web").next_u64();
        assert_eq!(a, again);
        assert_ne!(a[0], other_purpose);
        assert_ne!(a[0], other_seed);
    }

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        // FNV-1a 64 of "a" from the reference test suite (isthe.com/chongo/tech/comp/fnv).
        assert_eq!(fnv1a("a"), 0xAF63_DC4C_8601_EC8C);
        assert_eq!(fnv1a(""), 0xCBF2_9CE4_8422_2325);
    }

    #[test]
    fn replication_seeds_follow_splitmix64() {
        // SplitMix64 from state 0: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
        // (the reference outputs of Vigna's splitmix64.c).
        assert_eq!(replication_seed(0, 0), 0);
        assert_eq!(replication_seed(0, 1), 0xE220_A839_7B1D_CDAF);
        assert_eq!(replication_seed(0, 2), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(replication_seed(0, 3), 0x06C4_5D18_8009_454F);
        assert_eq!(replication_seed(42, 0), 42);
    }

    #[test]
    fn delays_stay_in_their_ranges() {
        let mut rng = stream(1, "test");
        let uniform = Delay::Uniform { min_ms: 30_000, max_ms: 60_000 };
        let normal = Delay::Normal { mean_ms: 1_000, sd_ms: 5_000 };
        for _ in 0..1_000 {
            let u = uniform.sample(&mut rng);
            assert!((30_000..=60_000).contains(&u));
            let _nonnegative: u64 = normal.sample(&mut rng);
        }
        assert_eq!(Delay::Fixed { ms: 45_000 }.sample(&mut rng), 45_000);
    }

    #[test]
    fn lognormal_delay_has_the_configured_median() {
        let mut rng = stream(3, "test");
        let d = Delay::LogNormal { median_ms: 40_000, sigma: 0.5 };
        let mut draws: Vec<u64> = (0..20_001).map(|_| d.sample(&mut rng)).collect();
        draws.sort_unstable();
        let median = draws[10_000] as f64;
        // Standard error of a sample median ≈ 1.2533·σ_x/√n; 3% is many standard errors wide.
        assert!((median / 40_000.0 - 1.0).abs() < 0.03, "median {median}");
    }
}

/// Events that come at a rate per hour which is constant but for some periods: the time to the
/// next one is drawn by inverting the cumulative rate (an exponential draw when the rate is
/// constant).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Hazard {
    pub per_hour: f64,
    /// `[start_ms, end_ms)` periods with their own rate, in time order, not overlapping.
    pub periods: Vec<(u64, u64, f64)>,
}

impl Hazard {
    /// When the next event comes after `from_ms`, or `None` if the rate is zero from then on.
    pub fn next_after(&self, from_ms: u64, rng: &mut Rng) -> Option<u64> {
        let mut budget: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, rng);
        let per_ms = |per_hour: f64| per_hour / 3_600_000.0;
        let mut t = from_ms;
        for &(start, end, per_hour) in self.periods.iter().filter(|p| p.1 > from_ms) {
            // The base rate up to the period, then the period's own rate.
            for (until, rate) in [(start, per_ms(self.per_hour)), (end, per_ms(per_hour))] {
                if until <= t {
                    continue;
                }
                let span = (until - t) as f64;
                if rate * span >= budget {
                    return Some(t + (budget / rate).ceil() as u64);
                }
                budget -= rate * span;
                t = until;
            }
        }
        let rate = per_ms(self.per_hour);
        (rate > 0.0).then(|| t + (budget / rate).ceil().min(u64::MAX as f64 / 4.0) as u64)
    }
}

#[cfg(test)]
mod hazard_tests {
    use super::*;

    #[test]
    fn a_constant_rate_gives_exponential_gaps_with_its_mean() {
        let hazard = Hazard { per_hour: 2.0, periods: Vec::new() };
        let mut rng = stream(3, "hazard");
        let n = 20_000;
        let mean_ms = (0..n).map(|_| hazard.next_after(0, &mut rng).unwrap() as f64).sum::<f64>() / n as f64;
        // Mean 30 minutes; the sample mean's sd is 30 min / sqrt(n) ≈ 0.21 min.
        assert!((mean_ms / 60_000.0 - 30.0).abs() < 1.0, "{}", mean_ms / 60_000.0);
        assert_eq!(Hazard { per_hour: 0.0, periods: Vec::new() }.next_after(5, &mut rng), None);
    }

    #[test]
    fn events_fall_in_a_storm_when_only_the_storm_has_a_rate() {
        // No events but in [1 h, 2 h), at 1000 per hour: the first comes within seconds of 1 h.
        let hazard = Hazard { per_hour: 0.0, periods: vec![(3_600_000, 7_200_000, 1000.0)] };
        let mut rng = stream(4, "storm");
        for _ in 0..1000 {
            let at = hazard.next_after(0, &mut rng).unwrap();
            assert!((3_600_000..7_200_000).contains(&at), "{at}");
        }
        assert_eq!(hazard.next_after(7_200_000, &mut rng), None, "after the storm, none");
    }
}
