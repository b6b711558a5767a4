//! How every chart looks: the bundled font, the colours (Okabe and Ito's palette, told apart
//! by colour-blind readers and, by their lightness, in greyscale), one colour per capacity on
//! every chart, the legend strip under the plot, and the time axis.

use std::sync::Once;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::ChartError;

/// The font family every chart's text uses: DejaVu Sans, embedded (see
/// `assets/fonts/LICENSE-DejaVu.txt`), so no system font is needed.
pub const FONT: &str = "sans-serif";
pub static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font with plotters, once.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are DejaVu Sans itself: a font ab_glyph cannot read would be a build mistake.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, FONT_BYTES);
    });
}

// Okabe & Ito (2008), "Color Universal Design".
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const INK: RGBColor = RGBColor(34, 34, 34);
pub const GREY: RGBColor = RGBColor(130, 130, 130);
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const SLATE: RGBColor = RGBColor(45, 45, 45);

/// Colours for the Auto Scaling group providers, in the scenario's order: the first two are
/// apart in lightness from FARGATE's and FARGATE_SPOT's and from each other.
const GROUPS: [RGBColor; 4] = [GREEN, SLATE, VERMILLION, SKY];

/// A capacity's colour: FARGATE blue, FARGATE_SPOT orange, each Auto Scaling group the next
/// of green, slate, vermillion and sky blue in the order `groups` lists them — the same on
/// every chart of a run, a comparison or a sweep.
pub fn capacity_colour(capacity: &str, groups: &[String]) -> RGBColor {
    match capacity {
        "FARGATE" => BLUE,
        "FARGATE_SPOT" => ORANGE,
        group => GROUPS[groups.iter().position(|g| g == group).unwrap_or(0) % GROUPS.len()],
    }
}

/// A series colour for the `i`-th of several lines that are not capacities (runs of a
/// comparison): the palette in turn.
pub fn series_colour(i: usize) -> RGBColor {
    [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, INK][i % 7]
}

/// `colour` mixed with white: `amount` 0 is the colour, 1 is white.
pub fn lighter(colour: RGBColor, amount: f64) -> RGBColor {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * amount).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// The size of every chart, in pixels (the PNG; the SVG has the same view box).
pub const SIZE: (u32, u32) = (1000, 520);
/// The strip under the plot that holds the legend.
pub const LEGEND_HEIGHT: u32 = 56;

/// The frame every chart shares: its title above, the margins, and room for the axes' labels
/// (`y_labels` pixels wide: wider for a heat map's names).
pub fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_labels: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.caption(title, title_style()).margin(12).margin_right(48).x_label_area_size(46).y_label_area_size(y_labels);
    builder
}

pub fn title_style() -> TextStyle<'static> {
    (FONT, 22).into_font().color(&INK)
}

pub fn label_style() -> TextStyle<'static> {
    (FONT, 15).into_font().color(&INK)
}

pub fn small_style() -> TextStyle<'static> {
    (FONT, 13).into_font().color(&INK)
}

/// What a legend entry shows beside its label.
#[derive(Clone, Copy)]
pub enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Fill(RGBColor),
    /// A lighter fill with diagonal lines: EC2 capacity nobody reserved.
    Hatched(RGBColor),
    Up(RGBColor),
    Down(RGBColor),
    Dot(RGBColor),
}

/// Where each legend entry goes in a strip `width` wide, left to right, wrapping: the
/// positions and the rows used.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
    width: u32,
) -> Result<(Vec<(i32, i32)>, u32), ChartError> {
    let style = small_style();
    let (mut x, mut y) = (70i32, 10i32);
    let mut places = Vec::new();
    for (label, _) in entries {
        let (text_width, _) = area.estimate_text_size(label, &style).map_err(ChartError::draw)?;
        let entry = 28 + text_width as i32 + 22;
        if x + entry > width as i32 - 10 && x > 70 {
            x = 70;
            y += 22;
        }
        places.push((x, y));
        x += entry;
    }
    Ok((places, (y - 10) as u32 / 22 + 1))
}

/// An area of a chart.
pub type Area<DB> = DrawingArea<DB, Shift>;

/// The plot and, under it, a strip tall enough for `entries`: legends never cover data.
pub fn split<DB: DrawingBackend>(
    root: &Area<DB>,
    entries: &[(String, Swatch)],
) -> Result<(Area<DB>, Area<DB>), ChartError> {
    let (width, height) = root.dim_in_pixel();
    let (_, rows) = legend_layout(root, entries, width)?;
    let strip = (LEGEND_HEIGHT + 22 * rows.saturating_sub(2)).min(height / 2);
    Ok(root.split_vertically(height - strip))
}

/// Draws `entries` left to right in `area` (the strip under the plot), wrapping to more rows
/// if they do not fit.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Swatch)],
) -> Result<(), ChartError> {
    let (width, _) = area.dim_in_pixel();
    let style = small_style();
    let (places, _) = legend_layout(area, entries, width)?;
    for ((label, swatch), (x, y)) in entries.iter().zip(places) {
        draw_swatch(area, (x, y + 8), *swatch)?;
        area.draw(&Text::new(label.clone(), (x + 28, y), style.clone())).map_err(ChartError::draw)?;
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    swatch: Swatch,
) -> Result<(), ChartError> {
    let rect = [(x, y - 6), (x + 22, y + 6)];
    let result = match swatch {
        Swatch::Line(c) => area.draw(&PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))),
        Swatch::Dashed(c) => {
            area.draw(&PathElement::new(vec![(x, y), (x + 8, y)], c.stroke_width(2)))?;
            area.draw(&PathElement::new(vec![(x + 14, y), (x + 22, y)], c.stroke_width(2)))
        }
        Swatch::Fill(c) => area.draw(&Rectangle::new(rect, c.filled())),
        Swatch::Hatched(c) => {
            area.draw(&Rectangle::new(rect, lighter(c, 0.6).filled()))?;
            for k in 1..4 {
                let x0 = x + k * 22 / 4;
                area.draw(&PathElement::new(vec![(x0, y + 6), (x0, y - 6)], c.stroke_width(1)))?;
            }
            Ok(())
        }
        Swatch::Dot(c) => area.draw(&Circle::new((x + 11, y), 4, c.filled())),
        Swatch::Up(c) => area.draw(&TriangleMarker::new((x + 11, y), 6, c.filled())),
        Swatch::Down(c) => area.draw(&DownTriangle { at: (x + 11, y), size: 6, colour: c }),
    };
    result.map_err(ChartError::draw)
}

/// A triangle pointing down: a scale-in.
pub struct DownTriangle {
    pub at: (i32, i32),
    pub size: i32,
    pub colour: RGBColor,
}

impl<'a> PointCollection<'a, (i32, i32)> for &'a DownTriangle {
    type Point = &'a (i32, i32);
    type IntoIter = std::iter::Once<&'a (i32, i32)>;
    fn point_iter(self) -> std::iter::Once<&'a (i32, i32)> {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for DownTriangle {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        if let Some((x, y)) = points.next() {
            let s = self.size;
            let corners = [(x - s, y - s * 2 / 3), (x + s, y - s * 2 / 3), (x, y + s)];
            backend.fill_polygon(corners, &self.colour.filled())?;
        }
        Ok(())
    }
}

/// A linear axis whose grid lines and labels sit at chosen values (whole days, the runs of a
/// comparison) rather than where plotters' round numbers fall.
#[derive(Clone)]
pub struct Ticks {
    pub range: Range<f64>,
    pub keys: Vec<f64>,
}

impl Ranged for Ticks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (from, to): (i32, i32)) -> i32 {
        let width = (self.range.end - self.range.start).max(f64::MIN_POSITIVE);
        let share = (value - self.range.start) / width;
        from + (share * f64::from(to - from)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.keys.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// A time axis over a run: labels at whole days, six hours, hours or ten minutes, as the span
/// asks, in UTC, and the positions of those labels (seconds from the run's start).
pub struct TimeAxis {
    pub start_unix_ms: i64,
    pub span_s: f64,
}

impl TimeAxis {
    /// The x axis of a chart over the run.
    pub fn ticks(&self) -> Ticks {
        Ticks { range: 0.0..self.span_s.max(1.0), keys: self.key_points() }
    }

    /// Where the labels go, in seconds from the start.
    pub fn key_points(&self) -> Vec<f64> {
        let span_h = self.span_s / 3600.0;
        let step = match span_h {
            h if h > 24.0 * 20.0 => 7.0 * 86_400.0,
            h if h > 24.0 * 4.0 => 86_400.0,
            h if h > 36.0 => 6.0 * 3600.0,
            h if h > 8.0 => 2.0 * 3600.0,
            h if h > 2.0 => 3600.0,
            h if h > 0.5 => 600.0,
            _ => 60.0,
        };
        // Aligned to whole steps of wall-clock time (UTC), not to the run's start.
        let start_s = self.start_unix_ms as f64 / 1000.0;
        let first = (start_s / step).ceil() * step - start_s;
        (0..).map(|k| first + f64::from(k) * step).take_while(|&t| t <= self.span_s + 1e-6).collect()
    }

    /// The label at `t` seconds from the start: a date and hour over days, else hours:minutes.
    pub fn label(&self, t: f64) -> String {
        let ms = self.start_unix_ms + (t * 1000.0).round() as i64;
        let Ok(time) = jiff::Timestamp::from_millisecond(ms) else { return String::new() };
        let civil = time.to_zoned(jiff::tz::TimeZone::UTC);
        if self.span_s > 4.0 * 86_400.0 {
            civil.strftime("%a %-d %b").to_string()
        } else if self.span_s > 36.0 * 3600.0 {
            civil.strftime("%a %H:%M").to_string()
        } else {
            civil.strftime("%H:%M").to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_keep_their_colour_and_the_palette_reads_in_greyscale() {
        let groups = ["web".to_owned(), "batch".to_owned()];
        assert_eq!(capacity_colour("FARGATE", &groups), BLUE);
        assert_eq!(capacity_colour("FARGATE_SPOT", &groups), ORANGE);
        assert_eq!(capacity_colour("batch", &groups), SLATE);
        // Relative luminance (ITU-R BT.709) of FARGATE, FARGATE_SPOT and the first two groups'
        // colours: pairwise 0.08 or more apart, so a greyscale print still tells them apart.
        let luminance = |c: RGBColor| 0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2);
        let colours = [BLUE, ORANGE, GREEN, SLATE];
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert!((luminance(*a) - luminance(*b)).abs() > 0.08 * 255.0, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn time_labels_fall_on_whole_hours_and_days_in_utc() {
        // A week from Monday 2026-01-05 00:00 UTC: a label at each midnight.
        let week = TimeAxis { start_unix_ms: 1_767_571_200_000, span_s: 7.0 * 86_400.0 };
        let points = week.key_points();
        assert_eq!(points.len(), 8);
        assert_eq!((points[0], points[1]), (0.0, 86_400.0));
        assert_eq!(week.label(points[1]), "Tue 6 Jan");
        // Two hours from 00:30: labels at the hours 01:00 and 02:00, then 10 minutes apart at most 2 h.
        let short = TimeAxis { start_unix_ms: 1_767_571_200_000 + 1_800_000, span_s: 7200.0 };
        let points = short.key_points();
        assert_eq!(short.label(points[0]), "00:30");
        assert_eq!(points[1] - points[0], 600.0);
    }
}
