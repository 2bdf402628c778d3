//! Scenarios: the TOML a user writes, validated into the typed [`Scenario`] the engines run.
//!
//! Owns the scenario file format (DESIGN.md §8): the raw keys, their defaults and bounds, and
//! the bundled scenarios embedded in the binary. Each section is converted by its own small
//! function into the configuration struct of the model type that owns it
//! ([`EventsConfig`], [`ApiConfig`], [`WebhookConfig`], [`NetworkConfig`], [`ReceiverConfig`],
//! [`StrategiesConfig`]); the resolved whole, with its name, span, drain and seed, is the
//! [`Scenario`]. Every problem becomes one [`ScenarioError`] sentence that names the file, the
//! key and what would be right. Dependencies point down: this module fills in the model's
//! structs and must never be imported by the model or the strategies — they take their own
//! configuration (see [`StrategyParams`] and [`SourceParams`]). The engines never see raw TOML.
//!
//! ```text
//!  TOML ──▶ Raw (serde) ──▶ events::from_raw   ──▶ model::arrivals::EventsConfig
//!                     ├───▶ api::from_raw      ──▶ model::api::ApiConfig (+ ratelimit::Quota)
//!                     ├───▶ webhook::from_raw  ──▶ model::emitter::WebhookConfig
//!                     ├───▶ network::from_raw  ──▶ model::network::NetworkConfig (+ each side's Connection)
//!                     ├───▶ receiver::from_raw ──▶ model::receiver::ReceiverConfig
//!                     └───▶ strategies::from_raw ─▶ strategy::StrategiesConfig
//! ```

mod api;
mod bundled;
mod check;
mod events;
mod network;
mod receiver;
pub mod resolve;
mod strategies;
pub mod target;
mod webhook;

use serde::{Deserialize, Serialize};

pub mod fit;
pub use self::bundled::{BUNDLED, DEFAULT};
pub use self::check::ScenarioError;
use self::check::{toml_error, Ctx};
pub use self::events::TraceAccess;
use crate::support::limits::{MAX_DURATION, MAX_DURATION_TEXT};
pub use crate::support::limits::{MAX_EVENTS, MAX_SIM_EVENTS};
// The sections' types live with the model types that own them; they are re-exported here so a
// holder of a `Scenario` can name its parts in one place.
pub use self::target::{Statistic, TargetConfig};
pub use crate::model::api::ApiConfig;
pub use crate::model::arrivals::{Burst, EventsConfig};
pub use crate::model::emitter::{Payload, WebhookConfig};
pub use crate::model::network::{Connection, NetworkConfig, Tls};
pub use crate::model::ratelimit::Quota;
pub use crate::model::receiver::{ReceiverConfig, Window};
use crate::model::source::SourceParams;
use crate::strategy::StrategyParams;
pub use crate::strategy::{Adaptive, StrategiesConfig};
use crate::support::units::{Micros, Rate, DAY, HOUR, SECOND};

/// A validated scenario: everything the engines need, in typed units.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// Short name, e.g. `payments`.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Span of event arrivals and of the cost window.
    #[serde(
        rename = "duration_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub duration: Micros,
    /// After the window, how long strategies go on to settle in-flight events.
    #[serde(
        rename = "drain_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub drain: Micros,
    /// Whether the file set the drain (else it follows the intervals).
    #[serde(skip)]
    pub drain_explicit: bool,
    /// How wide each bucket of the rows' timelines is (`--bucket`); `None`: the window and drain
    /// cut into [`crate::strategy::books::timeline::DEFAULT_BUCKETS`]. How the run is reported,
    /// not what it is: never written to a result.
    #[serde(skip)]
    pub bucket: Option<Micros>,
    /// The seed of every random stream.
    pub seed: u64,
    /// The event source.
    pub events: EventsConfig,
    /// The provider's API.
    pub api: ApiConfig,
    /// The provider's webhook emitter.
    pub webhook: WebhookConfig,
    /// The network between provider and consumer, when the scenario models its handshakes
    /// (`[network]`); absent, no handshake is modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkConfig>,
    /// The subscriber's receiver and its faults.
    pub receiver: ReceiverConfig,
    /// Strategy defaults.
    pub strategies: StrategiesConfig,
    /// What the design must achieve (`[target]`, or `--max-latency`, `--percentile`,
    /// `--max-missed`, `--max-quota`): the verdict under each table names the cheapest row that
    /// meets it. Absent when nothing is set.
    #[serde(default, skip_serializing_if = "target_unset")]
    pub target: TargetConfig,
}

fn target_unset(t: &TargetConfig) -> bool {
    !t.is_set()
}

/// The raw file: top-level keys, and each section as its module reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    #[serde(default)]
    description: String,
    duration: Option<String>,
    drain: Option<String>,
    seed: Option<u64>,
    events: events::RawEvents,
    #[serde(default)]
    api: api::RawApi,
    #[serde(default)]
    webhook: webhook::RawWebhook,
    network: Option<network::RawNetwork>,
    #[serde(default)]
    receiver: receiver::RawReceiver,
    #[serde(default)]
    strategies: strategies::RawStrategies,
    #[serde(default)]
    target: target::RawTarget,
}

impl Scenario {
    /// The width of the rows' timeline buckets, µs: `--bucket`, else the window and drain cut
    /// into the default count.
    pub fn timeline_bucket(&self) -> Micros {
        crate::strategy::books::TimelineBooks::width_for(
            self.duration.saturating_add(self.drain),
            self.bucket,
        )
    }

    /// Parses and validates scenario TOML; `origin` names it in messages. Text has no directory,
    /// so it may not name a trace file.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_with(text, origin, TraceAccess::Nowhere)
    }

    /// Validates the text of the scenario file at `path`; a trace it names must be inside the
    /// file's directory.
    pub fn from_file(path: &std::path::Path, text: &str) -> Result<Scenario, ScenarioError> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        Scenario::from_toml_with(text, &path.display().to_string(), TraceAccess::Within(dir))
    }

    /// Parses and validates scenario TOML whose trace comes from where `access` says. The
    /// sections are checked in file order (events, api, webhook, receiver, strategies), so the
    /// first problem reported is the first in the file's layout.
    pub fn from_toml_with(text: &str, origin: &str, access: TraceAccess) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_set(text, origin, access, &[])
    }

    /// [`Scenario::from_toml_with`], its `extends` resolved and each `--set KEY=VALUE` of `sets`
    /// written over it ([`resolve`]).
    pub fn from_toml_set(
        text: &str,
        origin: &str,
        access: TraceAccess,
        sets: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let resolved = resolve::resolve(text, origin, access, sets)?;
        let (text, origin) = match &resolved {
            Some(t) => (t.as_str(), format!("{origin} (resolved: extends and --set applied)")),
            None => (text, origin.to_string()),
        };
        let origin = origin.as_str();
        let raw: Raw = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
        let cx = Ctx { origin };
        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err(cx.err("name", "is empty; give the scenario a short name"));
        }
        let trace = events::trace(&cx, &raw.events, access)?;
        let given = matches!(access, TraceAccess::Given(_));
        let duration = match (&raw.duration, &trace) {
            // A trace from the command line brings its own span, as a file without `duration`.
            (_, Some(t)) if given => t.span(),
            (Some(d), _) => cx.positive_duration("duration", d, SECOND)?,
            (None, Some(t)) => t.span(),
            (None, None) => DAY,
        };
        let events = events::from_raw(&cx, &raw.events, trace, access, duration)?;
        let mut api = api::from_raw(&cx, &raw.api)?;
        let mut webhook = webhook::from_raw(&cx, &raw.webhook, &events.types)?;
        let network = network::from_raw(&cx, raw.network.as_ref())?;
        api.connection = network::policy(&cx, "api.connection", api.connection, network.as_ref())?;
        webhook.connection =
            network::policy(&cx, "webhook.connection", webhook.connection, network.as_ref())?;
        let receiver = receiver::from_raw(&cx, &raw.receiver)?;
        let strategies = strategies::from_raw(&cx, &raw.strategies)?;
        let target = target::from_raw(&cx, &raw.target)?;
        let drain = match &raw.drain {
            Some(t) => {
                let d = cx.duration("drain", t)?;
                if d > MAX_DURATION {
                    return Err(cx.err("drain", format!("is over a year; use at most `{MAX_DURATION_TEXT}`")));
                }
                d
            }
            None => default_drain(&strategies),
        };
        Ok(Scenario {
            name,
            description: raw.description.trim().to_string(),
            duration,
            drain,
            drain_explicit: raw.drain.is_some(),
            bucket: None,
            seed: raw.seed.unwrap_or(42),
            events,
            api,
            webhook,
            network,
            receiver,
            strategies,
            target,
        })
    }

    /// A bundled scenario by name.
    pub fn bundled(name: &str) -> Option<Result<Scenario, ScenarioError>> {
        Scenario::bundled_with(name, TraceAccess::Nowhere)
    }

    /// A bundled scenario by name, its arrivals replaced by a trace when `access` gives one.
    pub fn bundled_with(name: &str, access: TraceAccess) -> Option<Result<Scenario, ScenarioError>> {
        bundled::text(name).map(|text| Scenario::from_toml_with(text, &format!("{name} (bundled)"), access))
    }

    /// Names of the bundled scenarios.
    pub fn bundled_names() -> Vec<&'static str> {
        bundled::names()
    }

    /// Recomputes the drain after the intervals changed, unless the file set one.
    pub fn refresh_default_drain(&mut self) {
        if !self.drain_explicit {
            self.drain = default_drain(&self.strategies);
        }
    }

    /// Changes the span of the run (`--duration`): bursts past it are dropped, and a trace's
    /// reported rate is recomputed over the rows that now fall inside it.
    pub fn set_duration(&mut self, duration: Micros) {
        self.duration = duration;
        self.events.bursts.retain(|b| b.at < duration);
        if let Some(t) = &self.events.trace {
            let n = t.rows.iter().filter(|r| r.at < duration).count();
            self.events.rate = Rate { count: n as f64, per: duration };
        }
    }

    /// The expected number of events over the run (the integral of the arrival rate).
    pub fn expected_events(&self) -> f64 {
        self.events.expected_events(self.duration)
    }

    /// What building a strategy takes from this scenario ([`Spec::build`]'s input).
    ///
    /// [`Spec::build`]: crate::strategy::Spec::build
    pub fn strategy_params(&self) -> StrategyParams {
        StrategyParams::new(&self.strategies, self.api.page_size, self.events.resources, self.webhook.payload)
    }

    /// What generating this scenario's events takes ([`EventLog::generate`]'s input).
    ///
    /// [`EventLog::generate`]: crate::model::source::EventLog::generate
    pub fn source_params(&self) -> SourceParams<'_> {
        SourceParams {
            events: &self.events,
            duration: self.duration,
            seed: self.seed,
            subscribe: &self.webhook.subscribe,
            filtered: self.api.type_filter,
        }
    }
}

/// Default drain: long enough for the slowest poll (or the reconcile poll) to come round three
/// times, and at least an hour.
pub fn default_drain(strategies: &StrategiesConfig) -> Micros {
    let longest_poll = strategies.intervals.iter().copied().max().unwrap_or(0);
    HOUR.max(3 * longest_poll).max(3 * strategies.reconcile_interval)
}

impl AsRef<Scenario> for Scenario {
    fn as_ref(&self) -> &Scenario {
        self
    }
}

/// `Machine::new(spec, &scenario)` (also through an `Arc<Scenario>`).
impl<T: AsRef<Scenario> + ?Sized> From<&T> for StrategyParams {
    fn from(scenario: &T) -> Self {
        scenario.as_ref().strategy_params()
    }
}

/// `EventLog::generate(&scenario)` (also through an `Arc<Scenario>`).
impl<'a, T: AsRef<Scenario> + ?Sized> From<&'a T> for SourceParams<'a> {
    fn from(scenario: &'a T) -> Self {
        scenario.as_ref().source_params()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_validates() {
        for (name, _) in BUNDLED {
            let s = Scenario::bundled(name).unwrap().unwrap();
            assert_eq!(&s.name, name);
        }
        assert_eq!(Scenario::bundled_names()[0], DEFAULT);
    }

    #[test]
    fn minimal_scenario_gets_defaults() {
        let s = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60/h\"\n", "t").unwrap();
        assert_eq!(s.duration, DAY);
        assert_eq!(s.strategies.intervals, vec![30 * SECOND]);
        assert_eq!(s.strategies.list.len(), 6);
        assert!(s.api.rate_limit.is_none());
        assert!((s.expected_events() - 1440.0).abs() < 1e-9);
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let e = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60\"\n", "f.toml").unwrap_err();
        assert!(e.0.contains("events.rate") && e.0.contains("f.toml"), "{e}");
        let e = Scenario::from_toml("name = \"x\"\nbogus = 1\n[events]\nrate = \"60/h\"\n", "f").unwrap_err();
        assert!(e.0.contains("line 2") && e.0.contains("bogus"), "{e}");
        let e = Scenario::from_toml("name = \"x\"\n[events\n", "f").unwrap_err();
        assert!(e.0.contains("line 2, column"), "{e}");
        let e = Scenario::from_toml(
            "name = \"x\"\n[events]\nrate = \"60/h\"\n[webhook]\nretry = \"nope\"\n",
            "f",
        )
        .unwrap_err();
        assert!(e.0.contains("svix"), "{e}");
        let e = Scenario::from_toml(
            "name = \"x\"\n[events]\nrate = \"60/h\"\n[receiver]\nfailure_rate = 1.5\n",
            "f",
        )
        .unwrap_err();
        assert!(e.0.contains("from 0 to 1"), "{e}");
    }

    #[test]
    fn daily_curves_need_24_weights() {
        let e = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60/h\"\ndaily = [1.0, 2.0]\n", "f")
            .unwrap_err();
        assert!(e.0.contains("events.daily") && e.0.contains("24"), "{e}");
    }

    #[test]
    fn new_keys_are_validated() {
        let bad = |extra: &str, key: &str| {
            let e = Scenario::from_toml(&format!("name = \"x\"\n{extra}"), "f").unwrap_err();
            assert!(e.0.contains(key), "{e}");
        };
        bad("[events]\nresources = 3\n", "trace");
        bad("[events]\nrate = \"1/h\"\ntrace = \"nope.csv\"\n", "events.rate");
        bad("[events]\ntrace = \"/nonexistent/t.csv\"\n", "--trace FILE");
        bad("[events]\nrate = \"1/h\"\n[api]\nsse_drops = [\"soon\"]\n", "api.sse_drops[0]");
        bad(
            "[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { min = \"1m\", max = \"1s\" }\n",
            "adaptive.max",
        );
        bad("[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { backoff = 0.5 }\n", "adaptive.backoff");
        bad("[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { fast = \"1s\" }\n", "fast");
        bad("[events]\nrate = \"1/h\"\n[strategies]\nlong_poll_wait = \"0s\"\n", "long_poll_wait");
    }

    #[test]
    fn a_scenario_converts_into_what_the_model_and_strategies_take() {
        let s = Scenario::bundled(DEFAULT).unwrap().unwrap();
        let p = StrategyParams::from(&s);
        assert_eq!(p, s.strategy_params());
        assert_eq!(
            (p.page_size, p.resources, p.payload),
            (s.api.page_size, s.events.resources, s.webhook.payload)
        );
        assert_eq!(StrategyParams::from(&std::sync::Arc::new(s.clone())), p);
        let src = SourceParams::from(&s);
        assert_eq!((src.duration, src.seed), (s.duration, s.seed));
    }
}
