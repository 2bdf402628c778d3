//! Progress of a long sim run on stderr: a bar once the run has taken ~2 s, on a terminal only.
//!
//! Owns the shared progress counters and the bar. Each job (a row of a replication) publishes
//! its virtual time into its own atomic slot every 65,536 steps — no lock, no allocation per
//! event — and the bar shows the share of all jobs' virtual time done. It never changes a
//! result: the counters are written, never read, by the jobs. Nothing is drawn when stderr is not
//! a terminal, when not asked, or for a run that ends within the first two seconds.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::units::Micros;

/// Jobs publish their virtual time when `steps & PUBLISH_MASK == 0`.
pub const PUBLISH_MASK: u64 = 0xFFFF;

/// After how long a run shows its bar.
const SHOW_AFTER: Duration = Duration::from_secs(2);

/// Every job's virtual time so far, against its end.
pub struct Progress {
    now: Vec<AtomicU64>,
    ends: Vec<Micros>,
}

impl Progress {
    /// Counters for jobs that end at `ends`.
    pub fn new(ends: Vec<Micros>) -> Self {
        Progress { now: ends.iter().map(|_| AtomicU64::new(0)).collect(), ends }
    }

    /// Job `i`'s counter.
    pub fn slot(&self, i: usize) -> Option<&AtomicU64> {
        self.now.get(i)
    }

    /// Job `i` is finished (it may have ended before its configured end).
    pub fn finish(&self, i: usize) {
        if let (Some(slot), Some(end)) = (self.now.get(i), self.ends.get(i)) {
            slot.store(*end, Ordering::Relaxed);
        }
    }

    /// The share of the run done, 0–1.
    pub fn fraction(&self) -> f64 {
        let total: f64 = self.ends.iter().map(|&e| e as f64).sum();
        if total <= 0.0 {
            return 1.0;
        }
        let done: f64 =
            self.now.iter().zip(&self.ends).map(|(n, &e)| n.load(Ordering::Relaxed).min(e) as f64).sum();
        (done / total).clamp(0.0, 1.0)
    }
}

/// Runs `work`, drawing a bar of `progress` on stderr after [`SHOW_AFTER`] if `asked` and
/// stderr is a terminal.
pub fn with_bar<R>(progress: &Progress, asked: bool, work: impl FnOnce() -> R) -> R {
    if !asked || !std::io::stderr().is_terminal() {
        return work();
    }
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let started = Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            // Wakes every 100 ms; the sender's drop at the end of the run wakes it at once.
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_millis(100))
            {
                if started.elapsed() < SHOW_AFTER {
                    continue;
                }
                let b = bar.get_or_insert_with(|| {
                    let b = indicatif::ProgressBar::new(1000);
                    b.set_style(
                        indicatif::ProgressStyle::with_template("sim run [{bar:30}] {percent:>3}% · {msg}")
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    b
                });
                let (f, took) = (progress.fraction(), started.elapsed().as_secs_f64());
                let left =
                    if f > 0.0 { format!("about {:.0}s left", took * (1.0 - f) / f) } else { String::new() };
                b.set_message(format!("{took:.0}s · {left}"));
                b.set_position((f * 1000.0) as u64);
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = work();
        drop(stop);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_counts_virtual_time_and_finished_jobs() {
        let p = Progress::new(vec![100, 300]);
        assert_eq!(p.fraction(), 0.0);
        p.slot(1).unwrap().store(150, Ordering::Relaxed);
        assert!((p.fraction() - 150.0 / 400.0).abs() < 1e-12);
        p.finish(0);
        assert!((p.fraction() - 250.0 / 400.0).abs() < 1e-12);
        p.slot(1).unwrap().store(10_000, Ordering::Relaxed);
        assert_eq!(p.fraction(), 1.0);
        assert_eq!(Progress::new(Vec::new()).fraction(), 1.0);
        // Not asked: the work runs, nothing is drawn.
        assert_eq!(with_bar(&p, false, || 7), 7);
    }
}
