//! The consumer's HTTP face: model requests out as URLs, real answers back as model answers.
//!
//! Owns the translation a live consumer needs and nothing else: the path of each
//! [`Request`](crate::model::api::Request), the mapping of HTTP status codes to model statuses
//! (one place), the parsing of `ETag` (with [`crate::live::etag`]) and
//! `Retry-After`/`X-Poll-Interval` headers (one place each), and the decoding of JSON bodies into [`Body`] values. Bytes are sized with the model's
//! wire functions, as the sim sizes them, so the two engines bill alike. It keeps no counts.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, IF_NONE_MATCH};
use reqwest::Method;

use crate::live::etag;
use crate::live::json::{self, IdOnly, PageIds, ResourceIn};
use crate::live::transport::{Exchange, HttpClient, Transport};
use crate::model::api::{answer_bytes, Body, Request, Response, Status};
use crate::model::emitter::MAX_SERVER_WAIT;
use crate::support::units::{Micros, SECOND};

/// The header that names the client for rate limiting.
pub const API_KEY: &str = "x-api-key";

/// Where one consumer sends its requests, and how they are sized.
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// The HTTP client.
    pub client: HttpClient,
    /// Base URL of the source server, such as `http://127.0.0.1:8080`.
    pub base: String,
    /// The consumer's `X-Api-Key` (its own quota).
    pub key: String,
    /// Whether the API sends rate-limit headers (the scenario sets a limit).
    pub limited: bool,
    /// The scenario's payload size.
    pub payload_bytes: u32,
}

/// Whether `url` names this machine: a loopback address (an IPv4-mapped one included), or
/// `localhost` and its subdomains.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// The HTTP client of the webhook emitter and the consumers, for requests to `target`'s host:
/// redirects are never followed; a loopback target is reached directly whatever `HTTP_PROXY`,
/// `HTTPS_PROXY` or `ALL_PROXY` say, while another host honours them (and `NO_PROXY`) as curl
/// does. At most `idle_per_host` idle connections are kept per host.
pub fn http_client(target: &reqwest::Url, idle_per_host: usize) -> reqwest::Result<HttpClient> {
    http_client_trusting(target, idle_per_host, &[])
}

/// [`http_client`], trusting `roots` (a private CA, a self-signed certificate) on top of the
/// built-in Mozilla roots for https:// targets (rustls, ring provider; TLS 1.3 and 1.2). A
/// certificate that does not verify fails the request: nothing turns verification off. Plain
/// `http://` to a loopback target goes straight over hyper's connections
/// ([`crate::live::transport`]).
pub fn http_client_trusting(
    target: &reqwest::Url,
    idle_per_host: usize,
    roots: &[reqwest::Certificate],
) -> reqwest::Result<HttpClient> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(idle_per_host)
        .use_rustls_tls();
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    let direct = is_loopback(target);
    let builder = if direct { builder.no_proxy() } else { builder };
    Ok(HttpClient::new(builder.build()?, direct, idle_per_host))
}

/// The path and query of `req`.
pub fn path_of(req: &Request) -> String {
    let after = |cursor: u32| cursor.checked_sub(1).map(|a| format!("after={}&", json::event_id(a)));
    match *req {
        Request::List { cursor, limit, .. } => {
            format!("/events?{}limit={limit}", after(cursor).unwrap_or_default())
        }
        // `wait` in whole milliseconds, as the API's pattern takes it.
        Request::LongPoll { cursor, limit, wait } => format!(
            "/events?{}limit={limit}&wait={}ms",
            after(cursor).unwrap_or_default(),
            (wait / crate::support::units::MILLI).clamp(1, 999_999_999)
        ),
        Request::Stream { .. } => "/stream".to_string(),
        Request::Resource(r) => format!("/resources/{}", json::resource_id(r)),
        Request::Event(id) => format!("/events/{}", json::event_id(id)),
    }
}

/// The model status of an HTTP status code.
pub fn status_of(code: u16) -> Status {
    match code {
        200 => Status::Ok,
        304 => Status::NotModified,
        404 => Status::NotFound,
        429 => Status::TooManyRequests,
        _ => Status::Unavailable,
    }
}

/// A header holding whole seconds (`Retry-After`, `X-Poll-Interval`), in microseconds, cut to
/// [`MAX_SERVER_WAIT`] (a day): a server cannot make a client wait longer, or overflow its time.
pub fn secs_header(h: &HeaderMap, name: &str) -> Option<Micros> {
    let secs = h.get(name)?.to_str().ok()?.trim();
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Digits beyond u64 are still a (very long) number of seconds.
    let secs = secs.parse::<u64>().unwrap_or(u64::MAX);
    Some(secs.saturating_mul(SECOND).min(MAX_SERVER_WAIT))
}

/// An `ETag` header as the model's tag (weak or strong; the server sends 16 hex digits).
pub fn etag_of(h: &HeaderMap) -> Option<u64> {
    etag::parse(h.get("etag")?.to_str().ok()?)
}

impl ApiClient {
    /// An answer the model can use: `status` with no body, sized as the wire model sizes it
    /// (`answered`: a status line came back; otherwise only the request went out).
    pub fn bare(&self, req: &Request, status: Status, answered: bool) -> Response {
        let bytes_down =
            if answered { answer_bytes(status, &Body::Empty, self.limited, self.payload_bytes) } else { 0 };
        Response {
            status,
            body: Body::Empty,
            etag: None,
            retry_after: None,
            poll_interval: None,
            bytes_up: req.wire_bytes(),
            bytes_down,
            hold: 0,
        }
    }

    /// A GET of `path` with the consumer's key, through reqwest (for a streamed answer).
    pub fn get(&self, path: &str, accept: &str) -> reqwest::RequestBuilder {
        self.client
            .reqwest()
            .get(format!("{}{path}", self.base))
            .header(API_KEY, &self.key)
            .header("accept", accept)
    }

    /// Performs one request and decodes the answer into the model's terms.
    pub async fn fetch(&self, req: Request) -> Response {
        let mut headers = HeaderMap::with_capacity(3);
        if let Ok(key) = HeaderValue::from_str(&self.key) {
            headers.insert(API_KEY, key);
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Request::List { if_none_match: Some(tag), .. } = req {
            if let Ok(v) = HeaderValue::from_str(&etag::format(tag)) {
                headers.insert(IF_NONE_MATCH, v);
            }
        }
        let url = format!("{}{}", self.base, path_of(&req));
        let ex =
            Exchange { method: Method::GET, url: &url, headers, body: None, timeout: None, keep_body: true };
        let Ok(answer) = self.client.exchange(ex).await else {
            return self.bare(&req, Status::Unavailable, false);
        };
        let h = &answer.headers;
        let mut resp = self.bare(&req, status_of(answer.status), true);
        resp.etag = etag_of(h);
        resp.retry_after = secs_header(h, "retry-after");
        resp.poll_interval = secs_header(h, "x-poll-interval");
        let Some(body) = answer.body else { return self.bare(&req, Status::Unavailable, true) };
        if resp.status != Status::Ok {
            return resp;
        }
        match decode(req, &body) {
            Some(b) => {
                resp.body = b;
                resp.bytes_down = answer_bytes(resp.status, &b, self.limited, self.payload_bytes);
                resp
            }
            None => self.bare(&req, Status::Unavailable, true),
        }
    }
}

/// The model body of a 200 answer to `req`, if the JSON is what the API sends.
fn decode(req: Request, body: &[u8]) -> Option<Body> {
    match req {
        Request::Stream { .. } => None,
        Request::List { cursor, .. } | Request::LongPoll { cursor, .. } => {
            // The plain page read straight from its bytes; anything else through serde.
            let (ids, has_more) = match json::scan::page(body) {
                Some(p) => (p.ids, p.has_more),
                None => serde_json::from_slice::<PageIds>(body).ok().map(|p| (p.data, p.has_more))?,
            };
            let first = ids.first.unwrap_or(cursor);
            Some(Body::Page { first, count: ids.count, has_more, next: first + ids.count })
        }
        Request::Resource(_) => {
            let r = serde_json::from_slice::<ResourceIn>(body).ok()?;
            let id = json::parse_resource_id(&r.id)?;
            let latest = match r.last_event_id {
                Some(e) => Some(json::parse_event_id(&e)?),
                None => None,
            };
            Some(Body::Resource { id, latest, version: r.version })
        }
        Request::Event(_) => serde_json::from_slice::<IdOnly>(body)
            .ok()
            .and_then(|e| json::parse_event_id(&e.id))
            .map(Body::Event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_given_waits_are_capped_and_never_wrap() {
        let mut h = HeaderMap::new();
        for (value, want) in [
            ("120", Some(120 * SECOND)),
            ("18446744073709551615", Some(MAX_SERVER_WAIT)),
            ("99999999999999999999999999", Some(MAX_SERVER_WAIT)),
            ("-1", None),
            ("+5", None),
            ("", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ] {
            h.insert("retry-after", value.parse().unwrap());
            assert_eq!(secs_header(&h, "retry-after"), want, "{value}");
        }
    }

    #[test]
    fn loopback_is_told_apart_from_other_hosts() {
        for u in [
            "http://127.0.0.1:9/x",
            "http://127.8.0.1/",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost/",
            "http://LocalHost.:8080/",
            "http://api.localhost/",
        ] {
            assert!(is_loopback(&u.parse().unwrap()), "{u}");
        }
        for u in [
            "http://10.0.0.1/",
            "http://[::ffff:10.0.0.1]/",
            "http://example.com/",
            "http://localhost.example.com/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback(&u.parse().unwrap()), "{u}");
        }
    }
}
