//! A hybrid webhook receiver: verify each delivery with the Standard Webhooks library, answer 204 at once,
//! then fetch the event from the API (the webhook says "something happened", the API is the
//! source of truth). `hookbench serve --report` counts that fetch as the receiver's detection.
//!
//! ```text
//! WEBHOOK_SECRET=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD API=http://127.0.0.1:8080 \
//!   cargo run --example webhook_receiver &            # listens on 127.0.0.1:9090
//! hookbench serve --report --webhook-url http://127.0.0.1:9090/webhook \
//!   --secret whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD --addr 127.0.0.1:8080
//! ```

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use standardwebhooks::Webhook;

#[path = "common/trust.rs"]
pub mod trust;

/// What each delivery needs.
#[derive(Clone)]
pub struct Receiver {
    /// The signature checker.
    pub webhook: std::sync::Arc<Webhook>,
    /// The API's base URL.
    pub api: String,
    /// The API key of the follow-up fetches.
    pub key: String,
    /// The HTTP client of the fetches.
    pub http: reqwest::Client,
}

/// The receiver's routes: `POST /webhook`.
pub fn app(secret: &str, api: String, key: String) -> Result<Router, Box<dyn std::error::Error>> {
    let webhook = std::sync::Arc::new(Webhook::new(secret)?);
    let http = trust::client(trust::ca_file().as_deref())?;
    let state = Receiver { webhook, api, key, http };
    Ok(Router::new().route("/webhook", post(deliver)).with_state(state))
}

async fn deliver(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if rx.webhook.verify(&body, &headers).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    let Some(id) = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
    else {
        return StatusCode::BAD_REQUEST;
    };
    // Acknowledge now; the details come from the API.
    tokio::spawn(async move {
        let url = format!("{}/events/{id}", rx.api);
        match rx.http.get(url).header("X-Api-Key", &rx.key).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => eprintln!("webhook_receiver: fetching {id}: {}", r.status()),
            Err(e) => eprintln!("webhook_receiver: fetching {id}: {e}"),
        }
    });
    StatusCode::NO_CONTENT
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let secret = std::env::var("WEBHOOK_SECRET").map_err(|_| "set WEBHOOK_SECRET=whsec_…")?;
    let app = app(&secret, var("API", "http://127.0.0.1:8080"), var("API_KEY", "receiver"))?;
    let listener = tokio::net::TcpListener::bind(var("ADDR", "127.0.0.1:9090")).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
