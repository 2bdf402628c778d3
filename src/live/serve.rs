//! Serving a router hardened against slow and greedy clients.
//!
//! Owns the accept loop of `hookbench serve` and `hookbench receive`: HTTP/1.1 connections with
//! a header read timeout (a client that trickles its headers — slowloris — is cut off), a cap on
//! concurrent connections (further ones wait in the kernel's backlog), an optional injected fault
//! that resets a share of connections, and a graceful stop.
//! Body size limits live with the routes; nothing here looks inside a request.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// Limits for a hardened server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send its whole request head within this.
    pub header_read_timeout: Duration,
    /// At most this many connections are served at once.
    pub max_connections: usize,
    /// Injected fault: this share of accepted connections is reset (RST) before any answer.
    pub reset_rate: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_read_timeout: Duration::from_secs(10), max_connections: 1024, reset_rate: 0.0 }
    }
}

/// Serves `router` on `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut faults = crate::model::dist::Rng::new(0, "connection-resets");
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let (socket, _) = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: back off a moment, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if faults.chance(limits.reset_rate) {
            // SO_LINGER 0 makes the close a reset: the client sees ECONNRESET, not an answer.
            let _ = socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO));
            drop(socket);
            continue;
        }
        let _ = socket.set_nodelay(true);
        let service = router.clone();
        tokio::spawn(async move {
            let hyper_service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let mut service = service.clone();
                async move { service.call(req).await }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let _ = builder.serve_connection(TokioIo::new(socket), hyper_service).await;
            drop(permit);
        });
    }
}
