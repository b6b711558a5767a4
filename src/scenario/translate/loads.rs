//! Loads: the synthetic shapes and their noise, and request traces read once however many
//! variants and points use them.

use super::*;

impl Translator<'_, '_> {
    /// A diurnal curve as `(mean, amplitude, power)` from the one form given: `mean` and
    /// `amplitude` (0–1); `mean` and `peak_value`, the busiest moment's rate (above twice the
    /// mean, a sharper peak of the same mean, see `Shape::Diurnal`); or `min` and `max`.
    pub(super) fn diurnal_curve(
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

    pub(super) fn noise(&mut self, path: &KeyPath, noise: Option<&NoiseFile>) -> Option<Noise> {
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

    pub(super) fn parts(
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

    pub(super) fn shape(
        &mut self,
        path: &KeyPath,
        file: &ShapeFile,
        start_unix_ms: i64,
        duration_ms: u64,
    ) -> Option<Shape> {
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
            ShapeFile::Trace { file, bucket, scale, offset, looped, gaps, unit, .. } => self.trace(
                path,
                file,
                bucket,
                *scale,
                offset.as_deref(),
                looped.unwrap_or(false),
                (gaps.as_deref(), unit.as_deref()),
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
    pub(super) fn time_of_day(&mut self, path: &KeyPath, text: &str) -> Option<u64> {
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
    pub(super) fn trace(
        &mut self,
        path: &KeyPath,
        file: &str,
        bucket: &str,
        scale: Option<f64>,
        offset: Option<&str>,
        looped: bool,
        (gaps, unit): (Option<&str>, Option<&str>),
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
        let unit = self.choice(
            &path.key("unit"),
            unit.unwrap_or("per_bucket"),
            &[("per_bucket", TraceUnit::PerBucket), ("per_second", TraceUnit::PerSecond)],
        );
        let (bucket_ms, scale, offset_ms, gaps, unit) = (bucket_ms?, scale?, offset_ms?, gaps?, unit?);
        let file_path: PathBuf = self.base_dir.join(file);
        let key = path.key("file").to_string();
        let cached = format!("trace {} {key} {bucket_ms} {gaps:?} {unit:?}", file_path.display());
        let values = match self
            .data
            .read(&file_path, cached, || read_trace(&file_path, &key, bucket_ms / MS_PER_SECOND, gaps, unit))
        {
            Ok(values) => values,
            Err(problem) => {
                self.data_problem(&path.key("file"), problem);
                return None;
            }
        };
        self.trace_buckets += values.len();
        if self.trace_buckets > MAX_TRACE_BUCKETS_IN_SCENARIO {
            self.fail(
                &path.key("file"),
                format!(
                    "the scenario's traces hold more than {MAX_TRACE_BUCKETS_IN_SCENARIO} buckets together (each load keeps its own), ecsim's limit; give a longer `bucket` or fewer trace loads"
                ),
            );
            return None;
        }
        // A bucket's requests over its length, or a rate already.
        let per_second = match unit {
            TraceUnit::PerBucket => scale * MS_PER_SECOND as f64 / bucket_ms as f64,
            TraceUnit::PerSecond => scale,
        };
        let trace = Trace {
            file: file.to_owned(),
            bucket_ms,
            offset_ms,
            looped,
            rates: values.into_iter().map(|v| v * per_second).collect(),
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
}
