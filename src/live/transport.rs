//! The HTTP client of the webhook emitter and the consumers: one exchange, request out, answer in.
//!
//! Owns how a request reaches a server and how its failure is told. Plain `http://` to a target
//! on this machine goes straight through hyper's HTTP/1.1 connections: a pool of kept-alive
//! connections per host (none kept when told so), headers handed over as built, no redirect or
//! proxy machinery in the way. Everything else — `https://` (rustls, the built-in roots and those
//! trusted on top) and hosts elsewhere (proxies honoured as curl does) — goes through reqwest.
//! Either way redirects are never followed (a 3xx is an answer like any other), one deadline
//! covers connecting, sending and the answer's head, the body is read within what is left of it,
//! and a failure is one of [`Failed`]'s kinds. It knows nothing of webhooks or of the API.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderValue, HOST};
use hyper::http::uri::{Authority, Scheme};
pub use hyper::Method;
use hyper::Uri;
use hyper_util::rt::TokioIo;

use crate::live::lock;

/// One request.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// `GET`, `POST`.
    pub method: Method,
    /// The absolute URL.
    pub url: &'a str,
    /// The request's headers (`Host` and `Content-Length` are added).
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// Connecting, sending and the answer's head must be done within this; the body is read
    /// within what is left of it. `None`: no deadline.
    pub timeout: Option<Duration>,
    /// Keep the answer's body (otherwise it is read and dropped, so the connection can serve
    /// again).
    pub keep_body: bool,
}

/// A server's answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body when kept (empty otherwise); `None` when it could not be read in full in time.
    pub body: Option<Bytes>,
}

/// How an exchange failed before any answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// No answer within the deadline.
    Timeout,
    /// The TLS handshake or a record failed (an untrusted, expired or wrong-name certificate, a
    /// protocol mismatch, an alert from the peer).
    Tls,
    /// Refused, reset, closed, or otherwise failed.
    Refused,
}

/// Something that carries an [`Exchange`] to its server.
pub trait Transport: Send + Sync {
    /// Sends `ex` and reads the answer.
    fn exchange(&self, ex: Exchange<'_>) -> impl Future<Output = Result<Answer, Failed>> + Send;
}

impl Transport for reqwest::Client {
    fn exchange(&self, ex: Exchange<'_>) -> impl Future<Output = Result<Answer, Failed>> + Send {
        let deadline = ex.timeout.map(|t| Instant::now() + t);
        let mut rb = self.request(ex.method, ex.url).headers(ex.headers);
        if let Some(t) = ex.timeout {
            rb = rb.timeout(t);
        }
        if let Some(body) = ex.body {
            rb = rb.body(body);
        }
        let keep = ex.keep_body;
        async move {
            let mut r = rb.send().await.map_err(|e| reqwest_failure(&e))?;
            let status = r.status().as_u16();
            let headers = std::mem::take(r.headers_mut());
            let body = within(deadline, async {
                let mut kept = Vec::new();
                while let Some(chunk) = r.chunk().await.ok()? {
                    if keep {
                        kept.extend_from_slice(&chunk);
                    }
                }
                Some(Bytes::from(kept))
            })
            .await
            .flatten();
            Ok(Answer { status, headers, body })
        }
    }
}

/// The kind of a reqwest failure.
fn reqwest_failure(e: &reqwest::Error) -> Failed {
    if e.is_timeout() {
        Failed::Timeout
    } else if crate::live::tls::is_tls_failure(e) {
        Failed::Tls
    } else {
        Failed::Refused
    }
}

/// `fut`, or `None` once `deadline` passes.
async fn within<T>(deadline: Option<Instant>, fut: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(tokio::time::Instant::from_std(at), fut).await.ok(),
        None => Some(fut.await),
    }
}

/// Kept-alive connections are dropped after this long idle (reqwest's default).
const IDLE: Duration = Duration::from_secs(90);

/// The HTTP client: plain `http://` straight over pooled hyper connections when the target is
/// on this machine, reqwest for the rest. Clones share the pool.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// For `https://`, and for every request when the target is elsewhere.
    fallback: reqwest::Client,
    /// Plain `http://` goes direct (the target is on this machine: no proxy applies).
    direct: bool,
    /// At most this many idle connections are kept per host.
    idle_per_host: usize,
    /// Idle connections by host.
    idle: Mutex<HashMap<Authority, Vec<Idle>>>,
}

/// A kept connection and when it went idle.
type Idle = (SendRequest<Full>, Instant);

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("direct", &self.inner.direct)
            .field("idle_per_host", &self.inner.idle_per_host)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client that sends plain `http://` directly when `direct` (no proxy applies), keeping at
    /// most `idle_per_host` idle connections per host, and everything else through `fallback`.
    pub fn new(fallback: reqwest::Client, direct: bool, idle_per_host: usize) -> Self {
        HttpClient {
            inner: Arc::new(Inner { fallback, direct, idle_per_host, idle: Mutex::new(HashMap::new()) }),
        }
    }

    /// The reqwest client behind it (for streamed answers).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner.fallback
    }

    /// An idle connection to `host`, if one is kept and still open.
    fn take_idle(&self, host: &Authority) -> Option<SendRequest<Full>> {
        let mut idle = lock(&self.inner.idle);
        let list = idle.get_mut(host)?;
        while let Some((conn, since)) = list.pop() {
            if !conn.is_closed() && since.elapsed() < IDLE {
                return Some(conn);
            }
        }
        None
    }

    /// Keeps `conn` for the next request to `host`, if there is room.
    fn put_idle(&self, host: Authority, conn: SendRequest<Full>) {
        if self.inner.idle_per_host == 0 || conn.is_closed() {
            return;
        }
        let mut idle = lock(&self.inner.idle);
        let list = idle.entry(host).or_default();
        if list.len() < self.inner.idle_per_host {
            list.push((conn, Instant::now()));
        }
    }

    /// A new connection to `host`, its HTTP/1.1 driver running on the runtime.
    async fn connect(host: &Authority) -> Result<SendRequest<Full>, Failed> {
        let name = host.host().trim_start_matches('[').trim_end_matches(']');
        let stream = tokio::net::TcpStream::connect((name, host.port_u16().unwrap_or(80)))
            .await
            .map_err(|_| Failed::Refused)?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| Failed::Refused)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// The head of the answer to `req` on a kept connection to `host` or a new one, and the
    /// connection it came on. A kept connection that closed before the request went out is
    /// dropped and the next one tried: the request is sent at most once.
    async fn send(
        &self,
        host: &Authority,
        mut req: hyper::Request<Full>,
    ) -> Result<(hyper::Response<Incoming>, SendRequest<Full>), Failed> {
        loop {
            let (mut conn, kept) = match self.take_idle(host) {
                Some(conn) => (conn, true),
                None => (Self::connect(host).await?, false),
            };
            if conn.ready().await.is_err() {
                if kept {
                    continue;
                }
                return Err(Failed::Refused);
            }
            match conn.try_send_request(req).await {
                Ok(resp) => return Ok((resp, conn)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if kept => req = unsent,
                    _ => return Err(Failed::Refused),
                },
            }
        }
    }

    async fn direct(&self, uri: Uri, ex: Exchange<'_>) -> Result<Answer, Failed> {
        let Some(host) = uri.authority().cloned() else { return Err(Failed::Refused) };
        let deadline = ex.timeout.map(|t| Instant::now() + t);
        let mut req = hyper::Request::new(Full(ex.body));
        *req.method_mut() = ex.method;
        *req.uri_mut() = uri.path_and_query().map_or_else(
            || Uri::from_static("/"),
            |p| Uri::try_from(p.as_str()).unwrap_or_else(|_| Uri::from_static("/")),
        );
        *req.headers_mut() = ex.headers;
        if let Ok(h) = HeaderValue::from_str(host.as_str()) {
            req.headers_mut().insert(HOST, h);
        }
        let sent = within(deadline, self.send(&host, req)).await;
        let (resp, conn) = sent.ok_or(Failed::Timeout)??;
        let (head, incoming) = resp.into_parts();
        let body = within(deadline, read_body(incoming, ex.keep_body)).await.flatten();
        if body.is_some() {
            self.put_idle(host, conn);
        }
        Ok(Answer { status: head.status.as_u16(), headers: head.headers, body })
    }
}

impl Transport for HttpClient {
    fn exchange(&self, ex: Exchange<'_>) -> impl Future<Output = Result<Answer, Failed>> + Send {
        let direct = match self.inner.direct {
            // Credentials in the URL (basic auth) and what hyper's URI does not take (a
            // fragment, unescaped characters) are left to reqwest.
            true => ex.url.parse::<Uri>().ok().filter(|u| {
                u.scheme() == Some(&Scheme::HTTP) && u.authority().is_some_and(|a| !a.as_str().contains('@'))
            }),
            false => None,
        };
        async move {
            match direct {
                Some(uri) => self.direct(uri, ex).await,
                None => self.inner.fallback.exchange(ex).await,
            }
        }
    }
}

/// Reads a body to its end: the bytes when `keep` (else empty); `None` if it broke off.
async fn read_body(mut body: Incoming, keep: bool) -> Option<Bytes> {
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    // A declared length (capped: it is the server's word) is joined without growing.
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(0).min(1 << 20);
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.ok()?.into_data() else { continue };
        if !keep {
            continue;
        }
        match &first {
            None => first = Some(data),
            Some(f) => {
                if rest.is_empty() {
                    rest.reserve(declared.max(f.len() + data.len()));
                    rest.extend_from_slice(f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    Some(if rest.is_empty() { first.unwrap_or_default() } else { Bytes::from(rest) })
}

/// A request body sent in one piece.
#[derive(Debug)]
pub struct Full(Option<Bytes>);

impl Body for Full {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(|b| b.is_empty())
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}
