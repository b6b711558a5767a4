//! How well supply followed demand: the SPEC Research Group's elasticity metrics (Herbst et
//! al., "Ready for Rain? A View from SPEC Research on the Future of Cloud Metrics",
//! SPEC-RG-2016-01, §3; the same metrics as the BUNGEE benchmark, Herbst et al., SEAMS 2015),
//! computed exactly over piecewise-constant curves: demand `d(t)` and supply `s(t)` are fed as
//! spans of constant value, so nothing is sampled but the instability, which compares steps.
//!
//! Over a run of length T:
//! - θU = 100/T ∫ (d − s)⁺ / d dt, the mean share of the demand not supplied (0 where d = 0);
//! - θO = 100/T ∫ (s − d)⁺ / max(d, 1) dt, the mean excess as a share of the demand (where
//!   nothing is demanded, each unit supplied counts 100 %);
//! - τU, τO = 100/T × the time with s < d, with s > d;
//! - υ = 100/(K − 1) × the steps (ticks) k = 2…K at which supply and demand did not move alike,
//!   sgn(s_k − s_{k−1}) ≠ sgn(d_k − d_{k−1});
//! - j = (E_S − E_D) / T, the changes of supply less the changes of demand, per hour: below 0
//!   the supply adapts less often than the demand moves, above 0 it oscillates.

use serde::{Deserialize, Serialize};

/// The six metrics of one demand and supply curve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Elasticity {
    /// θU, %.
    pub under_accuracy: f64,
    /// θO, %.
    pub over_accuracy: f64,
    /// τU, %.
    pub under_timeshare: f64,
    /// τO, %.
    pub over_timeshare: f64,
    /// υ, %.
    pub instability: f64,
    /// j, adaptations per hour.
    pub jitter_per_hour: f64,
}

/// The integrals behind [`Elasticity`], fed span by span and tick by tick.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ElasticityTally {
    under_ms: f64,
    over_ms: f64,
    under_time_ms: u64,
    over_time_ms: u64,
    last: Option<(u32, u32)>,
    supply_changes: u64,
    demand_changes: u64,
    last_tick: Option<(u32, u32)>,
    ticks_compared: u64,
    ticks_unlike: u64,
}

impl ElasticityTally {
    /// `dt_ms` during which `demand` and `supply` held.
    pub fn span(&mut self, demand: u32, supply: u32, dt_ms: u64) {
        if dt_ms == 0 {
            return;
        }
        if let Some((d, s)) = self.last {
            self.demand_changes += u64::from(d != demand);
            self.supply_changes += u64::from(s != supply);
        }
        self.last = Some((demand, supply));
        let (d, s, dt) = (f64::from(demand), f64::from(supply), dt_ms as f64);
        if supply < demand {
            self.under_ms += (d - s) / d * dt;
            self.under_time_ms += dt_ms;
        } else if supply > demand {
            self.over_ms += (s - d) / d.max(1.0) * dt;
            self.over_time_ms += dt_ms;
        }
    }

    /// The end of a tick: its demand and the supply at its end.
    pub fn tick(&mut self, demand: u32, supply: u32) {
        if let Some((d, s)) = self.last_tick {
            self.ticks_compared += 1;
            self.ticks_unlike += u64::from(demand.cmp(&d) != supply.cmp(&s));
        }
        self.last_tick = Some((demand, supply));
    }

    /// The metrics over a run of `duration_ms`.
    pub fn metrics(&self, duration_ms: u64) -> Elasticity {
        let t = duration_ms.max(1) as f64;
        let share = |ms: f64| 100.0 * ms / t;
        Elasticity {
            under_accuracy: share(self.under_ms),
            over_accuracy: share(self.over_ms),
            under_timeshare: share(self.under_time_ms as f64),
            over_timeshare: share(self.over_time_ms as f64),
            instability: if self.ticks_compared == 0 {
                0.0
            } else {
                100.0 * self.ticks_unlike as f64 / self.ticks_compared as f64
            },
            jitter_per_hour: (self.supply_changes as f64 - self.demand_changes as f64) * 3_600_000.0 / t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60_000;

    #[test]
    fn a_late_scale_out_is_under_provisioning_for_as_long_as_it_is_late() {
        // Demand 2 for 10 minutes; supply 1 for the first 4, then 2.
        let mut tally = ElasticityTally::default();
        tally.span(2, 1, 4 * MINUTE);
        tally.span(2, 2, 6 * MINUTE);
        let e = tally.metrics(10 * MINUTE);
        // θU = 100/10 × (2 − 1)/2 × 4 = 20 %; τU = 4/10 = 40 %; one supply change in 1/6 h: 6/h.
        assert!((e.under_accuracy - 20.0).abs() < 1e-12 && (e.under_timeshare - 40.0).abs() < 1e-12);
        assert_eq!((e.over_accuracy, e.over_timeshare), (0.0, 0.0));
        assert!((e.jitter_per_hour - 6.0).abs() < 1e-9);
    }

    #[test]
    fn over_provisioning_is_a_share_of_demand_and_counts_each_task_when_none_is_demanded() {
        // 5 minutes of demand 4 with supply 6 (50 % over), 5 of demand 0 with supply 2 (200 %).
        let mut tally = ElasticityTally::default();
        tally.span(4, 6, 5 * MINUTE);
        tally.span(0, 2, 5 * MINUTE);
        let e = tally.metrics(10 * MINUTE);
        // θO = (50 % × 5 + 200 % × 5) / 10 = 125 %; τO = 100 %; one demand and one supply change.
        assert!((e.over_accuracy - 125.0).abs() < 1e-12);
        assert_eq!((e.over_timeshare, e.under_accuracy, e.under_timeshare), (100.0, 0.0, 0.0));
        assert_eq!(e.jitter_per_hour, 0.0);
        // Nothing demanded and nothing supplied is neither.
        let mut idle = ElasticityTally::default();
        idle.span(0, 0, MINUTE);
        assert_eq!(idle.metrics(MINUTE), Elasticity::default());
    }

    #[test]
    fn instability_counts_the_steps_where_supply_and_demand_move_unlike() {
        // Demand 1, 2, 2, 3 and supply 1, 1, 2, 3 at four ticks: steps (+, 0), (0, +), (+, +):
        // the first two move unlike, the third alike: 2 of 3.
        let mut tally = ElasticityTally::default();
        for (d, s) in [(1, 1), (2, 1), (2, 2), (3, 3)] {
            tally.tick(d, s);
        }
        assert!((tally.metrics(4 * MINUTE).instability - 200.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_change_of_no_duration_is_no_adaptation() {
        // A task stopped and replaced at the same instant: supply 3 → 2 → 3 within 0 ms.
        let mut tally = ElasticityTally::default();
        tally.span(3, 3, MINUTE);
        tally.span(3, 2, 0);
        tally.span(3, 3, MINUTE);
        assert_eq!(tally.metrics(2 * MINUTE), Elasticity::default());
    }
}
