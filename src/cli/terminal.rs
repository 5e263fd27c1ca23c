//! The progress of `dxs collect` on stderr: on a terminal a bar per source (pages, requests,
//! rate limit left, and the wait while a rate limit is waited out), elsewhere plain lines (one
//! per written batch and one per wait); then each source's summary line when it ends.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::collectors::{Figures, Progress, Source, SourceSummary};

/// `dxs collect`'s progress on stderr.
pub struct Stderr {
    bars: Option<Bars>,
}

/// A bar per source, drawn by indicatif.
struct Bars {
    multi: MultiProgress,
    by_source: Mutex<HashMap<Source, ProgressBar>>,
}

impl Stderr {
    /// Bars when stderr is a terminal, plain lines when it is not (a file, a pipe, CI logs).
    pub fn new() -> Stderr {
        match std::io::stderr().is_terminal() {
            true => Stderr::bars(MultiProgress::new()),
            false => Stderr { bars: None },
        }
    }

    /// Bars drawn by `multi`.
    fn bars(multi: MultiProgress) -> Stderr {
        Stderr {
            bars: Some(Bars {
                multi,
                by_source: Mutex::default(),
            }),
        }
    }

    /// Prints `line` above the bars, or as a line.
    fn println(&self, line: &str) {
        match &self.bars {
            Some(bars) => {
                if bars.multi.println(line).is_err() {
                    eprintln!("{line}");
                }
            }
            None => eprintln!("{line}"),
        }
    }
}

impl Bars {
    /// The bar of `source`, made on its first figures.
    fn of(&self, source: Source) -> ProgressBar {
        let mut by_source = self.by_source.lock().unwrap_or_else(|e| e.into_inner());
        by_source
            .entry(source)
            .or_insert_with(|| {
                let style =
                    ProgressStyle::with_template("{spinner} {prefix:<12} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner());
                let bar = self.multi.add(ProgressBar::new_spinner().with_style(style));
                bar.set_prefix(source.name());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .clone()
    }
}

/// The plain line of `figures`: `dxs: collect github: 12 pages, 15 requests, …`.
fn line(figures: &Figures) -> String {
    format!("dxs: collect {}: {figures}", figures.source.name())
}

/// A wait of `wait` from `now`: `waiting 42.0 s for the rate limit (until 03:40:12 UTC)`.
fn waiting(wait: Duration, now: DateTime<Utc>) -> String {
    let secs = wait.as_secs();
    let length = match secs < 60 {
        true => format!("{:.1} s", wait.as_secs_f64()),
        false => format!("{} min {} s", secs / 60, secs % 60),
    };
    let until = now + chrono::Duration::from_std(wait).unwrap_or_default();
    format!(
        "waiting {length} for the rate limit (until {} UTC)",
        until.format("%H:%M:%S")
    )
}

impl Progress for Stderr {
    fn update(&self, figures: &Figures) {
        if let Some(bars) = &self.bars {
            bars.of(figures.source).set_message(figures.to_string());
        }
    }

    fn batch(&self, figures: &Figures) {
        match &self.bars {
            Some(bars) => bars.of(figures.source).set_message(figures.to_string()),
            None => eprintln!("{}", line(figures)),
        }
    }

    fn wait(&self, figures: &Figures, wait: Duration) {
        let waiting = waiting(wait, Utc::now());
        match &self.bars {
            Some(bars) => bars
                .of(figures.source)
                .set_message(format!("{figures}, {waiting}")),
            None => eprintln!("{}, {waiting}", line(figures)),
        }
    }

    fn finish(&self, summary: &SourceSummary) {
        if let Some(bars) = &self.bars {
            bars.of(summary.source).finish_and_clear();
        }
        for w in &summary.warnings {
            self.println(&format!(
                "dxs: collect {}: warning: {w}",
                summary.source.name()
            ));
        }
        self.println(&format!("dxs: collect {summary}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collectors::Stats;
    use indicatif::ProgressDrawTarget;

    fn figures() -> Figures {
        Figures {
            source: Source::Github,
            stats: Stats {
                requests: 15,
                pages: 12,
                not_modified: 3,
                rate_limit_remaining: Some(4990),
            },
            items: 40,
        }
    }

    #[test]
    fn a_plain_line_names_the_source_and_its_figures() {
        assert_eq!(
            line(&figures()),
            "dxs: collect github: 12 pages, 15 requests, 3 not modified, 40 items, \
             rate limit 4990 left"
        );
    }

    #[test]
    fn a_wait_reads_its_length_and_when_it_ends() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T03:39:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            waiting(Duration::from_millis(42_300), now),
            "waiting 42.3 s for the rate limit (until 03:40:12 UTC)"
        );
        assert_eq!(
            waiting(Duration::from_secs(3_125), now),
            "waiting 52 min 5 s for the rate limit (until 04:31:35 UTC)"
        );
    }

    #[test]
    fn a_bar_shows_the_figures_then_the_wait() {
        let progress = Stderr::bars(MultiProgress::with_draw_target(ProgressDrawTarget::hidden()));
        progress.update(&figures());
        let bars = progress.bars.as_ref().unwrap();
        let bar = bars.of(Source::Github);
        assert_eq!(bar.prefix(), "github");
        assert_eq!(
            bar.message(),
            "12 pages, 15 requests, 3 not modified, 40 items, rate limit 4990 left"
        );
        progress.wait(&figures(), Duration::from_secs(90));
        let message = bar.message();
        assert!(
            message.starts_with(
                "12 pages, 15 requests, 3 not modified, 40 items, rate limit 4990 left, \
                 waiting 1 min 30 s for the rate limit (until "
            ),
            "{message}"
        );
        // Another source has a bar of its own.
        assert_eq!(bars.of(Source::Argocd).message(), "");
        assert_eq!(bars.by_source.lock().unwrap().len(), 2);
    }
}
