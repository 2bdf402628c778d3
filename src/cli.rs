//! Command-line parsing only: clap structs, no validation beyond types.
//!
//! Owns the flags and their help. Every flag is defined once, in a group (`ScenarioArgs`,
//! `RunArgs`, `OutputArgs`, `SigningArgs`, `ServerArgs`, …) flattened into each subcommand that
//! takes it, so a flag name means one thing everywhere. The raw strings are turned into validated
//! domain types by `commands::options`, so the engines never see clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::signature::{Scheme, SCHEMES};
/// `--format`'s values: the renderers' own enum, re-exported where the flags are.
pub use crate::render::Format;

/// Poll the API or take webhooks? Measure it.
///
/// hookbench runs one event stream through every integration strategy and prints detection
/// latency, missed and duplicate events, requests, quota and bytes side by side. By default six
/// run: poll (cursor polling at one or more intervals), poll-etag (the same with ETags),
/// poll-state (snapshot polling), webhook, hybrid (thin webhook, then a fetch) and
/// hybrid-reconcile (webhooks plus a slow reconciliation poll). Three more run when named:
/// long-poll (the API holds each request until an event arrives), sse (a server-sent events
/// stream) and poll-adaptive (polls fast after activity, backs off when idle).
#[derive(Debug, Parser)]
#[command(
    name = "hookbench",
    version,
    about,
    long_about,
    max_term_width = 100,
    after_help = "Exit codes: 0 success; 1 a threshold breached, `check` found a regression or `advise` found \
                  nothing; 2 bad input; 3 an internal check failed (a bug)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every strategy on one scenario and print them side by side.
    Compare(CompareArgs),
    /// List, show, validate or fit scenarios (`fit`: a scenario from a `receive --record` recording).
    #[command(subcommand)]
    Scenarios(ScenariosCommand),
    /// Run the mock event source alone: the pollable API, and webhooks to your URL.
    Serve(ServeArgs),
    /// Run a verifying webhook receiver that shows detection latency and counts.
    Receive(ReceiveArgs),
    /// Run the poll strategies over many intervals and the push strategies once: the
    /// latency-versus-cost frontier as a table and a chart.
    Sweep(SweepArgs),
    /// Compare a JSON result with a baseline; exit 1 on a regression beyond the tolerance.
    Check(CheckArgs),
    /// The cheapest strategy and interval that meets a latency target without missing events.
    Advise(AdviseArgs),
    /// Render a saved JSON result (`--format json`) again, in any format and to any files: run
    /// once, render many times.
    Report(ReportArgs),
    /// Write the scenario as a program another tool runs: `export locust` writes a Locust load
    /// test that replays its event stream as signed deliveries, across many machines.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print a shell completion script: `hookbench completions bash > ~/.local/share/bash-completion/completions/hookbench`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `hookbench man > hookbench.1`; `--all DIR` writes it and one
    /// page per subcommand (`hookbench-compare.1`, …), the pages it refers to.
    Man {
        /// Write every page into this folder instead of printing the main one.
        #[arg(long, value_name = "DIR")]
        all: Option<PathBuf>,
    },
    /// Print the headers a signature scheme sends with a body, one `Name: value` a line.
    Sign(SignArgs),
}

// ---------------------------------------------------------------------------------------------
// Flag groups: each flag is defined once, here, and flattened into every subcommand that takes
// it (cargo's `command_prelude`). `commands::options` turns each group into validated values.

/// `--scenario`: which scenario.
#[derive(Debug, Args)]
pub struct ScenarioArg {
    /// A bundled scenario's name or a scenario TOML file [default: payments].
    #[arg(long, short = 's', value_name = "NAME|FILE")]
    pub scenario: Option<String>,
}

/// Which scenario a run uses, and what the command line overrides in it.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario.
    #[command(flatten)]
    pub name: ScenarioArg,
    /// Replay this recorded trace (CSV or JSON lines, a path from the current directory) instead
    /// of the scenario's arrivals (its rate, bursts, daily curve or trace); the run spans the
    /// trace unless --duration says otherwise. A scenario file may name a trace only inside its
    /// own directory; any other is given here.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// The trace is a provider's export as its API returns it: its time, resource and event
    /// type are read where that provider keeps them (README "Model your own traffic").
    #[arg(long, value_name = "FORMAT")]
    pub trace_format: Option<crate::trace::TraceFormat>,
    /// Which column (CSV) or key (JSON: a key, a dotted path or a JSON pointer) holds each
    /// field, e.g. `time=created,resource=data.object.id,type=type`.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub trace_columns: Option<String>,
    /// The trace's numeric times are Unix epoch times in this unit [default: told by magnitude].
    #[arg(long, value_name = "UNIT")]
    pub time_unit: Option<crate::trace::EpochUnit>,
    /// The span of event arrivals (scenario time), e.g. `24h` [default: the scenario's].
    #[arg(long, short = 'd', value_name = "DURATION")]
    pub duration: Option<String>,
    /// Seed of every random stream [default: the scenario's].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Change one key of the scenario: a dotted TOML path and a value, e.g.
    /// `--set events.rate=2000/d --set receiver.workers=8` (a bare word is text). Repeatable;
    /// applied in order, after the scenario's `extends`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// A simulated run: the scenario, how often it is replicated and on how many threads.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario and what the command line changes in it.
    #[command(flatten)]
    pub from: ScenarioArgs,
    /// Run N independent replications (sim engine; seeds derived from the scenario's): every
    /// figure is the mean with its 95% confidence interval, and `advise` judges each row by the
    /// interval's pessimistic bound. 1 is a single run.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replications: u32,
    /// Sim engine: worker threads [default: every core]. Results do not depend on it.
    #[arg(long, value_name = "N", env = "HOOKBENCH_JOBS")]
    pub jobs: Option<usize>,
    /// Run even if the run is estimated to take over 10 minutes.
    #[arg(long)]
    pub allow_long_run: bool,
}

/// `--strategies`: which rows.
#[derive(Debug, Args)]
pub struct StrategiesArg {
    /// Strategies to run, comma-separated [default: the scenario's, else the first six]:
    /// poll, poll-etag, poll-state, webhook, hybrid, hybrid-reconcile, long-poll, sse,
    /// poll-adaptive. Poll strategies run at every interval; the others once.
    #[arg(long, value_name = "LIST")]
    pub strategies: Option<String>,
}

/// `--speedup`: how much faster than the wall clock scenario time runs.
#[derive(Debug, Args)]
pub struct SpeedupArg {
    /// Virtual seconds per wall-clock second, 0.01 to 100000 (times in the scenario run N× faster
    /// than the wall clock) [default: 1; `compare --engine live`: so the run takes about a minute].
    #[arg(long, value_name = "N")]
    pub speedup: Option<f64>,
}

/// `--bucket`: how the rows' timelines cut the run.
#[derive(Debug, Args)]
pub struct TimelineArg {
    /// The width of each bucket of the rows' timelines (JSON `timeline`, the HTML report's
    /// charts), e.g. `1m` [default: the window and drain cut into 200].
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,
}

/// `--quiet`.
#[derive(Debug, Args)]
pub struct QuietArg {
    /// Print nothing but errors: no table or status line (a result with nowhere else to go still
    /// reaches standard output).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Where a result goes and what gates it.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The format of standard output [default: table].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Also write the result to FILE, in the format its extension names: `.json`, `.csv`, `.md`,
    /// `.txt`, `.xml` (JUnit) or `.html`. Repeatable: `-o r.json -o r.md -o r.xml`. Standard output still
    /// gets --format unless --quiet.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Quiet.
    #[command(flatten)]
    pub quiet: QuietArg,
    /// Fail (exit 1) unless every matching row meets it, e.g. `webhook.p99<2s`,
    /// `poll@30s.requests_per_day<=3000`, `hybrid-reconcile.missed==0` (`serve --report`:
    /// `client:KEY.p99<60s`, `endpoint.p99<2s`). Repeatable.
    #[arg(long, value_name = "EXPR")]
    pub threshold: Vec<String>,
}

/// What the design must achieve: the scenario's `[target]`, overridden flag by flag. The
/// verdict under the table names the cheapest row that meets it.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The latency target, e.g. `5s`: the ready latency (event → processed; detection where the
    /// receiver is unlimited) at --percentile must be at most this [default: the scenario's
    /// `[target] latency`].
    #[arg(long, alias = "target", value_name = "DURATION")]
    pub max_latency: Option<String>,
    /// Which ready latency the target bounds: mean, p50, p90, p99, p999 or max [default: the
    /// scenario's, else p99].
    #[arg(long, value_name = "NAME")]
    pub percentile: Option<String>,
    /// The most events a row may miss [default: the scenario's `[target] missed`, else 0].
    #[arg(long, value_name = "N")]
    pub max_missed: Option<u64>,
    /// The largest peak share of the rate limit a row may use, e.g. `80%` [default: the
    /// scenario's `[target] quota`, else any share without a 429].
    #[arg(long, value_name = "SHARE")]
    pub max_quota: Option<String>,
}

/// How deliveries are signed: the scheme and its secret.
#[derive(Debug, Args)]
pub struct SigningArgs {
    /// The signature scheme [default: the scenario's `webhook.scheme` where a scenario sends,
    /// else standard].
    #[arg(long, value_enum, value_name = "NAME")]
    pub scheme: Option<Scheme>,
    /// Signing secret: `whsec_…` (base64 of at least 16 bytes) for the standard scheme, the
    /// provider's secret text for the others (or set HOOKBENCH_SECRET).
    #[arg(long, value_name = "SECRET", env = "HOOKBENCH_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
}

/// Speaking HTTPS (`serve`, `receive`, `compare --engine live`).
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Speak HTTPS (TLS 1.3 and 1.2, ALPN http/1.1) instead of plain HTTP. `serve` and `receive`
    /// serve it with --tls-cert, or else with a self-signed certificate for localhost, 127.0.0.1,
    /// ::1 and the --addr host, generated at start and written to a PEM file the banner names
    /// (trust it with --ca-cert or `curl --cacert`); `compare --engine live` runs both paths over
    /// it with a self-signed certificate it trusts.
    #[arg(long)]
    pub tls: bool,
}

/// The certificate a server serves with --tls.
#[derive(Debug, Args)]
pub struct TlsCertArgs {
    /// With --tls: the certificate chain to serve, PEM, the leaf first (with --tls-key).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// With --tls: the private key of --tls-cert, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
}

/// What an HTTPS client trusts besides the built-in Mozilla roots.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Also trust the certificates in this PEM file (a private CA such as mkcert's `rootCA.pem`,
    /// or the file a `--tls` server's banner names). An untrusted, expired or wrong-name
    /// certificate is a failed attempt of kind `tls`, retried like any other failure.
    #[arg(long, value_name = "FILE", env = "SSL_CERT_FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// What `serve` and `receive` share: where they listen, their limits, their lifetime.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080 for serve,
    /// 127.0.0.1:9090 for receive].
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Allow listening on an address other than loopback (prints a warning).
    #[arg(long)]
    pub allow_remote: bool,
    /// Stop by itself after this much wall time (default: run until Ctrl-C).
    #[arg(long, value_name = "DURATION")]
    pub stop_after: Option<String>,
    /// Cut off a connection that has not sent its whole first request head within this long of
    /// being accepted (silent and slowloris clients).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: String,
    /// Cut off a connection whose request body has not arrived in full within this long of its
    /// head.
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub body_timeout: String,
    /// Close a kept-alive connection that sends no next request within this long of its last
    /// answer.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub idle_timeout: String,
    /// Serve at most this many connections at once (1 to 100000); further ones wait.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
}

// ---------------------------------------------------------------------------------------------
// Subcommands.

/// `hookbench serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The scenario served (`--duration`: with --report only).
    #[command(flatten)]
    pub from: ScenarioArgs,
    /// Listening address, limits and lifetime.
    #[command(flatten)]
    pub server: ServerArgs,
    /// HTTPS.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The certificate served with --tls.
    #[command(flatten)]
    pub tls_cert: TlsCertArgs,
    /// POST each event to this URL, signed under --scheme.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// What the webhook client trusts at an https:// --webhook-url.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The signature scheme and secret (the secret is required with --webhook-url).
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Speed-up.
    #[command(flatten)]
    pub speedup: SpeedupArg,
    /// Measure the clients (by `X-Api-Key`) and the webhook endpoint pointed at this server, and
    /// end with a report table: one row per client (`client:KEY`) and one for the endpoint
    /// (`endpoint`). The run ends after the event window and the drain (scenario time), at
    /// `--stop-after`, or at Ctrl-C/SIGTERM (the report then covers what ran).
    #[arg(long)]
    pub report: bool,
    /// With --report: how long after the window late fetches and retries still count
    /// (scenario time) [default: the scenario's drain].
    #[arg(long, value_name = "DURATION")]
    pub drain: Option<String>,
    /// With --report: the timelines' bucket width.
    #[command(flatten)]
    pub timeline: TimelineArg,
    /// With --report: output, format and thresholds.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `hookbench receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// Listening address, limits and lifetime.
    #[command(flatten)]
    pub server: ServerArgs,
    /// HTTPS.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The certificate served with --tls.
    #[command(flatten)]
    pub tls_cert: TlsCertArgs,
    /// The sender's signature scheme and secret.
    #[command(flatten)]
    pub signing: SigningArgs,
    /// How far the scheme's signed timestamp (standard, stripe, slack) may be from now.
    #[arg(long, alias = "tolerance", default_value = "5m", value_name = "DURATION")]
    pub timestamp_tolerance: String,
    /// Take the faults of this scenario's [receiver] section.
    #[command(flatten)]
    pub from: ScenarioArg,
    /// Share of deliveries answered 500.
    #[arg(long, value_name = "SHARE")]
    pub failure_rate: Option<f64>,
    /// Share of deliveries answered only after --slow.
    #[arg(long, value_name = "SHARE")]
    pub slow_rate: Option<f64>,
    /// How late a slow answer comes.
    #[arg(long, value_name = "DURATION")]
    pub slow: Option<String>,
    /// An outage window `AT+DURATION` from start, e.g. `30s+1m` (repeatable): answered 503.
    #[arg(long, value_name = "AT+DURATION")]
    pub outage: Vec<String>,
    /// Share of connections reset (RST) before any answer.
    #[arg(long, value_name = "SHARE")]
    pub reset_rate: Option<f64>,
    /// The sender's speed-up (`serve --speedup N`): latency and `--record` rows are in scenario
    /// time (wall time × N), and outages are scenario times.
    #[command(flatten)]
    pub speedup: SpeedupArg,
    /// No status line while running.
    #[command(flatten)]
    pub quiet: QuietArg,
    /// JSON pointer to the event's time in the body (epoch seconds or RFC 3339), e.g. `/created`.
    #[arg(long, value_name = "POINTER")]
    pub event_time: Option<String>,
    /// JSON pointer to the resource id in the body, for --record, e.g. `/data/object/id`.
    #[arg(long, value_name = "POINTER")]
    pub resource: Option<String>,
    /// Write one row per verified delivery to FILE: CSV, or JSON lines when FILE ends in `.jsonl`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Overwrite an existing --record FILE (without it, an existing file is refused).
    #[arg(long, requires = "record")]
    pub force: bool,
}

/// `hookbench sign`: the headers a scheme sends with a body (for checking a receiver).
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The signature scheme [default: standard] and secret.
    #[command(flatten)]
    pub signing: SigningArgs,
    /// The file holding the body, sent byte for byte.
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    /// The message id, where the scheme sends one.
    #[arg(long, default_value = "msg_1", value_name = "ID")]
    pub id: String,
    /// The Unix time in seconds to sign at [default: now].
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: Option<u64>,
    /// The attempt number (Slack sends `X-Slack-Retry-Num` after the first).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub attempt: u32,
}

/// Engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// Deterministic discrete-event simulation in virtual time.
    Sim,
    /// The same model over real HTTP on loopback (time compressed by --speedup).
    Live,
}

/// `hookbench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Poll interval(s), comma-separated: `30s` or `5s,30s,1m`. Each is its own row per poll
    /// strategy [default: the scenario's].
    #[arg(long, short = 'i', value_name = "LIST")]
    pub interval: Option<String>,
    /// The rows.
    #[command(flatten)]
    pub strategies: StrategiesArg,
    /// Engine.
    #[arg(long, value_enum, default_value_t = Engine::Sim)]
    pub engine: Engine,
    /// Live engine speed-up.
    #[command(flatten)]
    pub speedup: SpeedupArg,
    /// Live engine over HTTPS.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The target the verdict judges by.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The timelines' bucket width.
    #[command(flatten)]
    pub timeline: TimelineArg,
    /// Output, format and thresholds.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The run a sweep makes (shared by `sweep` and `advise`).
#[derive(Debug, Args)]
pub struct SweepRunArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Poll intervals: a log-spaced range `1s..10m` (1-2-5 steps) or a list `5s,30s,1m`
    /// [default: 1s,2s,5s,10s,15s,30s,1m,2m,5m,10m].
    #[arg(long, short = 'i', visible_alias = "interval", value_name = "RANGE|LIST")]
    pub intervals: Option<String>,
    /// The rows [default here: the first six].
    #[command(flatten)]
    pub strategies: StrategiesArg,
}

/// `hookbench sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The run.
    #[command(flatten)]
    pub run: SweepRunArgs,
    /// Where to write the SVG chart.
    #[arg(long, value_name = "FILE", default_value = "hookbench-sweep.svg")]
    pub chart: PathBuf,
    /// Also write the chart as PNG, beside the SVG (same name, `.png`).
    #[arg(long)]
    pub png: bool,
    /// Write no chart.
    #[arg(long, conflicts_with_all = ["png"])]
    pub no_chart: bool,
    /// The timelines' bucket width.
    #[command(flatten)]
    pub timeline: TimelineArg,
    /// The target the verdict judges by (`--max-latency` is also drawn on the chart;
    /// formerly `--target`, still accepted).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output, format and thresholds.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `hookbench check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A JSON result (`--format json`).
    #[arg(value_name = "RESULT.json")]
    pub result: PathBuf,
    /// Also write each of the run's charts (latency, behind, backlog, requests, cdf; those the
    /// result has data for) into DIR as `SCENARIO-CHART.svg`.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// With --charts: each chart as PNG too, beside its SVG.
    #[arg(long, requires = "charts")]
    pub png: bool,
    /// The JSON result to compare against.
    #[arg(long, short = 'b', value_name = "BASE.json")]
    pub baseline: PathBuf,
    /// How much worse a measure may get before it is a regression: `5%`, or a share below 1 such
    /// as `0.05` (a bare `5` is refused) [default: 0%, exact, as the sim engine is deterministic].
    #[arg(long, short = 't', value_name = "SHARE")]
    pub tolerance: Option<String>,
    /// Measures to compare, comma-separated or repeated [default: mean, p50, p99, max, missed,
    /// requests_per_day, bytes_per_day].
    #[arg(long, short = 'm', value_name = "LIST")]
    pub metric: Vec<String>,
    /// Replicated results on both sides (`compare --replications N`): a change beyond the
    /// tolerance is a regression only if Welch's t-test (Holm-corrected) is significant at this
    /// level [default: 0.05].
    #[arg(long, value_name = "LEVEL")]
    pub significance: Option<String>,
    /// Output format of the diff.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
}

/// Output formats of `check`'s comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// A table for people.
    Table,
    /// A GitHub-flavoured Markdown table, for CI step summaries.
    Markdown,
    /// The comparison as JSON (`schema-check.json`).
    Json,
    /// JUnit XML: one testcase per row and measure, a failure per regression.
    Junit,
}

/// Output formats of `advise`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AdviseFormat {
    /// Words and a table for people.
    Table,
    /// The advice as JSON: the target, every row's verdict and the pick.
    Json,
    /// A GitHub-flavoured Markdown table with the pick, for CI step summaries.
    Markdown,
}

/// `hookbench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON result (`compare`, `sweep` or `serve --report` with `--format json`).
    #[arg(value_name = "RESULT.json")]
    pub result: PathBuf,
    /// Also write each of the run's charts (latency, behind, backlog, requests, cdf; those the
    /// result has data for) into DIR as `SCENARIO-CHART.svg`.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// With --charts: each chart as PNG too, beside its SVG.
    #[arg(long, requires = "charts")]
    pub png: bool,
    /// Output formats and files (`--threshold` applies to a run, not to a saved result).
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `hookbench advise`.
#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// The run.
    #[command(flatten)]
    pub run: SweepRunArgs,
    /// The target (`--max-latency` is required unless the scenario's `[target]` sets a latency).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also require the processed latency (event → the receiver finished processing it) at the
    /// same percentile to meet this, e.g. `1m`; matters when the scenario's receiver has finite
    /// `workers` or a `process` time.
    #[arg(long, value_name = "DURATION")]
    pub max_processed_latency: Option<String>,
    /// Override the scenario's rate limit, e.g. `5000/h`, or `none`.
    #[arg(long, value_name = "RATE")]
    pub rate_limit: Option<String>,
    /// Output format of the answer.
    #[arg(long, short = 'f', value_enum, default_value_t = AdviseFormat::Table)]
    pub format: AdviseFormat,
}

/// `hookbench scenarios …`.
#[derive(Debug, Subcommand)]
pub enum ScenariosCommand {
    /// List the bundled scenarios.
    List,
    /// Print a scenario's TOML (bundled name or file).
    Show {
        /// A bundled scenario's name or a file.
        scenario: String,
        /// Print the effective scenario: its `extends` merged in and each `--set` applied.
        #[arg(long)]
        resolved: bool,
        /// With --resolved: change one key (`events.rate=2000/d`); repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE", requires = "resolved")]
        set: Vec<String>,
    },
    /// Check scenario files; exit 2 on the first problem, naming it.
    Validate {
        /// Files (or bundled names) to check.
        #[arg(required = true)]
        scenarios: Vec<String>,
    },
    /// Fit a scenario to a recording `receive --record` wrote (CSV, or JSON lines if it ends
    /// `.jsonl`): its arrivals, the webhook delay from event time to first arrival, and the
    /// duplicate and retry shares observed.
    Fit {
        /// The recording.
        file: PathBuf,
        /// Write the scenario here instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// A fitted Poisson rate (and daily curve over a day or more) instead of replaying the
        /// recorded arrivals.
        #[arg(long)]
        synthetic: bool,
    },
}

/// `hookbench export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write a self-contained locustfile that replays the scenario's events as signed webhook
    /// deliveries (retries on the scenario's schedule), shared out across Locust's workers.
    Locust(ExportLocustArgs),
}

/// `hookbench export locust`.
#[derive(Debug, Args)]
pub struct ExportLocustArgs {
    /// The scenario and what the command line changes in it.
    #[command(flatten)]
    pub from: ScenarioArgs,
    /// Where the deliveries go: an `http://` or `https://` URL (formerly `--target`, still accepted).
    #[arg(long, alias = "target", value_name = "URL")]
    pub webhook_url: Option<String>,
    /// The signature scheme and secret (the secret is written into the file).
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Write the locustfile here [default: standard output].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Speed-up: event times, the attempt timeout, the retry schedule and the poll interval are
    /// divided by it.
    #[command(flatten)]
    pub speedup: SpeedupArg,
    /// Also run this many cursor-polling users against --api.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub pollers: u32,
    /// The pollers' interval [default: the scenario's first].
    #[arg(long, short = 'i', value_name = "DURATION")]
    pub interval: Option<String>,
    /// The API the pollers call (its base URL; they GET `/events?after=…&limit=…`).
    #[arg(long, value_name = "URL")]
    pub api: Option<String>,
}

impl ValueEnum for Scheme {
    fn value_variants<'a>() -> &'a [Self] {
        &SCHEMES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}
