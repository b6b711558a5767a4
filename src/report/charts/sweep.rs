//! A sweep's charts, from its `points.csv` and `sweep.json`: every point's cost against its
//! unserved share with their 95 % intervals and the Pareto front; the cost along each numeric
//! axis with its interval as a band (one line per combination of the other axes); and a heat
//! map of the cost over the first two axes.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::run::{money, short_number};
use super::style::{self, GRID, INK, Swatch, Ticks, lighter, series_colour};
use super::{Chart, ChartError, Drawing, render};

/// A figure's mean and 95 % interval.
type Interval = (f64, f64, f64);

/// One point of `points.csv`: its axis values and the figures the charts use.
#[derive(Clone, Debug)]
struct Point {
    variant: String,
    axes: Vec<String>,
    cost: Option<Interval>,
    unserved: Option<Interval>,
}

/// The lines of a chart along one axis at most, as many as there are distinct colours: of more
/// combinations of the other axes the cheapest are drawn, and the title says so.
const MAX_LINES: usize = 7;

/// Draws the sweep in `dir` into `dir/charts`.
pub fn draw_sweep(dir: &Path) -> Result<Vec<Chart>, ChartError> {
    let path = dir.join("points.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| ChartError::read(&path, e))?;
    let header: Vec<String> =
        reader.headers().map_err(|e| ChartError::read(&path, e))?.iter().map(String::from).collect();
    let runs = header.iter().position(|h| h == "runs").ok_or_else(|| ChartError::read(&path, "no `runs` column"))?;
    let axes: Vec<String> = header[2..runs].to_vec();
    let column = |name: &str| header.iter().position(|h| h == name);
    let estimate = |record: &csv::StringRecord, figure: &str| {
        let get = |stat: &str| {
            let value =
                column(&format!("{figure}_{stat}")).and_then(|c| record.get(c)).and_then(|v| v.parse::<f64>().ok());
            value.filter(|v| v.is_finite())
        };
        let mean = get("mean")?;
        Some((mean, get("ci_low").unwrap_or(mean), get("ci_high").unwrap_or(mean)))
    };
    let mut points = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ChartError::read(&path, e))?;
        points.push(Point {
            variant: record.get(1).unwrap_or("").to_owned(),
            axes: (2..runs).map(|i| record.get(i).unwrap_or("").to_owned()).collect(),
            cost: estimate(&record, "cost_usd"),
            unserved: estimate(&record, "unserved_share"),
        });
    }
    let front_path = dir.join("pareto.csv");
    let mut front_reader = csv::Reader::from_path(&front_path).map_err(|e| ChartError::read(&front_path, e))?;
    let front: Vec<(String, Vec<String>)> = front_reader
        .records()
        .filter_map(Result::ok)
        .map(|r| (r.get(1).unwrap_or("").to_owned(), (2..runs).map(|i| r.get(i).unwrap_or("").to_owned()).collect()))
        .collect();

    // Of axes zipped together, the first stands for the group: the others move with it.
    let record: serde_json::Value = std::fs::read_to_string(dir.join("sweep.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let followers: Vec<&str> = record["zip"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|group| group.as_array())
        .flat_map(|group| group.iter().skip(1).filter_map(|k| k.as_str()))
        .collect();
    let leading: Vec<usize> = (0..axes.len()).filter(|&a| !followers.contains(&axes[a].as_str())).collect();
    let sweep = Sweep { points, axes, leading };

    let out = super::folder(dir);
    std::fs::create_dir_all(&out).map_err(|source| ChartError::Write { path: out.display().to_string(), source })?;
    let mut charts = Vec::new();
    // A sweep whose runs all failed has nothing to draw.
    if !sweep.points.iter().any(|p| p.cost.is_some() && p.unserved.is_some()) {
        return super::keep_only(&out, charts);
    }
    let pareto = Pareto { sweep: &sweep, front: &front };
    charts.push(render(&out, "sweep-pareto", &pareto.title(), &pareto)?);
    for &a in &sweep.leading {
        let numeric = sweep.points.iter().all(|p| p.axes[a].parse::<f64>().is_ok_and(f64::is_finite));
        if numeric {
            let chart = AlongAxis { sweep: &sweep, axis: a };
            let file = format!("sweep-cost-{}", super::file_name(&sweep.axes[a]));
            charts.push(render(&out, &file, &chart.title(), &chart)?);
        }
    }
    if sweep.leading.len() >= 2 {
        let chart = HeatMap { sweep: &sweep, x: sweep.leading[0], y: sweep.leading[1] };
        charts.push(render(&out, "sweep-heatmap", &chart.title(), &chart)?);
    }
    super::keep_only(&out, charts)
}

/// The sweep's points and its axes; `leading` are the axes that are not zipped to an axis
/// before them.
struct Sweep {
    points: Vec<Point>,
    axes: Vec<String>,
    leading: Vec<usize>,
}

/// The last key of a path: `target_value` for `services.api.target_tracking[0].target_value`.
fn short(key: &str) -> &str {
    key.rsplit(['.', ']']).find(|k| !k.is_empty()).unwrap_or(key)
}

impl Sweep {
    /// A point's name in a legend: its variant (unless base) and its values on the leading
    /// axes but `skip`.
    fn describe(&self, point: &Point, skip: Option<usize>) -> String {
        let mut parts: Vec<String> = self
            .leading
            .iter()
            .filter(|&&a| Some(a) != skip)
            .map(|&a| format!("{} {}", short(&self.axes[a]), point.axes[a]))
            .collect();
        if point.variant != "base" {
            parts.insert(0, point.variant.clone());
        }
        if parts.is_empty() { "the scenario".into() } else { parts.join(", ") }
    }
}

struct Pareto<'a> {
    sweep: &'a Sweep,
    front: &'a [(String, Vec<String>)],
}

impl Pareto<'_> {
    fn title(&self) -> String {
        "Cost against unserved share: every point with its 95 % intervals".into()
    }
}

impl Drawing for Pareto<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        vec![
            ("a point: its mean cost and unserved share".into(), Swatch::Dot(style::BLUE)),
            ("95 % intervals".into(), Swatch::Line(lighter(style::BLUE, 0.45))),
            ("the Pareto front: no point is cheaper and serves more".into(), Swatch::Line(style::VERMILLION)),
        ]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let known: Vec<(&Point, Interval, Interval)> =
            self.sweep.points.iter().filter_map(|p| Some((p, p.unserved?, p.cost?))).collect();
        let x_max = known.iter().map(|(_, u, _)| u.2 * 100.0).fold(0.0, f64::max).max(1e-6) * 1.1;
        let y_low = known.iter().map(|(_, _, c)| c.1).fold(f64::INFINITY, f64::min);
        let y_high = known.iter().map(|(_, _, c)| c.2).fold(0.0, f64::max);
        let margin = ((y_high - y_low) * 0.08).max(y_high.abs() * 0.01).max(1e-6);
        let (y0, y1) = ((y_low - margin).max(0.0), y_high + margin);
        let mut chart = style::frame(plot, &self.title(), 74).build_cartesian_2d(0.0..x_max, y0..y1)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .max_light_lines(0)
            .x_desc("requests not served (% of those offered)")
            .y_desc("cost (USD)")
            .x_label_formatter(&|x| format!("{x:.3}"))
            .y_label_formatter(&|v| short_number(*v))
            .label_style(style::small_style())
            .axis_desc_style(style::label_style())
            .draw()?;
        let bars = lighter(style::BLUE, 0.45);
        for (_, u, c) in &known {
            let (x, y) = (u.0 * 100.0, c.0);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(u.1 * 100.0, y), (u.2 * 100.0, y)],
                bars.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(vec![(x, c.1), (x, c.2)], bars.stroke_width(1))))?;
        }
        chart.draw_series(known.iter().map(|(_, u, c)| Circle::new((u.0 * 100.0, c.0), 3, style::BLUE.filled())))?;
        let mut front: Vec<(f64, f64)> = known
            .iter()
            .filter(|(p, _, _)| self.front.iter().any(|(v, a)| *v == p.variant && *a == p.axes))
            .map(|(_, u, c)| (u.0 * 100.0, c.0))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart.draw_series(LineSeries::new(front.clone(), style::VERMILLION.stroke_width(2)))?;
        chart.draw_series(front.iter().map(|&p| Circle::new(p, 6, style::VERMILLION.stroke_width(2))))?;
        Ok(())
    }
}

struct AlongAxis<'a> {
    sweep: &'a Sweep,
    axis: usize,
}

type Line = (String, Vec<(f64, Interval)>);

impl AlongAxis<'_> {
    fn title(&self) -> String {
        let all = self.all_lines().len();
        let shown = if all > MAX_LINES { format!(" (the {MAX_LINES} cheapest of {all} lines)") } else { String::new() };
        format!("Cost along {}, with its 95 % interval{shown}", short(&self.sweep.axes[self.axis]))
    }

    /// Every line: one per variant and values of the other axes, each its points in axis order.
    fn all_lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = Vec::new();
        for p in &self.sweep.points {
            let (Some(cost), Ok(x)) = (p.cost, p.axes[self.axis].parse::<f64>()) else { continue };
            let name = self.sweep.describe(p, Some(self.axis));
            match lines.iter_mut().find(|(n, _)| *n == name) {
                Some((_, line)) => line.push((x, cost)),
                None => lines.push((name, vec![(x, cost)])),
            }
        }
        for (_, line) in &mut lines {
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        lines
    }

    /// The lines drawn, one colour each: all of them, or the cheapest (by their lowest mean
    /// cost) in the order of the sweep.
    fn lines(&self) -> Vec<Line> {
        let mut lines = self.all_lines();
        if lines.len() > MAX_LINES {
            let lowest = |l: &Line| l.1.iter().map(|p| p.1.0).fold(f64::INFINITY, f64::min);
            let mut order: Vec<usize> = (0..lines.len()).collect();
            order.sort_by(|&a, &b| lowest(&lines[a]).total_cmp(&lowest(&lines[b])).then(a.cmp(&b)));
            let mut kept = order[..MAX_LINES].to_vec();
            kept.sort_unstable();
            lines = kept.into_iter().map(|i| std::mem::take(&mut lines[i])).collect();
        }
        lines
    }
}

impl Drawing for AlongAxis<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        self.lines().into_iter().enumerate().map(|(i, (name, _))| (name, Swatch::Line(series_colour(i)))).collect()
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let lines = self.lines();
        let mut values: Vec<f64> = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0)).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        let (x0, x1) = match (values.first(), values.last()) {
            (Some(&a), Some(&b)) if a < b => (a, b),
            (Some(&a), _) => (a - 1.0, a + 1.0),
            _ => (0.0, 1.0),
        };
        // The swept values are the ticks, when there are few enough to label.
        let pad = (x1 - x0) * 0.04;
        let keys = if values.len() <= 12 { values } else { Vec::new() };
        let ticks = Ticks { range: (x0 - pad)..(x1 + pad), keys };
        let y_high = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.1.2)).fold(0.0, f64::max);
        let mut chart =
            style::frame(plot, &self.title(), 74).build_cartesian_2d(ticks.clone(), 0.0..(y_high * 1.08).max(1e-6))?;
        let mut mesh = chart.configure_mesh();
        mesh.bold_line_style(GRID)
            .max_light_lines(0)
            .x_desc(self.sweep.axes[self.axis].clone())
            .y_desc("cost (USD)")
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .label_style(style::small_style())
            .axis_desc_style(style::label_style());
        if ticks.keys.is_empty() {
            // Too many values to label each: plotters' round numbers on a plain axis.
            mesh.x_labels(8);
        }
        mesh.draw()?;
        for (i, (_, line)) in lines.iter().enumerate() {
            let colour = series_colour(i);
            let band: Vec<(f64, f64)> =
                line.iter().map(|(x, c)| (*x, c.2)).chain(line.iter().rev().map(|(x, c)| (*x, c.1))).collect();
            chart.draw_series(std::iter::once(Polygon::new(band, lighter(colour, 0.75).filled())))?;
            chart.draw_series(LineSeries::new(line.iter().map(|(x, c)| (*x, c.0)), colour.stroke_width(2)))?;
            chart.draw_series(line.iter().map(|(x, c)| Circle::new((*x, c.0), 4, colour.filled())))?;
        }
        Ok(())
    }
}

struct HeatMap<'a> {
    sweep: &'a Sweep,
    x: usize,
    y: usize,
}

impl HeatMap<'_> {
    fn title(&self) -> String {
        let (x, y) = (short(&self.sweep.axes[self.x]), short(&self.sweep.axes[self.y]));
        let more = self.sweep.leading.len() > 2 || self.sweep.points.iter().any(|p| p.variant != "base");
        let rest = if more { ", the cheapest over the others" } else { "" };
        format!("Mean cost (USD) by {x} and {y}{rest}")
    }

    /// The distinct values on an axis, in the order first seen.
    fn values(&self, axis: usize) -> Vec<&str> {
        let mut values: Vec<&str> = Vec::new();
        for p in &self.sweep.points {
            if !values.contains(&p.axes[axis].as_str()) {
                values.push(&p.axes[axis]);
            }
        }
        values
    }

    /// The cheapest mean cost of the points at `(x, y)`.
    fn cell(&self, x: &str, y: &str) -> Option<f64> {
        self.sweep
            .points
            .iter()
            .filter(|p| p.axes[self.x] == x && p.axes[self.y] == y)
            .filter_map(|p| p.cost.map(|e| e.0))
            .reduce(f64::min)
    }

    fn range(&self) -> (f64, f64) {
        let (columns, rows) = (self.values(self.x), self.values(self.y));
        let cells = columns.iter().flat_map(|c| rows.iter().filter_map(move |r| self.cell(c, r)));
        cells.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
    }
}

impl Drawing for HeatMap<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let (low, high) = self.range();
        vec![
            (format!("cheapest: ${}", money(low)), Swatch::Fill(sequential(0.0))),
            (format!("dearest: ${}", money(high)), Swatch::Fill(sequential(1.0))),
        ]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (columns, rows) = (self.values(self.x), self.values(self.y));
        let (low, high) = self.range();
        let (n, m) = (columns.len().max(1), rows.len().max(1));
        let mut chart = style::frame(plot, &self.title(), 110).build_cartesian_2d(
            Ticks { range: 0.0..n as f64, keys: (0..n).map(|i| i as f64 + 0.5).collect() },
            Ticks { range: 0.0..m as f64, keys: (0..m).map(|i| i as f64 + 0.5).collect() },
        )?;
        let x_label = |x: &f64| columns.get(x.floor() as usize).map(|s| s.to_string()).unwrap_or_default();
        let y_label = |y: &f64| rows.get(y.floor() as usize).map(|s| s.to_string()).unwrap_or_default();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.sweep.axes[self.x].clone())
            .y_desc(self.sweep.axes[self.y].clone())
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style(style::small_style())
            .axis_desc_style(style::label_style())
            .draw()?;
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        for (i, c) in columns.iter().enumerate() {
            for (j, r) in rows.iter().enumerate() {
                let Some(v) = self.cell(c, r) else { continue };
                let t = if high > low { (v - low) / (high - low) } else { 0.5 };
                let (x, y) = (i as f64, j as f64);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.02, y + 0.02), (x + 0.98, y + 0.98)],
                    sequential(t).filled(),
                )))?;
                let ink = if t > 0.45 { WHITE } else { INK };
                let text = style::small_style().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                chart.draw_series(std::iter::once(Text::new(format!("${}", money(v)), (x + 0.5, y + 0.5), text)))?;
            }
        }
        Ok(())
    }
}

/// A colour from a sequential scale, light (low) to dark (high), that keeps its order in
/// greyscale: blends of viridis's anchors.
fn sequential(t: f64) -> RGBColor {
    let anchors =
        [(253.0, 231.0, 37.0), (94.0, 201.0, 98.0), (33.0, 145.0, 140.0), (59.0, 82.0, 139.0), (68.0, 1.0, 84.0)];
    let t = t.clamp(0.0, 1.0) * (anchors.len() - 1) as f64;
    let i = (t.floor() as usize).min(anchors.len() - 2);
    let f = t - i as f64;
    let (a, b) = (anchors[i], anchors[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
