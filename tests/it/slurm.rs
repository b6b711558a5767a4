//! The sweep on a real Slurm cluster: a one-node cluster started here (munged, slurmctld,
//! slurmd with a generated slurm.conf), the sweep submitted as a job array of 4 tasks with
//! `deploy/slurm-sweep.sh`, merged, and compared byte for byte with the same sweep on one
//! machine. `.ci/run` installs Debian's slurm-wlm and munge and sets ECSIM_REQUIRE_SLURM, so
//! in CI a missing Slurm fails the test; elsewhere it is skipped with a note.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{ecsim, root, stderr};

/// The daemons started for the test, stopped by their pid files when it ends, pass or fail.
struct Cluster {
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for daemon in ["slurmd", "slurmctld", "munged"] {
            if let Ok(pid) = std::fs::read_to_string(self.dir.join(format!("{daemon}.pid"))) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

/// Where a program is: on PATH, or in /usr/sbin where Debian puts the daemons.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin")]).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn command(name: &str) -> Command {
    Command::new(tool(name).unwrap_or_else(|| panic!("{name} is installed (checked)")))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(output.status.success(), "{command:?}: {}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn start(dir: &Path) -> Cluster {
    let host = run(Command::new("hostname").arg("-s")).trim().to_owned();
    // The daemons run as whoever runs the test (root in CI, or a user with sudo for the
    // packages): a one-node test cluster needs no other account.
    let user = run(Command::new("id").arg("-un")).trim().to_owned();
    for sub in ["state", "spool"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut key = vec![0u8; 1024];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").unwrap(), &mut key).unwrap();
    let key_file = dir.join("munge.key");
    std::fs::write(&key_file, &key).unwrap();
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o400)).unwrap();
    let d = dir.display();
    let conf = format!(
        "ClusterName=ecsim-test\nSlurmctldHost={host}\nSlurmUser={user}\nSlurmdUser={user}\n\
         AuthType=auth/munge\nAuthInfo=socket={d}/munge.socket\nStateSaveLocation={d}/state\n\
         SlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
         SlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
         SlurmctldPort={}\nSlurmdPort={}\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
         JobAcctGatherType=jobacct_gather/none\nSelectType=select/cons_tres\nReturnToService=2\n\
         MpiDefault=none\nNodeName={host} CPUs=2 State=UNKNOWN\n\
         PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
        free_port(),
        free_port()
    );
    std::fs::write(dir.join("slurm.conf"), conf).unwrap();
    let cluster = Cluster { dir: dir.to_owned() };
    run(command("munged")
        .arg("--force")
        .arg(format!("--socket={d}/munge.socket"))
        .arg(format!("--key-file={d}/munge.key"))
        .arg(format!("--log-file={d}/munged.log"))
        .arg(format!("--pid-file={d}/munged.pid"))
        .arg(format!("--seed-file={d}/munged.seed")));
    let conf = dir.join("slurm.conf");
    run(command("slurmctld").arg("-f").arg(&conf));
    run(command("slurmd").arg("-f").arg(&conf));
    let started = Instant::now();
    loop {
        let state = command("sinfo").args(["-h", "-o", "%t"]).env("SLURM_CONF", &conf).output().unwrap();
        if String::from_utf8_lossy(&state.stdout).trim() == "idle" {
            return cluster;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "the node never came up: {}", stderr(&state));
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_sweep_run_as_a_slurm_job_array_merges_into_the_bytes_of_one_machine() {
    let found = ["sbatch", "sinfo", "slurmctld", "slurmd", "munged"].iter().all(|name| tool(name).is_some());
    if !found {
        assert!(
            std::env::var_os("ECSIM_REQUIRE_SLURM").is_none(),
            "ECSIM_REQUIRE_SLURM is set but sbatch is not installed (apt-get install slurm-wlm munge)"
        );
        eprintln!("skipped: Slurm is not installed here (.ci/run installs it: apt-get install slurm-wlm munge)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cluster = start(dir.path());
    let example = root().join("scenarios/sweep-target-value.toml");
    let local = dir.path().join("local");
    let output =
        ecsim(&["sweep", example.to_str().unwrap(), "--out", local.to_str().unwrap(), "--replications", "3", "-q"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let shards = dir.path().join("shards");
    run(command("sbatch")
        .args(["--wait", "--array=0-3", "--cpus-per-task=1"])
        .arg(format!("--chdir={}", dir.path().display()))
        .arg(format!("--output={}/task-%a.out", dir.path().display()))
        .arg(format!("--export=ALL,ECSIM={}", env!("CARGO_BIN_EXE_ecsim")))
        .arg(root().join("deploy/slurm-sweep.sh"))
        .arg(&example)
        .arg(&shards)
        .args(["--replications", "3"])
        .env("SLURM_CONF", dir.path().join("slurm.conf")));
    // Each task found its shard in Slurm's variables.
    for index in 0..4 {
        let record = std::fs::read_to_string(shards.join(format!("shard-{index}-of-4/sweep.json"))).unwrap();
        let record: serde_json::Value = serde_json::from_str(&record).unwrap();
        assert_eq!(record["shard"], serde_json::json!({ "index": index, "count": 4 }));
    }
    let merged = dir.path().join("merged");
    let output = ecsim(&["merge", "--out", merged.to_str().unwrap(), shards.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in ["sweep.json", "runs.csv", "points.csv", "pareto.csv"] {
        let a = std::fs::read(local.join(file)).unwrap();
        let b = std::fs::read(merged.join(file)).unwrap();
        assert!(a == b, "{file} from the Slurm array differs from one machine's");
    }
    drop(cluster);
}
