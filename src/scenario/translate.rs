//! Checks a parsed scenario file and turns it into the model's [`Scenario`], collecting
//! every problem with the key path it belongs to.

use std::path::{Path, PathBuf};

use super::Overrides;
use super::data::{DataCache, GapRule, read_catalog, read_fargate_rates, read_spot_history, read_trace};
use super::error::{KeyPath, Locator, Problem};
use super::file::{
    AlarmFile, CapacityProviderFile, DelayFile, DistributionFile, FargateSpotFile, LoadBalancerFile,
    ManagedScalingFile, NoiseFile, PlacementConstraintFile, PlacementStrategyFile, ScenarioFile, ServiceFile,
    ShapeFile, SpotFile, StepScalingFile, StrategyItemFile, TargetTrackingFile,
};
use crate::capacity::{GroupCombination, ManagedScaling, ScaleInReading, Share, SplitRule};
use crate::catalog::{Catalog, InstanceType};
use crate::config::{
    AsgProvider, CpuLimit, Ec2Placement, FargateLaunch, FargateSpot, Launch, LoadBalancer, LoadConfig, MemoryUse,
    NetworkMode, Overflow, ProviderType, Scenario, ServiceConfig, Spot, SpotPrice,
};
use crate::ecs::fargate::{VALID_CPU_UNITS, valid_memory_mib};
use crate::engine::{Delay, Hazard, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND};
use crate::load::{Load, Noise, Shape, Trace};
use crate::placement::{Constraint, Expression, Resource, SpreadField, Strategy};
use crate::pricing::{
    CpuArchitecture, DEFAULT_FARGATE_SPOT_SHARE, FargateRates, INCLUDED_EPHEMERAL_STORAGE_GIB, US_EAST_1_WINDOWS_X86,
    builtin_fargate_rates,
};
use crate::scaling::{
    AdjustmentType, Aggregation, AlarmConfig, Comparison, DEFAULT_COOLDOWN_MS, DEFAULT_SCALE_IN_DATAPOINTS,
    DEFAULT_SCALE_IN_THRESHOLD_RATIO, DEFAULT_SCALE_OUT_DATAPOINTS, MAX_EVALUATION_PERIODS, Metric, MissingData,
    Policy, PolicyKind, ScaleFrom, Schedule, ScheduledAction, Statistic, StepAdjustment, StepScaling, Suspension,
    TargetTracking, check_steps, fire_times,
};

/// Default wall-clock start: a Monday, midnight UTC.
const DEFAULT_START: &str = "2026-01-05T00:00:00Z";
/// Default image-pull-to-RUNNING time. AWS does not document typical state durations
/// (reference §8.3, §11.12): this is a modelling choice; set `startup` to your own figure.
const DEFAULT_STARTUP_MS: u64 = 45 * MS_PER_SECOND;
/// "The default stop timeout is 30 s" on Fargate, valid range 2–120 s (reference §5.4, §8.3).
const DEFAULT_STOP_TIMEOUT_MS: u64 = 30 * MS_PER_SECOND;
const STOP_TIMEOUT_RANGE_MS: (u64, u64) = (2 * MS_PER_SECOND, 120 * MS_PER_SECOND);

/// An optional setting once checked: `None` if it was given but invalid (already reported),
/// else whether it was given.
fn is_fargate(provider: &str) -> bool {
    matches!(provider, "FARGATE" | "FARGATE_SPOT")
}

fn settled<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(None) => None,
        Some(Some(v)) => Some(Some(v)),
    }
}

/// What every service of a scenario shares.
struct Run {
    region: String,
    /// `[fargate_spot] price`: Fargate Spot as a share of On-Demand.
    spot_share: Option<f64>,
    prices: Option<PathBuf>,
    /// Start and end of the run, when both parsed.
    window: Option<(jiff::Timestamp, jiff::Timestamp)>,
}

pub(super) struct Translator<'a, 'l> {
    locator: &'a Locator<'l>,
    base_dir: &'a Path,
    data: &'a DataCache,
    problems: Vec<Problem>,
    warnings: Vec<String>,
}

impl<'a, 'l> Translator<'a, 'l> {
    pub(super) fn new(locator: &'a Locator<'l>, base_dir: &'a Path, data: &'a DataCache) -> Self {
        Translator { locator, base_dir, data, problems: Vec::new(), warnings: Vec::new() }
    }

    fn fail(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.problems.push(self.locator.at(path, message.into()));
    }

    /// A setting that is legal but almost surely not what was meant, with its line and key.
    fn warn(&mut self, path: &KeyPath, message: impl Into<String>) {
        let p = self.locator.at(path, message.into());
        self.warnings.push(if p.line > 0 { format!("line {}, `{}`: {}", p.line, p.key, p.message) } else { p.message });
    }

    /// `text` as whole milliseconds, e.g. "45s", "1m 30s", "7d", "2w", "1 month".
    fn duration(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        match humantime::parse_duration(&months_as_hours(text)) {
            Ok(d) if d.subsec_nanos() % 1_000_000 == 0 => Some(d.as_millis() as u64),
            Ok(_) => {
                self.fail(path, format!("found \"{text}\"; a duration must be whole milliseconds"));
                None
            }
            Err(e) => {
                self.fail(
                    path,
                    format!(
                        "found \"{text}\", which is not a duration ({e}); expected e.g. \"45s\", \"5m\", \"2h\", \"7d\", \"2w\", \"1 month\""
                    ),
                );
                None
            }
        }
    }

    /// A diurnal curve as `(mean, amplitude, power)` from the one form given: `mean` and
    /// `amplitude` (0–1); `mean` and `peak_value`, the busiest moment's rate (above twice the
    /// mean, a sharper peak of the same mean, see `Shape::Diurnal`); or `min` and `max`.
    fn diurnal_curve(
        &mut self,
        path: &KeyPath,
        mean: Option<f64>,
        amplitude: Option<f64>,
        peak_value: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
    ) -> Option<(f64, f64, f64)> {
        const FORMS: &str = "`mean` with `amplitude` (0–1) or with `peak_value`, or `min` with `max`";
        match (mean, amplitude, peak_value, min, max) {
            (Some(mean), Some(amplitude), None, None, None) => {
                let mean = self.non_negative(&path.key("mean"), mean);
                let amplitude = self.in_range(
                    &path.key("amplitude"),
                    amplitude,
                    0.0,
                    1.0,
                    "an amplitude from 0 to 1 (a share of the mean); for a higher peak give `peak_value`",
                );
                Some((mean?, amplitude?, 1.0))
            }
            (Some(mean), None, Some(peak), None, None) => {
                let mean = self.non_negative(&path.key("mean"), mean)?;
                if !(peak.is_finite() && peak >= mean) || (mean == 0.0 && peak > 0.0) {
                    self.fail(
                        &path.key("peak_value"),
                        format!("found {peak}; the peak must be at least the mean, {mean}"),
                    );
                    return None;
                }
                if mean == 0.0 || peak <= 2.0 * mean {
                    // A cosine: the trough 2 × mean − peak.
                    return Some((mean, if mean == 0.0 { 0.0 } else { peak / mean - 1.0 }, 1.0));
                }
                Some((mean, peak / mean - 1.0, crate::load::power_for_mean(mean / peak)))
            }
            (None, None, None, Some(min), Some(max)) => {
                let min = self.non_negative(&path.key("min"), min)?;
                if !(max.is_finite() && max >= min) {
                    self.fail(&path.key("max"), format!("found {max}; expected a rate at least `min`, {min}"));
                    return None;
                }
                let mean = (min + max) / 2.0;
                Some((mean, if mean == 0.0 { 0.0 } else { (max - mean) / mean }, 1.0))
            }
            _ => {
                self.fail(path, format!("a diurnal load takes {FORMS}, one form only"));
                None
            }
        }
    }

    fn positive_duration(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        let ms = self.duration(path, text)?;
        if ms == 0 {
            self.fail(path, format!("found \"{text}\"; expected a duration greater than zero"));
            return None;
        }
        Some(ms)
    }

    fn optional_duration(&mut self, path: &KeyPath, text: Option<&str>, default: u64) -> Option<u64> {
        text.map_or(Some(default), |t| self.duration(path, t))
    }

    /// A finite number ≥ 0 (requests, factors, prices).
    fn non_negative(&mut self, path: &KeyPath, value: f64) -> Option<f64> {
        if value.is_finite() && value >= 0.0 {
            Some(value)
        } else {
            self.fail(path, format!("found {value}; expected a finite number ≥ 0"));
            None
        }
    }

    fn in_range(&mut self, path: &KeyPath, value: f64, low: f64, high: f64, allowed: &str) -> Option<f64> {
        if value.is_finite() && (low..=high).contains(&value) {
            Some(value)
        } else {
            self.fail(path, format!("found {value}; expected {allowed}"));
            None
        }
    }

    fn count(&mut self, path: &KeyPath, value: i64) -> Option<u32> {
        match u32::try_from(value) {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(path, format!("found {value}; expected a whole number from 0 to {}", u32::MAX));
                None
            }
        }
    }

    fn choice<T: Copy>(&mut self, path: &KeyPath, text: &str, options: &[(&str, T)]) -> Option<T> {
        if let Some(&(_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(value);
        }
        let allowed: Vec<String> = options.iter().map(|(name, _)| format!("\"{name}\"")).collect();
        self.fail(path, format!("found \"{text}\"; expected one of {}", allowed.join(", ")));
        None
    }

    pub(super) fn scenario(
        mut self,
        file: ScenarioFile,
        overrides: &Overrides,
    ) -> Result<(Scenario, Vec<String>), Vec<Problem>> {
        let root = KeyPath::root();
        if file.version != 1 {
            self.fail(&root.key("version"), format!("found {}; this ecsim reads scenario version 1", file.version));
        }
        if !super::folder_name_ok(&file.name) {
            self.fail(
                &root.key("name"),
                format!(
                    "found \"{}\"; a name is letters, digits, '-', '_' and '.', as it names the output folder",
                    file.name
                ),
            );
        }
        let start_text = file.start.as_deref().unwrap_or(DEFAULT_START);
        let start_unix_ms = self.timestamp(&root.key("start"), start_text).map(|t| t.as_millisecond());
        let duration_ms = self.positive_duration(&root.key("duration"), &file.duration);
        let tick_ms = self.tick(&root.key("tick"), file.tick.as_deref().unwrap_or("1m"));
        let series_interval_ms = match (&file.series_interval, tick_ms) {
            (None, tick) => tick,
            (Some(text), Some(tick)) => {
                let path = root.key("series_interval");
                let interval = self.positive_duration(&path, text);
                if interval.is_some_and(|i| i % tick != 0) {
                    self.fail(&path, format!("found \"{text}\"; expected a whole number of ticks ({tick} ms each)"));
                    None
                } else {
                    interval
                }
            }
            (Some(_), None) => None,
        };
        if let (Some(duration), Some(tick)) = (duration_ms, tick_ms)
            && duration % tick != 0
        {
            self.fail(
                &root.key("duration"),
                format!("found \"{}\"; expected a whole number of ticks ({tick} ms each)", file.duration),
            );
        }
        let region = file.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
        let unserved_cost_per_million = file
            .unserved_cost_per_million
            .and_then(|price| self.non_negative(&root.key("unserved_cost_per_million"), price).map(Some))
            .unwrap_or(None);

        let mut loads = Vec::new();
        for (name, shape_file) in &file.loads {
            let path = root.key("loads").key(name);
            let shape = self.shape(&path, shape_file, start_unix_ms.unwrap_or(0), duration_ms.unwrap_or(0));
            let noise = self.noise(&path.key("noise"), shape_file.noise());
            if let (Some(shape), Some(noise)) = (shape, noise) {
                loads.push(LoadConfig { name: name.clone(), load: Load { shape, noise } });
            }
        }

        let prices = overrides.prices.clone().or_else(|| file.prices.as_ref().map(|p| self.base_dir.join(p)));
        let fargate_spot = self.fargate_spot(&root.key("fargate_spot"), file.fargate_spot.as_ref());
        let run = Run {
            region: region.clone(),
            spot_share: fargate_spot.as_ref().and_then(|(share, _)| *share),
            prices,
            window: start_unix_ms.zip(duration_ms).map(|(start, duration)| {
                let start = jiff::Timestamp::from_millisecond(start).expect("parsed");
                (start, start + jiff::SignedDuration::from_millis(duration as i64))
            }),
        };
        let catalog_file = overrides.catalog.clone().or_else(|| file.catalog.as_ref().map(|p| self.base_dir.join(p)));
        let catalog = self.catalog(&run.region, catalog_file.as_deref(), !file.capacity_providers.is_empty());
        let providers: Vec<Option<AsgProvider>> = file
            .capacity_providers
            .iter()
            .map(|(name, provider)| self.provider(&root.key("capacity_providers").key(name), name, provider, &catalog))
            .collect();
        let mut services = Vec::new();
        for (name, service_file) in &file.services {
            let path = root.key("services").key(name);
            if let Some(service) = self.service(&path, name, service_file, &file, &run, &providers) {
                services.push(service);
            }
        }
        let on_spot =
            services.iter().find(|s: &&ServiceConfig| matches!(&s.launch, Launch::Fargate(f) if f.uses_spot()));
        if let (Some(service), None) = (on_spot, &file.fargate_spot) {
            // The table's defaults: the Spot rates of the price table, no interruption.
            let strategy = root.key("services").key(&service.name).key("capacity_provider_strategy");
            self.warn(
                &strategy,
                "FARGATE_SPOT with no [fargate_spot] table: Spot tasks are never interrupted in this run; give `[fargate_spot] interruptions_per_task_hour = …` for AWS taking them back",
            );
        }
        if file.services.is_empty() {
            self.fail(&root, "the scenario has no [services.NAME] table; expected at least one service");
        }

        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let scenario = Scenario {
            name: file.name,
            variant: None,
            start_unix_ms: start_unix_ms.expect("checked"),
            duration_ms: duration_ms.expect("checked"),
            tick_ms: tick_ms.expect("checked"),
            series_interval_ms: series_interval_ms.expect("checked"),
            seed: overrides.seed.or(file.seed).unwrap_or(1),
            region,
            unserved_cost_per_million,
            loads,
            services,
            providers: providers.into_iter().map(|p| p.expect("checked")).collect(),
            fargate_spot: fargate_spot.map(|(_, spot)| spot).unwrap_or_default(),
        };
        Ok((scenario, self.warnings))
    }

    /// The tick must be 1 s – 1 h and fit evenly into the one-minute datapoints (a divisor of
    /// a minute) or be whole minutes that divide an hour.
    fn tick(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        let tick = self.positive_duration(path, text)?;
        let fits = (tick.is_multiple_of(MS_PER_SECOND) && MS_PER_MINUTE.is_multiple_of(tick))
            || (tick.is_multiple_of(MS_PER_MINUTE) && MS_PER_HOUR.is_multiple_of(tick));
        if !fits {
            self.fail(path, format!(
                "found \"{text}\"; expected a tick from 1s to 1h that divides a minute (1s, 2s, 5s, 10s, 15s, 20s, 30s, …) or is whole minutes dividing an hour (1m, 2m, 5m, 10m, 15m, 30m, 1h, …)"
            ));
            return None;
        }
        Some(tick)
    }

    fn noise(&mut self, path: &KeyPath, noise: Option<&NoiseFile>) -> Option<Noise> {
        Some(match noise {
            None => Noise::None,
            Some(NoiseFile::Normal { sd }) => {
                Noise::Normal { sd: self.in_range(&path.key("sd"), *sd, 0.0, 1.0, "a standard deviation from 0 to 1")? }
            }
            Some(NoiseFile::Uniform { width }) => {
                Noise::Uniform { width: self.in_range(&path.key("width"), *width, 0.0, 1.0, "a width from 0 to 1")? }
            }
            Some(NoiseFile::LogNormal { sigma }) => {
                Noise::LogNormal { sigma: self.in_range(&path.key("sigma"), *sigma, 0.0, 2.0, "a sigma from 0 to 2")? }
            }
        })
    }

    fn parts(
        &mut self,
        path: &KeyPath,
        parts: &[ShapeFile],
        start_unix_ms: i64,
        duration_ms: u64,
    ) -> Option<Vec<Shape>> {
        if parts.is_empty() {
            self.fail(&path.key("parts"), "found no parts; expected at least one shape");
            return None;
        }
        let shapes: Vec<Option<Shape>> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let part_path = path.key("parts").index(i);
                if part.noise().is_some() {
                    self.fail(
                        &part_path.key("noise"),
                        "noise belongs on the load itself, not on a part of a sum or product",
                    );
                }
                self.shape(&part_path, part, start_unix_ms, duration_ms)
            })
            .collect();
        shapes.into_iter().collect()
    }

    fn shape(&mut self, path: &KeyPath, file: &ShapeFile, start_unix_ms: i64, duration_ms: u64) -> Option<Shape> {
        match file {
            ShapeFile::Constant { value, .. } => {
                Some(Shape::Constant { value: self.non_negative(&path.key("value"), *value)? })
            }
            ShapeFile::Ramp { from, to, start, end, .. } => {
                let from = self.non_negative(&path.key("from"), *from);
                let to = self.non_negative(&path.key("to"), *to);
                let start_ms = self.optional_duration(&path.key("start"), start.as_deref(), 0);
                let end_ms = self.duration(&path.key("end"), end);
                if let (Some(s), Some(e)) = (start_ms, end_ms)
                    && e <= s
                {
                    self.fail(&path.key("end"), format!("found \"{end}\"; the ramp must end after it starts"));
                    return None;
                }
                Some(Shape::Ramp { from: from?, to: to?, start_ms: start_ms?, end_ms: end_ms? })
            }
            ShapeFile::Step { steps, .. } => {
                if steps.is_empty() {
                    self.fail(&path.key("steps"), "found no steps; expected e.g. [{ at = \"0s\", value = 100.0 }]");
                    return None;
                }
                let mut out = Vec::new();
                for (i, step) in steps.iter().enumerate() {
                    let step_path = path.key("steps").index(i);
                    let at = self.duration(&step_path.key("at"), &step.at);
                    let value = self.non_negative(&step_path.key("value"), step.value);
                    if let (Some(at), Some(&(previous, _))) = (at, out.last())
                        && at <= previous
                    {
                        self.fail(
                            &step_path.key("at"),
                            format!("found \"{}\"; steps must be in increasing time order", step.at),
                        );
                    }
                    out.push((at?, value?));
                }
                Some(Shape::Step { steps: out })
            }
            ShapeFile::Diurnal { mean, amplitude, peak_value, min, max, peak, weekend_factor, .. } => {
                let (mean, amplitude, power) =
                    match self.diurnal_curve(path, *mean, *amplitude, *peak_value, *min, *max) {
                        Some((mean, amplitude, power)) => (Some(mean), Some(amplitude), Some(power)),
                        None => (None, None, None),
                    };
                let peak_ms_of_day = self.time_of_day(&path.key("peak"), peak.as_deref().unwrap_or("14:00"));
                let weekend_factor = self.non_negative(&path.key("weekend_factor"), weekend_factor.unwrap_or(1.0));
                Some(Shape::Diurnal {
                    mean: mean?,
                    amplitude: amplitude?,
                    power: power?,
                    peak_ms_of_day: peak_ms_of_day?,
                    weekend_factor: weekend_factor?,
                    start_unix_ms,
                })
            }
            ShapeFile::Spike { start, length, multiplier, .. } => {
                let start_ms = self.duration(&path.key("start"), start);
                let length_ms = self.positive_duration(&path.key("length"), length);
                let multiplier = self.non_negative(&path.key("multiplier"), *multiplier);
                Some(Shape::Spike { start_ms: start_ms?, length_ms: length_ms?, multiplier: multiplier? })
            }
            ShapeFile::Trace { file, bucket, scale, offset, looped, gaps, .. } => self.trace(
                path,
                file,
                bucket,
                *scale,
                offset.as_deref(),
                looped.unwrap_or(false),
                gaps.as_deref(),
                duration_ms,
            ),
            ShapeFile::Sum { parts, .. } => {
                Some(Shape::Sum { parts: self.parts(path, parts, start_unix_ms, duration_ms)? })
            }
            ShapeFile::Product { parts, .. } => {
                Some(Shape::Product { parts: self.parts(path, parts, start_unix_ms, duration_ms)? })
            }
        }
    }

    /// "HH:MM" or "HH:MM:SS", UTC.
    fn time_of_day(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
        let fields: Vec<Option<u64>> = text.split(':').map(|f| f.parse().ok()).collect();
        let ms = match fields.as_slice() {
            [Some(h), Some(m)] if *h < 24 && *m < 60 => Some((h * 60 + m) * MS_PER_MINUTE),
            [Some(h), Some(m), Some(s)] if *h < 24 && *m < 60 && *s < 60 => {
                Some((h * 3600 + m * 60 + s) * MS_PER_SECOND)
            }
            _ => None,
        };
        if ms.is_none() {
            self.fail(path, format!("found \"{text}\"; expected a UTC time of day \"HH:MM\" such as \"14:00\""));
        }
        ms
    }

    #[allow(clippy::too_many_arguments)]
    fn trace(
        &mut self,
        path: &KeyPath,
        file: &str,
        bucket: &str,
        scale: Option<f64>,
        offset: Option<&str>,
        looped: bool,
        gaps: Option<&str>,
        duration_ms: u64,
    ) -> Option<Shape> {
        let bucket_ms = self.positive_duration(&path.key("bucket"), bucket);
        if bucket_ms.is_some_and(|b| b % MS_PER_SECOND != 0) {
            self.fail(
                &path.key("bucket"),
                format!("found \"{bucket}\"; expected whole seconds, as trace timestamps are"),
            );
            return None;
        }
        let scale = self.non_negative(&path.key("scale"), scale.unwrap_or(1.0));
        let offset_ms = self.optional_duration(&path.key("offset"), offset, 0);
        let gaps =
            self.choice(&path.key("gaps"), gaps.unwrap_or("hold"), &[("hold", GapRule::Hold), ("zero", GapRule::Zero)]);
        let (bucket_ms, scale, offset_ms, gaps) = (bucket_ms?, scale?, offset_ms?, gaps?);
        let file_path: PathBuf = self.base_dir.join(file);
        let key = path.key("file").to_string();
        let cached = format!("trace {} {key} {bucket_ms} {gaps:?}", file_path.display());
        let counts = match self
            .data
            .read(&file_path, cached, || read_trace(&file_path, &key, bucket_ms / MS_PER_SECOND, gaps))
        {
            Ok(counts) => counts,
            Err(problem) => {
                self.problems.push(problem);
                return None;
            }
        };
        let per_second = scale * MS_PER_SECOND as f64 / bucket_ms as f64;
        let trace = Trace {
            file: file.to_owned(),
            bucket_ms,
            offset_ms,
            looped,
            rates: counts.into_iter().map(|c| c * per_second).collect(),
        };
        let covered = trace.length_ms().saturating_sub(offset_ms);
        if looped && offset_ms >= trace.length_ms() {
            self.fail(
                &path.key("offset"),
                format!("the offset passes the end of the trace ({} ms long)", trace.length_ms()),
            );
            return None;
        }
        if !looped && covered < duration_ms {
            self.fail(&path.key("file"), format!(
                "the trace covers {} from the offset, the scenario lasts {}; set `loop = true` or shorten `duration`",
                humantime::format_duration(std::time::Duration::from_millis(covered)),
                humantime::format_duration(std::time::Duration::from_millis(duration_ms)),
            ));
            return None;
        }
        Some(Shape::Trace(trace))
    }

    fn delay(&mut self, path: &KeyPath, file: Option<&DelayFile>, default_ms: u64) -> Option<Delay> {
        match file {
            None => Some(Delay::Fixed { ms: default_ms }),
            Some(DelayFile::Fixed(text)) => Some(Delay::Fixed { ms: self.duration(path, text)? }),
            Some(DelayFile::Distribution(DistributionFile::Uniform { min, max })) => {
                let min_ms = self.duration(&path.key("min"), min);
                let max_ms = self.duration(&path.key("max"), max);
                if let (Some(lo), Some(hi)) = (min_ms, max_ms)
                    && hi < lo
                {
                    self.fail(&path.key("max"), format!("found \"{max}\"; expected max ≥ min (\"{min}\")"));
                    return None;
                }
                Some(Delay::Uniform { min_ms: min_ms?, max_ms: max_ms? })
            }
            Some(DelayFile::Distribution(DistributionFile::Normal { mean, sd })) => {
                let mean_ms = self.duration(&path.key("mean"), mean);
                let sd_ms = self.duration(&path.key("sd"), sd);
                Some(Delay::Normal { mean_ms: mean_ms?, sd_ms: sd_ms? })
            }
            Some(DelayFile::Distribution(DistributionFile::LogNormal { median, sigma })) => {
                let median_ms = self.positive_duration(&path.key("median"), median);
                let sigma = self.in_range(&path.key("sigma"), *sigma, 0.0, 3.0, "a sigma from 0 to 3");
                Some(Delay::LogNormal { median_ms: median_ms?, sigma: sigma? })
            }
        }
    }

    fn service(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        run: &Run,
        providers: &[Option<AsgProvider>],
    ) -> Option<ServiceConfig> {
        let daemon = self.choice(
            &path.key("scheduling_strategy"),
            file.scheduling_strategy.as_deref().unwrap_or("REPLICA"),
            &[("REPLICA", false), ("DAEMON", true)],
        );
        // The service's own strategy, else (without a launch type) the cluster's default.
        let default = scenario.cluster.as_ref().and_then(|c| c.default_capacity_provider_strategy.as_ref());
        let strategy: Option<(&[StrategyItemFile], KeyPath)> =
            match (&file.capacity_provider_strategy, &file.launch_type) {
                (Some(items), _) => Some((items, path.key("capacity_provider_strategy"))),
                (None, None) => default.map(|items| {
                    (&items[..], KeyPath::root().key("cluster").key("default_capacity_provider_strategy"))
                }),
                (None, Some(_)) => None,
            };
        let placement = self.placement(path, file, scenario, daemon.unwrap_or(false), strategy.as_ref());
        let on_ec2 = match &placement {
            Some(placement) => placement.is_some(),
            None => {
                let fargate_strategy = strategy
                    .as_ref()
                    .is_some_and(|(items, _)| items.iter().all(|item| is_fargate(&item.capacity_provider)));
                (strategy.is_some() && !fargate_strategy) || file.launch_type.as_deref() == Some("EC2")
            }
        };
        let load = match &file.load {
            Some(load_name) => match scenario.loads.get_index_of(load_name) {
                Some(index) => Some(Some(index)),
                None => {
                    let known: Vec<&str> = scenario.loads.keys().map(String::as_str).collect();
                    let known = if known.is_empty() {
                        "none are defined".to_owned()
                    } else {
                        format!("defined loads: {}", known.join(", "))
                    };
                    self.fail(
                        &path.key("load"),
                        format!("found \"{load_name}\", which is not a load in this file ({known})"),
                    );
                    None
                }
            },
            None if daemon == Some(true) => Some(None),
            None => {
                self.fail(
                    path,
                    "a service needs `load = \"NAME\"`, one of the [loads.NAME] tables (only a DAEMON may have none)",
                );
                None
            }
        };
        let (cpu, memory) = if on_ec2 {
            (self.ec2_cpu(&path.key("cpu"), file.cpu), self.ec2_memory(&path.key("memory"), file.memory))
        } else {
            let cpu = self.fargate_cpu(&path.key("cpu"), file.cpu);
            (cpu, cpu.and_then(|cpu| self.fargate_memory(&path.key("memory"), cpu, file.memory)))
        };
        let arch = self.choice(
            &path.key("cpu_architecture"),
            file.cpu_architecture.as_deref().unwrap_or("X86_64"),
            &[("X86_64", CpuArchitecture::X86_64), ("ARM64", CpuArchitecture::Arm64)],
        );
        let requests_per_task = match (file.requests_per_task, &file.load) {
            (Some(r), _) if r.is_finite() && r > 0.0 => Some(r),
            (None, None) => Some(0.0),
            (None, Some(_)) => {
                self.fail(path, "a service with a load needs `requests_per_task`, the requests per second one task serves at 100 % of its CPU");
                None
            }
            (Some(r), _) => {
                self.fail(
                    &path.key("requests_per_task"),
                    format!("found {r}; expected requests per second greater than 0"),
                );
                None
            }
        };
        let (desired, min, max) = if daemon == Some(true) {
            for (key, given) in [
                ("desired_count", file.desired_count.is_some()),
                ("min_capacity", file.min_capacity.is_some()),
                ("max_capacity", file.max_capacity.is_some()),
                ("target_tracking", !file.target_tracking.is_empty()),
                ("step_scaling", !file.step_scaling.is_empty()),
                ("scheduled_actions", !file.scheduled_actions.is_empty()),
            ] {
                if given {
                    self.fail(&path.key(key), "a DAEMON service runs one task on every instance that satisfies its constraints: it has no task count and no auto scaling (§7)");
                }
            }
            (Some(0), Some(0), Some(0))
        } else {
            let mut required = |key: &str, value: Option<i64>| match value {
                Some(v) => self.count(&path.key(key), v),
                None => {
                    self.fail(path, format!("a REPLICA service needs `{key}`"));
                    None
                }
            };
            (
                required("desired_count", file.desired_count),
                required("min_capacity", file.min_capacity),
                required("max_capacity", file.max_capacity),
            )
        };
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                self.fail(
                    &path.key("min_capacity"),
                    format!("found {min}, greater than max_capacity ({max}); expected min_capacity ≤ max_capacity"),
                );
            } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
                self.fail(
                    &path.key("desired_count"),
                    format!("found {d}; expected a count within [min_capacity, max_capacity] = [{min}, {max}]"),
                );
            }
        }
        let provisioning = self.delay(&path.key("provisioning"), file.provisioning.as_ref(), 0);
        let startup = self.delay(&path.key("startup"), file.startup.as_ref(), DEFAULT_STARTUP_MS);
        let stop_timeout_ms =
            self.optional_duration(&path.key("stop_timeout"), file.stop_timeout.as_deref(), DEFAULT_STOP_TIMEOUT_MS);
        let (lo, hi) = STOP_TIMEOUT_RANGE_MS;
        if stop_timeout_ms.is_some_and(|t| !(lo..=hi).contains(&t)) {
            self.fail(
                &path.key("stop_timeout"),
                format!(
                    "found \"{}\"; ECS allows a stop timeout from 2s to 120s",
                    file.stop_timeout.as_deref().unwrap_or("")
                ),
            );
        }
        let availability_zones = file.availability_zones.unwrap_or(3);
        if !(1..=6).contains(&availability_zones) {
            self.fail(&path.key("availability_zones"), format!("found {availability_zones}; expected 1 to 6 zones"));
        }
        let memory_reservation = match file.memory_reservation {
            None => Some(None),
            Some(m) if m >= 1 && memory.is_none_or(|hard| m <= i64::from(hard)) => Some(Some(m as u32)),
            Some(m) => {
                self.fail(
                    &path.key("memory_reservation"),
                    format!("found {m}; expected MiB from 1 up to the task's memory"),
                );
                None
            }
        };
        let memory_use = match &file.memory_use {
            None => Some(MemoryUse::default()),
            Some(m) => {
                let base_mib = self.non_negative(&path.key("memory_use").key("base"), m.base);
                let per =
                    self.non_negative(&path.key("memory_use").key("per_request_per_second"), m.per_request_per_second);
                Some(MemoryUse { base_mib: base_mib?, mib_per_request_per_second: per? })
            }
        };
        let overflow = self.choice(
            &path.key("overflow"),
            file.overflow.as_deref().unwrap_or("drop"),
            &[("drop", Overflow::Drop), ("queue", Overflow::Queue)],
        );
        let strategy_split = self.choice(
            &path.key("strategy_split"),
            file.strategy_split.as_deref().unwrap_or("aws_observed"),
            &[("aws_observed", SplitRule::AwsObserved), ("reverse_of_launch", SplitRule::ReverseOfLaunch)],
        );
        let cpu_limit = self.choice(
            &path.key("cpu_limit"),
            file.cpu_limit.as_deref().unwrap_or("task"),
            &[("task", CpuLimit::Task), ("container_shares", CpuLimit::ContainerShares)],
        );
        let load_balancer = file.load_balancer.as_ref().map(|lb| self.load_balancer(&path.key("load_balancer"), lb));
        let policies = self.policies(path, file);
        let scheduled_actions = self.scheduled_actions(path, file, run.window);
        let tracks = |metric: Metric| policies.iter().flat_map(|p| p.alarms()).any(|alarm| alarm.metric == metric);
        if tracks(Metric::AlbRequestCountPerTarget) && file.load_balancer.is_none() {
            self.fail(
                &path.key("load_balancer"),
                "a policy tracks ALBRequestCountPerTarget, so the service needs a [services.NAME.load_balancer] table",
            );
        }
        if tracks(Metric::MemoryUtilization) && file.memory_use.is_none() {
            self.fail(&path.key("memory_use"), "a policy tracks memory, so the service needs `memory_use = { base = MiB, per_request_per_second = MiB }`");
        }
        let tracks_utilization = tracks(Metric::CpuUtilization) || tracks(Metric::MemoryUtilization);
        if min == Some(0) && tracks_utilization {
            self.warn(
                &path.key("min_capacity"),
                "min_capacity is 0 and a policy tracks CPU or memory utilization; with no running task there is no datapoint, so (as in AWS) such a policy cannot scale it out from zero",
            );
        }
        let windows = match file.operating_system_family.as_deref().unwrap_or("LINUX") {
            "LINUX" => Some(false),
            family if WINDOWS_FAMILIES.contains(&family) => Some(true),
            family => {
                self.fail(
                    &path.key("operating_system_family"),
                    format!("found \"{family}\"; expected \"LINUX\" or one of {}", WINDOWS_FAMILIES.join(", ")),
                );
                None
            }
        };
        let storage_gib = match file.ephemeral_storage {
            None => Some(INCLUDED_EPHEMERAL_STORAGE_GIB),
            Some(gib) if (21..=200).contains(&gib) => Some(gib as u32),
            Some(gib) => {
                self.fail(
                    &path.key("ephemeral_storage"),
                    format!("found {gib}; Fargate ephemeral storage is 21 to 200 GiB (20 GiB is included without it)"),
                );
                None
            }
        };
        if on_ec2 {
            if windows == Some(true) {
                self.fail(
                    &path.key("operating_system_family"),
                    "ecsim's EC2 instances run Linux; Windows tasks run on Fargate here",
                );
            }
            if file.ephemeral_storage.is_some() {
                self.fail(
                    &path.key("ephemeral_storage"),
                    "ephemeral storage is a Fargate setting; on EC2 the instance's volume holds it",
                );
            }
        }
        let shares = match &strategy {
            Some((items, strategy_path)) => self.strategy_shares(strategy_path, items),
            None => Some(vec![(false, Share { base: 0, weight: 1 })]),
        };
        let launch = match placement? {
            Some(placement) => {
                let (cpu, memory, arch) = (cpu?, memory?, arch?);
                let reserved = memory_reservation.flatten().unwrap_or(memory);
                self.check_fits(path, &placement, providers, cpu, reserved, arch)?;
                shares?;
                Launch::Ec2(placement)
            }
            None => {
                let strategy = shares?;
                let (arch, windows, storage_gib) = (arch?, windows?, storage_gib?);
                let uses_spot = strategy.iter().any(|(spot, _)| *spot);
                if windows {
                    self.windows_task(path, cpu?, arch, uses_spot)?;
                }
                let os = if windows { "windows" } else { "linux" };
                let rates = self.rates(&run.region, arch, run.prices.as_deref(), (os, "on_demand"))?;
                let spot_rates = if uses_spot {
                    self.spot_rates(&run.region, arch, run.prices.as_deref(), rates, run.spot_share)?
                } else {
                    rates
                };
                Launch::Fargate(FargateLaunch { rates, spot_rates, strategy, windows, storage_gib })
            }
        };
        if cpu_limit == Some(CpuLimit::ContainerShares) && matches!(launch, Launch::Fargate(_)) {
            self.fail(
                &path.key("cpu_limit"),
                "a Fargate task always has a task-level CPU limit; \"container_shares\" is for tasks on EC2 instances",
            );
            return None;
        }
        Some(ServiceConfig {
            name: name.to_owned(),
            load: load?,
            cpu: cpu?,
            memory: memory?,
            cpu_architecture: arch?,
            launch,
            requests_per_task: requests_per_task?,
            desired_count: desired?,
            min_capacity: min?,
            max_capacity: max?,
            provisioning: provisioning?,
            startup: startup?,
            stop_timeout_ms: stop_timeout_ms?,
            availability_zones: availability_zones as u32,
            memory_use: memory_use?,
            memory_reservation: memory_reservation?,
            overflow: overflow?,
            strategy_split: strategy_split?,
            cpu_limit: cpu_limit?,
            load_balancer: settled(load_balancer)?,
            policies,
            scheduled_actions,
            suspension: Suspension {
                dynamic_scaling_in_suspended: file.dynamic_scaling_in_suspended.unwrap_or(false),
                dynamic_scaling_out_suspended: file.dynamic_scaling_out_suspended.unwrap_or(false),
                scheduled_scaling_suspended: file.scheduled_scaling_suspended.unwrap_or(false),
            },
        })
    }

    fn fargate_cpu(&mut self, path: &KeyPath, cpu: i64) -> Option<u32> {
        match u32::try_from(cpu).ok().filter(|c| VALID_CPU_UNITS.contains(c)) {
            Some(cpu) => Some(cpu),
            None => {
                self.fail(path, format!("found {cpu}; Fargate task CPU units are one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 = 1 vCPU)"));
                None
            }
        }
    }

    fn fargate_memory(&mut self, path: &KeyPath, cpu: u32, memory: i64) -> Option<u32> {
        let allowed = valid_memory_mib(cpu).expect("cpu checked");
        match u32::try_from(memory).ok().filter(|m| allowed.contains(m)) {
            Some(memory) => Some(memory),
            None => {
                let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
                self.fail(
                    path,
                    format!("found {memory} MiB; with cpu = {cpu} Fargate allows memory (MiB) of {}", list.join(", ")),
                );
                None
            }
        }
    }

    fn rates(
        &mut self,
        region: &str,
        arch: CpuArchitecture,
        prices: Option<&Path>,
        (os, capacity): (&str, &str),
    ) -> Option<FargateRates> {
        let Some(file) = prices else {
            let rates = if os == "windows" {
                (region == "us-east-1").then_some(US_EAST_1_WINDOWS_X86)
            } else {
                builtin_fargate_rates(region, arch)
            };
            if rates.is_none() {
                self.fail(&KeyPath::root().key("region"), format!(
                    "found \"{region}\"; ecsim has built-in Fargate prices for us-east-1 only: give `prices = \"FILE\"` (or --prices FILE) with the columns of shared/data/pricing/fargate.csv"
                ));
            }
            return rates;
        };
        let cached = format!("prices {} {region} {arch:?} {os} {capacity}", file.display());
        match self.data.read(file, cached, || read_fargate_rates(file, "prices", region, arch, (os, capacity))) {
            Ok(Some(rates)) => Some(rates),
            Ok(None) => {
                self.problems.push(Problem {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                    key: "prices".into(),
                    message: format!("no row with region {region}, os {os}, arch {arch:?}, capacity {capacity}"),
                    source_line: String::new(),
                });
                None
            }
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    /// The service's target-tracking and step-scaling policies, with unique names.
    fn policies(&mut self, path: &KeyPath, file: &ServiceFile) -> Vec<Policy> {
        let mut policies: Vec<Policy> = Vec::new();
        for (i, tt_file) in file.target_tracking.iter().enumerate() {
            let tt_path = path.key("target_tracking").index(i);
            let Some(tt) = self.target_tracking(&tt_path, tt_file) else { continue };
            let tracked_already =
                policies.iter().any(|p| matches!(&p.kind, PolicyKind::TargetTracking(o) if o.metric == tt.metric));
            if tracked_already {
                self.fail(
                    &tt_path.key("metric"),
                    format!(
                        "a second policy on {}; AWS allows one target tracking policy per metric",
                        tt.metric.name()
                    ),
                );
            }
            let short = Metric::NAMES.iter().find(|(_, _, m)| *m == tt.metric).map_or("metric", |n| n.0);
            let name = tt_file.name.clone().unwrap_or_else(|| format!("{short}-target-tracking"));
            policies.push(Policy { name, kind: PolicyKind::TargetTracking(tt) });
        }
        for (i, step_file) in file.step_scaling.iter().enumerate() {
            let step_path = path.key("step_scaling").index(i);
            let Some(step) = self.step_scaling(&step_path, step_file) else { continue };
            let name = step_file.name.clone().unwrap_or_else(|| format!("step-scaling-{i}"));
            policies.push(Policy { name, kind: PolicyKind::StepScaling(step) });
        }
        for (i, policy) in policies.iter().enumerate() {
            if policies[..i].iter().any(|p| p.name == policy.name) {
                self.fail(
                    path,
                    format!("two policies are named \"{}\"; policy names are unique per service", policy.name),
                );
            }
        }
        policies
    }

    fn metric(&mut self, path: &KeyPath, name: &str) -> Option<Metric> {
        match Metric::parse(name) {
            Some(metric) => Some(metric),
            None => {
                let allowed: Vec<String> =
                    Metric::NAMES.iter().map(|(short, aws, _)| format!("\"{short}\" ({aws})")).collect();
                self.fail(
                    path,
                    format!("found \"{name}\", which is not a metric; expected one of {}", allowed.join(", ")),
                );
                None
            }
        }
    }

    fn target_tracking(&mut self, path: &KeyPath, file: &TargetTrackingFile) -> Option<TargetTracking> {
        let metric = self.metric(&path.key("metric"), &file.metric);
        let utilization = matches!(metric, Some(Metric::CpuUtilization | Metric::MemoryUtilization));
        if utilization && file.target_value > 0.0 && file.target_value <= 1.0 {
            let t = file.target_value;
            self.warn(
                &path.key("target_value"),
                format!(
                    "a utilization target is a percentage: {t} means {t} %, not {} %; write {} for that",
                    t * 100.0,
                    t * 100.0
                ),
            );
        }
        let target_value = match file.target_value {
            t if t.is_finite() && t > 0.0 && (!utilization || t <= 100.0) => Some(t),
            t => {
                let allowed = if utilization {
                    "a utilization target is a percentage above 0 and at most 100"
                } else {
                    "a target above 0"
                };
                self.fail(&path.key("target_value"), format!("found {t}; {allowed}"));
                None
            }
        };
        let scale_out_cooldown_ms = self.optional_duration(
            &path.key("scale_out_cooldown"),
            file.scale_out_cooldown.as_deref(),
            DEFAULT_COOLDOWN_MS,
        );
        let scale_in_cooldown_ms = self.optional_duration(
            &path.key("scale_in_cooldown"),
            file.scale_in_cooldown.as_deref(),
            DEFAULT_COOLDOWN_MS,
        );
        let scale_from = self.choice(
            &path.key("scale_from"),
            file.scale_from.as_deref().unwrap_or("running_count"),
            &[("running_count", ScaleFrom::RunningCount), ("desired_count", ScaleFrom::DesiredCount)],
        );
        let mut datapoints = |key: &str, value: Option<i64>, default: i64| {
            let value = value.unwrap_or(default);
            if (1..=64).contains(&value) {
                Some(value as u32)
            } else {
                self.fail(&path.key(key), format!("found {value}; expected 1 to 64 one-minute datapoints"));
                None
            }
        };
        let scale_out_datapoints =
            datapoints("scale_out_datapoints", file.scale_out_datapoints, i64::from(DEFAULT_SCALE_OUT_DATAPOINTS));
        let scale_in_datapoints =
            datapoints("scale_in_datapoints", file.scale_in_datapoints, i64::from(DEFAULT_SCALE_IN_DATAPOINTS));
        let ratio = file.scale_in_threshold_ratio.unwrap_or(DEFAULT_SCALE_IN_THRESHOLD_RATIO);
        let scale_in_threshold_ratio = if ratio.is_finite() && ratio > 0.0 && ratio <= 1.0 {
            Some(ratio)
        } else {
            self.fail(
                &path.key("scale_in_threshold_ratio"),
                format!("found {ratio}; expected a fraction of the target above 0 and at most 1"),
            );
            None
        };
        Some(TargetTracking {
            metric: metric?,
            target_value: target_value?,
            scale_out_cooldown_ms: scale_out_cooldown_ms?,
            scale_in_cooldown_ms: scale_in_cooldown_ms?,
            disable_scale_in: file.disable_scale_in.unwrap_or(false),
            scale_from: scale_from?,
            scale_out_datapoints: scale_out_datapoints?,
            scale_in_datapoints: scale_in_datapoints?,
            scale_in_threshold_ratio: scale_in_threshold_ratio?,
        })
    }

    fn step_scaling(&mut self, path: &KeyPath, file: &StepScalingFile) -> Option<StepScaling> {
        let alarm = self.alarm(&path.key("alarm"), &file.alarm);
        let adjustment_type = self.choice(&path.key("adjustment_type"), &file.adjustment_type, &AdjustmentType::NAMES);
        let steps: Vec<StepAdjustment> = file
            .step_adjustments
            .iter()
            .map(|s| StepAdjustment {
                lower: s.metric_interval_lower_bound,
                upper: s.metric_interval_upper_bound,
                scaling_adjustment: s.scaling_adjustment,
            })
            .collect();
        if let Some(kind) = adjustment_type
            && let Err(problem) = check_steps(&steps, kind)
        {
            self.fail(&path.key("step_adjustments"), problem);
        }
        let min_adjustment_magnitude = match (file.min_adjustment_magnitude, adjustment_type) {
            (None, _) => Some(None),
            (Some(m), Some(AdjustmentType::PercentChangeInCapacity)) if m >= 1 => Some(Some(m as u32)),
            (Some(m), _) => {
                self.fail(
                    &path.key("min_adjustment_magnitude"),
                    format!("found {m}; it is a count ≥ 1 and applies only to PercentChangeInCapacity"),
                );
                None
            }
        };
        let cooldown_ms = self.optional_duration(&path.key("cooldown"), file.cooldown.as_deref(), DEFAULT_COOLDOWN_MS);
        let aggregation = self.choice(
            &path.key("metric_aggregation_type"),
            file.metric_aggregation_type.as_deref().unwrap_or("Average"),
            &Aggregation::NAMES,
        );
        Some(StepScaling {
            alarm: alarm?,
            adjustment_type: adjustment_type?,
            step_adjustments: steps,
            min_adjustment_magnitude: min_adjustment_magnitude?,
            cooldown_ms: cooldown_ms?,
            metric_aggregation_type: aggregation?,
        })
    }

    fn alarm(&mut self, path: &KeyPath, file: &AlarmFile) -> Option<AlarmConfig> {
        let metric = self.metric(&path.key("metric"), &file.metric);
        let statistic =
            self.choice(&path.key("statistic"), file.statistic.as_deref().unwrap_or("Average"), &Statistic::NAMES);
        let period_text = file.period.as_deref().unwrap_or("1m");
        let period_ms = self.positive_duration(&path.key("period"), period_text);
        let period_minutes = match period_ms {
            Some(ms) if ms % MS_PER_MINUTE == 0 => Some((ms / MS_PER_MINUTE) as u32),
            Some(_) => {
                self.fail(
                    &path.key("period"),
                    format!("found \"{period_text}\"; ecsim's metrics are one-minute, so a period is whole minutes"),
                );
                None
            }
            None => None,
        };
        let n = file.evaluation_periods;
        let evaluation_periods = if (1..=i64::from(MAX_EVALUATION_PERIODS)).contains(&n) {
            Some(n as u32)
        } else {
            self.fail(&path.key("evaluation_periods"), format!("found {n}; expected 1 to {MAX_EVALUATION_PERIODS}"));
            None
        };
        let m = file.datapoints_to_alarm.unwrap_or(n);
        let datapoints_to_alarm = if (1..=n).contains(&m) {
            Some(m as u32)
        } else {
            self.fail(&path.key("datapoints_to_alarm"), format!("found {m}; expected 1 to evaluation_periods ({n})"));
            None
        };
        let comparison = self.choice(&path.key("comparison_operator"), &file.comparison_operator, &Comparison::NAMES);
        let threshold = if file.threshold.is_finite() {
            Some(file.threshold)
        } else {
            self.fail(&path.key("threshold"), format!("found {}; expected a finite number", file.threshold));
            None
        };
        let missing = self.choice(
            &path.key("treat_missing_data"),
            file.treat_missing_data.as_deref().unwrap_or("missing"),
            &MissingData::NAMES,
        );
        Some(AlarmConfig {
            metric: metric?,
            statistic: statistic?,
            period_minutes: period_minutes?,
            evaluation_periods: evaluation_periods?,
            datapoints_to_alarm: datapoints_to_alarm?,
            comparison: comparison?,
            threshold: threshold?,
            treat_missing_data: missing?,
        })
    }

    fn timestamp(&mut self, path: &KeyPath, text: &str) -> Option<jiff::Timestamp> {
        match text.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(
                    path,
                    format!("found \"{text}\" ({e}); expected an RFC 3339 time such as \"2026-01-05T09:00:00Z\""),
                );
                None
            }
        }
    }

    /// Scheduled actions, with their firing times within `run` (start and end of the run).
    fn scheduled_actions(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        run: Option<(jiff::Timestamp, jiff::Timestamp)>,
    ) -> Vec<ScheduledAction> {
        let mut actions: Vec<ScheduledAction> = Vec::new();
        for (i, action) in file.scheduled_actions.iter().enumerate() {
            let path = path.key("scheduled_actions").index(i);
            let schedule = match Schedule::parse(&action.schedule) {
                Ok(schedule) => Some(schedule),
                Err(problem) => {
                    self.fail(&path.key("schedule"), problem);
                    None
                }
            };
            let zone_name = action.timezone.as_deref().unwrap_or("UTC");
            let zone = match jiff::tz::TimeZone::get(zone_name) {
                Ok(zone) => Some(zone),
                Err(_) => {
                    self.fail(&path.key("timezone"), format!("found \"{zone_name}\", which is not an IANA time zone; expected e.g. \"America/New_York\" or \"Etc/GMT+9\""));
                    None
                }
            };
            let start_time = action.start_time.as_deref().map(|t| self.timestamp(&path.key("start_time"), t));
            let end_time = action.end_time.as_deref().map(|t| self.timestamp(&path.key("end_time"), t));
            let min = action.min_capacity.map(|m| self.count(&path.key("min_capacity"), m));
            let max = action.max_capacity.map(|m| self.count(&path.key("max_capacity"), m));
            if min.is_none() && max.is_none() {
                self.fail(&path, "a scheduled action sets min_capacity, max_capacity or both");
            }
            if let (Some(Some(lo)), Some(Some(hi))) = (min, max)
                && lo > hi
            {
                self.fail(
                    &path.key("min_capacity"),
                    format!("found {lo}, greater than the action's max_capacity ({hi})"),
                );
            }
            let name = action.name.clone().unwrap_or_else(|| format!("scheduled-action-{i}"));
            if actions.iter().any(|a| a.name == name) {
                self.fail(
                    &path.key("name"),
                    format!("a second action named \"{name}\"; action names are unique per service"),
                );
            }
            let (Some(schedule), Some(zone), Some(run)) = (schedule, zone, run) else { continue };
            let (Some(start_time), Some(end_time)) = (settled(start_time), settled(end_time)) else { continue };
            let (Some(min_capacity), Some(max_capacity)) = (settled(min), settled(max)) else { continue };
            let fire_times_ms = fire_times(&schedule, &zone, run, start_time, end_time)
                .iter()
                .map(|t| (t.as_millisecond() - run.0.as_millisecond()) as u64)
                .collect();
            actions.push(ScheduledAction {
                name,
                schedule: action.schedule.clone(),
                timezone: zone_name.to_owned(),
                min_capacity,
                max_capacity,
                fire_times_ms,
            });
        }
        actions
    }

    /// The target group's timings, with the ELB defaults and ranges of reference §8.3.
    fn load_balancer(&mut self, path: &KeyPath, file: &LoadBalancerFile) -> Option<LoadBalancer> {
        let mut within = |key: &str, text: Option<&str>, default_s: u64, (lo, hi): (u64, u64)| {
            let ms = self.optional_duration(&path.key(key), text, default_s * MS_PER_SECOND)?;
            if (lo * MS_PER_SECOND..=hi * MS_PER_SECOND).contains(&ms) && ms % MS_PER_SECOND == 0 {
                Some(ms)
            } else {
                self.fail(
                    &path.key(key),
                    format!("found \"{}\"; expected whole seconds from {lo}s to {hi}s", text.unwrap_or("")),
                );
                None
            }
        };
        let interval = within("health_check_interval", file.health_check_interval.as_deref(), 30, (5, 300));
        let delay = within("deregistration_delay", file.deregistration_delay.as_deref(), 300, (0, 3600));
        let threshold = file.healthy_threshold_count.unwrap_or(5);
        if !(2..=10).contains(&threshold) {
            self.fail(&path.key("healthy_threshold_count"), format!("found {threshold}; expected 2 to 10"));
            return None;
        }
        Some(LoadBalancer {
            health_check_interval_ms: interval?,
            healthy_threshold_count: threshold as u32,
            deregistration_delay_ms: delay?,
        })
    }
}

/// EC2 `pending` → `running`. AWS documents no typical figure (reference §11.12): a modelling
/// choice; set `pending` to your own.
const DEFAULT_INSTANCE_PENDING_MS: u64 = 30 * MS_PER_SECOND;
/// `running` → the container agent has registered. AWS documents no typical figure
/// (§11.12): a modelling choice; set `boot` to your own.
const DEFAULT_INSTANCE_BOOT_MS: u64 = 60 * MS_PER_SECOND;
/// "Max EC2 instances registered per cluster: 5,000" (reference §4.3).
const MAX_INSTANCES_PER_CLUSTER: i64 = 5_000;
/// Host ports the container agent reserves (reference §6.3).
const AGENT_RESERVED_PORTS: [i64; 6] = [22, 2375, 2376, 51678, 51679, 51680];
/// Task-level CPU on EC2: 128 to 196,608 units (RegisterTaskDefinition `cpu`).
const EC2_TASK_CPU_RANGE: (i64, i64) = (128, 196_608);
/// `runtimePlatform.operatingSystemFamily` values for Windows on Fargate.
const WINDOWS_FAMILIES: [&str; 4] =
    ["WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2022_FULL", "WINDOWS_SERVER_2022_CORE"];
/// "Max providers per strategy: 20 (2026 API model)" (reference §4.5).
const MAX_STRATEGY_PROVIDERS: usize = 20;
/// "Max 5 strategy rules per service; max 10 constraints per task" (reference §7).
const MAX_STRATEGY_RULES: usize = 5;
const MAX_CONSTRAINTS: usize = 10;

impl Translator<'_, '_> {
    /// The catalog providers draw their instance types from: the built-in us-east-1 types, with
    /// a catalog file's types for the region added.
    fn catalog(&mut self, region: &str, file: Option<&Path>, needed: bool) -> Catalog {
        match file {
            Some(file) => match self
                .data
                .read(file, format!("catalog {} {region}", file.display()), || read_catalog(file, "catalog", region))
            {
                Ok(types) if types.is_empty() => {
                    self.problems.push(Problem {
                        file: file.to_owned(),
                        line: 0,
                        column: 0,
                        key: "catalog".into(),
                        message: format!("no instance type with region {region} and complete figures"),
                        source_line: String::new(),
                    });
                    Catalog::builtin()
                }
                Ok(types) => Catalog::builtin().with(types),
                Err(problem) => {
                    self.problems.push(problem);
                    Catalog::builtin()
                }
            },
            None => {
                if needed && region != "us-east-1" {
                    self.fail(&KeyPath::root().key("region"), format!(
                        "found \"{region}\"; ecsim's built-in instance prices are for us-east-1: give `catalog = \"FILE\"` (or --catalog FILE) with the columns of shared/data/pricing/ec2_us_east_1.csv"
                    ));
                }
                Catalog::builtin()
            }
        }
    }

    pub(super) fn provider(
        &mut self,
        path: &KeyPath,
        name: &str,
        file: &CapacityProviderFile,
        catalog: &Catalog,
    ) -> Option<AsgProvider> {
        if matches!(name, "FARGATE" | "FARGATE_SPOT") {
            self.fail(path, format!("\"{name}\" is a reserved Fargate capacity provider name; name your Auto Scaling group provider otherwise"));
            return None;
        }
        let share = match file.registered_memory_share {
            None => Some(None),
            Some(share) => self
                .in_range(
                    &path.key("registered_memory_share"),
                    share,
                    0.5,
                    1.0,
                    "a share of nominal memory from 0.5 to 1",
                )
                .map(Some),
        };
        let reserved_memory = self.count(&path.key("ecs_reserved_memory"), file.ecs_reserved_memory.unwrap_or(0));
        let mut types = Vec::new();
        if file.instance_types.is_empty() {
            self.fail(
                &path.key("instance_types"),
                "found no instance type; expected e.g. [\"m6i.xlarge\", \"m6i.large\"] (larger first)",
            );
        }
        for (i, type_name) in file.instance_types.iter().enumerate() {
            let key = path.key("instance_types").index(i);
            match catalog.get(type_name) {
                Some(kind) => {
                    if types.iter().any(|t: &InstanceType| t.name == kind.name) {
                        self.fail(&key, format!("\"{type_name}\" is listed twice"));
                    }
                    types.push(kind.clone());
                }
                None => self.fail(&key, format!(
                    "found \"{type_name}\", which is not in the instance catalog (built in: the m5, m6i, m7i, m6g, m7g, c5, c6i, c6g, c7g, r5, r6i, r6g, t3, t3a and t4g families in us-east-1); give `catalog = \"FILE\"` for other types"
                )),
            }
        }
        let mut trunked: Vec<(String, u32)> = Vec::new();
        for (type_name, &limit) in file.awsvpc_trunking.iter().flatten() {
            let key = path.key("awsvpc_trunking").key(type_name);
            match types.iter().find(|t| t.name == type_name.as_str()) {
                None => self.fail(&key, format!("\"{type_name}\" is not one of this provider's instance_types")),
                Some(t) if !t.eni_trunking => {
                    self.fail(&key, format!("{type_name} does not support ENI trunking (reference §6.2)"))
                }
                Some(_) if !(1..=120).contains(&limit) => self.fail(
                    &key,
                    format!(
                        "found {limit}; expected the type's awsvpc task limit with trunking from AWS's table, 1 to 120"
                    ),
                ),
                Some(_) => trunked.push((type_name.clone(), limit as u32)),
            }
        }
        let min = self.count(&path.key("min_size"), file.min_size);
        let max = self.count(&path.key("max_size"), file.max_size);
        let desired = self.count(&path.key("desired_capacity"), file.desired_capacity.unwrap_or(file.min_size));
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                self.fail(
                    &path.key("min_size"),
                    format!("found {min}, greater than max_size ({max}); expected min_size ≤ max_size"),
                );
            } else if i64::from(max) > MAX_INSTANCES_PER_CLUSTER {
                self.fail(
                    &path.key("max_size"),
                    format!("found {max}; a cluster registers at most {MAX_INSTANCES_PER_CLUSTER} instances"),
                );
            } else if let Some(d) = desired.filter(|d| !(min..=max).contains(d)) {
                self.fail(
                    &path.key("desired_capacity"),
                    format!("found {d}; expected a count within [min_size, max_size] = [{min}, {max}]"),
                );
            }
        }
        let zones = file.availability_zones.unwrap_or(3);
        if !(1..=6).contains(&zones) {
            self.fail(&path.key("availability_zones"), format!("found {zones}; expected 1 to 6 zones"));
        }
        let pending = self.delay(&path.key("pending"), file.pending.as_ref(), DEFAULT_INSTANCE_PENDING_MS);
        let boot = self.delay(&path.key("boot"), file.boot.as_ref(), DEFAULT_INSTANCE_BOOT_MS);
        let managed_scaling =
            file.managed_scaling.as_ref().map(|m| self.managed_scaling(&path.key("managed_scaling"), m));
        let protection = file.managed_termination_protection.unwrap_or(false);
        if protection && file.managed_scaling.is_none() {
            self.fail(
                &path.key("managed_termination_protection"),
                "managed termination protection requires managed scaling (reference §4.1)",
            );
        }
        let spot = match (&file.spot, types.first()) {
            (Some(spot), Some(first)) => {
                self.spot(&path.key("spot"), spot, &first.name, u32::try_from(zones).unwrap_or(0)).map(Some)
            }
            _ => Some(None),
        };
        let (share, reserved_memory) = (share?, reserved_memory?);
        let instance_types = types
            .into_iter()
            .map(|instance| {
                let registered = instance.registered(share, reserved_memory);
                let awsvpc_tasks = trunked
                    .iter()
                    .find(|(n, _)| *n == instance.name)
                    .map_or(instance.awsvpc_tasks_without_trunking(), |&(_, limit)| limit);
                ProviderType { instance, registered, awsvpc_tasks }
            })
            .collect();
        Some(AsgProvider {
            name: name.to_owned(),
            instance_types,
            min_size: min?,
            max_size: max?,
            desired_capacity: desired?,
            availability_zones: zones as u32,
            pending: pending?,
            boot: boot?,
            managed_scaling: settled(managed_scaling)?,
            managed_termination_protection: protection,
            managed_draining: file.managed_draining.unwrap_or(true),
            attributes: file.attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            spot: spot?,
        })
    }

    /// Spot settings: a price (a share of On-Demand, or a price history replayed from the run's
    /// start, zone i taking the history's i-th zone by name) and an interruption rate.
    fn spot(&mut self, path: &KeyPath, file: &SpotFile, instance_type: &str, zones: u32) -> Option<Spot> {
        let rate = self.in_range(
            &path.key("interruptions_per_hour"),
            file.interruptions_per_hour,
            0.0,
            10.0,
            "interruptions per instance-hour from 0 to 10 (a 5 % monthly interruption frequency is about 0.00007)",
        );
        let price = match (file.price, &file.price_history) {
            (Some(fraction), None) => self
                .in_range(&path.key("price"), fraction, 0.0, 1.0, "a share of the On-Demand price from 0 to 1")
                .map(SpotPrice::Fraction),
            (None, Some(history)) => self.spot_history(&path.key("price_history"), history, instance_type, zones),
            _ => {
                self.fail(path, "give the Spot price as `price` (a share of On-Demand, e.g. 0.4) or `price_history = \"FILE\"`, one of the two");
                None
            }
        };
        Some(Spot {
            price: price?,
            interruptions_per_hour: rate?,
            instance_draining: file.instance_draining.unwrap_or(false),
        })
    }

    fn spot_history(&mut self, path: &KeyPath, history: &str, instance_type: &str, zones: u32) -> Option<SpotPrice> {
        let file = self.base_dir.join(history);
        let key = path.to_string();
        let cached = format!("spot {} {key} {instance_type}", file.display());
        let found = match self.data.read(&file, cached, || read_spot_history(&file, &key, instance_type)) {
            Ok(found) => found,
            Err(problem) => {
                self.problems.push(problem);
                return None;
            }
        };
        if found.len() < zones as usize {
            self.fail(
                path,
                format!(
                    "{} has prices for {} zone(s) of {instance_type}; the group spans {zones}",
                    file.display(),
                    found.len()
                ),
            );
            return None;
        }
        let first = found.iter().filter_map(|(_, changes)| changes.first()).map(|c| c.0).min()?;
        Some(SpotPrice::History(
            found
                .into_iter()
                .take(zones as usize)
                .map(|(_, changes)| {
                    let mut series: Vec<(u64, f64)> = vec![(0, changes[0].1)];
                    series.extend(
                        changes
                            .iter()
                            .map(|&(t, price)| ((t - first) as u64 * MS_PER_SECOND, price))
                            .filter(|c| c.0 > 0),
                    );
                    series
                })
                .collect(),
        ))
    }

    /// `ManagedScaling` with the API's defaults and ranges (reference §4.1), and ecsim's
    /// settings for what AWS leaves open (§4.2, §4.3, §11.6).
    fn managed_scaling(&mut self, path: &KeyPath, file: &ManagedScalingFile) -> Option<ManagedScaling> {
        let defaults = ManagedScaling::default();
        let mut within = |key: &str, value: Option<i64>, default: u32, (lo, hi): (i64, i64), what: &str| {
            let value = value.unwrap_or(i64::from(default));
            if (lo..=hi).contains(&value) {
                Some(value as u32)
            } else {
                self.fail(&path.key(key), format!("found {value}; expected {what} from {lo} to {hi}"));
                None
            }
        };
        let target =
            within("target_capacity", file.target_capacity, defaults.target_capacity, (1, 100), "a percentage");
        let min_step = within(
            "minimum_scaling_step_size",
            file.minimum_scaling_step_size,
            defaults.minimum_scaling_step_size,
            (1, 10_000),
            "instances",
        );
        let max_step = within(
            "maximum_scaling_step_size",
            file.maximum_scaling_step_size,
            defaults.maximum_scaling_step_size,
            (1, 10_000),
            "instances",
        );
        let pace = within(
            "scale_in_pace",
            file.scale_in_pace,
            defaults.scale_in_pace_percent,
            (1, 100),
            "a percentage of the group per minute",
        );
        if let (Some(lo), Some(hi)) = (min_step, max_step)
            && lo > hi
        {
            self.fail(
                &path.key("minimum_scaling_step_size"),
                format!("found {lo}, greater than maximum_scaling_step_size ({hi})"),
            );
        }
        let warmup_key = path.key("instance_warmup_period");
        let warmup = self.optional_duration(
            &warmup_key,
            file.instance_warmup_period.as_deref(),
            defaults.instance_warmup_period_ms,
        );
        if warmup.is_some_and(|w| w > 10_000 * MS_PER_SECOND || w % MS_PER_SECOND != 0) {
            self.fail(&warmup_key, "expected whole seconds from 0s to 10000s");
        }
        let groups = self.choice(
            &path.key("group_estimate"),
            file.group_estimate.as_deref().unwrap_or("sum"),
            &[("sum", GroupCombination::Sum), ("largest", GroupCombination::Largest)],
        );
        let scale_in = self.choice(
            &path.key("scale_in_reading"),
            file.scale_in_reading.as_deref().unwrap_or("empty_instances"),
            &[("empty_instances", ScaleInReading::EmptyInstances), ("ratio", ScaleInReading::Ratio)],
        );
        Some(ManagedScaling {
            target_capacity: target?,
            minimum_scaling_step_size: min_step?,
            maximum_scaling_step_size: max_step?,
            instance_warmup_period_ms: warmup?,
            groups: groups?,
            scale_in: scale_in?,
            scale_in_pace_percent: pace?,
        })
    }

    /// Where the service runs: `Some(None)` on Fargate, `Some(Some(_))` on EC2, `None` if the
    /// settings are wrong (reported).
    fn placement(
        &mut self,
        path: &KeyPath,
        file: &ServiceFile,
        scenario: &ScenarioFile,
        daemon: bool,
        strategy: Option<&(&[StrategyItemFile], KeyPath)>,
    ) -> Option<Option<Ec2Placement>> {
        let provider = match (file.launch_type.as_deref(), strategy) {
            (Some(_), Some(_)) => {
                self.fail(&path.key("launch_type"), "give either launch_type or capacity_provider_strategy: a launch type overrides the strategy (reference §4.5)");
                return None;
            }
            (None, Some((items, _))) if items.iter().all(|item| is_fargate(&item.capacity_provider)) => {
                self.fargate_keys(path, file, daemon);
                return Some(None);
            }
            (None | Some("FARGATE"), None) => {
                self.fargate_keys(path, file, daemon);
                return Some(None);
            }
            (Some("EC2"), None) => {
                if scenario.capacity_providers.is_empty() {
                    self.fail(&path.key("launch_type"), "launch_type \"EC2\" places tasks on the cluster's instances, and the scenario has no [capacity_providers.NAME]");
                    return None;
                }
                Vec::new()
            }
            (Some(other), None) => {
                self.fail(&path.key("launch_type"), format!("found \"{other}\"; expected \"FARGATE\" or \"EC2\""));
                return None;
            }
            (None, Some((items, key))) => {
                if items.iter().any(|item| is_fargate(&item.capacity_provider)) {
                    self.fail(key, "a strategy holds only Auto Scaling group providers or only FARGATE and FARGATE_SPOT, never both (reference §4.5)");
                    return None;
                }
                let mut indices = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match scenario.capacity_providers.get_index_of(&item.capacity_provider) {
                        Some(index) => indices.push(index),
                        None => {
                            let known: Vec<&str> = scenario.capacity_providers.keys().map(String::as_str).collect();
                            self.fail(&key.index(i).key("capacity_provider"), format!(
                                "found \"{}\", which is not a capacity provider in this file (defined: FARGATE, FARGATE_SPOT{}{})",
                                item.capacity_provider,
                                if known.is_empty() { "" } else { ", " },
                                known.join(", ")
                            ));
                        }
                    }
                }
                if indices.len() < items.len() {
                    return None;
                }
                // The shares are checked with the rest of the strategy (`strategy_shares`).
                let shares = items.iter().map(|item| Share {
                    base: item.base.unwrap_or(0).clamp(0, 100_000) as u32,
                    weight: item.weight.unwrap_or(1).clamp(0, 1_000) as u32,
                });
                indices.into_iter().zip(shares).collect::<Vec<_>>()
            }
        };
        let network_mode = self.choice(
            &path.key("network_mode"),
            file.network_mode.as_deref().unwrap_or("bridge"),
            &[("awsvpc", NetworkMode::Awsvpc), ("bridge", NetworkMode::Bridge), ("host", NetworkMode::Host)],
        );
        let host_port = match (network_mode, file.host_port) {
            (_, Some(port)) if AGENT_RESERVED_PORTS.contains(&port) => {
                self.fail(
                    &path.key("host_port"),
                    format!("found {port}, a port the container agent reserves ({AGENT_RESERVED_PORTS:?})"),
                );
                None
            }
            (_, Some(port)) if !(0..=65_535).contains(&port) => {
                self.fail(
                    &path.key("host_port"),
                    format!("found {port}; expected a port from 1 to 65535, or 0 for a dynamic port"),
                );
                None
            }
            (Some(NetworkMode::Awsvpc), Some(_)) => {
                self.fail(
                    &path.key("host_port"),
                    "awsvpc tasks have their own ENI and no host port mapping; remove host_port",
                );
                None
            }
            (Some(NetworkMode::Host), None | Some(0)) => {
                self.fail(
                    &path.key("host_port"),
                    "in host mode the container port is the host port: give host_port, 1 to 65535",
                );
                None
            }
            (_, Some(port)) => Some((port > 0).then_some(port as u16)),
            (_, None) => Some(None),
        };
        if daemon && !file.placement_strategy.is_empty() {
            self.fail(&path.key("placement_strategy"), "DAEMON services take no placement strategy (reference §7)");
        }
        if file.placement_strategy.len() > MAX_STRATEGY_RULES {
            self.fail(
                &path.key("placement_strategy"),
                format!("found {} rules; a service has at most {MAX_STRATEGY_RULES}", file.placement_strategy.len()),
            );
        }
        let strategies: Vec<Option<Strategy>> = file
            .placement_strategy
            .iter()
            .enumerate()
            .map(|(i, rule)| self.strategy(&path.key("placement_strategy").index(i), rule))
            .collect();
        if file.placement_constraints.len() > MAX_CONSTRAINTS {
            self.fail(
                &path.key("placement_constraints"),
                format!("found {} constraints; a task has at most {MAX_CONSTRAINTS}", file.placement_constraints.len()),
            );
        }
        let constraints: Vec<Option<Constraint>> = file
            .placement_constraints
            .iter()
            .enumerate()
            .map(|(i, rule)| self.constraint(&path.key("placement_constraints").index(i), rule))
            .collect();
        Some(Some(Ec2Placement {
            providers: provider,
            network_mode: network_mode?,
            host_port: host_port?,
            strategies: strategies.into_iter().collect::<Option<_>>()?,
            constraints: constraints.into_iter().collect::<Option<_>>()?,
            daemon,
        }))
    }

    /// `[fargate_spot]`: its price share (if given) and its interruptions and unavailable periods.
    fn fargate_spot(&mut self, path: &KeyPath, file: Option<&FargateSpotFile>) -> Option<(Option<f64>, FargateSpot)> {
        let file = file?;
        let share = file
            .price
            .map(|p| self.in_range(&path.key("price"), p, 0.0, 1.0, "a share of the On-Demand price from 0 to 1"));
        let rate = |t: &mut Self, key: &KeyPath, value: f64| {
            t.in_range(key, value, 0.0, 100.0, "interruptions per task-hour from 0 to 100")
        };
        let per_hour = rate(self, &path.key("interruptions_per_task_hour"), file.interruptions_per_task_hour);
        let mut periods = Vec::new();
        for (i, storm) in file.storms.iter().enumerate() {
            let key = path.key("storms").index(i);
            let start = self.duration(&key.key("start"), &storm.start);
            let length = self.positive_duration(&key.key("length"), &storm.length);
            let storm_rate = rate(self, &key.key("interruptions_per_task_hour"), storm.interruptions_per_task_hour);
            if let (Some(start), Some(length), Some(r)) = (start, length, storm_rate) {
                periods.push((start, start + length, r, key));
            }
        }
        periods.sort_by_key(|p| p.0);
        for pair in periods.windows(2) {
            if pair[1].0 < pair[0].1 {
                self.fail(&pair[1].3, "storms overlap; give each period once");
            }
        }
        let mut unavailable = Vec::new();
        for (i, period) in file.unavailable.iter().enumerate() {
            let key = path.key("unavailable").index(i);
            let start = self.duration(&key.key("start"), &period.start);
            let length = self.positive_duration(&key.key("length"), &period.length);
            if let (Some(start), Some(length)) = (start, length) {
                unavailable.push((start, start + length));
            }
        }
        unavailable.sort_unstable();
        let spot = FargateSpot {
            interruptions: Some(Hazard {
                per_hour: per_hour?,
                periods: periods.into_iter().map(|(s, e, r, _)| (s, e, r)).collect(),
            }),
            unavailable,
            fallback: file.fallback_to_on_demand.unwrap_or(false),
        };
        Some((settled(share)?, spot))
    }

    /// A strategy's items checked by AWS's rules (reference §4.5): 1–20 providers, each once,
    /// base 0–100000 on one of them at most, weights 0–1000 with at least one above 0. An
    /// omitted weight is the console's 1 (the API's 0 would leave a lone provider unable to
    /// place). For a Fargate strategy: `(FARGATE_SPOT?, share)` per item.
    fn strategy_shares(&mut self, path: &KeyPath, items: &[StrategyItemFile]) -> Option<Vec<(bool, Share)>> {
        if !(1..=MAX_STRATEGY_PROVIDERS).contains(&items.len()) {
            self.fail(path, format!("found {} providers; a strategy has 1 to {MAX_STRATEGY_PROVIDERS}", items.len()));
            return None;
        }
        let mut shares = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let key = path.index(i);
            if items[..i].iter().any(|other| other.capacity_provider == item.capacity_provider) {
                self.fail(
                    &key.key("capacity_provider"),
                    format!("\"{}\" is in the strategy twice", item.capacity_provider),
                );
                ok = false;
            }
            let base = item.base.unwrap_or(0);
            if !(0..=100_000).contains(&base) {
                self.fail(&key.key("base"), format!("found {base}; expected 0 to 100000"));
                ok = false;
            }
            if base > 0 && items[..i].iter().any(|other| other.base.unwrap_or(0) > 0) {
                self.fail(&key.key("base"), "only one provider of a strategy may have a base (reference §4.5)");
                ok = false;
            }
            let weight = item.weight.unwrap_or(1);
            if !(0..=1_000).contains(&weight) {
                self.fail(&key.key("weight"), format!("found {weight}; expected 0 to 1000"));
                ok = false;
            }
            shares.push((item.capacity_provider == "FARGATE_SPOT", Share { base: base as u32, weight: weight as u32 }));
        }
        if ok && shares.iter().all(|(_, share)| share.weight == 0) {
            self.fail(
                path,
                "every weight is 0; at least one provider needs a weight above 0 to place tasks (reference §4.5)",
            );
            ok = false;
        }
        ok.then_some(shares)
    }

    /// FARGATE_SPOT rates: `[fargate_spot] price` as a share of On-Demand, else the price table's
    /// `fargate_spot` row, else the default share of On-Demand.
    fn spot_rates(
        &mut self,
        region: &str,
        arch: CpuArchitecture,
        prices: Option<&Path>,
        on_demand: FargateRates,
        share: Option<f64>,
    ) -> Option<FargateRates> {
        if share.is_none() && prices.is_some() {
            return self.rates(region, arch, prices, ("linux", "fargate_spot"));
        }
        let share = share.unwrap_or(DEFAULT_FARGATE_SPOT_SHARE);
        Some(FargateRates { vcpu_hour: on_demand.vcpu_hour * share, gb_hour: on_demand.gb_hour * share })
    }

    /// Windows on Fargate (reference §5.1, §5.4): at least 1 vCPU (1, 2 or 4 vCPU), x86 only,
    /// and not on Fargate Spot.
    fn windows_task(&mut self, path: &KeyPath, cpu: u32, arch: CpuArchitecture, spot: bool) -> Option<()> {
        let mut ok = true;
        if ![1024, 2048, 4096].contains(&cpu) {
            self.fail(&path.key("cpu"), format!("found {cpu}; Windows on Fargate takes 1024, 2048 or 4096 CPU units (\"cannot be less than 1 vCPU\")"));
            ok = false;
        }
        if arch != CpuArchitecture::X86_64 {
            self.fail(&path.key("cpu_architecture"), "Windows on Fargate runs on X86_64 only");
            ok = false;
        }
        if spot {
            self.fail(
                &path.key("capacity_provider_strategy"),
                "Windows tasks cannot run on FARGATE_SPOT (reference §5.4)",
            );
            ok = false;
        }
        ok.then_some(())
    }

    /// Settings that do not apply on Fargate are refused there.
    fn fargate_keys(&mut self, path: &KeyPath, file: &ServiceFile, daemon: bool) {
        if daemon {
            self.fail(
                &path.key("scheduling_strategy"),
                "DAEMON services are not supported on Fargate (reference §7); give them a capacity provider",
            );
        }
        for (key, given) in [
            ("network_mode", file.network_mode.as_deref().is_some_and(|m| m != "awsvpc")),
            ("host_port", file.host_port.is_some()),
            ("placement_strategy", !file.placement_strategy.is_empty()),
            ("placement_constraints", !file.placement_constraints.is_empty()),
        ] {
            if given {
                self.fail(
                    &path.key(key),
                    "applies to tasks on EC2 instances; this service runs on Fargate (awsvpc, placed by AWS)",
                );
            }
        }
    }

    fn strategy(&mut self, path: &KeyPath, rule: &PlacementStrategyFile) -> Option<Strategy> {
        let field = rule.field.as_deref();
        match (rule.kind.as_str(), field) {
            ("binpack", Some(f)) => Some(Strategy::Binpack(self.choice(
                &path.key("field"),
                f,
                &[("cpu", Resource::Cpu), ("memory", Resource::Memory)],
            )?)),
            ("spread", Some("instanceId" | "host")) => Some(Strategy::Spread(SpreadField::InstanceId)),
            ("spread", Some(f)) => match f.strip_prefix("attribute:").filter(|a| !a.is_empty()) {
                Some(attribute) => Some(Strategy::Spread(SpreadField::Attribute(attribute.to_owned()))),
                None => {
                    self.fail(&path.key("field"), format!("found \"{f}\"; spread takes \"instanceId\", \"host\" or \"attribute:NAME\" such as \"attribute:ecs.availability-zone\""));
                    None
                }
            },
            ("random", None) => Some(Strategy::Random),
            ("random", Some(_)) => {
                self.fail(&path.key("field"), "random takes no field");
                None
            }
            ("binpack" | "spread", None) => {
                self.fail(
                    path,
                    format!(
                        "{} needs a field: binpack \"cpu\" or \"memory\"; spread \"instanceId\" or \"attribute:NAME\"",
                        rule.kind
                    ),
                );
                None
            }
            (other, _) => {
                self.fail(
                    &path.key("type"),
                    format!("found \"{other}\"; expected \"binpack\", \"spread\" or \"random\""),
                );
                None
            }
        }
    }

    fn constraint(&mut self, path: &KeyPath, rule: &PlacementConstraintFile) -> Option<Constraint> {
        match (rule.kind.as_str(), rule.expression.as_deref()) {
            ("distinctInstance", None) => Some(Constraint::DistinctInstance),
            ("distinctInstance", Some(_)) => {
                self.fail(&path.key("expression"), "distinctInstance takes no expression");
                None
            }
            ("memberOf", Some(text)) => match Expression::parse(text) {
                Ok(expression) => Some(Constraint::MemberOf { expression }),
                Err(problem) => {
                    self.fail(&path.key("expression"), format!("\"{text}\": {problem}"));
                    None
                }
            },
            ("memberOf", None) => {
                self.fail(path, "memberOf needs an expression, e.g. \"attribute:ecs.instance-type =~ m6i.*\"");
                None
            }
            (other, _) => {
                self.fail(
                    &path.key("type"),
                    format!("found \"{other}\"; expected \"distinctInstance\" or \"memberOf\""),
                );
                None
            }
        }
    }

    fn ec2_cpu(&mut self, path: &KeyPath, cpu: i64) -> Option<u32> {
        let (lo, hi) = EC2_TASK_CPU_RANGE;
        if (lo..=hi).contains(&cpu) {
            Some(cpu as u32)
        } else {
            self.fail(path, format!("found {cpu}; a task on EC2 has {lo} to {hi} CPU units (1024 = 1 vCPU)"));
            None
        }
    }

    fn ec2_memory(&mut self, path: &KeyPath, memory: i64) -> Option<u32> {
        match u32::try_from(memory) {
            Ok(m) if m >= 6 => Some(m),
            _ => {
                self.fail(path, format!("found {memory}; expected MiB, at least 6"));
                None
            }
        }
    }

    /// A task must fit some instance type it may run on, in CPU architecture and registered
    /// resources; else no scale-out could ever place it.
    fn check_fits(
        &mut self,
        path: &KeyPath,
        placement: &Ec2Placement,
        providers: &[Option<AsgProvider>],
        cpu: u32,
        memory: u32,
        arch: CpuArchitecture,
    ) -> Option<()> {
        let candidates: Vec<&AsgProvider> = if placement.providers.is_empty() {
            providers.iter().flatten().collect()
        } else {
            placement.providers.iter().flat_map(|&(p, _)| providers[p].iter()).collect()
        };
        if candidates.is_empty() {
            return None; // the provider itself is wrong, and reported
        }
        let types: Vec<&ProviderType> =
            candidates.iter().flat_map(|p| &p.instance_types).filter(|t| t.instance.arch == arch).collect();
        let names = || candidates.iter().map(|p| format!("\"{}\"", p.name)).collect::<Vec<_>>().join(", ");
        if types.is_empty() {
            self.fail(
                &path.key("cpu_architecture"),
                format!("found {arch:?}; capacity provider {} launches no instance type of that architecture", names()),
            );
            return None;
        }
        if !types.iter().any(|t| t.registered.cpu_units >= cpu && t.registered.memory_mib >= memory) {
            let largest =
                types.iter().max_by_key(|t| (t.registered.cpu_units, t.registered.memory_mib)).expect("one type");
            self.fail(&path.key("cpu"), format!(
                "the task needs {cpu} CPU units and {memory} MiB, larger than every instance type of capacity provider {}: the largest, {}, registers {} units and {} MiB",
                names(), largest.instance.name, largest.registered.cpu_units, largest.registered.memory_mib
            ));
            return None;
        }
        Some(())
    }
}
/// A month as AWS's pricing pages count it, 730 hours, in place of humantime's 30.44 days
/// (which is no whole number of minutes): "1 month", "2months", "3mo" → "730h", "1460h", "2190h".
/// Other units are left to humantime.
fn months_as_hours(text: &str) -> std::borrow::Cow<'_, str> {
    const UNITS: [&str; 4] = ["months", "month", "mo", "M"];
    if !UNITS.iter().any(|u| text.contains(u)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            let mut chars = rest.chars();
            out.extend(chars.next());
            rest = chars.as_str();
            continue;
        }
        let (number, after) = rest.split_at(digits);
        let spaced = after.trim_start();
        let unit = UNITS
            .iter()
            .find(|u| spaced.starts_with(**u) && !spaced[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic()));
        match (unit, number.parse::<u64>()) {
            (Some(unit), Ok(n)) if n.checked_mul(730).is_some() => {
                out.push_str(&format!("{}h", n * 730));
                rest = &spaced[unit.len()..];
            }
            _ => {
                out.push_str(number);
                rest = after;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::months_as_hours;

    #[test]
    fn a_month_is_730_hours_as_aws_bills_it() {
        for (text, expected) in [
            ("1 month", "730h"),
            ("2months", "1460h"),
            ("1 month 2d", "730h 2d"),
            ("3mo", "2190h"),
            ("1M", "730h"),
            ("45m", "45m"),
            ("2w", "2w"),
            ("10min", "10min"),
        ] {
            assert_eq!(months_as_hours(text), expected, "{text}");
        }
        // humantime then reads them: a month of 730 h, a week of 7 days.
        assert_eq!(humantime::parse_duration(&months_as_hours("1 month")).unwrap().as_secs(), 730 * 3600);
        assert_eq!(humantime::parse_duration("2w").unwrap().as_secs(), 14 * 86_400);
    }
}
