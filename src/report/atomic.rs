//! Write-then-rename: an output file appears whole or not at all.

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

    /// Flushes the temporary file to disk and renames it to its final name.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("committed once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
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
            file.strip_prefix(&format!(".{name}."))
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if stale {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes `contents` to `target` atomically.
pub fn write_file(target: &Path, contents: &[u8]) -> io::Result<()> {
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
}
