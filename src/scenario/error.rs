//! Scenario errors that say where: the file, line and column, the key, what was found and
//! what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// A key path inside a scenario file, e.g. `services.api.target_tracking[0].metric`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyPath(Vec<Segment>);

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_owned()));
        path
    }

    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One thing wrong with a scenario (or a file it names).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no place in a file (e.g. it cannot be read).
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
    /// The text of the offending line, for the caret display.
    pub source_line: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        let key = if self.key.is_empty() { String::new() } else { format!("`{}`: ", self.key) };
        if self.line == 0 {
            return write!(f, "error: {file}: {key}{}", self.message);
        }
        writeln!(f, "error: {file}:{}:{}: {key}{}", self.line, self.column, self.message)?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        write!(f, "{:gutter$} | {:>col$}", "", "^", col = self.column)
    }
}

/// Why a scenario could not be loaded: every problem found, in file order.
#[derive(Debug, thiserror::Error)]
pub struct ScenarioError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl ScenarioError {
    pub fn single(problem: Problem) -> Self {
        ScenarioError { problems: vec![problem] }
    }
}

/// Finds where a key path sits in the source text.
pub struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    root: Option<DeValue<'a>>,
    /// A variant's table (`variants.NAME`): a key it sets is reported there, the rest in the
    /// base document.
    overlay: Option<KeyPath>,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        let root = DeTable::parse(text).ok().map(|table| DeValue::Table(table.into_inner()));
        Locator { file, text, root, overlay: None }
    }

    /// The same document, read for the variant at `overlay`.
    pub fn for_variant(&self, overlay: KeyPath) -> Self {
        Locator { file: self.file, text: self.text, root: self.root.clone(), overlay: Some(overlay) }
    }

    /// The span start of `path` if every key on it is in the file.
    fn find(&self, path: &KeyPath) -> Option<usize> {
        let mut value = self.root.as_ref()?;
        let mut offset = 0;
        for segment in &path.0 {
            let next = match segment {
                Segment::Key(key) => value.get(key.as_str()),
                Segment::Index(index) => value.get(*index),
            }?;
            offset = next.span().start;
            value = next.get_ref();
        }
        Some(offset)
    }

    /// A problem at byte offset `offset` of the scenario file.
    pub fn at_offset(&self, offset: usize, key: &str, message: String) -> Problem {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let source_line = self.text[line_start..].lines().next().unwrap_or("").to_owned();
        Problem { file: self.file.to_owned(), line, column, key: key.to_owned(), message, source_line }
    }

    /// A problem at `path`: at its value if the key is in the file, else at the deepest table
    /// on the path that is (a missing key is reported where it should have been).
    pub fn at(&self, path: &KeyPath, message: String) -> Problem {
        if let Some(overlay) = &self.overlay {
            let mut full = overlay.clone();
            full.0.extend(path.0.iter().cloned());
            if let Some(offset) = self.find(&full) {
                return self.at_offset(offset, &full.to_string(), message);
            }
        }
        let mut offset = 0;
        if let Some(mut value) = self.root.as_ref() {
            for segment in &path.0 {
                let next = match segment {
                    Segment::Key(key) => value.get(key.as_str()),
                    Segment::Index(index) => value.get(*index),
                };
                let Some(next) = next else { break };
                offset = next.span().start;
                value = next.get_ref();
            }
        }
        self.at_offset(offset, &path.to_string(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_keys_and_array_items() {
        let text = "name = \"x\"\n\n[services.api]\ncpu = 512\n\n[[services.api.target_tracking]]\nmetric = \"cpu\"\n";
        let locator = Locator::new(Path::new("s.toml"), text);
        let path = KeyPath::root().key("services").key("api").key("cpu");
        let p = locator.at(&path, "bad".into());
        assert_eq!((p.line, p.column, p.key.as_str()), (4, 7, "services.api.cpu"));
        let path = KeyPath::root().key("services").key("api").key("target_tracking").index(0).key("metric");
        let p = locator.at(&path, "bad".into());
        assert_eq!((p.line, p.column), (7, 10));
        assert_eq!(p.key, "services.api.target_tracking[0].metric");
        assert_eq!(p.source_line, "metric = \"cpu\"");
    }

    #[test]
    fn renders_file_line_column_key_and_a_caret() {
        let text = "a = 1\nmin_capacity = 5\n";
        let p = Locator::new(Path::new("f.toml"), text).at(&KeyPath::root().key("min_capacity"), "too big".into());
        assert_eq!(
            p.to_string(),
            "error: f.toml:2:16: `min_capacity`: too big\n  |\n2 | min_capacity = 5\n  |                ^"
        );
    }
}
