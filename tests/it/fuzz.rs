//! A bounded, structure-aware fuzz of the input boundary (proptest): the bundled scenarios
//! with lines deleted, duplicated and retyped, numbers made extreme and the file cut short.
//! Whatever the text, validation returns, every problem has a line, and a scenario that passes
//! runs to the end with finite figures. `fuzz/` holds the cargo-fuzz target that does the
//! same for as long as a developer lets it run.

use std::path::PathBuf;

use ecsim::scenario::{self, Overrides};
use proptest::prelude::*;

use crate::{root, toml_files};

/// The bundled scenarios that read no data beside the repository.
fn bundled() -> Vec<(PathBuf, String)> {
    toml_files(&root().join("scenarios"))
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .filter(|(_, text)| !text.contains("shared/data"))
        .collect()
}

/// Values that have broken parsers and arithmetic before.
const HOSTILE: [&str; 22] = [
    "\"x\"",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "[]",
    "{}",
    "true",
    "\"10000y\"",
    "\"0s\"",
    "\"18446744073709551s\"",
    "\"rate(18446744073709551 minutes)\"",
    "\"\"",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    /// The value of a `key = value` line replaced by a hostile one.
    Retype(usize, usize),
    /// Every number on a line replaced by a hostile one.
    Extreme(usize, usize),
    /// The file cut after this share of its bytes, in thousandths.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(l, v)| Mutation::Retype(l, v)),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(l, v)| Mutation::Extreme(l, v)),
        (0usize..1000).prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return String::new();
    }
    let at = |i: usize| i % lines.len();
    match *mutation {
        Mutation::Delete(i) => {
            lines.remove(at(i));
        }
        Mutation::Duplicate(i) => {
            let line = lines[at(i)].clone();
            lines.insert(at(i), line);
        }
        Mutation::Retype(i, v) => {
            let i = at(i);
            if let Some((key, _)) = lines[i].split_once('=') {
                lines[i] = format!("{key}= {}", HOSTILE[v]);
            }
        }
        Mutation::Extreme(i, v) => {
            let i = at(i);
            let number = regex_lite::Regex::new(r"-?\d+(\.\d+)?([eE][-+]?\d+)?").unwrap();
            lines[i] = number.replace_all(&lines[i], HOSTILE[v]).into_owned();
        }
        Mutation::Truncate(share) => {
            let text = lines.join("\n");
            let mut cut = text.len() * share / 1000;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return text[..cut].to_owned();
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_mutated_scenario_panics_and_every_rejection_has_a_line(
        pick in any::<usize>(),
        short in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let files = bundled();
        let (path, text) = &files[pick % files.len()];
        // Half the cases run a short scenario, so that what passes is also run.
        let mut text = if short {
            regex_lite::Regex::new(r#"(?m)^duration = "[^"]*""#).unwrap().replace(text, "duration = \"1h\"").into_owned()
        } else {
            text.clone()
        };
        for m in &mutations {
            text = apply(&text, m);
        }
        let base = root().join("scenarios");
        match scenario::parse(path, &text, &base, &Overrides::default()) {
            Err(error) => {
                for problem in &error.problems {
                    prop_assert!(problem.line >= 1, "no line: {problem}\n--- text ---\n{text}");
                }
            }
            Ok(loaded) => {
                let runs = std::iter::once(&loaded.scenario).chain(loaded.variants.iter().map(|v| &v.scenario));
                for scenario in runs {
                    let work = scenario.duration_ms / scenario.tick_ms * scenario.services.len() as u64;
                    if work > 20_000 {
                        continue;
                    }
                    let summary = ecsim::report::summary_only(scenario);
                    let figures = serde_json::to_value(&summary).unwrap();
                    let total = &figures["total"];
                    for key in ["cost_usd", "requests_offered", "requests_served", "requests_unserved"] {
                        prop_assert!(
                            total[key].as_f64().is_some_and(f64::is_finite),
                            "{key} is {} for\n{text}", total[key]
                        );
                    }
                }
            }
        }
    }
}
