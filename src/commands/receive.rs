//! `hookbench receive`: a verifying webhook receiver that shows latency and counts as it runs.
//!
//! Validates the flags (scheme, secret, tolerance, JSON pointers, faults from flags or a
//! scenario's `[receiver]`), binds loopback (another address only with `--allow-remote`), verifies
//! every delivery under `--scheme` (constant-time signature check, timestamp tolerance, duplicates
//! by delivery id; any validly signed body is accepted), measures detection latency from each
//! event's time ([`crate::trace::record`]: `--event-time`, hookbench's `occurred_at`, or the scheme's
//! timestamp; none is never invented) in scenario time (wall time × `--speedup`, the sender's
//! compression; the output names the clock), writes `--record` one flushed row per delivery (in
//! scenario time too: [`Recorder::in_scenario_time`]), and
//! prints a summary on Ctrl-C, SIGTERM or `--stop-after`.

use std::io::IsTerminal;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::mpsc::unbounded_channel;

use super::options::{self, duration, load_scenario, secret, share, stop_after, wall_duration};
use super::output::print;
use super::serving::{addr, bind, limits, runtime, server_tls, until_stopped, write_certificate};
use crate::cli::ReceiveArgs;
use crate::error::{Error, Result};
use crate::live::clock::Clock;
use crate::live::receiver::{self, ReceiverState};
use crate::model::receiver::Receiver;
use crate::model::signature::Scheme;
use crate::scenario::{ReceiverConfig, Window};
use crate::support::units::{format_duration, SECOND};
use crate::trace::record::Recorder;

/// The receiver's faults from a scenario and flags.
pub fn faults(args: &ReceiveArgs) -> Result<ReceiverConfig> {
    let mut cfg = match &args.from.scenario {
        Some(s) => load_scenario(s, None)?.0.receiver,
        None => ReceiverConfig {
            failure_rate: 0.0,
            slow_rate: 0.0,
            slow: 30 * SECOND,
            outages: Vec::new(),
            gone_at: None,
            capacity: Default::default(),
        },
    };
    cfg.failure_rate = share("--failure-rate", args.failure_rate, cfg.failure_rate)?;
    cfg.slow_rate = share("--slow-rate", args.slow_rate, cfg.slow_rate)?;
    if cfg.failure_rate + cfg.slow_rate > 1.0 {
        return Err(Error::Input("--failure-rate and --slow-rate add up to more than 1".into()));
    }
    if let Some(s) = &args.slow {
        cfg.slow = duration("--slow", s, 0)?;
    }
    for o in &args.outage {
        let Some((at, len)) = o.split_once('+') else {
            return Err(Error::Input(format!("--outage `{o}` should be AT+DURATION, such as `30s+1m`")));
        };
        let at = duration("--outage", at, 0)?;
        let duration = duration("--outage", len, 0)?;
        cfg.outages.push(Window { at, duration });
    }
    Ok(cfg)
}

/// A `--event-time`/`--resource` JSON pointer: empty or starting with `/`.
fn pointer(flag: &str, p: &Option<String>) -> Result<Option<String>> {
    match p {
        Some(p) if !p.is_empty() && !p.starts_with('/') => Err(Error::Input(format!(
            "{flag} `{}` is not a JSON pointer; give one such as `/created` or `/data/object/id`",
            crate::support::quote::excerpt(p, crate::support::quote::EXCERPT)
        ))),
        _ => Ok(p.clone()),
    }
}

/// Where `--record` writes: the file, whether it takes JSON lines, the rows written, and the
/// first write error (after which nothing more is written and the run ends with exit 2).
struct RecordFile {
    out: std::io::BufWriter<std::fs::File>,
    json: bool,
    shown: String,
    rows: u64,
    failed: Option<String>,
}

impl RecordFile {
    /// Refuses an existing `path` unless `force`, before anything is bound or written, so a
    /// second receiver that fails on a busy port never touches the first one's recording.
    fn check(path: &std::path::Path, force: bool) -> Result<()> {
        if !force && std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::Input(format!(
                "--record: `{}` exists; give a new file, or add --force to overwrite it",
                Self::shown(path)
            )));
        }
        Ok(())
    }

    fn shown(path: &std::path::Path) -> String {
        crate::support::quote::excerpt(&path.display().to_string(), crate::support::quote::EXCERPT_PATH)
    }

    /// Creates the file (a new one unless `force`): called once the address is bound.
    fn create(path: &std::path::Path, force: bool) -> Result<RecordFile> {
        let shown = Self::shown(path);
        let mut open = std::fs::OpenOptions::new();
        open.write(true);
        if force {
            open.create(true).truncate(true);
        } else {
            open.create_new(true);
        }
        let file = open.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Input(format!(
                    "--record: `{shown}` exists; give a new file, or add --force to overwrite it"
                ))
            } else {
                Error::Input(format!("--record: cannot create `{shown}` ({e})"))
            }
        })?;
        let json = path.extension().is_some_and(|e| e == "jsonl");
        let mut f = RecordFile { out: std::io::BufWriter::new(file), json, shown, rows: 0, failed: None };
        if !json {
            f.write(crate::trace::record::HEADER);
        }
        Ok(f)
    }

    /// Writes and flushes one row, so a stop loses nothing; false once a write has failed.
    fn row(&mut self, text: &str) -> bool {
        if self.write(text) {
            self.rows += 1;
        }
        self.failed.is_none()
    }

    fn write(&mut self, text: &str) -> bool {
        use std::io::Write as _;
        if self.failed.is_some() {
            return false;
        }
        match writeln!(self.out, "{text}").and_then(|()| self.out.flush()) {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e.to_string());
                false
            }
        }
    }

    /// The run's error sentence when a write failed: what was kept, and why the rest was not.
    fn failure(&self) -> Option<String> {
        self.failed.as_ref().map(|e| {
            format!(
                "--record: writing `{}` failed after {} rows ({e}); the receiver stopped there, and the summary above counts every delivery it answered",
                self.shown, self.rows
            )
        })
    }
}

/// What the collector saw of the event times: values at `--event-time` that are not
/// timestamps, and event times after their arrival (clock skew).
#[derive(Default)]
struct EventTimes {
    not_a_time: u64,
    first_refused: Option<String>,
    future: u64,
    most_ahead: Duration,
}

/// `hookbench receive`.
pub fn run(args: ReceiveArgs) -> Result<u8> {
    let scheme = options::scheme(&args.signing, Scheme::Standard);
    let secret = secret(scheme, args.signing.secret.as_deref(), "hookbench receive")?;
    let event_time = pointer("--event-time", &args.event_time)?;
    let recorder = Recorder::new(event_time.clone(), pointer("--resource", &args.resource)?);
    if let Some(path) = args.record.as_deref() {
        RecordFile::check(path, args.force)?;
    }
    let tolerance = wall_duration("--timestamp-tolerance", &args.timestamp_tolerance, SECOND)?.as_secs();
    let faults = faults(&args)?;
    let speedup = options::speedup(&args.speedup)?;
    // Latency is wall time between `occurred_at` and arrival; the sender's time runs `speedup`
    // times faster, so scenario time is wall × speedup.
    let clock_note = if speedup == 1.0 {
        "wall time = scenario time at --speedup 1".to_string()
    } else {
        format!("scenario time = wall × {speedup}")
    };
    let stop = stop_after(args.server.stop_after.as_deref())?;
    let mut limits = limits(&args.server)?;
    limits.reset_rate = share("--reset-rate", args.reset_rate, 0.0)?;
    let bound = addr(&args.server, "127.0.0.1:9090").to_string();
    let tls = server_tls(&args.tls, &args.tls_cert, &bound)?;
    runtime()?.block_on(async move {
        let listener = bind(&bound, args.server.allow_remote).await?;
        let addr = listener.local_addr().map_err(|e| Error::Input(format!("cannot read the bound address: {e}")))?;
        let written = tls.as_ref().map(|t| write_certificate(t, "receive", addr.port())).transpose()?.flatten();
        let (url_scheme, tls_note) = crate::render::text::tls_banner(tls.is_some(), written.as_deref());
        // Bound: only now is the recording created.
        let mut record = args.record.as_deref().map(|p| RecordFile::create(p, args.force)).transpose()?;
        // The first failed write stops the server and becomes the run's error.
        let record_failed = std::sync::Arc::new((tokio::sync::Notify::new(), std::sync::OnceLock::new()));
        let stop_recording = record_failed.clone();
        let (tx, mut rx) = unbounded_channel();
        let clock = Clock::start(speedup);
        // Rows are in scenario time: stretched `speedup` times from now, when the receiver starts.
        let mut recorder = recorder.in_scenario_time(clock.wall_at(0), speedup);
        let state =
            ReceiverState::with_scheme(scheme, secret, tolerance, Receiver::new(&faults), clock, 0, vec![tx]);
        print(&format!(
            "hookbench receive: listening on {url_scheme}://{addr} (POST any path) · scheme {scheme} · tolerance {tolerance}s{tls_note}\n"
        ))?;
        let live_status = !args.quiet.quiet && std::io::stderr().is_terminal();
        let stats_state = std::sync::Arc::downgrade(&state);
        let note = clock_note.clone();
        let collector = tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3).ok();
            let mut last_print = std::time::Instant::now();
            let mut first = 0u64;
            let mut times = EventTimes::default();
            while let Some(d) = rx.recv().await {
                let row = recorder.row(&d.verified, &d.body, d.status, d.arrived);
                if let Some(f) = record.as_mut() {
                    if !f.row(&if f.json { row.json() } else { row.csv() }) {
                        if let Some(e) = f.failure() {
                            let _ = record_failed.1.set(e);
                        }
                        record_failed.0.notify_one();
                    }
                }
                if let Some(v) = &row.not_a_time {
                    times.not_a_time += 1;
                    times.first_refused.get_or_insert_with(|| v.clone());
                }
                if d.answer.processed() && !d.duplicate {
                    first += 1;
                    // The row's times are scenario times already. An event time after the
                    // arrival is clock skew: counted and reported, never a latency of 0.
                    match row.latency() {
                        Some(Ok(lat)) => {
                            if let Some(h) = hist.as_mut() {
                                let _ = h.record(lat.as_micros() as u64);
                            }
                        }
                        Some(Err(ahead)) => {
                            times.future += 1;
                            times.most_ahead = times.most_ahead.max(ahead);
                        }
                        None => {}
                    }
                }
                if live_status && last_print.elapsed() > Duration::from_millis(500) {
                    last_print = std::time::Instant::now();
                    let Some(s) = stats_state.upgrade().map(|s| s.stats()) else { continue };
                    let latency = match hist.as_ref().filter(|h| !h.is_empty()) {
                        Some(h) => format!(
                            "latency p50 {} p99 {} ({note})",
                            format_duration(h.value_at_quantile(0.5)),
                            format_duration(h.value_at_quantile(0.99))
                        ),
                        None => "latency: no event time".into(),
                    };
                    crate::support::out::stderr(&format!(
                        "\r{first} events · {} duplicates · {} retries · {} rejected · {} faulted · {latency}   ",
                        s.duplicates, s.retries, s.rejected, s.faulted,
                    ));
                }
            }
            (first, hist, times)
        });
        let started = std::time::Instant::now();
        // Stopped by the limit, a signal, or the first failed write to --record.
        let stopped = async {
            tokio::select! {
                () = until_stopped(stop) => {}
                () = stop_recording.0.notified() => {}
            }
        };
        // Drained: every connection is closed, so the counts are final and, with the last
        // handle on the state dropped, the collector has every delivery and ends.
        let refusals = crate::live::serve::Refusals::none();
        crate::live::serve::serve_over(listener, receiver::router(state.clone()), limits, refusals, tls, stopped)
            .await;
        let s = state.stats();
        drop(state);
        let (events, hist, times) = match tokio::time::timeout(Duration::from_secs(10), collector).await {
            Ok(Ok(done)) => done,
            _ => return Err(Error::Internal("the deliveries' collector did not finish after the stop".into())),
        };
        if live_status {
            crate::support::out::stderr("\n");
        }
        let latency = match hist.filter(|h| !h.is_empty()) {
            Some(h) => format!(
                "; latency from the event time ({clock_note}): p50 {}, p99 {}, max {}",
                format_duration(h.value_at_quantile(0.5)),
                format_duration(h.value_at_quantile(0.99)),
                format_duration(h.max())
            ),
            None if events > 0 && times.future == 0 => "; latency: no event time".to_string(),
            None => String::new(),
        };
        let skew = if times.future > 0 {
            format!(
                "; {} event times after their arrival (the sender's clock is ahead by up to {}), left out of the latency",
                times.future,
                format_duration(times.most_ahead.as_micros() as u64)
            )
        } else {
            String::new()
        };
        print(&format!(
            "hookbench receive: stopped after {:.1}s: {} deliveries accepted ({events} events, {} duplicates, {} retries), {} rejected, {} answered with an injected fault{latency}{skew}\n",
            started.elapsed().as_secs_f64(),
            s.accepted,
            s.duplicates,
            s.retries,
            s.rejected,
            s.faulted
        ))?;
        if let Some(e) = stop_recording.1.get() {
            return Err(Error::Input(e.clone()));
        }
        match (&times.first_refused, &event_time) {
            (Some(v), Some(p)) => Err(Error::Input(format!(
                "--event-time `{}` pointed at {v}, which is not a timestamp (epoch seconds from 2000 on, or RFC 3339), in {} deliveries; their event time came from the scheme or the arrival instead",
                crate::support::quote::excerpt(p, crate::support::quote::EXCERPT),
                times.not_a_time
            ))),
            _ => Ok(0),
        }
    })
}
