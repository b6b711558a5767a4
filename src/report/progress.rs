//! A progress bar on standard error for long commands: runs done, the rate and the time
//! left. Hidden when standard error is not a terminal (CI logs, pipes) or when asked to be
//! quiet, so it never reaches a file.

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar counting runs, as many as [`Progress::grow`] adds.
    pub fn runs(visible: bool) -> Self {
        Self::new(0, visible, "{bar:30} {pos}/{len} runs  {rate} runs/s  {eta} left")
    }

    /// A bar counting `total_ms` of simulated time over every run of a command.
    pub fn simulated(total_ms: u64, visible: bool) -> Self {
        Self::new(total_ms, visible, "{bar:30} {percent:>3} % simulated  {elapsed} so far, {eta} left")
    }

    fn new(total: u64, visible: bool, template: &str) -> Self {
        if !visible || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(template).expect("a valid template").with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", state.per_sec());
            },
        );
        bar.set_style(style);
        Progress(Some(bar))
    }

    /// No bar at all.
    pub fn hidden() -> Self {
        Progress(None)
    }

    /// More to do than the bar counted.
    pub fn grow(&self, by: u64) {
        if let Some(bar) = &self.0 {
            bar.inc_length(by);
        }
    }

    pub fn advance(&self, by: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(by);
        }
    }

    /// Takes the bar off the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
