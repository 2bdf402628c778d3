//! A poller that does what the API asks: it waits at least the `X-Poll-Interval` the server
//! suggests, and after a 429 it waits out `Retry-After` before asking again.
//!
//! ```text
//! hookbench serve --report --speedup 100 --addr 127.0.0.1:8080 &
//! API=http://127.0.0.1:8080 API_KEY=polite INTERVAL=0.1 SPEEDUP=100 cargo run --example polite_poller
//! ```
//!
//! A real provider's header seconds are wall seconds; `hookbench serve`'s are scenario seconds,
//! so against it SPEEDUP (its `--speedup`) scales them. It stops once the API is gone. Over HTTPS
//! with a private CA (`hookbench serve --tls` prints its certificate's file): `CA_CERT=FILE`.

use std::time::Duration;

#[path = "common/trust.rs"]
pub mod trust;

use reqwest::header::HeaderMap;
use serde_json::Value;

/// A header holding whole seconds, as a wall-clock wait.
fn seconds(h: &HeaderMap, name: &str, speedup: f64) -> Option<Duration> {
    let s: f64 = h.get(name)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs_f64(s / speedup))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let (api, key) = (var("API", "http://127.0.0.1:8080"), var("API_KEY", "polite-poller"));
    let interval = Duration::from_secs_f64(var("INTERVAL", "30").parse()?);
    let http = trust::client(trust::ca_file().as_deref())?;
    poll(&http, &api, &key, interval, var("SPEEDUP", "1").parse()?).await
}

/// Polls `api` as `key` with `http` every `interval` or slower, as the server asks, until it is
/// gone.
pub async fn poll(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    interval: Duration,
    speedup: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut cursor: Option<String> = None;
    let mut wait = interval;
    loop {
        tokio::time::sleep(wait).await;
        wait = interval;
        loop {
            let mut req = http.get(format!("{api}/events")).header("X-Api-Key", key);
            if let Some(c) = &cursor {
                req = req.query(&[("after", c)]);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() && trust::gone(&e) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            if let Some(hint) = seconds(resp.headers(), "x-poll-interval", speedup) {
                wait = wait.max(hint);
            }
            if resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let after = seconds(resp.headers(), "retry-after", speedup).unwrap_or(interval);
                wait = wait.max(after);
                break;
            }
            if !resp.status().is_success() {
                break;
            }
            let page: Value = resp.json().await?;
            if let Some(c) = page["next_cursor"].as_str() {
                cursor = Some(c.to_string());
            }
            if page["has_more"] != true {
                break;
            }
        }
    }
}
