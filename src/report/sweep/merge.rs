//! Shards joined: every shard's `runs.csv` read in step into the files one machine writes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{
    Columns, PointSummary, RUNS, RunRow, RunsReader, SWEEP, SweepFileError, SweepRecord, Tally, bad, csv_line,
    io_error, json, read_record, write_points,
};
use crate::report::atomic::{AtomicFile, write_file};

/// The shard folders of `dirs`: each one itself if it holds a `sweep.json`, else its
/// `shard-*` subfolders.
fn shard_folders(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, SweepFileError> {
    let mut folders = Vec::new();
    for dir in dirs {
        if dir.join(SWEEP).exists() {
            folders.push(dir.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io_error(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("shard-")) && p.join(SWEEP).exists()
            })
            .collect();
        if found.is_empty() {
            return Err(bad(dir, "has no sweep.json and no shard-* folders with one; is it a sweep shard's folder?"));
        }
        found.sort();
        folders.extend(found);
    }
    Ok(folders)
}

/// What `merge` put together.
pub struct Merged {
    pub columns: Columns,
    pub points: Vec<PointSummary>,
    pub runs: usize,
    pub failed: Vec<RunRow>,
}

/// Every shard of one sweep, found and checked, ready to merge.
pub struct Shards {
    record: SweepRecord,
    folders: Vec<PathBuf>,
    readers: Vec<RunsReader<std::fs::File>>,
    pub columns: Columns,
}

impl Shards {
    /// The shards in `dirs` (shard folders, or folders holding `shard-*` ones): every shard of
    /// the sweep must be there, once, and finished, with the same columns.
    pub fn open(dirs: &[PathBuf]) -> Result<Shards, SweepFileError> {
        let folders = shard_folders(dirs)?;
        let mut first: Option<(SweepRecord, PathBuf)> = None;
        let mut shards: Vec<Option<PathBuf>> = Vec::new();
        for folder in &folders {
            let path = folder.join(SWEEP);
            let record = read_record(&path)?;
            let Some(shard) = record.shard else {
                return Err(bad(&path, "is a whole sweep, not a shard; there is nothing to merge"));
            };
            let (index, count) = (shard.index as usize, shard.count as usize);
            if count == 0 || index >= count {
                return Err(bad(&path, format!("names shard {index} of {count}, which no sweep has")));
            }
            let whole = SweepRecord { shard: None, ..record };
            match &first {
                None => {
                    shards = vec![None; count];
                    first = Some((whole, folder.clone()));
                }
                Some((expected, from)) if *expected != whole || shards.len() != count => {
                    return Err(bad(&path, format!("is not a shard of the same sweep as {}", from.display())));
                }
                Some(_) => {}
            }
            if let Some(earlier) = &shards[index] {
                return Err(bad(&path, format!("shard {index} of {count} is also in {}", earlier.display())));
            }
            if !folder.join(RUNS).exists() {
                return Err(bad(
                    folder,
                    format!("shard {index} of {count} has not finished (no runs.csv): run it again with --resume"),
                ));
            }
            shards[index] = Some(folder.clone());
        }
        let Some((record, _)) = first else { return Err(bad(Path::new("."), "no shard folders given")) };
        let missing: Vec<String> =
            shards.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i.to_string()).collect();
        if !missing.is_empty() {
            return Err(bad(
                &folders[0],
                format!(
                    "shard(s) {} of {} are missing: merge needs every shard's folder",
                    missing.join(", "),
                    shards.len()
                ),
            ));
        }
        let folders: Vec<PathBuf> = shards.into_iter().flatten().collect();
        let readers =
            folders.iter().map(|folder| RunsReader::open(&folder.join(RUNS))).collect::<Result<Vec<_>, _>>()?;
        let columns = readers[0].columns.clone();
        if let Some(other) = readers.iter().find(|r| r.columns != columns) {
            return Err(bad(&other.path, "its columns differ from the other shards'"));
        }
        Ok(Shards { record, folders, readers, columns })
    }

    /// Writes `sweep.json`, `runs.csv`, `points.csv` and `pareto.csv` into `out` with the
    /// bytes one machine running the whole sweep writes. Run `r` is the `r div N`-th row of
    /// shard `r mod N`, so the shards' rows are read in step, one at a time.
    pub fn merge_into(mut self, out: &Path) -> Result<Merged, SweepFileError> {
        let inside = |folder: &PathBuf| out.starts_with(folder) || folder.parent().is_some_and(|p| p == out);
        if let Some(folder) = self.folders.iter().find(|f| inside(f)) {
            return Err(bad(
                out,
                format!("is, or holds, the shard folder {}: give the merge a folder of its own", folder.display()),
            ));
        }
        fs::create_dir_all(out).map_err(io_error(out))?;
        let runs_path = out.join(RUNS);
        let mut runs = AtomicFile::create(&runs_path).map_err(io_error(&runs_path))?;
        let columns = self.columns.clone();
        runs.write_all(&csv_line(&columns.runs_header())).map_err(io_error(&runs_path))?;
        let mut tally = Tally::default();
        let count = self.readers.len() as u64;
        for run in 0..self.record.planned_runs {
            let reader = &mut self.readers[(run % count) as usize];
            let row = match reader.next() {
                Some(row) => row?,
                None => {
                    return Err(bad(&reader.path, format!("ends before run {run}: it is not its shard's whole share")));
                }
            };
            if row.run != run {
                return Err(bad(&reader.path, format!("holds run {} where run {run} belongs", row.run)));
            }
            runs.write_all(&csv_line(&row.fields(columns.figures.len()))).map_err(io_error(&runs_path))?;
            tally.add(row);
        }
        if let Some(path) = self.readers.iter_mut().find_map(|r| r.next().map(|_| r.path.clone())) {
            return Err(bad(&path, format!("has rows beyond the sweep's {} runs", self.record.planned_runs)));
        }
        write_file(&out.join(SWEEP), &json(&self.record)).map_err(io_error(&out.join(SWEEP)))?;
        runs.commit().map_err(io_error(&runs_path))?;
        let points = tally.points(columns.figures.len());
        write_points(out, &columns, &points)?;
        Ok(Merged { columns, points, runs: tally.runs, failed: tally.failed })
    }
}
