//! `hookbench export locust`: the scenario as a Locust load test.
//!
//! Validates the flags into [`LocustOptions`] (an HTTP target, a known scheme — by default the
//! scenario's `webhook.scheme` — a secret that scheme can use, a speed-up, pollers with their API and interval), generates the scenario's
//! event stream once, refuses one larger than [`MAX_EXPORT_EVENTS`], and writes what
//! [`crate::export::locust`] generates to `--output` or standard output. It generates nothing
//! itself.

use super::options::{self, duration};
use super::output::print;
use crate::cli::{ExportCommand, ExportLocustArgs};
use crate::error::{Error, Result};
use crate::export::locust::{locustfile, LocustOptions};
use crate::export::MAX_EXPORT_EVENTS;
use crate::model::signature::{Scheme, VerifyError};
use crate::model::source::EventLog;
use crate::support::units::MILLI;

/// Runs `hookbench export …`.
pub fn run(cmd: ExportCommand) -> Result<u8> {
    match cmd {
        ExportCommand::Locust(args) => locust(args),
    }
}

/// An `http://` or `https://` URL with a host, for `flag`: the text itself is checked, since the
/// text is what the file embeds — no control character or whitespace (a URL parser would drop a
/// TAB or LF silently) and an authority right after `//` (a parser reads `http:///x` as host
/// `x`). Surrounding spaces are trimmed; the result is the embedded text.
fn http_url(flag: &str, text: &str) -> Result<String> {
    let bad = || {
        Error::Input(format!(
            "{flag} `{}` is not an HTTP URL; give one such as http://127.0.0.1:9090/hooks",
            crate::support::quote::excerpt(text, crate::support::quote::EXCERPT_PATH)
        ))
    };
    let trimmed = text.trim_matches(' ');
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let lower = trimmed.to_ascii_lowercase();
    let rest = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")).ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('\\') {
        return Err(bad());
    }
    let url = reqwest::Url::parse(trimmed).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(trimmed.to_string())
}

/// Validates the flags of `export locust`.
pub fn options(
    args: &ExportLocustArgs,
    default_interval: u64,
    default_scheme: Scheme,
) -> Result<LocustOptions> {
    let Some(target) = args.webhook_url.as_deref() else {
        return Err(Error::Input(
            "hookbench export locust needs --webhook-url URL, the endpoint the deliveries are POSTed to"
                .into(),
        ));
    };
    let target = http_url("--webhook-url", target)?;
    let scheme = options::scheme(&args.signing, default_scheme);
    let missing = || {
        Error::Input(format!(
            "hookbench export locust needs a signing secret for the {scheme} scheme: pass --secret or set HOOKBENCH_SECRET"
        ))
    };
    // The model's rule ([`Scheme::secret`]): `whsec_` base64 for standard, any non-empty text
    // for the others (written as given, as `receive --secret` reads it). Blank counts as missing.
    let given = args.signing.secret.as_deref().filter(|s| !s.trim().is_empty()).ok_or_else(missing)?;
    let secret = match scheme.secret(given) {
        Ok(s) => s.expose(),
        Err(VerifyError::BadSecret) => return Err(Error::Input(
            "--secret must be `whsec_` followed by base64 of at least 16 bytes for the standard scheme, such as whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
        )),
        Err(_) => return Err(missing()),
    };
    let speedup = options::speedup(&args.speedup)?;
    let interval = match args.interval.as_deref() {
        Some(text) => duration("--interval", text, MILLI)?,
        None => default_interval,
    };
    let api = match (args.pollers, args.api.as_deref()) {
        (0, Some(_)) => {
            return Err(Error::Input("--api is for the pollers; add --pollers N or drop it".into()))
        }
        (0, None) => None,
        (_, None) => {
            return Err(Error::Input(
                "--pollers needs --api URL, the provider API they poll (such as `hookbench serve`'s)".into(),
            ))
        }
        (_, Some(a)) => Some(http_url("--api", a)?.trim_end_matches('/').to_string()),
    };
    if args.pollers > 10_000 {
        return Err(Error::Input(format!("--pollers {} is too many; give at most 10000", args.pollers)));
    }
    Ok(LocustOptions { target, scheme, secret, speedup, pollers: args.pollers, interval, api })
}

fn locust(args: ExportLocustArgs) -> Result<u8> {
    let scenario = options::scenario(&args.from, crate::support::limits::MAX_SIM_EVENTS)?;
    let default_interval =
        scenario.strategies.intervals.first().copied().unwrap_or(30 * crate::support::units::SECOND);
    let opts = options(&args, default_interval, scenario.webhook.scheme)?;
    let expected = scenario.expected_events();
    if expected > 2.0 * MAX_EXPORT_EVENTS as f64 {
        return Err(too_many(expected as usize));
    }
    let log = EventLog::generate(&scenario);
    if log.len() > MAX_EXPORT_EVENTS {
        return Err(too_many(log.len()));
    }
    let text = locustfile(&scenario, &log, &opts);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Error::Input(format!("cannot write `{}`: {e}", path.display())))?,
        None => print(&text)?,
    }
    Ok(0)
}

fn too_many(n: usize) -> Error {
    Error::Input(format!(
        "this scenario has about {n} events, more than the {MAX_EXPORT_EVENTS} a locustfile may embed; shorten it with --duration"
    ))
}
