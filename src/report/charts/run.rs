//! A run's charts: per service, offered load against capacity (unserved shaded), tasks by
//! capacity, the tracked metric against its target with every scaling decision; per Auto
//! Scaling group, its instances and its reserved against idle capacity; and the run's cost,
//! cumulative and per hour, by capacity.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use rayon::prelude::*;

use super::data::{Decision, ProviderData, ProviderPoint, RunData, ServiceData, ServicePoint};
use super::decimate::decimate;
use super::style::{self, GREY, GRID, INK, Swatch, Ticks, TimeAxis, VERMILLION, capacity_colour, lighter};
use super::{Chart, ChartError, Drawing, file_name, render};

/// Per-service charts are drawn for at most this many services, the costliest first: a run
/// of a thousand services would otherwise draw for longer than it simulates.
pub const CHARTED_SERVICES: usize = 6;

/// Columns a line is decimated to: about the plot's width in pixels.
const COLUMNS: usize = 900;

/// Draws the run read from `dir` into `dir/charts`; returns the charts written, in the
/// report's order.
pub fn draw_run(dir: &Path, data: &RunData) -> Result<Vec<Chart>, ChartError> {
    let out = super::folder(dir);
    std::fs::create_dir_all(&out).map_err(|source| ChartError::Write { path: out.display().to_string(), source })?;
    let axis = TimeAxis { start_unix_ms: data.start_unix_ms, span_s: data.duration_s };
    let groups = data.groups();
    let mut names: Vec<String> = Vec::new();
    for service in &data.services {
        let mut name = file_name(&service.name);
        while names.contains(&name) {
            name.push('_');
        }
        names.push(name);
    }
    // Each service's charts on a thread of their own (the files do not depend on the order).
    let per_service: Vec<Result<[Chart; 3], ChartError>> = data
        .services
        .par_iter()
        .zip(&names)
        .map(|(service, name)| {
            let load = LoadChart { service, axis: &axis };
            let tasks = TasksChart { service, axis: &axis, groups: &groups };
            let metric = MetricChart { service, axis: &axis };
            Ok([
                render(&out, &format!("load-{name}"), &load.title(), &load)?,
                render(&out, &format!("tasks-{name}"), &tasks.title(), &tasks)?,
                render(&out, &format!("metric-{name}"), &metric.title(), &metric)?,
            ])
        })
        .collect();
    let mut charts = Vec::new();
    for service in per_service {
        charts.extend(service?);
    }
    for (i, provider) in data.providers.iter().enumerate().filter(|(_, p)| p.used) {
        let name = format!("{}-{i}", file_name(&provider.name));
        let instances = InstancesChart { provider, axis: &axis, groups: &groups };
        charts.push(render(&out, &format!("instances-{name}"), &instances.title(), &instances)?);
        let capacity = ReservedChart { provider, axis: &axis, groups: &groups };
        charts.push(render(&out, &format!("reserved-{name}"), &capacity.title(), &capacity)?);
    }
    let parts = cost_parts(data);
    let cumulative = CostChart { parts: &parts, axis: &axis, groups: &groups, per_hour: false };
    charts.push(render(&out, "cost", &cumulative.title(), &cumulative)?);
    let per_hour = CostChart { parts: &parts, axis: &axis, groups: &groups, per_hour: true };
    charts.push(render(&out, "cost-per-hour", &per_hour.title(), &per_hour)?);
    super::keep_only(&out, charts)
}

pub(super) type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticks, RangedCoordf64>>;

/// The plot above the legend strip, with a time axis and `y_desc` on a 0 to `y_max` scale.
pub(super) fn time_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    axis: &TimeAxis,
    y_max: f64,
) -> Result<TimeChart<'a, DB>, ChartError> {
    let y_max = if y_max.is_finite() && y_max > 0.0 { y_max * 1.08 } else { 1.0 };
    let mut chart = style::frame(area, title, 74).build_cartesian_2d(axis.ticks(), 0.0..y_max)?;
    let label = |t: &f64| axis.label(*t);
    let y_label = axis_number(y_max);
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .max_light_lines(0)
        .x_desc("time (UTC)")
        .y_desc(y_desc)
        .x_label_formatter(&label)
        .y_label_formatter(&y_label)
        .label_style(style::small_style())
        .axis_desc_style(style::label_style())
        .draw()?;
    Ok(chart)
}

/// The labels of an axis from 0 to `top`: the same decimals on every label, as many as a
/// tenth of the axis needs (at most 3); thousands and millions shortened.
fn axis_number(top: f64) -> impl Fn(&f64) -> String {
    let decimals = (-(top / 10.0).log10()).ceil().clamp(0.0, 3.0) as usize;
    move |v: &f64| if top >= 1e4 { short_number(*v) } else { format!("{v:.decimals$}") }
}

/// A number for an axis label: no more digits than it needs.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Each interval's value held over the interval: the steps a time series is, decimated.
fn steps<'a>(points: impl Iterator<Item = (f64, f64, f64)> + 'a) -> Vec<(f64, f64)> {
    let mut line = Vec::new();
    for (start, end, value) in points {
        line.push((start, value));
        line.push((end, value));
    }
    decimate(&line, COLUMNS)
}

struct LoadChart<'a> {
    service: &'a ServiceData,
    axis: &'a TimeAxis,
}

impl LoadChart<'_> {
    fn title(&self) -> String {
        format!("{}: offered load and the capacity of its RUNNING tasks", self.service.name)
    }
}

const UNSERVED: RGBColor = RGBColor(232, 155, 110);

impl Drawing for LoadChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        vec![
            ("offered load".into(), Swatch::Line(INK)),
            (
                format!("capacity: RUNNING tasks × {} requests/s", short_number(self.service.requests_per_task)),
                Swatch::Line(style::BLUE),
            ),
            ("unserved".into(), Swatch::Fill(UNSERVED)),
        ]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let s = self.service;
        let capacity = |p: &ServicePoint| p.running_mean * s.requests_per_task;
        let top = s.series.iter().map(|p| p.offered_rps.max(capacity(p))).fold(0.0, f64::max);
        let mut chart = time_chart(plot, &self.title(), "requests per second", self.axis, top)?;
        let capacity_line = steps(s.series.iter().map(|p| (p.start, p.end, capacity(p))));
        chart.draw_series(AreaSeries::new(capacity_line.clone(), 0.0, lighter(style::BLUE, 0.82).filled()))?;
        // Unserved demand: the band between what was served and what was offered.
        for p in s.series.iter().filter(|p| p.offered_rps - p.served_rps() > 1e-6 * p.offered_rps.max(1.0)) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(p.start, p.served_rps()), (p.end, p.offered_rps)],
                UNSERVED.filled(),
            )))?;
        }
        chart.draw_series(LineSeries::new(capacity_line, style::BLUE.stroke_width(2)))?;
        let offered = steps(s.series.iter().map(|p| (p.start, p.end, p.offered_rps)));
        chart.draw_series(LineSeries::new(offered, INK.stroke_width(1)))?;
        Ok(())
    }
}

struct TasksChart<'a> {
    service: &'a ServiceData,
    axis: &'a TimeAxis,
    groups: &'a [String],
}

impl TasksChart<'_> {
    fn title(&self) -> String {
        format!("{}: tasks by capacity provider", self.service.name)
    }

    /// The service's capacities, bottom up, with each interval's RUNNING tasks on it.
    fn stack(&self) -> Vec<(String, Vec<f64>)> {
        let s = self.service;
        if s.series.iter().any(|p| p.spot.is_some()) {
            let spot: Vec<f64> = s.series.iter().map(|p| p.spot.map_or(0.0, |(running, _, _)| running)).collect();
            let on_demand = s.series.iter().zip(&spot).map(|(p, spot)| (p.running_mean - spot).max(0.0)).collect();
            vec![("FARGATE".into(), on_demand), ("FARGATE_SPOT".into(), spot)]
        } else {
            vec![(s.capacity.clone(), s.series.iter().map(|p| p.running_mean).collect())]
        }
    }

    fn colour(&self, capacity: &str) -> RGBColor {
        capacity_colour(capacity.split('+').next().unwrap_or(""), self.groups)
    }
}

impl Drawing for TasksChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let mut entries: Vec<(String, Swatch)> = self
            .stack()
            .iter()
            .map(|(name, _)| (format!("RUNNING on {name} (mean)"), Swatch::Fill(self.colour(name))))
            .collect();
        entries.push(("desired count".into(), Swatch::Line(INK)));
        entries.push(("PROVISIONING or PENDING (most at once)".into(), Swatch::Dashed(VERMILLION)));
        entries
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let s = self.service;
        let top = s.series.iter().map(|p| p.running_mean.max(p.desired).max(p.pending_max)).fold(0.0, f64::max);
        let mut chart = time_chart(plot, &self.title(), "tasks", self.axis, top)?;
        // Each layer drawn from 0 to the sum of it and the layers under it, the top one first.
        let mut sum = vec![0.0; s.series.len()];
        let mut layers: Vec<(String, Vec<f64>)> = Vec::new();
        for (name, values) in self.stack() {
            for (total, v) in sum.iter_mut().zip(&values) {
                *total += v;
            }
            layers.push((name, sum.clone()));
        }
        for (name, tops) in layers.iter().rev() {
            let line = steps(s.series.iter().zip(tops).map(|(p, t)| (p.start, p.end, *t)));
            chart.draw_series(
                AreaSeries::new(line, 0.0, self.colour(name).filled()).border_style(WHITE.stroke_width(1)),
            )?;
        }
        let desired = steps(s.series.iter().map(|p| (p.start, p.end, p.desired)));
        chart.draw_series(LineSeries::new(desired, INK.stroke_width(2)))?;
        let pending = steps(s.series.iter().map(|p| (p.start, p.end, p.pending_max)));
        chart.draw_series(DashedLineSeries::new(pending, 6, 4, VERMILLION.stroke_width(1)))?;
        Ok(())
    }
}

struct MetricChart<'a> {
    service: &'a ServiceData,
    axis: &'a TimeAxis,
}

/// What a metric chart draws: its name, the unit on its axis, a value per interval (none
/// where no task ran) and the target, if it is this metric's.
struct Tracked {
    name: String,
    unit: &'static str,
    values: Vec<Option<f64>>,
    target: Option<f64>,
}

impl MetricChart<'_> {
    /// The target-tracking metric where the time series has it; CPU otherwise.
    fn tracked(&self) -> Tracked {
        let s = self.service;
        let per_task = |p: &ServicePoint, v: f64| (p.running_mean > 0.0).then(|| v / p.running_mean);
        let cpu = |target| Tracked {
            name: "CPU utilization (mean)".into(),
            unit: "CPU utilization (%)",
            values: s.series.iter().map(|p| p.cpu).collect(),
            target,
        };
        match s.target.as_ref().map(|(m, v, _)| (m.as_str(), *v)) {
            Some(("cpu", target)) => cpu(Some(target)),
            Some(("requests_per_task", target)) => Tracked {
                name: "requests per second per RUNNING task".into(),
                unit: "requests/s per task",
                values: s.series.iter().map(|p| per_task(p, p.offered_rps)).collect(),
                target: Some(target),
            },
            Some(("alb_requests_per_target", target)) => Tracked {
                name: "requests per minute per RUNNING task".into(),
                unit: "requests/min per task",
                values: s.series.iter().map(|p| per_task(p, p.offered_rps * 60.0)).collect(),
                target: Some(target),
            },
            Some(("requests_per_second", target)) => Tracked {
                name: "offered requests per second".into(),
                unit: "requests/s",
                values: s.series.iter().map(|p| Some(p.offered_rps)).collect(),
                target: Some(target),
            },
            // Memory and queue metrics are not in timeseries.csv: CPU, with the decisions.
            _ => cpu(None),
        }
    }

    fn title(&self) -> String {
        format!("{}: {} and each scaling decision", self.service.name, self.tracked().name)
    }

    /// The policies that changed the desired count, in the order they first did.
    fn policies(&self) -> Vec<&str> {
        let mut policies: Vec<&str> = Vec::new();
        for d in &self.service.decisions {
            if !policies.contains(&d.policy.as_str()) {
                policies.push(&d.policy);
            }
        }
        policies
    }
}

const POLICY_COLOURS: [RGBColor; 4] = [style::VERMILLION, style::GREEN, style::PURPLE, style::ORANGE];

impl Drawing for MetricChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let tracked = self.tracked();
        let mut entries = vec![(tracked.name, Swatch::Line(style::BLUE))];
        if let Some(target) = tracked.target {
            entries.push((format!("target {}", short_number(target)), Swatch::Dashed(INK)));
        }
        let policies = self.policies();
        for (i, policy) in policies.iter().enumerate() {
            let colour = POLICY_COLOURS[i % POLICY_COLOURS.len()];
            entries.push((format!("scale-out: {policy}"), Swatch::Up(colour)));
            entries.push((format!("scale-in: {policy}"), Swatch::Down(colour)));
        }
        if policies.is_empty() {
            entries.push(("no scaling decision changed the desired count".into(), Swatch::Fill(GREY)));
        }
        entries
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let s = self.service;
        let Tracked { unit, values, target, .. } = self.tracked();
        // A decision of the charted policy sits at the datapoint it acted on (the interval's
        // mean can be on the other side of the target); another policy's at the interval it
        // falls in, the last one starting at or before it.
        let charted = s.target.as_ref().filter(|_| target.is_some()).map(|(_, _, policy)| policy.as_str());
        let own = |d: &Decision| d.metric_value.filter(|_| charted == Some(d.policy.as_str()));
        let top = values.iter().flatten().copied().chain(target).chain(s.decisions.iter().filter_map(own));
        let top = top.fold(0.0, f64::max);
        let top = if unit.ends_with("(%)") { top.max(100.0) } else { top };
        let mut chart = time_chart(plot, &self.title(), unit, self.axis, top)?;
        // Gaps where no task ran (no datapoint) break the line.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs = Vec::new();
        for (p, v) in s.series.iter().zip(&values) {
            match v {
                Some(v) => run.extend([(p.start, *v), (p.end, *v)]),
                None => runs.push(std::mem::take(&mut run)),
            }
        }
        runs.push(run);
        for line in runs.into_iter().filter(|r| !r.is_empty()) {
            chart.draw_series(LineSeries::new(decimate(&line, COLUMNS), style::BLUE.stroke_width(2)))?;
        }
        if let Some(target) = target {
            let span = self.axis.span_s;
            chart.draw_series(DashedLineSeries::new([(0.0, target), (span, target)], 8, 5, INK.stroke_width(2)))?;
        }
        let at_value = |at: f64| {
            let after = s.series.partition_point(|p| p.start <= at);
            after.checked_sub(1).and_then(|i| values[i])
        };
        for (i, policy) in self.policies().iter().enumerate() {
            let colour = POLICY_COLOURS[i % POLICY_COLOURS.len()];
            let (mut outs, mut ins) = (Vec::new(), Vec::new());
            for d in s.decisions.iter().filter(|d| d.policy == *policy) {
                let y = own(d).or_else(|| at_value(d.at)).or(target).unwrap_or(0.0).min(top * 1.05);
                if d.out { outs.push((d.at, y)) } else { ins.push((d.at, y)) }
            }
            chart.draw_series(outs.iter().map(|&p| TriangleMarker::new(p, 6, colour.filled())))?;
            chart.draw_series(
                ins.iter().map(|&p| EmptyElement::at(p) + style::DownTriangle { at: (0, 0), size: 6, colour }),
            )?;
        }
        Ok(())
    }
}

struct InstancesChart<'a> {
    provider: &'a ProviderData,
    axis: &'a TimeAxis,
    groups: &'a [String],
}

impl InstancesChart<'_> {
    fn title(&self) -> String {
        format!("{}: EC2 instances by state", self.provider.name)
    }
}

impl Drawing for InstancesChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let colour = capacity_colour(&self.provider.name, self.groups);
        let mut entries = vec![
            ("ACTIVE (most at once)".into(), Swatch::Fill(colour)),
            ("DRAINING".into(), Swatch::Fill(lighter(colour, 0.6))),
            ("the group's desired capacity".into(), Swatch::Line(INK)),
            ("pending or booting".into(), Swatch::Dashed(VERMILLION)),
        ];
        if !self.provider.interruptions.is_empty() {
            entries.push(("Spot interruption notice".into(), Swatch::Down(INK)));
        }
        entries
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let p = self.provider;
        let colour = capacity_colour(&p.name, self.groups);
        let top = p.series.iter().map(|q| (q.active + q.draining).max(q.desired).max(q.pending)).fold(0.0, f64::max);
        let mut chart = time_chart(plot, &self.title(), "instances", self.axis, top)?;
        let with_draining = steps(p.series.iter().map(|q| (q.start, q.end, q.active + q.draining)));
        chart.draw_series(AreaSeries::new(with_draining, 0.0, lighter(colour, 0.6).filled()))?;
        let active = steps(p.series.iter().map(|q| (q.start, q.end, q.active)));
        chart.draw_series(AreaSeries::new(active, 0.0, colour.filled()))?;
        let desired = steps(p.series.iter().map(|q| (q.start, q.end, q.desired)));
        chart.draw_series(LineSeries::new(desired, INK.stroke_width(2)))?;
        let pending = steps(p.series.iter().map(|q| (q.start, q.end, q.pending)));
        chart.draw_series(DashedLineSeries::new(pending, 6, 4, VERMILLION.stroke_width(1)))?;
        // Each notice as a mark along the top: two minutes later EC2 takes the instance.
        chart.draw_series(
            p.interruptions
                .iter()
                .map(|&at| EmptyElement::at((at, top)) + style::DownTriangle { at: (0, 0), size: 5, colour: INK }),
        )?;
        Ok(())
    }
}

struct ReservedChart<'a> {
    provider: &'a ProviderData,
    axis: &'a TimeAxis,
    groups: &'a [String],
}

impl ReservedChart<'_> {
    fn title(&self) -> String {
        format!("{}: EC2 cost per hour, reserved by tasks and idle", self.provider.name)
    }
}

impl Drawing for ReservedChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let colour = capacity_colour(&self.provider.name, self.groups);
        vec![
            ("reserved by tasks (split cost allocation)".into(), Swatch::Fill(colour)),
            ("idle: no task reserved it".into(), Swatch::Fill(lighter(colour, 0.6))),
        ]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let p = self.provider;
        let colour = capacity_colour(&p.name, self.groups);
        let hourly = |cost: f64, q: &ProviderPoint| cost * 3600.0 / (q.end - q.start).max(1e-9);
        let top = p.series.iter().map(|q| hourly(q.cost_usd, q)).fold(0.0, f64::max);
        let mut chart = time_chart(plot, &self.title(), "USD per hour", self.axis, top)?;
        let all = steps(p.series.iter().map(|q| (q.start, q.end, hourly(q.cost_usd, q))));
        chart.draw_series(AreaSeries::new(all, 0.0, lighter(colour, 0.6).filled()))?;
        let reserved = steps(p.series.iter().map(|q| (q.start, q.end, hourly(q.cost_usd - q.idle_cost_usd, q))));
        chart.draw_series(AreaSeries::new(reserved, 0.0, colour.filled()))?;
        Ok(())
    }
}

/// A run's cost over time by capacity: per interval, its cost and the cost up to its end.
struct CostPart {
    capacity: String,
    /// The EC2 idle part of each interval's cost (0 on Fargate).
    idle: Vec<f64>,
    cost: Vec<f64>,
    cumulative: Vec<f64>,
}

/// The intervals' bounds and each capacity's costs: Fargate On-Demand and Spot over the
/// Fargate services, each group's whole bill (its instances, idle included).
fn cost_parts(data: &RunData) -> (Vec<(f64, f64)>, Vec<CostPart>) {
    let n = data.intervals.len();
    let mut parts = Vec::new();
    let fargate = |capacity: &str, cost: usize, total: usize| CostPart {
        capacity: capacity.into(),
        idle: vec![0.0; n],
        cost: data.fargate.intervals.iter().map(|i| i[cost]).collect(),
        cumulative: data.fargate.intervals.iter().map(|i| i[total]).collect(),
    };
    if data.fargate.on_demand {
        parts.push(fargate("FARGATE", 0, 1));
    }
    if data.fargate.spot {
        parts.push(fargate("FARGATE_SPOT", 2, 3));
    }
    for p in &data.providers {
        let take = |f: fn(&ProviderPoint) -> f64| {
            let mut v: Vec<f64> = p.series.iter().map(f).collect();
            v.resize(n, 0.0);
            v
        };
        parts.push(CostPart {
            capacity: p.name.clone(),
            idle: take(|q| q.idle_cost_usd),
            cost: take(|q| q.cost_usd),
            cumulative: take(|q| q.cumulative_cost_usd),
        });
    }
    (data.intervals.clone(), parts)
}

struct CostChart<'a> {
    parts: &'a (Vec<(f64, f64)>, Vec<CostPart>),
    axis: &'a TimeAxis,
    groups: &'a [String],
    per_hour: bool,
}

impl CostChart<'_> {
    fn title(&self) -> String {
        if self.per_hour { "Cost per hour by capacity".into() } else { "Cumulative cost by capacity".into() }
    }
}

impl Drawing for CostChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let (_, parts) = self.parts;
        let mut entries = Vec::new();
        for part in parts {
            let colour = capacity_colour(&part.capacity, self.groups);
            if self.per_hour {
                entries.push((part.capacity.clone(), Swatch::Fill(colour)));
                if part.idle.iter().any(|i| *i > 0.0) {
                    entries.push((format!("{}: idle", part.capacity), Swatch::Fill(lighter(colour, 0.6))));
                }
            } else {
                let total = part.cumulative.last().copied().unwrap_or(0.0);
                entries.push((format!("{}: {} USD", part.capacity, money(total)), Swatch::Line(colour)));
            }
        }
        entries
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (grid, parts) = self.parts;
        if self.per_hour {
            // Stacked: each capacity's cost per hour on the ones before it, idle EC2 lighter.
            let hourly = |cost: f64, (start, end): (f64, f64)| cost * 3600.0 / (end - start).max(1e-9);
            let mut base = vec![0.0; grid.len()];
            let mut layers = Vec::new();
            for part in parts {
                let reserved: Vec<f64> =
                    base.iter().zip(&part.cost).zip(&part.idle).map(|((b, c), i)| b + c - i).collect();
                let whole: Vec<f64> = base.iter().zip(&part.cost).map(|(b, c)| b + c).collect();
                layers.push((part, reserved, whole.clone()));
                base = whole;
            }
            let top = grid.iter().zip(&base).map(|(g, b)| hourly(*b, *g)).fold(0.0, f64::max);
            let mut chart = time_chart(plot, &self.title(), "USD per hour", self.axis, top)?;
            for (part, reserved, whole) in layers.iter().rev() {
                let colour = capacity_colour(&part.capacity, self.groups);
                let line = |v: &[f64]| steps(grid.iter().zip(v).map(|(g, v)| (g.0, g.1, hourly(*v, *g))));
                chart.draw_series(AreaSeries::new(line(whole), 0.0, lighter(colour, 0.6).filled()))?;
                chart.draw_series(AreaSeries::new(line(reserved), 0.0, colour.filled()))?;
            }
        } else {
            let top = parts.iter().flat_map(|p| p.cumulative.iter().copied()).fold(0.0, f64::max);
            let mut chart = time_chart(plot, &self.title(), "USD", self.axis, top)?;
            for part in parts {
                let colour = capacity_colour(&part.capacity, self.groups);
                let line: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
                    .chain(grid.iter().zip(&part.cumulative).map(|(g, c)| (g.1, *c)))
                    .collect();
                chart.draw_series(LineSeries::new(decimate(&line, COLUMNS), colour.stroke_width(2)))?;
            }
        }
        Ok(())
    }
}

/// Dollars for a legend or a label.
pub fn money(usd: f64) -> String {
    if usd.abs() >= 100.0 { format!("{usd:.0}") } else { format!("{usd:.2}") }
}
