//! Scenario errors that say where: the file, line and column, the key, what was found and
//! what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use toml::de::{DeTable, DeValue};

/// A key path inside a scenario file, e.g. `services.api.target_tracking[0].metric`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyPath(Vec<Segment>);

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
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

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Reads a key path as the scenario file would write it: keys joined by `.`, array items
    /// as `[N]`, a key with other characters in double quotes (`services."my.api".cpu`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut path = KeyPath::root();
        let mut rest = text.trim();
        let bad = |why: &str| {
            format!("`{text}` is not a key path ({why}); expected e.g. services.api.target_tracking[0].target_value")
        };
        if rest.is_empty() {
            return Err(bad("it is empty"));
        }
        loop {
            if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').ok_or_else(|| bad("a quote is not closed"))?;
                path = path.key(&quoted[..end]);
                rest = &quoted[end + 1..];
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let key = &rest[..end];
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
                    return Err(bad("each key is letters, digits, '-' and '_', or quoted"));
                }
                path = path.key(key);
                rest = &rest[end..];
            }
            while let Some(index) = rest.strip_prefix('[') {
                let end = index.find(']').ok_or_else(|| bad("a `[` is not closed"))?;
                let n = index[..end].parse().map_err(|_| bad("an index is a whole number"))?;
                path = path.index(n);
                rest = &index[end + 1..];
            }
            match rest.strip_prefix('.') {
                Some(next) if !next.is_empty() => rest = next,
                Some(_) => return Err(bad("it ends with `.`")),
                None if rest.is_empty() => return Ok(path),
                None => return Err(bad("keys are joined by `.`")),
            }
        }
    }

    /// Whether `self` is `prefix` or lies inside it.
    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            let plain =
                |key: &str| !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
            match segment {
                Segment::Key(key) if !plain(key) => write!(f, "{}\"{key}\"", if i == 0 { "" } else { "." })?,
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
    /// The scenario key the problem is about; empty when it is about no key of the scenario
    /// (a file that cannot be read, a sweep axis's value, which the message names).
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
        if self.source_line.is_empty() {
            return write!(f, "error: {file}:{}: {key}{}", self.line, self.message);
        }
        writeln!(f, "error: {file}:{}:{}: {key}{}", self.line, self.column, self.message)?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        // A long line is shown up to the error and a little past it.
        const SHOWN: usize = 100;
        let end = self.column.saturating_add(SHOWN / 2).max(SHOWN);
        let shown: String = self.source_line.chars().take(end).collect();
        let cut = if self.source_line.chars().nth(end).is_some() { "…" } else { "" };
        writeln!(f, "{} | {shown}{cut}", self.line)?;
        if self.column > end {
            return Ok(());
        }
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

/// Finds where a key path sits in the source text. The text is parsed for spans only when a
/// problem is reported, so a locator costs nothing to make for a scenario that passes.
#[derive(Clone)]
pub struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    root: OnceLock<Option<DeValue<'a>>>,
    /// A variant's table (`variants.NAME`): a key it sets is reported there, the rest in the
    /// base document.
    overlay: Option<KeyPath>,
    /// Keys a sweep point sets: a problem at or inside one is reported where its value was
    /// given.
    pinned: Vec<Pinned<'a>>,
}

/// A key whose value came from elsewhere (a sweep's axis): problems with it are reported at
/// `at` in `locator`'s file, their message after `prefix`.
#[derive(Clone)]
pub struct Pinned<'a> {
    pub path: KeyPath,
    pub locator: &'a Locator<'a>,
    pub at: KeyPath,
    pub prefix: String,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Locator { file, text, root: OnceLock::new(), overlay: None, pinned: Vec::new() }
    }

    /// The same document, read for the variant at `overlay`.
    pub fn for_variant(&self, overlay: KeyPath) -> Self {
        Locator { overlay: Some(overlay), ..self.clone() }
    }

    /// The same document with `pinned` keys reported where their values came from.
    pub fn with_pinned(self, pinned: Vec<Pinned<'a>>) -> Self {
        Locator { pinned, ..self }
    }

    fn root(&self) -> Option<&DeValue<'a>> {
        self.root
            .get_or_init(|| DeTable::parse(self.text).ok().map(|table| DeValue::Table(table.into_inner())))
            .as_ref()
    }

    /// The span start of `path` if every key on it is in the file.
    fn find(&self, path: &KeyPath) -> Option<usize> {
        let mut value = self.root()?;
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

    /// Whether the file gives `path` itself: in the variant's table, in the document, or as a
    /// sweep's axis.
    pub fn has(&self, path: &KeyPath) -> bool {
        let in_overlay = self.overlay.as_ref().is_some_and(|overlay| {
            let mut full = overlay.clone();
            full.0.extend(path.0.iter().cloned());
            self.find(&full).is_some()
        });
        in_overlay || self.find(path).is_some() || self.pinned.iter().any(|pin| path.starts_with(&pin.path))
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
        if let Some(pin) = self.pinned.iter().find(|pin| path.starts_with(&pin.path)) {
            // Inside a table or list value, the rest of the path says where: `…[1].weight`.
            let inside = KeyPath(path.0[pin.path.0.len()..].to_vec()).to_string();
            let inside = if inside.starts_with('[') || inside.is_empty() { inside } else { format!(".{inside}") };
            let problem = pin.locator.at(&pin.at, format!("{}{inside}: {message}", pin.prefix));
            return Problem { key: String::new(), ..problem };
        }
        if let Some(overlay) = &self.overlay {
            let mut full = overlay.clone();
            full.0.extend(path.0.iter().cloned());
            if let Some(offset) = self.find(&full) {
                return self.at_offset(offset, &full.to_string(), message);
            }
        }
        let mut offset = 0;
        if let Some(mut value) = self.root() {
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

/// A message of serde's as a person would say it:
/// - "unknown field `x`, expected one of `a`, `b`, …": the closest key when one is near (edit
///   distance at most a third of its length, at least 2), else the keys when they are few,
///   else where they are listed;
/// - "unknown variant `x`, expected one of …" (a word such as a shape's): the same for values;
/// - "invalid type: string \"60%\", expected f64": what was found and what is wanted, in words.
pub fn serde_in_words(message: &str) -> String {
    if message == "recursion limit" || message.starts_with("cannot recurse further") {
        return "tables or lists nested deeper than a scenario reads; a scenario nests a few levels".to_owned();
    }
    // TOML's integers are 64-bit signed; a larger literal is no TOML integer.
    if message == "u64 value was too large" || message.contains("number too large") {
        return "an integer beyond TOML's, which are whole numbers from -9223372036854775808 to 9223372036854775807"
            .to_owned();
    }
    if let Some(rest) = message.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        return format!("this table needs the key `{rest}`; scenarios/README.md says what it takes");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return closest(rest, "key", 2, 6).unwrap_or_else(|| message.to_owned());
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        return closest(rest, "value", 1, 12).unwrap_or_else(|| message.to_owned());
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let found = match found.split_once(' ') {
            Some(("string", text)) => format!("the text {}", crate::scenario::translate::shorten(text)),
            Some(("integer" | "floating", _)) | Some(("boolean", _)) => found.replace('`', ""),
            _ if found == "map" => "a table".to_owned(),
            _ if found == "sequence" => "a list".to_owned(),
            _ => found.to_owned(),
        };
        let expected = match expected {
            "f64" | "f32" => "a number",
            "i64" | "u64" | "u32" | "i32" | "usize" => "a whole number",
            "a boolean" | "bool" => "true or false",
            "a string" => "text in quotes",
            "a sequence" => "a list in [ ]",
            "variant identifier" => "a word in quotes, one of those scenarios/README.md lists for this key",
            other if other.starts_with("struct ") || other.starts_with("internally tagged enum ") => {
                "a table of keys, { key = value, … }"
            }
            other => other,
        };
        return format!("found {found}; expected {expected}");
    }
    message.to_owned()
}

/// "x`, expected one of `a`, `b`" (after serde's opening backtick) as "unknown WHAT `x`; did
/// you mean `a`?" (within a third of its length, at least `floor` edits), the allowed ones when
/// they are at most `listed`, or how many there are.
fn closest(rest: &str, what: &str, floor: usize, listed: usize) -> Option<String> {
    let (unknown, expected) = rest.split_once('`')?;
    let unknown = &*crate::scenario::translate::shorten(unknown);
    let allowed: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let near = allowed
        .iter()
        .map(|k| (strsim::levenshtein(unknown, k), *k))
        .filter(|&(d, k)| d <= (k.len() / 3).max(floor))
        .min_by_key(|&(d, _)| d);
    Some(match near {
        Some((_, key)) => format!("unknown {what} `{unknown}`; did you mean `{key}`?"),
        None if allowed.len() <= listed => {
            format!("unknown {what} `{unknown}`; expected one of `{}`", allowed.join("`, `"))
        }
        None => format!(
            "unknown {what} `{unknown}`: not one of the {} allowed here (scenarios/README.md lists them)",
            allowed.len()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_key_gets_the_closest_one() {
        let serde = "unknown field `target_valu`, expected one of `name`, `metric`, `target_value`, `scale_out_cooldown`, `scale_in_cooldown`, `disable_scale_in`, `scale_from`";
        assert_eq!(serde_in_words(serde), "unknown key `target_valu`; did you mean `target_value`?");
        // Nothing near: the count of keys rather than all of them; a short list is given whole.
        let far = serde.replacen("`target_valu`", "`colour`", 1);
        assert_eq!(
            serde_in_words(&far),
            "unknown key `colour`: not one of the 7 allowed here (scenarios/README.md lists them)"
        );
        assert_eq!(
            serde_in_words("unknown field `zzz`, expected one of `mean`, `sd`"),
            "unknown key `zzz`; expected one of `mean`, `sd`"
        );
        // Other messages pass through.
        assert_eq!(serde_in_words("invalid type: string"), "invalid type: string");
    }

    #[test]
    fn values_and_types_are_told_in_words() {
        assert_eq!(
            serde_in_words(
                "unknown variant `diurnl`, expected one of `constant`, `ramp`, `step`, `diurnal`, `spike`, `trace`, `sum`, `product`"
            ),
            "unknown value `diurnl`; did you mean `diurnal`?"
        );
        assert_eq!(
            serde_in_words("invalid type: string \"60%\", expected f64"),
            "found the text \"60%\"; expected a number"
        );
        assert_eq!(
            serde_in_words("invalid type: floating point `2.5`, expected i64"),
            "found floating point 2.5; expected a whole number"
        );
    }

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
