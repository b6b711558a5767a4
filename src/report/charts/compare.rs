//! A comparison's charts: each run's total cost as bars stacked by capacity (EC2 idle capacity
//! lighter and striped) labelled in dollars and per month, cost per million served requests,
//! unserved share, every run's cumulative cost on one chart, and the EC2/Fargate break-even on
//! a utilization axis.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::RunData;
use super::decimate::decimate;
use super::run::{money, short_number};
use super::style::{self, GRID, INK, Swatch, Ticks, TimeAxis, capacity_colour, lighter};
use super::{Chart, ChartError, Drawing, render};
use crate::report::compare::{BreakEven, Comparison, ComparisonRow};

/// Draws the comparison of the runs in `runs` (label and folder, the first the reference)
/// into `out/charts`.
pub fn draw_comparison(
    out: &Path,
    comparison: &Comparison,
    runs: &[(String, PathBuf)],
) -> Result<Vec<Chart>, ChartError> {
    let data: Vec<RunData> = runs.iter().map(|(_, dir)| RunData::read(dir)).collect::<Result<_, _>>()?;
    let dir = super::folder(out);
    std::fs::create_dir_all(&dir).map_err(|source| ChartError::Write { path: dir.display().to_string(), source })?;
    let mut groups: Vec<String> = Vec::new();
    for run in &data {
        for g in run.groups() {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    let bars = Bars { comparison, groups: &groups };
    let mut charts = vec![render(&dir, "comparison-cost", &bars.title(), &bars)?];
    for figure in [Figure::PerMillion, Figure::Unserved] {
        let chart = FigureBars { comparison, figure };
        charts.push(render(&dir, figure.file(), &chart.title(), &chart)?);
    }
    let cumulative = Cumulative { comparison, data: &data };
    charts.push(render(&dir, "comparison-cumulative", &cumulative.title(), &cumulative)?);
    if comparison.break_even.is_some() {
        let chart = BreakEvenChart { comparison };
        charts.push(render(&dir, "comparison-break-even", &chart.title(), &chart)?);
    }
    super::keep_only(&dir, charts)
}

/// Vertical stripes over `[x0, x1] × [y0, y1]`: the idle part of a bar.
fn stripes(x0: f64, x1: f64, y0: f64, y1: f64, colour: RGBColor) -> Vec<PathElement<(f64, f64)>> {
    (1..8)
        .map(|k| x0 + (x1 - x0) * f64::from(k) / 8.0)
        .map(|x| PathElement::new(vec![(x, y0), (x, y1)], colour.stroke_width(1)))
        .collect()
}

struct Bars<'a> {
    comparison: &'a Comparison,
    groups: &'a [String],
}

impl Bars<'_> {
    fn title(&self) -> String {
        "Total cost by capacity (USD; per month of 730 h in brackets)".into()
    }
}

/// A category axis: run `i` at `i + 0.5`.
fn category_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    names: &'a [String],
    y_max: f64,
) -> Result<ChartContext<'a, DB, Cartesian2d<Ticks, plotters::coord::types::RangedCoordf64>>, ChartError> {
    let y_max = if y_max.is_finite() && y_max > 0.0 { y_max * 1.18 } else { 1.0 };
    let n = names.len().max(1);
    let keys: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let mut chart =
        style::frame(area, title, 74).build_cartesian_2d(Ticks { range: 0.0..n as f64, keys }, 0.0..y_max)?;
    let label = |x: &f64| names.get(x.floor() as usize).cloned().unwrap_or_default();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .max_light_lines(0)
        .y_desc(y_desc)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| short_number(*v))
        .label_style(style::small_style())
        .axis_desc_style(style::label_style())
        .draw()?;
    Ok(chart)
}

impl Bars<'_> {
    /// Each capacity of any run, in order, and whether any run left part of it idle.
    fn capacities(&self) -> Vec<(String, bool)> {
        let mut seen: Vec<(String, bool)> = Vec::new();
        for r in &self.comparison.rows {
            for (capacity, cost) in &r.by_capacity {
                let idle = self.idle(r, capacity, *cost) > 0.0;
                match seen.iter_mut().find(|(c, _)| c == capacity) {
                    Some((_, has_idle)) => *has_idle |= idle,
                    None => seen.push((capacity.clone(), idle)),
                }
            }
        }
        seen
    }

    /// The idle part of a group's cost in a run: its share of the run's idle EC2 cost.
    fn idle(&self, r: &crate::report::ComparisonRow, capacity: &str, cost: f64) -> f64 {
        if self.groups.iter().any(|g| g == capacity) && r.ec2_cost_usd > 0.0 {
            cost * r.ec2_idle_cost_usd / r.ec2_cost_usd
        } else {
            0.0
        }
    }
}

/// A label anchored at its bottom centre: above a bar.
fn above() -> TextStyle<'static> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    style::small_style().pos(Pos::new(HPos::Center, VPos::Bottom))
}

impl Drawing for Bars<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let mut entries = Vec::new();
        for (capacity, has_idle) in self.capacities() {
            let colour = capacity_colour(&capacity, self.groups);
            let is_group = self.groups.contains(&capacity);
            let what = if is_group { format!("{capacity}: reserved by tasks") } else { capacity.clone() };
            entries.push((what, Swatch::Fill(colour)));
            if has_idle {
                entries.push((format!("{capacity}: idle"), Swatch::Hatched(colour)));
            }
        }
        entries
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let rows = &self.comparison.rows;
        let names: Vec<String> = rows.iter().map(|r| r.run.clone()).collect();
        let top = rows.iter().map(|r| r.total_cost_usd).fold(0.0, f64::max);
        let mut chart = category_chart(plot, &self.title(), "USD", &names, top)?;
        for (i, r) in rows.iter().enumerate() {
            let (x0, x1) = (i as f64 + 0.18, i as f64 + 0.82);
            let mut y = 0.0;
            for (capacity, cost) in &r.by_capacity {
                let colour = capacity_colour(capacity, self.groups);
                // A group's part: what tasks reserved, then the idle rest, lighter and striped.
                let idle = self.idle(r, capacity, *cost);
                chart
                    .draw_series(std::iter::once(Rectangle::new([(x0, y), (x1, y + cost - idle)], colour.filled())))?;
                if idle > 0.0 {
                    let (i0, i1) = (y + cost - idle, y + cost);
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x0, i0), (x1, i1)],
                        lighter(colour, 0.6).filled(),
                    )))?;
                    chart.draw_series(stripes(x0, x1, i0, i1, colour))?;
                }
                y += cost;
            }
            let label = format!("${} (${} a month)", money(r.total_cost_usd), money(r.cost_per_month_usd));
            chart.draw_series(std::iter::once(Text::new(
                label,
                (i as f64 + 0.5, r.total_cost_usd + top * 0.03),
                above(),
            )))?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Figure {
    PerMillion,
    Unserved,
}

impl Figure {
    fn file(self) -> &'static str {
        match self {
            Figure::PerMillion => "comparison-cost-per-million",
            Figure::Unserved => "comparison-unserved",
        }
    }
}

struct FigureBars<'a> {
    comparison: &'a Comparison,
    figure: Figure,
}

impl FigureBars<'_> {
    fn title(&self) -> String {
        match self.figure {
            Figure::PerMillion => "Cost per million requests served (USD)".into(),
            Figure::Unserved => "Requests not served (% of those offered)".into(),
        }
    }

    fn values(&self) -> Vec<f64> {
        self.comparison
            .rows
            .iter()
            .map(|r| match self.figure {
                Figure::PerMillion => r.cost_per_million_served_usd.unwrap_or(0.0),
                Figure::Unserved => 100.0 * r.unserved_share,
            })
            .collect()
    }
}

impl Drawing for FigureBars<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        vec![(
            match self.figure {
                Figure::PerMillion => "each run's bill over the requests it served, in millions".into(),
                Figure::Unserved => "each run's unserved requests over those offered".into(),
            },
            Swatch::Fill(style::SLATE),
        )]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let names: Vec<String> = self.comparison.rows.iter().map(|r| r.run.clone()).collect();
        let values = self.values();
        let top = values.iter().copied().fold(0.0, f64::max);
        let unit = match self.figure {
            Figure::PerMillion => "USD per million served",
            Figure::Unserved => "% unserved",
        };
        let mut chart = category_chart(plot, &self.title(), unit, &names, top)?;
        if values.iter().all(|v| *v == 0.0) {
            let note = match self.figure {
                Figure::PerMillion => "no run served a request",
                Figure::Unserved => "no run left a request unserved",
            };
            chart.draw_series(std::iter::once(Text::new(note, (names.len() as f64 / 2.0, 0.5), above())))?;
        }
        for (i, v) in values.iter().enumerate() {
            let bar = [(i as f64 + 0.18, 0.0), (i as f64 + 0.82, *v)];
            chart.draw_series(std::iter::once(Rectangle::new(bar, style::SLATE.filled())))?;
            let text = match self.figure {
                Figure::PerMillion => format!("${v:.3}"),
                Figure::Unserved => format!("{v:.4} %"),
            };
            chart.draw_series(std::iter::once(Text::new(text, (i as f64 + 0.5, v + top.max(1e-9) * 0.03), above())))?;
        }
        Ok(())
    }
}

struct Cumulative<'a> {
    comparison: &'a Comparison,
    data: &'a [RunData],
}

impl Cumulative<'_> {
    fn title(&self) -> String {
        "Cumulative cost of every run (USD)".into()
    }

    /// A run's whole bill up to each interval's end: its Fargate services' and its groups'.
    fn line(run: &RunData) -> Vec<(f64, f64)> {
        let mut totals: Vec<(f64, f64)> = Vec::new();
        let grid: Vec<f64> = run
            .services
            .first()
            .map(|s| s.series.iter().map(|p| p.end).collect())
            .or_else(|| run.providers.first().map(|p| p.series.iter().map(|q| q.end).collect()))
            .unwrap_or_default();
        for (i, end) in grid.iter().enumerate() {
            let fargate: f64 = run
                .services
                .iter()
                .filter(|s| s.capacity.starts_with("FARGATE"))
                .filter_map(|s| s.series.get(i))
                .map(|p| p.cumulative_cost_usd)
                .sum();
            let ec2: f64 = run.providers.iter().filter_map(|p| p.series.get(i)).map(|q| q.cumulative_cost_usd).sum();
            totals.push((*end, fargate + ec2));
        }
        std::iter::once((0.0, 0.0)).chain(totals).collect()
    }
}

impl Cumulative<'_> {
    /// Each run's line: the colour of the capacity most of its bill went to, and how many
    /// earlier runs had that colour (0 solid, then dashed, then dotted).
    fn looks(&self) -> Vec<(RGBColor, usize)> {
        let mut groups: Vec<String> = Vec::new();
        for run in self.data {
            for g in run.groups() {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        let mut looks: Vec<(RGBColor, usize)> = Vec::new();
        for row in &self.comparison.rows {
            let main = row.by_capacity.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map_or("FARGATE", |(c, _)| c.as_str());
            let colour = capacity_colour(main, &groups);
            let repeat = looks.iter().filter(|(c, _)| *c == colour).count();
            looks.push((colour, repeat));
        }
        looks
    }
}

impl Drawing for Cumulative<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        self.comparison
            .rows
            .iter()
            .zip(self.looks())
            .map(|(row, (colour, repeat))| {
                let swatch = if repeat == 0 { Swatch::Line(colour) } else { Swatch::Dashed(colour) };
                (format!("{}: ${}", row.run, money(row.total_cost_usd)), swatch)
            })
            .collect()
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let lines: Vec<Vec<(f64, f64)>> = self.data.iter().map(Self::line).collect();
        let top = lines.iter().flatten().map(|p| p.1).fold(0.0, f64::max);
        let span = self.data.iter().map(|d| d.duration_s).fold(0.0, f64::max);
        let axis = TimeAxis { start_unix_ms: self.data.first().map_or(0, |d| d.start_unix_ms), span_s: span };
        let mut chart = super::run::time_chart(plot, &self.title(), "USD", &axis, top)?;
        for (line, (colour, repeat)) in lines.iter().zip(self.looks()) {
            let line = decimate(line, 900);
            match repeat {
                0 => chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?,
                1 => chart.draw_series(DashedLineSeries::new(line, 10, 6, colour.stroke_width(2)))?,
                _ => chart.draw_series(DashedLineSeries::new(line, 3, 5, colour.stroke_width(2)))?,
            };
        }
        Ok(())
    }
}

struct BreakEvenChart<'a> {
    comparison: &'a Comparison,
}

impl BreakEvenChart<'_> {
    fn title(&self) -> String {
        "EC2 against Fargate: the cost of the same work at each utilization of the instances".into()
    }
}

impl BreakEvenChart<'_> {
    /// The break-even, the EC2 run's row and the Fargate run's.
    fn runs(&self) -> Option<(&BreakEven, &ComparisonRow, &ComparisonRow)> {
        let b = self.comparison.break_even.as_ref()?;
        let row = |name: &str| self.comparison.rows.iter().find(|r| r.run == name);
        Some((b, row(&b.ec2_run)?, row(&b.fargate_run)?))
    }
}

impl Drawing for BreakEvenChart<'_> {
    fn legend(&self) -> Vec<(String, Swatch)> {
        let Some((b, ec2, fargate)) = self.runs() else { return Vec::new() };
        vec![
            (format!("EC2 ({}) at that utilization", b.ec2_run), Swatch::Line(style::GREEN)),
            (
                format!("Fargate ({}): ${} a month", b.fargate_run, money(fargate.cost_per_month_usd)),
                Swatch::Line(style::BLUE),
            ),
            (format!("break-even {:.1} %", 100.0 * b.break_even_utilization), Swatch::Dashed(INK)),
            (
                format!("the EC2 run: {:.1} %, ${} a month", 100.0 * b.utilization, money(ec2.cost_per_month_usd)),
                Swatch::Dot(style::GREEN),
            ),
        ]
    }

    fn plot<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let Some((b, ec2, fargate)) = self.runs() else { return Ok(()) };
        // Per month, so that runs of different lengths compare. The EC2 run's reserved work
        // costs ec2 × u; at utilization x it would cost ec2 × u / x.
        let (ec2_cost, fargate_cost) = (ec2.cost_per_month_usd, fargate.cost_per_month_usd);
        let reserved = ec2_cost * b.utilization;
        let at = |x: f64| reserved / x;
        let low = (b.utilization.min(b.break_even_utilization) * 0.6).clamp(0.05, 0.9);
        let top = at(low).max(fargate_cost) * 1.1;
        let mut chart = style::frame(plot, &self.title(), 74).build_cartesian_2d(low..1.0, 0.0..top)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .max_light_lines(0)
            .x_desc("utilization of the EC2 instances: share of their cost reserved by tasks (%)")
            .y_desc("USD per month (730 h)")
            .x_label_formatter(&|x| format!("{:.0} %", 100.0 * x))
            .y_label_formatter(&|v| short_number(*v))
            .label_style(style::small_style())
            .axis_desc_style(style::label_style())
            .draw()?;
        let curve: Vec<(f64, f64)> =
            (0..=200).map(|k| low + (1.0 - low) * f64::from(k) / 200.0).map(|x| (x, at(x))).collect();
        chart.draw_series(LineSeries::new(curve, style::GREEN.stroke_width(3)))?;
        let flat = [(low, fargate_cost), (1.0, fargate_cost)];
        chart.draw_series(LineSeries::new(flat, style::BLUE.stroke_width(3)))?;
        let even = [(b.break_even_utilization, 0.0), (b.break_even_utilization, top)];
        chart.draw_series(DashedLineSeries::new(even, 8, 5, INK.stroke_width(2)))?;
        chart.draw_series(std::iter::once(Circle::new((b.utilization, ec2_cost), 7, style::GREEN.filled())))?;
        Ok(())
    }
}
