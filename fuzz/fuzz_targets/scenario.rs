//! Any UTF-8 text as a scenario file (reading bytes that are not UTF-8 is tested in
//! `tests/it/robustness.rs`): validation must return, every problem must have a line, and a
//! scenario that passes must run to the end with finite figures. Runs are kept short (the
//! bound on simulated work below), so each input takes milliseconds.

#![no_main]

use std::path::Path;

use ecsim::scenario::{self, Overrides};
use libfuzzer_sys::fuzz_target;

/// Service ticks above which a valid scenario is only validated, not run.
const MAX_WORK: u64 = 50_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    match scenario::parse(&here.join("fuzzed.toml"), text, &here, &Overrides::default()) {
        Err(error) => {
            for problem in &error.problems {
                assert!(problem.line >= 1, "a problem without a line: {problem}");
            }
        }
        Ok(loaded) => {
            for scenario in std::iter::once(&loaded.scenario).chain(loaded.variants.iter().map(|v| &v.scenario)) {
                if scenario.duration_ms / scenario.tick_ms * scenario.services.len() as u64 > MAX_WORK {
                    continue;
                }
                let summary = ecsim::report::summary_only(scenario);
                let total = serde_json::to_value(&summary).expect("a summary serializes")["total"].clone();
                for key in ["cost_usd", "requests_offered", "requests_served"] {
                    assert!(total[key].as_f64().is_some_and(f64::is_finite), "{key} is {}", total[key]);
                }
            }
        }
    }
});
