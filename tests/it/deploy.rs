//! The files in `deploy/` and the Dockerfile: each engine's command line, run here as the
//! engine would run it (its index variables set for every task), merges into the sweep one
//! machine makes. (The Slurm script runs under a real Slurm in `slurm.rs`.)

use std::process::Command;

use super::{ecsim, root, stderr};

/// Runs `args` (an engine's `ecsim` arguments, with the image's /scenarios and /results put
/// here) once per task with `env(task)` set, merges, and compares with one machine's sweep.
fn tasks_merge_to_one_machine(args: &[String], tasks: u32, env: impl Fn(u32) -> Vec<(&'static str, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let scenarios = root().join("scenarios");
    let local_args: Vec<String> = args
        .iter()
        .map(|a| a.replace("/scenarios", scenarios.to_str().unwrap()).replace("/results", results.to_str().unwrap()))
        .chain(["--replications".to_owned(), "2".to_owned()])
        .collect();
    for task in 0..tasks {
        let output = Command::new(env!("CARGO_BIN_EXE_ecsim"))
            .args(&local_args)
            .envs(env(task))
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        assert!(output.status.success(), "task {task}: {}", stderr(&output));
    }
    let merged = dir.path().join("merged");
    let output = ecsim(&["merge", "--out", merged.to_str().unwrap(), results.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let sweep_file = local_args[1].clone();
    let local = dir.path().join("local");
    let output = ecsim(&["sweep", &sweep_file, "--out", local.to_str().unwrap(), "--replications", "2", "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in ["sweep.json", "runs.csv", "points.csv", "pareto.csv"] {
        assert!(std::fs::read(local.join(file)).unwrap() == std::fs::read(merged.join(file)).unwrap(), "{file}");
    }
}

#[test]
fn the_kubernetes_indexed_job_runs_one_shard_a_pod() {
    let manifest = std::fs::read_to_string(root().join("deploy/kubernetes-sweep.yaml")).unwrap();
    let value = |key: &str| {
        manifest.lines().find_map(|l| l.trim().strip_prefix(key)).unwrap_or_else(|| panic!("{key}")).trim().to_owned()
    };
    assert_eq!(value("completionMode:"), "Indexed");
    let completions: u32 = value("completions:").parse().unwrap();
    let args: Vec<String> = serde_json::from_str(&value("args:")).unwrap();
    let shards = args.iter().position(|a| a == "--shards").map(|i| args[i + 1].parse::<u32>().unwrap());
    assert_eq!(shards, Some(completions), "--shards is the Job's completions");
    tasks_merge_to_one_machine(&args, completions, |i| vec![("JOB_COMPLETION_INDEX", i.to_string())]);
}

#[test]
fn the_aws_batch_job_definition_runs_one_shard_a_child() {
    let text = std::fs::read_to_string(root().join("deploy/aws-batch-job-definition.json")).unwrap();
    let definition: serde_json::Value = serde_json::from_str(&text).unwrap();
    let command: Vec<String> = serde_json::from_value(definition["containerProperties"]["command"].clone()).unwrap();
    assert_eq!(command[0], "sweep");
    // The README submits it with --array-properties size=4.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("--job-definition ecsim-sweep") && readme.contains("--array-properties size=4"));
    tasks_merge_to_one_machine(&command, 4, |i| {
        vec![("AWS_BATCH_JOB_ARRAY_INDEX", i.to_string()), ("AWS_BATCH_JOB_ARRAY_SIZE", "4".to_owned())]
    });
}

/// There is no Docker engine here to build the image: this checks what the Dockerfile says.
#[test]
fn the_dockerfile_builds_from_files_that_exist_and_the_slurm_script_says_how_to_call_it() {
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let stages = dockerfile.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a small runtime stage");
    assert!(dockerfile.contains("COPY --from=build /src/target/release/ecsim /usr/local/bin/ecsim"));
    assert!(dockerfile.contains("COPY scenarios /scenarios"));
    assert!(dockerfile.contains(r#"ENTRYPOINT ["ecsim"]"#));
    // Every file the Dockerfile copies from the repository is there.
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for source in &parts[1..parts.len() - 1] {
            assert!(root().join(source).exists(), "{source}");
        }
    }
    let script = root().join("deploy/slurm-sweep.sh");
    let output = Command::new(&script).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("usage: sbatch --array=0-N"));
}
