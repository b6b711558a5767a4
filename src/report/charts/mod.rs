//! Charts of a run, a comparison and a sweep, drawn with plotters into `charts/` as SVG and
//! PNG, from the output files alone (so `ecsim plot` draws them again for any folder).
//!
//! Text is drawn with the embedded DejaVu Sans through plotters' ab_glyph path: no system
//! font library is needed. Every capacity keeps its colour on every chart (`style`), legends
//! sit under the plot, and lines longer than the chart is wide are decimated keeping minima
//! and maxima (`decimate`).

mod compare;
mod data;
mod decimate;
mod pixels;
mod run;
mod style;
mod sweep;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

pub use compare::draw_comparison;
pub use data::{Decision, RunData, ServicePoint};
pub use run::{CHARTED_SERVICES, draw_run};
pub use sweep::draw_sweep;

use super::atomic::write_file;

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("{path}: cannot read it for the charts: {message}")]
    Read { path: String, message: String },
    #[error("cannot draw a chart: {0}")]
    Draw(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl ChartError {
    fn read(path: &Path, message: impl std::fmt::Display) -> ChartError {
        ChartError::Read { path: path.display().to_string(), message: message.to_string() }
    }

    fn draw(e: impl std::fmt::Display) -> ChartError {
        ChartError::Draw(e.to_string())
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError::draw(e)
    }
}

/// A chart written: its file name (without extension) and its title.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub file: String,
    pub title: String,
}

/// The folder charts go into, beside the CSV files.
pub fn folder(dir: &Path) -> PathBuf {
    dir.join("charts")
}

/// Removes from the charts folder `dir` every chart but those just drawn, so that a folder
/// written again (a service renamed, a variant dropped) shows no chart of an earlier run.
fn keep_only(dir: &Path, drawn: Vec<Chart>) -> Result<Vec<Chart>, ChartError> {
    let fail = |source| ChartError::Write { path: dir.display().to_string(), source };
    for entry in std::fs::read_dir(dir).map_err(fail)? {
        let path = entry.map_err(fail)?.path();
        let chart = path.extension().is_some_and(|e| e == "svg" || e == "png");
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if chart && !drawn.iter().any(|c| c.file == stem) {
            std::fs::remove_file(&path).map_err(fail)?;
        }
    }
    Ok(drawn)
}

/// A name for a file from a service's or a run's name: letters, digits, '-', '_' and '.'
/// kept, anything else '_'; never empty, never `.` or `..`.
pub fn file_name(name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    match safe.as_str() {
        "" | "." | ".." => format!("_{safe}"),
        _ => safe,
    }
}

/// A chart that can draw itself on any plotters backend: its plot, and the legend under it.
trait Drawing {
    /// The legend's entries, known before the plot is drawn, so that the strip under the plot
    /// can be as tall as they need.
    fn legend(&self) -> Vec<(String, style::Swatch)>;
    fn plot<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let entries = self.legend();
        let (plot, strip) = style::split(root, &entries)?;
        self.plot(&plot)?;
        style::legend(&strip, &entries)
    }
}

/// Draws `chart` twice — into an SVG and into a PNG of [`style::SIZE`] — and writes both into
/// `dir` as `file.svg` and `file.png`, each whole or not at all.
fn render(dir: &Path, file: &str, title: &str, chart: &impl Drawing) -> Result<Chart, ChartError> {
    style::register_font();
    let (width, height) = style::SIZE;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, style::SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let backend = pixels::PixelBackend::new(&mut pixels, style::SIZE, style::FONT_BYTES)
            .ok_or_else(|| ChartError::Draw("the embedded font cannot be read".into()))?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }
    let write = |name: String, bytes: &[u8]| {
        let path = dir.join(&name);
        write_file(&path, bytes).map_err(|source| ChartError::Write { path: path.display().to_string(), source })
    };
    write(format!("{file}.svg"), svg.as_bytes())?;
    write(format!("{file}.png"), &png(&pixels, style::SIZE)?)?;
    Ok(Chart { file: file.to_owned(), title: title.to_owned() })
}

/// `pixels` (RGB, row by row) as a PNG file.
fn png(pixels: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(ChartError::draw)?;
    writer.write_image_data(pixels).map_err(ChartError::draw)?;
    writer.finish().map_err(ChartError::draw)?;
    Ok(bytes)
}
