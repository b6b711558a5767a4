//! `runs.csv` as a journal: appended run by run while the sweep goes (as `runs.csv.partial`),
//! read back to resume, and read row by row to merge.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Columns, PARETO, POINTS, RUNS, RUNS_PARTIAL, RunRow, SWEEP, SweepFileError, bad, csv_line, io_error};
use crate::report::atomic::remove_stale;

/// `runs.csv` while the sweep goes: rows appended whole, one write each.
pub struct RunsJournal {
    file: File,
    figures: usize,
    partial: PathBuf,
    done: PathBuf,
}

impl RunsJournal {
    /// Starts `runs.csv` in `dir` afresh (results of an earlier sweep there are removed), or,
    /// with `resume`, goes on from what an earlier start of the same sweep wrote: the rows it
    /// finished, which are returned.
    pub fn open(dir: &Path, columns: &Columns, resume: bool) -> Result<(RunsJournal, Vec<RunRow>), SweepFileError> {
        let partial = dir.join(RUNS_PARTIAL);
        let done = dir.join(RUNS);
        let header = csv_line(&columns.runs_header());
        remove_stale(dir, &[RUNS, POINTS, PARETO, SWEEP]).map_err(io_error(dir))?;
        if resume && !partial.exists() && done.exists() {
            fs::rename(&done, &partial).map_err(io_error(&done))?;
        }
        // A kill before the header was whole leaves a part of it: nothing to resume from.
        let header_cut = resume
            && partial.exists()
            && fs::read(&partial).is_ok_and(|text| text.len() < header.len() && header.starts_with(&text));
        if resume && partial.exists() && !header_cut {
            let text = fs::read(&partial).map_err(io_error(&partial))?;
            if !text.starts_with(&header) {
                return Err(bad(
                    &partial,
                    "its header is not this sweep's columns; run without --resume to start again",
                ));
            }
            let (rows, whole) = whole_rows(&partial, &text, header.len(), columns)?;
            let file = OpenOptions::new().append(true).open(&partial).map_err(io_error(&partial))?;
            file.set_len(whole as u64).map_err(io_error(&partial))?;
            let journal = RunsJournal { file, figures: columns.figures.len(), partial, done };
            return Ok((journal, rows));
        }
        for stale in [&done, &dir.join(POINTS), &dir.join(PARETO)] {
            match fs::remove_file(stale) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(stale)(e)),
                _ => {}
            }
        }
        let mut file = File::create(&partial).map_err(io_error(&partial))?;
        file.write_all(&header).map_err(io_error(&partial))?;
        Ok((RunsJournal { file, figures: columns.figures.len(), partial, done }, Vec::new()))
    }

    pub fn append(&mut self, row: &RunRow) -> Result<(), SweepFileError> {
        self.file.write_all(&csv_line(&row.fields(self.figures))).map_err(io_error(&self.partial))
    }

    /// Flushes the rows to disk and gives the file its final name.
    pub fn finish(self) -> Result<(), SweepFileError> {
        self.file.sync_all().map_err(io_error(&self.partial))?;
        fs::rename(&self.partial, &self.done).map_err(io_error(&self.done))
    }
}

/// The whole rows of a journal `text` after its header, and the bytes they end at. The last
/// row may have been cut short by a kill (a field may hold a line break, so a cut can fall
/// inside quotes): it is dropped, and its run made again.
fn whole_rows(
    path: &Path,
    text: &[u8],
    header: usize,
    columns: &Columns,
) -> Result<(Vec<RunRow>, usize), SweepFileError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&text[header..]);
    let mut record = csv::StringRecord::new();
    let (mut rows, mut whole) = (Vec::new(), header);
    loop {
        let line = rows.len() + 2;
        let read = reader.read_record(&mut record);
        let end = header + reader.position().byte() as usize;
        let last = end >= text.len();
        match read {
            Ok(false) => return Ok((rows, whole)),
            Ok(true) if text[..end].ends_with(b"\n") => match RunRow::parse(&record, columns) {
                Ok(row) => {
                    rows.push(row);
                    whole = end;
                }
                Err(_) if last => return Ok((rows, whole)),
                Err(e) => return Err(bad(path, format!("line {line}: {e}"))),
            },
            Ok(true) | Err(_) if last => return Ok((rows, whole)),
            Ok(true) => return Err(bad(path, format!("line {line}: a row without its end"))),
            Err(e) => return Err(bad(path, format!("line {line}: {e}"))),
        }
    }
}

/// The rows of a finished `runs.csv`, read one at a time.
pub struct RunsReader<R: io::Read> {
    pub path: PathBuf,
    pub columns: Columns,
    records: csv::StringRecordsIntoIter<R>,
    line: usize,
}

impl RunsReader<File> {
    pub fn open(path: &Path) -> Result<Self, SweepFileError> {
        let file = File::open(path).map_err(io_error(path))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(file);
        let header: Vec<String> = match reader.records().next() {
            Some(Ok(record)) => record.iter().map(String::from).collect(),
            _ => return Err(bad(path, "it has no header; is it an ecsim sweep's runs.csv?")),
        };
        let columns = Columns::from_runs_header(&header)
            .ok_or_else(|| bad(path, "its header is not a sweep's runs.csv header"))?;
        Ok(RunsReader { path: path.to_owned(), columns, records: reader.into_records(), line: 1 })
    }
}

impl<R: io::Read> Iterator for RunsReader<R> {
    type Item = Result<RunRow, SweepFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        self.line += 1;
        let line = self.line;
        Some(
            record.map_err(|e| bad(&self.path, format!("line {line}: {e}"))).and_then(|r| {
                RunRow::parse(&r, &self.columns).map_err(|e| bad(&self.path, format!("line {line}: {e}")))
            }),
        )
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::report::sweep) fn columns() -> Columns {
        Columns { axes: vec!["services.api.cpu".into()], figures: vec!["cost_usd".into(), "unserved_share".into()] }
    }

    pub(in crate::report::sweep) fn row(run: u64, point: usize, result: Result<Vec<Option<f64>>, String>) -> RunRow {
        RunRow {
            run,
            point,
            variant: "base".into(),
            axes: vec![format!("{}", 512 << point)],
            replication: run,
            seed: 9,
            result,
        }
    }

    /// Where row `r` of `rows` ends in a journal of them.
    fn csv_end(rows: &[RunRow], r: &RunRow, header: usize) -> usize {
        let i = rows.iter().position(|x| x == r).unwrap();
        header + rows[..=i].iter().map(|x| csv_line(&x.fields(2)).len()).sum::<usize>()
    }

    #[test]
    fn a_row_reads_back_as_written_bit_for_bit() {
        let columns = columns();
        let rows = [
            row(0, 0, Ok(vec![Some(0.1 + 0.2), Some(1e-17)])),
            row(1, 0, Ok(vec![Some(123456.789), None])),
            row(2, 1, Err("cannot write \"runs/x\": disk full, sorry".into())),
        ];
        let mut text = csv_line(&columns.runs_header());
        for r in &rows {
            text.extend(csv_line(&r.fields(2)));
        }
        let header = csv_line(&columns.runs_header()).len();
        let (back, whole) = whole_rows(Path::new("runs.csv"), &text, header, &columns).unwrap();
        assert_eq!((back.as_slice(), whole), (&rows[..], text.len()));
        assert_eq!(Columns::from_runs_header(&columns.runs_header()), Some(columns.clone()));

        // Cut anywhere, the rows before the cut come back whole and the cut one is dropped —
        // also a cut inside a quoted field with a line break in it.
        let with_break = row(3, 1, Err("first line\nsecond line".into()));
        let before = text.len();
        text.extend(csv_line(&with_break.fields(2)));
        for cut in header..text.len() {
            let (back, whole) = whole_rows(Path::new("runs.csv"), &text[..cut], header, &columns).unwrap();
            let kept = if cut < before { rows.iter().filter(|r| csv_end(&rows, r, header) <= cut).count() } else { 3 };
            assert_eq!(back.len(), kept, "cut at {cut}");
            assert!(whole <= cut);
        }
        let (all, whole) = whole_rows(Path::new("runs.csv"), &text, header, &columns).unwrap();
        assert_eq!((all.len(), whole, &all[3]), (4, text.len(), &with_break));
    }
}
