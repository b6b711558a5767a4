//! Readers for the data files a scenario names: request traces and Fargate price tables.
//! Both are CSV; a bad row is reported with its file and line.

use std::any::Any;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::error::Problem;
use crate::catalog::InstanceType;
use crate::pricing::{CpuArchitecture, FargateRates};

fn problem(file: &Path, line: usize, key: &str, message: String) -> Problem {
    Problem {
        file: file.to_owned(),
        line,
        column: if line > 0 { 1 } else { 0 },
        key: key.to_owned(),
        message,
        source_line: String::new(),
    }
}

/// Data files read once for a scenario file, however many of its variants and sweep points
/// name them: a sweep of a thousand points over a trace parses the trace once.
#[derive(Default)]
pub struct DataCache {
    kept: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    /// Every file read, for [`DataCache::digest`].
    files: Mutex<BTreeSet<PathBuf>>,
}

impl DataCache {
    /// What `read` gives from `file`, kept under `key` (which names the reader and all its
    /// arguments).
    pub fn read<T: Clone + Send + Sync + 'static>(
        &self,
        file: &Path,
        key: String,
        read: impl FnOnce() -> Result<T, Problem>,
    ) -> Result<T, Problem> {
        if let Some(kept) = self.kept.lock().expect("no reader panics holding the lock").get(&key) {
            return kept.downcast_ref::<Result<T, Problem>>().expect("one type per key").clone();
        }
        self.files.lock().expect("no reader panics holding the lock").insert(file.to_owned());
        let value = read();
        self.kept.lock().expect("no reader panics holding the lock").insert(key, Arc::new(value.clone()));
        value
    }

    /// A hash of every file read so far, in path order: tells whether the data changed.
    pub fn digest(&self) -> u64 {
        let files = self.files.lock().expect("no reader panics holding the lock");
        let mut all = Vec::new();
        for file in files.iter() {
            all.extend(file.to_string_lossy().as_bytes());
            all.extend(std::fs::read(file).unwrap_or_default());
            all.push(0);
        }
        crate::engine::stable_hash(&all)
    }
}

fn read(file: &Path, key: &str) -> Result<String, Problem> {
    read_text(file, MAX_DATA_FILE_BYTES).map_err(|(line, message)| problem(file, line, key, message))
}

/// The largest data file (trace, prices, catalog) ecsim reads: 256 MiB, some ten million rows.
pub const MAX_DATA_FILE_BYTES: u64 = 256 << 20;

/// The UTF-8 text of `file`, at most `max_bytes` long; or the line of the problem (0 for the
/// whole file) and what it is.
pub fn read_text(file: &Path, max_bytes: u64) -> Result<String, (usize, String)> {
    use std::io::Read;
    let opened = std::fs::File::open(file).map_err(|e| (0, format!("cannot read the file: {e}")))?;
    if opened.metadata().is_ok_and(|m| m.is_dir()) {
        return Err((0, "cannot read the file: it is a folder".to_owned()));
    }
    let mut bytes = Vec::new();
    opened.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|e| (0, format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > max_bytes {
        return Err((0, format!("the file is larger than {} MiB, more than ecsim reads", max_bytes >> 20)));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + good.iter().rev().take_while(|&&b| b != b'\n').count();
        (line, format!("the file is not UTF-8 text: byte {column} of the line is no UTF-8 character"))
    })
}

/// Trace timestamps within the years a time can name (0001–9999), so their differences fit.
const TIMESTAMP_RANGE: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// The most buckets a trace may span, first row to last, gaps included: ten million, some 160
/// MB in memory (a year of one-second buckets is 31.5 million; of one-minute buckets, 525,600).
const MAX_TRACE_BUCKETS: i64 = 10_000_000;

/// What to do with trace buckets that have no row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapRule {
    /// Keep the last value seen: a missing row is missing data, not silence.
    Hold,
    /// A missing row means no requests.
    Zero,
}

/// What a trace's `requests` column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceUnit {
    /// The requests of one bucket: the rows of a bucket add up.
    PerBucket,
    /// A rate in requests per second: the rows of a bucket are averaged.
    PerSecond,
}

/// Reads a `timestamp_seconds,requests` trace into one value per bucket from the first
/// timestamp to the last: per `unit`, the bucket's requests (rows inside a bucket add up) or
/// its rate in requests per second (rows inside a bucket are averaged).
pub fn read_trace(file: &Path, key: &str, bucket_s: u64, gaps: GapRule, unit: TraceUnit) -> Result<Vec<f64>, Problem> {
    let mut table = Table::open(file, key)?;
    let headers = &table.headers;
    if headers.len() < 2 || &headers[0] != "timestamp_seconds" || &headers[1] != "requests" {
        let found = headers.iter().collect::<Vec<_>>().join(",");
        return Err(problem(
            file,
            1,
            key,
            format!("expected the header `timestamp_seconds,requests`, found `{found}`"),
        ));
    }
    let mut rows: Vec<(i64, f64)> = Vec::new();
    for row in table.rows() {
        let (line, record) = row?;
        let timestamp: i64 = record[0].trim().parse().map_err(|_| {
            problem(file, line, key, format!("timestamp_seconds must be whole seconds, found `{}`", &record[0]))
        })?;
        let requests: f64 = record.get(1).unwrap_or("").trim().parse().map_err(|_| {
            problem(file, line, key, format!("requests must be a number, found `{}`", record.get(1).unwrap_or("")))
        })?;
        if !TIMESTAMP_RANGE.contains(&timestamp) {
            return Err(problem(
                file,
                line,
                key,
                format!("timestamp_seconds {timestamp} is outside the years 0001 to 9999"),
            ));
        }
        if !requests.is_finite() || requests < 0.0 {
            return Err(problem(file, line, key, format!("requests must be a finite number ≥ 0, found {requests}")));
        }
        rows.push((timestamp, requests));
    }
    let (Some(first), Some(last)) = (rows.iter().map(|r| r.0).min(), rows.iter().map(|r| r.0).max()) else {
        return Err(problem(file, 0, key, "the trace has no rows".into()));
    };
    let bucket = i64::try_from(bucket_s).unwrap_or(i64::MAX);
    let buckets = (last - first) / bucket + 1;
    if buckets > MAX_TRACE_BUCKETS {
        return Err(problem(
            file,
            0,
            key,
            format!(
                "the trace spans {first} to {last}, {buckets} buckets of {bucket_s} s; ecsim reads at most {MAX_TRACE_BUCKETS} (ten million) buckets: give a longer `bucket` or cut the trace to the run"
            ),
        ));
    }
    let buckets = usize::try_from(buckets).unwrap_or(usize::MAX);
    // Per bucket: the sum of its rows and how many there were.
    let mut totals: Vec<Option<(f64, u32)>> = vec![None; buckets];
    for (timestamp, requests) in rows {
        let slot = &mut totals[usize::try_from((timestamp - first) / bucket).unwrap_or(0)];
        let (sum, n) = slot.unwrap_or((0.0, 0));
        *slot = Some((sum + requests, n + 1));
    }
    let mut held = 0.0;
    Ok(totals
        .into_iter()
        .map(|total| {
            total.map(|(sum, n)| match unit {
                TraceUnit::PerBucket => sum,
                TraceUnit::PerSecond => sum / f64::from(n),
            })
        })
        .map(|count| match (count, gaps) {
            (Some(count), _) => {
                held = count;
                count
            }
            (None, GapRule::Hold) => held,
            (None, GapRule::Zero) => 0.0,
        })
        .collect())
}

/// A CSV table whose columns are found by name.
struct Table {
    file: std::path::PathBuf,
    key: String,
    headers: csv::StringRecord,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
}

impl Table {
    fn open(file: &Path, key: &str) -> Result<Table, Problem> {
        let text = read(file, key)?;
        let mut reader = csv::Reader::from_reader(std::io::Cursor::new(text.into_bytes()));
        let headers = reader.headers().map_err(|e| problem(file, 1, key, e.to_string()))?.clone();
        Ok(Table { file: file.to_owned(), key: key.to_owned(), headers, reader })
    }

    fn column(&self, name: &str) -> Result<usize, Problem> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| problem(&self.file, 1, &self.key, format!("missing the column `{name}`")))
    }

    /// The rows with their line numbers.
    fn rows(&mut self) -> impl Iterator<Item = Result<(usize, csv::StringRecord), Problem>> + '_ {
        let (file, key) = (&self.file, &self.key);
        self.reader.records().map(move |record| {
            let record =
                record.map_err(|e| problem(file, e.position().map_or(0, |p| p.line() as usize), key, e.to_string()))?;
            Ok((record.position().map_or(0, |p| p.line() as usize), record))
        })
    }
}

/// Reads Fargate rates for `region`, `arch`, `os` (`linux`, `windows`) and `capacity`
/// (`on_demand`, `fargate_spot`)
/// from a table with the columns `region,os,arch,capacity,vcpu_hour_usd,gb_hour_usd` (the
/// layout of `shared/data/pricing/fargate.csv`). `Ok(None)`: the file has no such row.
pub fn read_fargate_rates(
    file: &Path,
    key: &str,
    region: &str,
    arch: CpuArchitecture,
    (os, capacity): (&str, &str),
) -> Result<Option<FargateRates>, Problem> {
    let mut table = Table::open(file, key)?;
    let column = |name: &str| table.column(name);
    let (c_region, c_os, c_arch, c_capacity) = (column("region")?, column("os")?, column("arch")?, column("capacity")?);
    let (c_vcpu, c_gb) = (column("vcpu_hour_usd")?, column("gb_hour_usd")?);
    let arch_name = match arch {
        CpuArchitecture::X86_64 => "x86_64",
        CpuArchitecture::Arm64 => "arm64",
    };
    for row in table.rows() {
        let (line, record) = row?;
        let matches = record.get(c_region) == Some(region)
            && record.get(c_os) == Some(os)
            && record.get(c_arch) == Some(arch_name)
            && record.get(c_capacity) == Some(capacity);
        if !matches {
            continue;
        }
        let rate = |c: usize, name: &str| -> Result<f64, Problem> {
            let text = record.get(c).unwrap_or("");
            match text.trim().parse::<f64>() {
                Ok(v) if (0.0..=1_000.0).contains(&v) => Ok(v),
                _ => Err(problem(
                    file,
                    line,
                    key,
                    format!("{name} must be a price from 0 to 1000 an hour, found `{text}`"),
                )),
            }
        };
        return Ok(Some(FargateRates {
            vcpu_hour: rate(c_vcpu, "vcpu_hour_usd")?,
            gb_hour: rate(c_gb, "gb_hour_usd")?,
        }));
    }
    Ok(None)
}

/// Reads the instance types of `region` from a table in the layout of
/// `shared/data/pricing/ec2_us_east_1.csv` (`region,instance_type,…,vcpu,memory_gib,arch,…,
/// on_demand_hour_usd,max_enis,…,eni_trunking_compatible`). Rows without a vCPU count, memory,
/// price or ENI count (the file leaves the newest types blank rather than guess) are skipped.
pub fn read_catalog(file: &Path, key: &str, region: &str) -> Result<Vec<InstanceType>, Problem> {
    let mut table = Table::open(file, key)?;
    let column = |name: &str| table.column(name);
    let (c_region, c_name, c_vcpu, c_memory) =
        (column("region")?, column("instance_type")?, column("vcpu")?, column("memory_gib")?);
    let (c_arch, c_price, c_enis, c_trunk) =
        (column("arch")?, column("on_demand_hour_usd")?, column("max_enis")?, column("eni_trunking_compatible")?);
    let mut types = Vec::new();
    for row in table.rows() {
        let (line, record) = row?;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        if field(c_region) != region || [c_vcpu, c_memory, c_price, c_enis].iter().any(|&c| field(c).is_empty()) {
            continue;
        }
        let bad = |what: &str, c: usize| {
            problem(file, line, key, format!("{what} of {}: `{}` is not valid", field(c_name), field(c)))
        };
        // Bounds well above EC2's largest types (896 vCPU, 32 TiB, tens of ENIs), so that
        // registered CPU units (vCPU × 1,024) and MiB fit in 32 bits.
        let within = |what: &'static str, c: usize, low: f64, high: f64| {
            let value = field(c).parse::<f64>().ok().filter(|v| v.is_finite() && (low..=high).contains(v));
            value.ok_or_else(|| {
                problem(
                    file,
                    line,
                    key,
                    format!(
                        "{what} of {}: found `{}`; expected a number from {low} to {high}",
                        field(c_name),
                        field(c)
                    ),
                )
            })
        };
        let whole = |what: &'static str, c: usize, low: u32, high: u32| {
            field(c).parse::<u32>().ok().filter(|v| (low..=high).contains(v)).ok_or_else(|| {
                problem(
                    file,
                    line,
                    key,
                    format!(
                        "{what} of {}: found `{}`; expected a whole number from {low} to {high}",
                        field(c_name),
                        field(c)
                    ),
                )
            })
        };
        let vcpu = whole("vcpu", c_vcpu, 1, 4_096)?;
        let memory_gib = within("memory_gib", c_memory, 0.5, 65_536.0)?;
        let price = within("on_demand_hour_usd", c_price, 0.0, 100_000.0)?;
        let max_enis = whole("max_enis", c_enis, 1, 1_000)?;
        let arch = match field(c_arch) {
            "amd64" | "x86_64" => CpuArchitecture::X86_64,
            "arm64" => CpuArchitecture::Arm64,
            _ => return Err(bad("arch", c_arch)),
        };
        types.push(InstanceType {
            name: field(c_name).to_owned().into(),
            vcpu,
            // At most 65,536 GiB: 2^26 MiB.
            memory_mib: (memory_gib * 1024.0).round() as u32,
            arch,
            max_enis,
            eni_trunking: field(c_trunk) == "1",
            on_demand_hour_usd: price,
        });
    }
    Ok(types)
}

/// One zone's Spot price changes: its name and `(unix seconds, USD per hour)` in time order.
pub type ZonePrices = (String, Vec<(i64, f64)>);

/// Reads a Spot price history in the layout of
/// `shared/data/pricing/ec2_spot_price_history_m5_large_us_east_1_2021.csv`
/// (`timestamp_seconds,…,availability_zone,instance_type,…,spot_price_usd`) for one instance
/// type: per zone, in zone-name order, its `(unix seconds, USD per hour)` changes in time order.
pub fn read_spot_history(file: &Path, key: &str, instance_type: &str) -> Result<Vec<ZonePrices>, Problem> {
    let mut table = Table::open(file, key)?;
    let column = |name: &str| table.column(name);
    let (c_time, c_zone, c_type, c_price) = (
        column("timestamp_seconds")?,
        column("availability_zone")?,
        column("instance_type")?,
        column("spot_price_usd")?,
    );
    let mut zones: Vec<ZonePrices> = Vec::new();
    for row in table.rows() {
        let (line, record) = row?;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        if field(c_type) != instance_type {
            continue;
        }
        let time: i64 = field(c_time).parse().ok().filter(|t| TIMESTAMP_RANGE.contains(t)).ok_or_else(|| {
            let found = field(c_time);
            problem(
                file,
                line,
                key,
                format!("timestamp_seconds must be whole seconds in the years 0001 to 9999, found `{found}`"),
            )
        })?;
        let price: f64 =
            field(c_price).parse().ok().filter(|p: &f64| p.is_finite() && (0.0..=100_000.0).contains(p)).ok_or_else(
                || {
                    problem(
                        file,
                        line,
                        key,
                        format!("spot_price_usd must be a price from 0 to 100000 an hour, found `{}`", field(c_price)),
                    )
                },
            )?;
        let zone = field(c_zone).to_owned();
        match zones.iter_mut().find(|(z, _)| *z == zone) {
            Some((_, changes)) => changes.push((time, price)),
            None => zones.push((zone, vec![(time, price)])),
        }
    }
    zones.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, changes) in &mut zones {
        changes.sort_by_key(|&(time, _)| time);
    }
    Ok(zones)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(contents: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        file
    }

    #[test]
    fn trace_fills_gaps_by_the_chosen_rule_and_sums_within_a_bucket() {
        // Buckets of 60 s: 0 → 10, 60 → (missing), 120 → 4 + 6.
        let f = temp("timestamp_seconds,requests\n1000,10\n1120,4\n1150,6\n");
        assert_eq!(read_trace(f.path(), "k", 60, GapRule::Hold, TraceUnit::PerBucket).unwrap(), vec![10.0, 10.0, 10.0]);
        assert_eq!(read_trace(f.path(), "k", 60, GapRule::Zero, TraceUnit::PerBucket).unwrap(), vec![10.0, 0.0, 10.0]);
    }

    #[test]
    fn a_trace_of_rates_averages_within_a_bucket() {
        // The same rows read as requests per second: 0 → 10, 60 → (missing), 120 → (4 + 6) / 2.
        let f = temp("timestamp_seconds,requests\n1000,10\n1120,4\n1150,6\n");
        assert_eq!(read_trace(f.path(), "k", 60, GapRule::Hold, TraceUnit::PerSecond).unwrap(), vec![10.0, 10.0, 5.0]);
        assert_eq!(read_trace(f.path(), "k", 60, GapRule::Zero, TraceUnit::PerSecond).unwrap(), vec![10.0, 0.0, 5.0]);
    }

    #[test]
    fn a_bad_trace_row_names_its_line() {
        let f = temp("timestamp_seconds,requests\n1000,10\n1060,lots\n");
        let p = read_trace(f.path(), "loads.web.file", 60, GapRule::Hold, TraceUnit::PerBucket).unwrap_err();
        assert_eq!(p.line, 3);
        assert!(p.message.contains("requests must be a number, found `lots`"), "{}", p.message);
    }

    #[test]
    fn a_catalog_file_gives_the_types_of_its_region_and_skips_blank_rows() {
        let f = temp(
            "region,instance_type,family,vcpu,memory_gib,arch,gpu,on_demand_hour_usd,max_enis,ipv4_per_eni,eni_trunking_compatible\n\
             eu-west-1,m5.large,m5,2,8.0,amd64,0,0.107,3,10,1\n\
             eu-west-1,x9.large,x9,,,amd64,0,0.5,,,0\n\
             us-east-1,m5.large,m5,2,8.0,amd64,0,0.096,3,10,1\n\
             eu-west-1,t4g.nano,t4g,2,0.5,arm64,0,0.0046,2,2,0\n",
        );
        let types = read_catalog(f.path(), "catalog", "eu-west-1").unwrap();
        let names: Vec<&str> = types.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["m5.large", "t4g.nano"]);
        assert_eq!((types[0].on_demand_hour_usd, types[0].memory_mib, types[0].eni_trunking), (0.107, 8192, true));
        assert_eq!((types[1].memory_mib, types[1].arch), (512, CpuArchitecture::Arm64));
    }

    #[test]
    fn fargate_rates_come_from_the_matching_row() {
        let f = temp(
            "region,os,arch,capacity,vcpu_hour_usd,gb_hour_usd,source\n\
            eu-west-1,linux,x86_64,fargate_spot,0.01,0.001,x\n\
            eu-west-1,linux,x86_64,on_demand,0.04048,0.004445,x\n",
        );
        let rates =
            read_fargate_rates(f.path(), "prices", "eu-west-1", CpuArchitecture::X86_64, ("linux", "on_demand"))
                .unwrap();
        assert_eq!(rates, Some(FargateRates { vcpu_hour: 0.04048, gb_hour: 0.004445 }));
        assert_eq!(
            read_fargate_rates(f.path(), "prices", "eu-west-1", CpuArchitecture::Arm64, ("linux", "on_demand"))
                .unwrap(),
            None
        );
    }
}
