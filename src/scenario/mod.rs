//! Scenario files: the only input boundary.
//!
//! A scenario is TOML. [`load`] reads it, rejects unknown keys, checks every value, reads the
//! trace and price files it names, and returns the model's [`Scenario`] plus warnings — or
//! every problem found, each with its file, line, column and key. Nothing runs before a
//! scenario has passed. The format is documented key by key in `scenarios/README.md`.

mod data;
mod error;
mod file;
mod translate;

use std::path::{Path, PathBuf};

pub use error::{Problem, ScenarioError};

use crate::config::Scenario;
use error::Locator;

/// Command-line settings that take precedence over the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub prices: Option<PathBuf>,
    /// An instance catalog file, in place of the scenario's `catalog`.
    pub catalog: Option<PathBuf>,
}

/// A validated scenario and what is worth telling the user about it.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<String>,
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Loaded, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::single(Problem {
            file: path.to_owned(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the scenario: {e}"),
            source_line: String::new(),
        })
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    parse(path, &text, base_dir, overrides)
}

/// Validates scenario `text`, as if read from `path`; relative data paths start at `base_dir`.
pub fn parse(path: &Path, text: &str, base_dir: &Path, overrides: &Overrides) -> Result<Loaded, ScenarioError> {
    let locator = Locator::new(path, text);
    let file: file::ScenarioFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().to_owned();
        ScenarioError::single(locator.at_offset(e.span().map_or(0, |s| s.start), "", message))
    })?;
    let (scenario, warnings) = translate::Translator::new(&locator, base_dir)
        .scenario(file, overrides)
        .map_err(|problems| ScenarioError { problems })?;
    Ok(Loaded { scenario, warnings })
}
