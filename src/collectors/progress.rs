//! How far each source of a collection has got: the figures of its run (requests, pages, rate
//! limit left, items written), kept by one [`Meter`] per run that every session of the run
//! counts on, and told to a [`Progress`] as they move: `dxs collect` draws them (a bar per
//! source, or plain lines), `dxs serve` and the tests stay [`Quiet`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Source, SourceSummary, Stats};

/// What one source's run has done so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// The source.
    pub source: Source,
    /// Requests, pages, 304s and the last rate-limit figure.
    pub stats: Stats,
    /// Rows written or changed.
    pub items: u64,
}

impl Figures {
    /// No request yet, nothing written.
    pub fn new(source: Source) -> Figures {
        Figures {
            source,
            stats: Stats::default(),
            items: 0,
        }
    }
}

impl std::fmt::Display for Figures {
    /// `12 pages, 15 requests, 3 not modified, 40 items, rate limit 4990 left` (the rate limit
    /// once one was seen).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.stats;
        write!(
            f,
            "{} pages, {} requests, {} not modified, {} items",
            s.pages, s.requests, s.not_modified, self.items
        )?;
        match s.rate_limit_remaining {
            Some(left) => write!(f, ", rate limit {left} left"),
            None => Ok(()),
        }
    }
}

/// Where a collection tells how far each source has got. Every method does nothing unless
/// implemented.
pub trait Progress: Send + Sync {
    /// A request was sent or answered: the source's figures so far (often: for a live bar).
    fn update(&self, _figures: &Figures) {}

    /// A batch was written: the source's figures so far (seldom: for a line per batch).
    fn batch(&self, _figures: &Figures) {}

    /// The source waits `wait` for a rate limit to reset before asking again.
    fn wait(&self, _figures: &Figures, _wait: Duration) {}

    /// The source's run ended (success or not).
    fn finish(&self, _summary: &SourceSummary) {}
}

/// Tells nobody: `dxs serve`'s schedule and the tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// The figures of one source's run, counted by every session of the run, and the
/// [`Progress`] told when they move.
pub struct Meter {
    figures: Mutex<Figures>,
    progress: Arc<dyn Progress>,
}

impl Meter {
    /// A meter of `source` at zero that tells `progress`.
    pub fn new(source: Source, progress: Arc<dyn Progress>) -> Meter {
        Meter {
            figures: Mutex::new(Figures::new(source)),
            progress,
        }
    }

    /// Updates the stats (a request sent, a page read, a rate limit seen) and tells
    /// [`Progress::update`].
    pub fn count(&self, update: impl FnOnce(&mut Stats)) {
        let figures = self.change(|f| update(&mut f.stats));
        self.progress.update(&figures);
    }

    /// Adds `rows` written by a batch and tells [`Progress::batch`].
    pub fn written(&self, rows: u64) {
        let figures = self.change(|f| f.items += rows);
        self.progress.batch(&figures);
    }

    /// Tells [`Progress::wait`] that a rate limit is waited out for `wait`.
    pub fn wait(&self, wait: Duration) {
        self.progress.wait(&self.figures(), wait);
    }

    /// Tells [`Progress::finish`] that the run ended with `summary`.
    pub fn finish(&self, summary: &SourceSummary) {
        self.progress.finish(summary);
    }

    /// The figures so far.
    pub fn figures(&self) -> Figures {
        self.change(|_| {})
    }

    fn change(&self, update: impl FnOnce(&mut Figures)) -> Figures {
        let mut figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        update(&mut figures);
        *figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembers what it was told, as text.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Progress for Recorder {
        fn update(&self, figures: &Figures) {
            self.0.lock().unwrap().push(format!("update {figures}"));
        }
        fn batch(&self, figures: &Figures) {
            self.0.lock().unwrap().push(format!("batch {figures}"));
        }
        fn wait(&self, figures: &Figures, wait: Duration) {
            let name = figures.source.name();
            self.0.lock().unwrap().push(format!("wait {name} {wait:?}"));
        }
    }

    #[test]
    fn figures_read_as_a_line_with_the_rate_limit_once_seen() {
        let mut figures = Figures::new(Source::Github);
        assert_eq!(
            figures.to_string(),
            "0 pages, 0 requests, 0 not modified, 0 items"
        );
        figures.stats = Stats {
            requests: 15,
            pages: 12,
            not_modified: 3,
            rate_limit_remaining: Some(4990),
        };
        figures.items = 40;
        assert_eq!(
            figures.to_string(),
            "12 pages, 15 requests, 3 not modified, 40 items, rate limit 4990 left"
        );
    }

    #[test]
    fn the_meter_counts_and_tells_each_move() {
        let recorder = Arc::new(Recorder::default());
        let meter = Meter::new(Source::Argocd, recorder.clone());
        meter.count(|s| s.requests += 1);
        meter.count(|s| s.pages += 1);
        meter.written(7);
        meter.wait(Duration::from_secs(3));
        meter.written(2);
        let told = recorder.0.lock().unwrap().clone();
        assert_eq!(
            told,
            vec![
                "update 0 pages, 1 requests, 0 not modified, 0 items",
                "update 1 pages, 1 requests, 0 not modified, 0 items",
                "batch 1 pages, 1 requests, 0 not modified, 7 items",
                "wait argocd 3s",
                "batch 1 pages, 1 requests, 0 not modified, 9 items",
            ]
        );
        assert_eq!(meter.figures().items, 9);
        assert_eq!(meter.figures().stats.pages, 1);
    }
}
