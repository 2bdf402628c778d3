//! A naive poller, as many integrations start: every INTERVAL seconds, read the event log from
//! the last cursor, following `has_more` pages. It ignores every hint the API gives.
//!
//! ```text
//! hookbench serve --report --speedup 100 --duration 20m --addr 127.0.0.1:8080 &
//! API=http://127.0.0.1:8080 API_KEY=ci-poller INTERVAL=0.1 cargo run --example naive_poller
//! ```
//!
//! (At `--speedup 100`, 0.1 s of wall time is 10 s of scenario time.) It stops by itself once
//! the API is gone, so a CI job can run it until the server ends. Over HTTPS with a private CA
//! (`hookbench serve --tls` prints its certificate's file): `API=https://… CA_CERT=FILE`.

use std::time::Duration;

#[path = "common/trust.rs"]
mod trust;

use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = std::env::var("API").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let key = std::env::var("API_KEY").unwrap_or_else(|_| "naive-poller".into());
    let interval: f64 = std::env::var("INTERVAL").unwrap_or_else(|_| "30".into()).parse()?;
    let http = trust::client(trust::ca_file().as_deref())?;
    let mut cursor: Option<String> = None;
    let mut seen = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(interval));
    loop {
        tick.tick().await;
        loop {
            let mut req = http.get(format!("{api}/events")).header("X-Api-Key", &key);
            if let Some(c) = &cursor {
                req = req.query(&[("after", c)]);
            }
            let page: Value = match req.send().await {
                Ok(r) if r.status().is_success() => r.json().await?,
                Ok(r) => {
                    eprintln!("naive_poller: {}", r.status());
                    break;
                }
                Err(e) if e.is_connect() && trust::gone(&e) => {
                    eprintln!("naive_poller: the API is gone; {seen} events seen");
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            seen += page["data"].as_array().map_or(0, |d| d.len() as u64);
            if let Some(c) = page["next_cursor"].as_str() {
                cursor = Some(c.to_string());
            }
            if page["has_more"] != true {
                break;
            }
        }
    }
}
