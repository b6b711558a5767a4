//! Write-then-rename: an output file, and a run's folder, appears whole or not at all.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written under a temporary name beside its final one. Dropped without
/// [`AtomicFile::commit`], the temporary file is removed.
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<Self> {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
        let temp = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let writer = BufWriter::with_capacity(1 << 16, File::create(&temp)?);
        Ok(AtomicFile { temp, target: target.to_owned(), writer: Some(writer) })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("not yet committed")
    }

    /// Flushes the temporary file and renames it to its final name. Not synced to disk: an
    /// ecsim that is killed never leaves a half-written file, while a machine that loses power
    /// may (the run is made again), and a sync per file was most of what a short run cost.
    /// A sweep's journal, which `--resume` trusts, is synced (`sweep::journal`).
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("committed once");
        writer.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&self.temp, &self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Removes the temporary files that a process killed while writing `names` in `dir` left
/// behind (`.NAME.PID.tmp`): a kill runs no destructor. Call it before writing them anew.
pub fn remove_stale(dir: &Path, names: &[&str]) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let stale = names.iter().any(|name| {
            file.strip_prefix(&format!(".{name}.")).and_then(|rest| rest.strip_suffix(".tmp")).is_some_and(is_pid)
        });
        if stale {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A run's folder being written: its files go into a hidden sibling, `.NAME.PID.partial`,
/// which takes the folder's place at [`StagedFolder::publish`], so that a reader (or a kill)
/// never sees a folder that mixes two runs. A lock file beside it, `.NAME.lock`, keeps two
/// processes from writing one folder at once. Dropped unpublished, the sibling is removed.
pub struct StagedFolder {
    target: PathBuf,
    staging: PathBuf,
    /// Held (locked) until the folder is published or abandoned.
    _lock: File,
}

/// Why a run's folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: io::Error },
    /// The folder is taken: by a file, by files that are no ecsim run, or by another run now.
    #[error("cannot write a run into {path}: {reason}")]
    Taken { path: String, reason: String },
}

/// The file ecsim writes in every run folder, which marks a folder it may replace.
pub const RUN_MARKER: &str = "run.json";

impl StagedFolder {
    /// Whether a run may be written into `target`, before anything runs: its name and parent
    /// are a folder's, it is no symbolic link, and it is new, empty or an earlier run. Returns
    /// the target as parent and name (`out/.` as `out`), its name and its parent.
    pub fn check(target: &Path) -> Result<(PathBuf, String, PathBuf), FolderError> {
        let shown = target.display().to_string();
        let io = |source| FolderError::Io { path: shown.clone(), source };
        let taken = |reason: &str| FolderError::Taken { path: shown.clone(), reason: reason.to_owned() };
        let name = match target.file_name().and_then(|n| n.to_str()) {
            Some(name) => name.to_owned(),
            None => return Err(taken("it names no folder of its own (give a path ending in a folder name)")),
        };
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        if let Some(file) = parent.ancestors().find(|a| a.is_file()) {
            return Err(taken(&format!("{} is a file, not a folder", file.display())));
        }
        let target = parent.join(&name);
        match fs::symlink_metadata(&target) {
            Ok(m) => match not_a_folder(&m) {
                Some(why) => Err(taken(why)),
                None if !replaceable(&target).map_err(io)? => Err(taken(NOT_A_RUN)),
                None => Ok((target, name, parent)),
            },
            Err(_) => Ok((target, name, parent)),
        }
    }

    pub fn begin(target: &Path) -> Result<Self, FolderError> {
        let shown = target.display().to_string();
        let io = |source| FolderError::Io { path: shown.clone(), source };
        let taken = |reason: &str| FolderError::Taken { path: shown.clone(), reason: reason.to_owned() };
        let (target, name, parent) = Self::check(target)?;
        fs::create_dir_all(&parent).map_err(io)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(parent.join(format!(".{name}.lock")))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(taken("another ecsim is writing it now; wait for it to finish or choose another folder"));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // With the lock held no other process writes this folder: whatever an earlier, killed
        // run left beside it is stale. A run killed between the two renames of `publish` left
        // the folder away as `.old` and its own as `.partial`: the old one is put back.
        for entry in fs::read_dir(&parent).map_err(io)? {
            let entry = entry.map_err(io)?;
            let file = entry.file_name();
            let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&format!(".{name}."))) else { continue };
            if rest.strip_suffix(".old").is_some_and(is_pid) && !target.exists() {
                fs::rename(entry.path(), &target).map_err(io)?;
            } else if rest.strip_suffix(".partial").or_else(|| rest.strip_suffix(".old")).is_some_and(is_pid) {
                fs::remove_dir_all(entry.path()).map_err(io)?;
            }
        }
        let staging = parent.join(format!(".{name}.{}.partial", std::process::id()));
        fs::create_dir(&staging).map_err(io)?;
        Ok(StagedFolder { target, staging, _lock: lock })
    }

    /// Where the run's files are written until it is published.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The written folder takes the target's place; an earlier run there is removed. Between
    /// the two renames the folder is briefly absent, never mixed; if the second fails, the old
    /// run is put back.
    pub fn publish(self) -> io::Result<()> {
        if fs::symlink_metadata(&self.target).is_err() {
            return fs::rename(&self.staging, &self.target);
        }
        // Checked again under the lock: the folder may have changed while the run ran.
        if not_a_folder(&fs::symlink_metadata(&self.target)?).is_some() || !replaceable(&self.target)? {
            return Err(io::Error::other(NOT_A_RUN));
        }
        let old = self.staging.with_extension("old");
        fs::rename(&self.target, &old)?;
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            fs::rename(&old, &self.target)?;
            return Err(e);
        }
        fs::remove_dir_all(&old)
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if self.staging.exists() {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

const NOT_A_RUN: &str = "it holds files but no run.json of ecsim, so it is not an ecsim run folder, which ecsim replaces whole; give a new or empty folder";

/// Why an existing path cannot hold ecsim's folder: a symbolic link (replacing it would leave
/// the folder it points to as it was) or a file.
fn not_a_folder(meta: &fs::Metadata) -> Option<&'static str> {
    if meta.file_type().is_symlink() {
        Some("it is a symbolic link, which a run would replace; give the folder it points to")
    } else if !meta.is_dir() {
        Some("it is a file, not a folder")
    } else {
        None
    }
}

/// Whether an existing folder may be replaced by a run: it is empty or an ecsim run (its
/// `run.json` is ecsim's, naming the version that wrote it).
fn replaceable(dir: &Path) -> io::Result<bool> {
    if fs::read_dir(dir)?.next().is_none() {
        return Ok(true);
    }
    // Read no further than ecsim's own run.json could be: a larger one is no ecsim marker.
    const MOST_MARKER_BYTES: u64 = 64 << 20;
    let mut marker = Vec::new();
    if let Ok(file) = File::open(dir.join(RUN_MARKER)) {
        io::Read::read_to_end(&mut io::Read::take(file, MOST_MARKER_BYTES), &mut marker)?;
    }
    let record: Option<serde_json::Value> = serde_json::from_slice(&marker).ok();
    Ok(record.is_some_and(|r| r.get("ecsim_version").is_some()))
}

/// Whether the folder of a scenario's variants, which holds a run folder for each and their
/// `comparison.csv`, may be written: new, empty, or such a folder from an earlier run.
pub fn check_comparison(dir: &Path) -> Result<(), FolderError> {
    let taken = |reason: &str| FolderError::Taken { path: dir.display().to_string(), reason: reason.to_owned() };
    let io = |source| FolderError::Io { path: dir.display().to_string(), source };
    let Ok(meta) = fs::symlink_metadata(dir) else { return Ok(()) };
    if let Some(why) = not_a_folder(&meta) {
        return Err(taken(why));
    }
    for entry in fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with('.')
            || ["comparison.csv", "report.html", "charts"].contains(&name.as_str())
            || (entry.path().is_dir() && replaceable(&entry.path()).map_err(io)?);
        if !ours {
            return Err(taken(&format!(
                "it holds `{name}`, which is no part of a comparison of runs; a scenario with variants writes a folder of its own: give a new or empty one"
            )));
        }
    }
    Ok(())
}

fn is_pid(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Writes `contents` to `target` atomically, first removing the temporary files of `target`
/// that a writer killed before its rename left (a sweep's report and charts are rewritten in
/// place when it resumes).
pub fn write_file(target: &Path, contents: &[u8]) -> io::Result<()> {
    if let (Some(dir), Some(name)) = (target.parent(), target.file_name().and_then(|n| n.to_str())) {
        remove_stale(dir, &[name])?;
    }
    let mut file = AtomicFile::create(target)?;
    file.write_all(contents)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_an_abandoned_file_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"a,b\n").unwrap();
        assert!(!target.exists());
        file.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "a,b\n");

        let mut abandoned = AtomicFile::create(&dir.path().join("half.csv")).unwrap();
        abandoned.write_all(b"partial").unwrap();
        drop(abandoned);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    }

    #[test]
    fn what_a_killed_writer_left_is_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".out.csv.4242.tmp", ".out.csv.x.tmp", "out.csv", ".other.csv.7.tmp"] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        remove_stale(dir.path(), &["out.csv"]).unwrap();
        let mut names: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [".other.csv.7.tmp", ".out.csv.x.tmp", "out.csv"]);
    }

    #[test]
    fn a_file_written_anew_takes_away_what_a_killed_writer_of_it_left() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".report.html.28280.tmp"), "half a page").unwrap();
        write_file(&dir.path().join("report.html"), b"page").unwrap();
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.html")]);
    }

    /// A folder holding an ecsim run: its marker and one file.
    fn a_run(dir: &Path, contents: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(RUN_MARKER), r#"{ "ecsim_version": "0.1.0" }"#).unwrap();
        fs::write(dir.join("summary.csv"), contents).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_published_run_replaces_the_old_one_whole_and_leaves_only_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        a_run(&target, "old");
        fs::write(target.join("events-tasks.csv"), "old events").unwrap();
        let staged = StagedFolder::begin(&target).unwrap();
        a_run(staged.path(), "new");
        // Until it is published, the old run is all a reader sees.
        assert_eq!(fs::read_to_string(target.join("summary.csv")).unwrap(), "old");
        staged.publish().unwrap();
        assert_eq!(fs::read_to_string(target.join("summary.csv")).unwrap(), "new");
        assert!(!target.join("events-tasks.csv").exists(), "a file of the old run is left");
        assert_eq!(names(dir.path()), [".run.lock", "run"]);
    }

    #[test]
    fn what_killed_runs_left_is_cleared_and_an_old_run_moved_away_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        // Killed between the renames of `publish`: the old run away as `.old`, no folder.
        a_run(&dir.path().join(".run.77.old"), "old");
        a_run(&dir.path().join(".run.77.partial"), "half");
        // Not this folder's, or not a pid: left alone.
        for other in [".run.x.partial", ".runx.1.partial", ".other.5.partial"] {
            fs::create_dir(dir.path().join(other)).unwrap();
        }
        let staged = StagedFolder::begin(&target).unwrap();
        assert_eq!(fs::read_to_string(target.join("summary.csv")).unwrap(), "old");
        drop(staged);
        assert_eq!(names(dir.path()), [".other.5.partial", ".run.lock", ".run.x.partial", ".runx.1.partial", "run"]);
    }

    #[test]
    fn a_folder_that_is_not_a_run_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("mine");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("run.json"), "{ \"mine\": true }").unwrap();
        assert!(matches!(StagedFolder::check(&target), Err(FolderError::Taken { .. })));

        // A folder that becomes someone else's while the run runs is left as it is.
        let later = dir.path().join("later");
        let staged = StagedFolder::begin(&later).unwrap();
        a_run(staged.path(), "new");
        fs::create_dir(&later).unwrap();
        fs::write(later.join("notes.txt"), "mine").unwrap();
        assert!(staged.publish().is_err());
        assert_eq!(names(&later), ["notes.txt"]);

        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&later, &link).unwrap();
            let refused = StagedFolder::check(&link).map(|_| ()).unwrap_err().to_string();
            assert!(refused.contains("symbolic link"), "{refused}");
        }
    }

    #[test]
    fn a_trailing_dot_names_the_folder_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (target, name, _) = StagedFolder::check(&dir.path().join("out").join(".")).unwrap();
        assert_eq!((target, name.as_str()), (dir.path().join("out"), "out"));
    }
}
