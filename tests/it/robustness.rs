//! Hostile input and interrupted runs: every file in `tests/bad-scenarios/` is refused with
//! its place and its words and nothing written; a killed run leaves its folder as it was; two
//! runs into one folder do not interleave; a queue's figures agree between the series and the
//! summary.

use crate::*;

/// One case of the corpus: the `# expect:` fragments stderr must hold and the `# at:` place
/// (file:line) it must name, both written in the file's head.
struct Case {
    file: PathBuf,
    expects: Vec<String>,
    at: String,
}

fn corpus() -> Vec<Case> {
    let dir = root().join("tests/bad-scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            let header = |tag: &str| -> Vec<String> {
                text.lines().filter_map(|l| l.strip_prefix(tag)).map(str::to_owned).collect()
            };
            let at = header("# at: ").pop().unwrap_or_else(|| panic!("{}: no `# at:` line", file.display()));
            let expects = header("# expect: ");
            assert!(!expects.is_empty(), "{}: no `# expect:` line", file.display());
            Case { file, expects, at }
        })
        .collect()
}

#[test]
fn every_bad_scenario_is_refused_in_words_at_its_line_and_writes_nothing() {
    let cases = corpus();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let out = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let folder = out.path().join("run");
        let output = ecsim(&["run", case.file.to_str().unwrap(), "--out", folder.to_str().unwrap(), "--quiet"]);
        let err = stderr(&output);
        let name = case.file.file_name().unwrap().to_string_lossy();
        let mut wrong = Vec::new();
        if output.status.code() != Some(2) {
            wrong.push(format!("exit {:?}", output.status.code()));
        }
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
            wrong.push("a panic".into());
        }
        if !err.contains(&format!("{}:", case.at)) {
            wrong.push(format!("no `{}:`", case.at));
        }
        for expected in &case.expects {
            if !err.contains(expected.as_str()) {
                wrong.push(format!("no {expected:?}"));
            }
        }
        if folder.exists() {
            wrong.push("an output folder was written".into());
        }
        if !wrong.is_empty() {
            failures.push(format!("{name}: {}\n{err}", wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
