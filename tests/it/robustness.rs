//! Hostile input and interrupted runs: every file in `tests/bad-scenarios/` is refused with
//! its place and its words and nothing written; a killed run leaves its folder as it was; two
//! runs into one folder do not interleave; a queue's figures agree between the series and the
//! summary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::*;

/// One case of the corpus: the `# expect:` fragments stderr must hold and the `# at:` place
/// (file:line) it must name, both written in the file's head.
struct Case {
    file: PathBuf,
    expects: Vec<String>,
    at: String,
}

fn corpus() -> Vec<Case> {
    toml_files(&root().join("tests/bad-scenarios"))
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

/// A run long enough to be caught half-way: a month of the 100-service bench, every output.
fn long_run(out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(["run", "scenarios/bench/services-100.toml", "--out", out.to_str().unwrap(), "--quiet"])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The hidden sibling a run of `out` is being written into, once it exists.
fn wait_for_staging(out: &Path) -> PathBuf {
    let parent = out.parent().unwrap();
    let prefix = format!(".{}.", out.file_name().unwrap().to_string_lossy());
    for _ in 0..2_000 {
        let found = std::fs::read_dir(parent).unwrap().map(|e| e.unwrap().path()).find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&prefix) && name.ends_with(".partial")
        });
        if let Some(staging) = found {
            return staging;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("no run started writing {}", out.display());
}

#[test]
fn a_killed_run_leaves_the_old_folder_whole_and_the_next_run_clears_what_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_ok(&root().join("scenarios/quickstart.toml"), &out, &[]);
    let before = tree(&out);

    let mut child = long_run(&out);
    let staging = wait_for_staging(&out);
    child.kill().unwrap();
    child.wait().unwrap();
    // The old run, every file as it was: none of the new run's files, none removed.
    assert_eq!(tree(&out), before);

    // The next run of the folder removes what the killed one left, and replaces the folder.
    run_ok(&root().join("scenarios/step-load.toml"), &out, &[]);
    assert!(!staging.exists(), "{} is left", staging.display());
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| n == "run" || n == ".run.lock"), "{names:?}");
    assert_eq!(summary(&out)["scenario"], "step-load");
}

#[test]
fn a_second_run_into_a_folder_being_written_fails_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut first = long_run(&out);
    wait_for_staging(&out);
    let second = ecsim(&["run", "scenarios/quickstart.toml", "--out", out.to_str().unwrap(), "--quiet"]);
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(err.contains("another ecsim is writing it now"), "{err}");
    assert!(first.wait().unwrap().success());
    // The first run's folder, whole: its summary names its own scenario.
    assert_eq!(summary(&out)["scenario"], "services-100");
}

#[test]
fn a_folder_that_is_a_file_or_holds_other_files_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "notes.txt", "mine");
    let output = ecsim(&["run", "scenarios/quickstart.toml", "--out", file.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("it is a file, not a folder"), "{err}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("run(s) in"));

    let output = ecsim(&["run", "scenarios/quickstart.toml", "--out", dir.path().to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("holds files but no run.json"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn a_queue_loses_no_request_and_the_summary_counts_what_is_still_waiting() {
    let dir = tempfile::tempdir().unwrap();
    // 200 requests a second at one task that serves 100, RUNNING from the start (no
    // provisioning, no start-up): the backlog grows by 100 a second all run long.
    let scenario = write(
        dir.path(),
        "queue.toml",
        r#"version = 1
name = "queue"
duration = "10m"

[loads.jobs]
shape = "constant"
value = 200.0

[services.worker]
load = "jobs"
cpu = 256
memory = 512
requests_per_task = 100.0
provisioning = "0s"
startup = "0s"
overflow = "queue"
desired_count = 1
min_capacity = 1
max_capacity = 1
"#,
    );
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    let rows = read_csv(&out.join("timeseries.csv"));
    assert!(rows.iter().all(|r| r["unserved_requests"] == "0.000"), "a queue loses nothing");
    let s = &summary(&out)["services"][0];
    let f = |key: &str| s[key].as_f64().unwrap();
    // By hand: 200 a second for 600 s offered, 100 a second served, the rest still waiting.
    assert!(rounded_close(f("requests_offered"), 120_000.0));
    assert!(rounded_close(f("requests_served"), 60_000.0));
    assert!(rounded_close(f("requests_queued_at_end"), 60_000.0));
    assert!(rounded_close(f("requests_unserved"), 60_000.0));
    // The backlog the series shows after each minute: 6,000 more each time.
    for (minute, row) in rows.iter().enumerate() {
        let backlog: f64 = row["backlog"].parse().unwrap();
        assert!(rounded_close(backlog, 6_000.0 * (minute + 1) as f64), "minute {minute}: {backlog}");
    }
}

#[test]
fn no_output_shows_a_negative_zero() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["quickstart.toml", "compare-ec2-fargate-spot.toml", "ec2-binpack.toml"] {
        let out = dir.path().join(scenario);
        run_ok(&root().join("scenarios").join(scenario), &out, &[]);
        for (path, bytes) in tree(&out) {
            let text = String::from_utf8_lossy(&bytes);
            let negative_zero = regex_lite::Regex::new(r"(^|[,:\s\[])-0(\.0+)?([,\s\]}]|$)").unwrap();
            assert!(!negative_zero.is_match(&text), "{scenario}: {path} shows -0");
        }
    }
}

#[test]
fn a_huge_or_binary_scenario_file_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    // 5 MiB of comments: over the 4 MiB a scenario file may have.
    let huge = write(dir.path(), "huge.toml", &"# padding\n".repeat(5 << 19));
    let output = ecsim(&["validate", huge.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("the scenario is larger than 4 MiB"), "{err}");

    // A byte that is no UTF-8 on the third line, fifth column.
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, b"version = 1\nname = \"x\"\nabcd\xff = 1\n").unwrap();
    let output = ecsim(&["validate", binary.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("binary.toml:3: the scenario is not UTF-8 text: byte 5 of the line"), "{err}");
}

#[test]
fn a_refused_scenario_with_variants_leaves_the_others_to_run_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "sized.toml",
        r#"version = 1
name = "sized"
duration = "10m"

[loads.web]
shape = "constant"
value = 100.0

[services.api]
load = "web"
cpu = 256
memory = 512
requests_per_task = 100.0
desired_count = 1
min_capacity = 1
max_capacity = 4

[variants.bigger.services.api]
cpu = 512
memory = 1024
"#,
    );
    let out = dir.path().join("out");
    // The variants' folder holds a file where the base run's folder belongs.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("base"), "mine").unwrap();
    let output = ecsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("it holds `base`, which is no part of a comparison of runs"), "{err}");
    assert_eq!(std::fs::read_to_string(out.join("base")).unwrap(), "mine");

    // Two scenarios with variants and one name: the second is refused, the first runs and is
    // compared.
    let twice = dir.path().join("twice");
    let output =
        ecsim(&["run", file.to_str().unwrap(), file.to_str().unwrap(), "--out", twice.to_str().unwrap(), "-q"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("another run already writes to"), "{err}");
    assert!(twice.join("sized/comparison.csv").exists());
}
