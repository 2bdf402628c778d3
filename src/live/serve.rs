//! Serving a router hardened against slow, silent and greedy clients.
//!
//! Owns the accept loop of `hookbench serve` and `hookbench receive`: HTTP/1.1 connections, plain
//! or inside TLS ([`serve_over`] with a [`ServerTls`]: the handshake counts against the header
//! deadline, which runs from the accept), a cap on concurrent connections (further ones wait in the kernel's backlog), an optional
//! injected fault that resets a share of connections, windows in which every connection is
//! refused ([`Refusals`]: the live API's outages with `refuse = true`), a graceful stop, and one deadline per
//! connection that nobody can hold open:
//!
//! ```text
//!  accepted ──(TLS handshake and) head within header_timeout──▶ request ──body within body_timeout──▶ handler
//!     ▲                                                                            │
//!     └──────────── next head within idle_timeout ◀──── answer sent ◀──────────────┘
//! ```
//!
//! The deadline runs from the moment a phase begins and is not extended by trickled bytes, so a
//! client that sends nothing, half a request head or half a body is cut off, and a silent socket
//! frees its slot. While the handler works and while an answer streams out there is no deadline
//! (long polls and event streams are held by design). Body size limits live with the routes;
//! nothing here looks inside a request.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tower::Service;

use crate::live::clock::Clock;
use crate::live::lock;
use crate::live::tls::ServerTls;
use crate::model::faults::{next_refusal, refusing};
use crate::model::window::Window;

/// The most connections a server may be told to serve at once.
pub const MAX_CONNECTIONS: usize = 100_000;

/// Limits for a hardened server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send its whole first request head within this of being accepted.
    pub header_timeout: Duration,
    /// A request body must have arrived in full within this of its head.
    pub body_timeout: Duration,
    /// A kept-alive connection must send its next request head within this of the last answer.
    pub idle_timeout: Duration,
    /// At most this many connections are served at once (1 to [`MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// Injected fault: this share of accepted connections is reset (RST) before any answer.
    pub reset_rate: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            reset_rate: 0.0,
        }
    }
}

/// One connection's deadline: the phase it is in decides it; when it passes, the connection is
/// dropped.
struct Deadline {
    at: Mutex<Option<Instant>>,
    changed: Notify,
}

impl Deadline {
    fn new(at: Option<Instant>) -> Arc<Self> {
        Arc::new(Deadline { at: Mutex::new(at), changed: Notify::new() })
    }

    /// A new phase begins: from now on the deadline is `after` from now (`None`: no deadline).
    fn begin(&self, after: Option<Duration>) {
        *lock(&self.at) = after.map(|d| Instant::now() + d);
        self.changed.notify_one();
    }

    /// Completes when the deadline of the current phase passes.
    async fn passed(&self) {
        loop {
            let changed = self.changed.notified();
            let at = *lock(&self.at);
            match at {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            if *lock(&self.at) == Some(at) {
                                return;
                            }
                        }
                        _ = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A body that starts the connection's next phase when it ends (or is dropped unfinished).
struct Phased<B> {
    inner: B,
    deadline: Arc<Deadline>,
    next: Option<Duration>,
    done: bool,
}

impl<B> Phased<B> {
    fn new(inner: B, deadline: Arc<Deadline>, next: Option<Duration>) -> Self {
        Phased { inner, deadline, next, done: false }
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.deadline.begin(self.next);
        }
    }
}

impl<B> Drop for Phased<B> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<B: Body + Unpin> Body for Phased<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.finish();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How long a stopped server lets the answers under way finish before it closes their
/// connections anyway (an event stream or a long poll never finishes by itself).
pub const DRAIN: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `stop` completes, then drains: no connection answers
/// another request, the answers under way finish (for at most [`DRAIN`]), and every connection
/// is closed before this returns, so whatever the handlers counted is final.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    serve_refusing(listener, router, limits, Refusals::none(), stop).await;
}

/// Windows of scenario time in which a server refuses connections (an API outage with
/// `refuse = true`): a connection accepted in one is reset at once, and every connection open
/// when one begins — kept-alive, long-polling or streaming — is closed then.
#[derive(Clone)]
pub struct Refusals {
    clock: Option<Clock>,
    windows: Arc<[Window]>,
}

impl Refusals {
    /// Never refusing.
    pub fn none() -> Self {
        Refusals { clock: None, windows: Arc::new([]) }
    }

    /// Refusing in `windows` of `clock`'s scenario time.
    pub fn new(clock: Clock, windows: Vec<Window>) -> Self {
        Refusals { clock: Some(clock), windows: windows.into() }
    }

    /// Whether a window covers now.
    fn now(&self) -> bool {
        self.clock.is_some_and(|c| refusing(&self.windows, c.now()))
    }

    /// Completes when the next window begins (never, if none is ahead).
    async fn next(&self) {
        match self.clock.and_then(|c| Some((c, next_refusal(&self.windows, c.now())?))) {
            Some((clock, at)) => clock.sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

/// Like [`serve`], refusing connections in `refusals`' windows.
pub async fn serve_refusing(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    refusals: Refusals,
    stop: impl std::future::Future<Output = ()>,
) {
    serve_over(listener, router, limits, refusals, None, stop).await;
}

/// Like [`serve_refusing`], over TLS when `tls` is given: each connection's handshake runs
/// under its header deadline, then HTTP/1.1 runs inside the TLS stream.
pub async fn serve_over(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    refusals: Refusals,
    tls: Option<ServerTls>,
    stop: impl std::future::Future<Output = ()>,
) {
    let slots = limits.max_connections.clamp(1, MAX_CONNECTIONS);
    let permits = Arc::new(Semaphore::new(slots));
    let mut faults = crate::model::dist::Rng::new(0, "connection-resets");
    // Open connections watch this: 1 once stopped (answer nothing more), 2 once drained (close).
    let (stopping, watch) = tokio::sync::watch::channel(0u8);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (socket, _) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: back off a moment, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if refusals.now() || faults.chance(limits.reset_rate) {
            // SO_LINGER 0 makes the close a reset: the client sees ECONNRESET, not an answer.
            let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
            drop(socket);
            continue;
        }
        let _ = socket.set_nodelay(true);
        // The header deadline runs from the accept: a TLS handshake spends it too, so a client
        // that stalls half-way through its ClientHello is cut off like one that stalls its head.
        let deadline = Deadline::new(Some(Instant::now() + limits.header_timeout));
        let service = router.clone();
        let refusals = refusals.clone();
        let tls = tls.clone();
        let watch = watch.clone();
        tokio::spawn(async move {
            // The connection and its handlers are gone before the slot is given back, so a
            // drained server holds nothing of the router's state.
            let mut closing = watch.clone();
            let phases = deadline.clone();
            let run = async move {
                match tls {
                    None => connection(socket, service, phases, limits, watch).await,
                    Some(tls) => {
                        let Ok(stream) = tls.acceptor().accept(socket).await else { return };
                        connection(stream, service, phases, limits, watch).await;
                    }
                }
            };
            tokio::select! {
                () = run => {}
                // Dropping the connection closes the socket.
                _ = deadline.passed() => {}
                _ = refusals.next() => {}
                _ = closing.wait_for(|s| *s >= 2) => {}
            }
            drop(permit);
        });
    }
    // Stopped: nothing new is accepted, open connections answer nothing more, and those still
    // answering get [`DRAIN`] to finish before they are closed.
    drop(listener);
    let _ = stopping.send(1);
    let all = u32::try_from(slots).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, permits.acquire_many(all)).await.is_err() {
        let _ = stopping.send(2);
        let _ = tokio::time::timeout(DRAIN, permits.acquire_many(all)).await;
    }
}

/// Serves HTTP/1.1 on one accepted (and, over TLS, handshaken) connection until it closes or
/// the server has stopped and the answer under way is done. The caller drops it when the
/// connection's deadline passes.
async fn connection<I>(
    io: I,
    service: Router,
    phases: Arc<Deadline>,
    limits: Limits,
    mut watch: tokio::sync::watch::Receiver<u8>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let hyper_service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut service = service.clone();
        let phases = phases.clone();
        // The head is in: the body (if any) is due within the body timeout, then there is no
        // deadline until the answer has gone out.
        phases.begin((!req.body().is_end_stream()).then_some(limits.body_timeout));
        let req = req.map(|b| axum::body::Body::new(Phased::new(b, phases.clone(), None)));
        async move {
            let resp = service.call(req).await?;
            Ok::<_, std::convert::Infallible>(resp.map(|b| Phased::new(b, phases, Some(limits.idle_timeout))))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The connection's deadline replaces hyper's own header timer, which would also cut off a
    // kept-alive connection after the header timeout rather than the idle timeout.
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let conn = builder.serve_connection(TokioIo::new(io), hyper_service);
    tokio::pin!(conn);
    // At the stop the connection finishes the answer under way, if any, and takes no further
    // request; once drained it is closed (by the caller) whatever it is doing.
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = watch.wait_for(|s| *s >= 1) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_deadline_passes_unless_a_phase_without_one_begins() {
        let ms = Duration::from_millis;
        let d = Deadline::new(Some(Instant::now() + ms(20)));
        let t0 = Instant::now();
        d.passed().await;
        assert!(t0.elapsed() >= ms(20), "never early");

        // A phase without a deadline: nothing passes until another phase begins.
        d.begin(None);
        assert!(tokio::time::timeout(ms(100), d.passed()).await.is_err());
        let t1 = Instant::now();
        let (_, ()) = tokio::join!(
            async {
                tokio::time::sleep(ms(30)).await;
                d.begin(Some(ms(20)));
            },
            d.passed()
        );
        assert!(t1.elapsed() >= ms(50), "the new phase's deadline counts from its start");
    }
}
