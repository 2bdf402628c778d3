//! The `[network]` section and the sides' `connection` keys, parsed into the model's
//! [`NetworkConfig`] and [`Connection`] policies.
//!
//! Owns the section's raw keys (`rtt`, required; `tls`, default `"1.3"`; `idle_timeout`, default
//! 90 s, Go's `http.DefaultTransport`), the spelling of a `connection` key, and how the two meet:
//! a side that names a policy needs `[network]` (the handshake is counted in its round trips);
//! with `[network]` a side that names none keeps its connections alive (HTTP/1.1's default);
//! without either, no handshake is modelled and results are today's. It only reads text; what
//! the settings mean is [`crate::model::network`]'s.

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::model::network::{Connection, NetworkConfig, Tls, DEFAULT_IDLE_TIMEOUT};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    rtt: Option<toml::Value>,
    tls: Option<toml::Value>,
    idle_timeout: Option<String>,
}

/// The section as the model's configuration; absent stays absent.
pub(super) fn from_raw(cx: &Ctx, raw: Option<&RawNetwork>) -> Result<Option<NetworkConfig>, ScenarioError> {
    let Some(raw) = raw else { return Ok(None) };
    let Some(rtt) = raw.rtt.as_ref() else {
        return Err(cx.err(
            "network.rtt",
            "is missing; give the round trip between provider and consumer, such as \"100ms\" or { median = \"80ms\", p99 = \"400ms\" }",
        ));
    };
    let rtt = cx.delay("network.rtt", Some(rtt), crate::model::dist::Delay::Fixed(0))?;
    // A version as text (`"1.3"`) or, as people also write it and `--set network.tls=1.3` gives,
    // a number.
    let name = match &raw.tls {
        None => None,
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(toml::Value::Float(f)) => Some(format!("{f}")),
        Some(other) => Some(other.to_string()),
    };
    let tls = match name.as_deref() {
        None => Tls::default(),
        Some(name) => Tls::from_name(name).ok_or_else(|| {
            let shown = crate::support::quote::excerpt(name, crate::support::quote::EXCERPT);
            cx.err("network.tls", format!("unknown TLS version `{shown}`; use {}", quoted(&Tls::NAMES)))
        })?,
    };
    let idle_timeout = match &raw.idle_timeout {
        Some(t) => cx.positive_duration("network.idle_timeout", t, crate::support::units::MILLI)?,
        None => DEFAULT_IDLE_TIMEOUT,
    };
    Ok(Some(NetworkConfig { rtt, tls, idle_timeout }))
}

/// `key`'s connection policy as written (`"keep-alive"` or `"new"`).
pub(super) fn connection(cx: &Ctx, key: &str, v: Option<&str>) -> Result<Option<Connection>, ScenarioError> {
    v.map(|name| {
        Connection::from_name(name).ok_or_else(|| {
            cx.err(key, format!("unknown connection policy `{name}`; use {}", quoted(&Connection::NAMES)))
        })
    })
    .transpose()
}

/// A side's policy once `[network]` is known: as written, keep-alive by default when the network
/// is modelled, and refused when it names one without a network to count the handshake in.
pub(super) fn policy(
    cx: &Ctx,
    key: &str,
    given: Option<Connection>,
    network: Option<&NetworkConfig>,
) -> Result<Option<Connection>, ScenarioError> {
    match (given, network) {
        (Some(c), None) => Err(cx.err(
            key,
            format!(
                "is `{}`, but there is no `[network]` to count its handshake in; add `[network]` with `rtt`, the round trip between provider and consumer",
                c.name()
            ),
        )),
        (Some(c), Some(_)) => Ok(Some(c)),
        (None, Some(_)) => Ok(Some(Connection::KeepAlive)),
        (None, None) => Ok(None),
    }
}

/// `"a"`, `"b"` or `"c"`.
fn quoted(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match q.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => q.join(""),
    }
}
