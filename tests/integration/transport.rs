//! The live engine's HTTP client on loopback: kept connections the server closed are replaced,
//! redirects are answers, a silent server is a timeout and a closed port a refusal, chunked
//! bodies are read whole — on the direct path (plain http:// to loopback) as through reqwest.

use std::time::Duration;

use hookbench::engine::observer::AttemptResult;
use hookbench::live::client::http_client;
use hookbench::live::emitter::{attempt_classified, Destination};
use hookbench::live::transport::{Exchange, Failed, HttpClient, Transport};
use hookbench::model::emitter::AttemptOutcome;
use hookbench::model::signature::Secret;
use hookbench::scenario::Payload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Reads one request (head and `Content-Length` body) off `s`; false at the end of the stream.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.drain(..end + 4 + len);
                return true;
            }
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A server answering every request with `answer`; after `per_connection` answers it closes the
/// connection. Returns its address and the number of connections it accepted, shared.
async fn canned(
    answer: &'static str,
    per_connection: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                for _ in 0..per_connection {
                    if !read_request(&mut s, &mut buf).await || s.write_all(answer.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/hook"), accepted)
}

fn target(url: &str) -> Destination {
    Destination {
        url: url.to_string(),
        secret: Secret::parse(SECRET).unwrap(),
        scheme: Default::default(),
        payload: Payload::Fat,
    }
}

fn direct(url: &str, idle: usize) -> HttpClient {
    http_client(&url.parse().unwrap(), idle).unwrap()
}

async fn post(client: &impl Transport, url: &str) -> (AttemptOutcome, AttemptResult) {
    attempt_classified(client, &target(url), "msg_1", 1, b"{}", Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_connections_are_reused_and_one_the_server_closed_is_replaced() {
    let (url, accepted) = canned("HTTP/1.1 204 No Content\r\n\r\n", usize::MAX).await;
    let client = direct(&url, 4);
    for _ in 0..5 {
        assert_eq!(post(&client, &url).await, (AttemptOutcome::Success, AttemptResult::Acked));
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "one kept-alive connection");

    // One answer per connection, then the server closes it: every delivery still succeeds.
    let (url, accepted) = canned("HTTP/1.1 204 No Content\r\n\r\n", 1).await;
    let client = direct(&url, 4);
    for _ in 0..5 {
        assert_eq!(post(&client, &url).await, (AttemptOutcome::Success, AttemptResult::Acked));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 5);

    // No connection kept when told so.
    let (url, accepted) = canned("HTTP/1.1 204 No Content\r\n\r\n", usize::MAX).await;
    let client = direct(&url, 0);
    for _ in 0..3 {
        assert_eq!(post(&client, &url).await.0, AttemptOutcome::Success);
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_throttles_and_failures_are_told_the_same_on_both_paths() {
    let redirect = "HTTP/1.1 307 Temporary Redirect\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n";
    let throttled = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 2\r\n\r\n{}";
    let gone = "HTTP/1.1 410 Gone\r\ncontent-length: 0\r\n\r\n";
    let (redirect, _) = canned(redirect, usize::MAX).await;
    let (throttled, _) = canned(throttled, usize::MAX).await;
    let (gone, _) = canned(gone, usize::MAX).await;
    // A port nobody listens on, and a server that never answers.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
    let reqwest =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let lean = direct(&redirect, 4);
    for (url, want) in [
        (&redirect, (AttemptOutcome::Failure, AttemptResult::ClientError)),
        (&throttled, (AttemptOutcome::Throttled(Some(7_000_000)), AttemptResult::ClientError)),
        (&gone, (AttemptOutcome::Gone, AttemptResult::Gone)),
        (&closed, (AttemptOutcome::Failure, AttemptResult::Refused)),
    ] {
        assert_eq!(post(&lean, url).await, want, "direct: {url}");
        assert_eq!(post(&reqwest, url).await, want, "reqwest: {url}");
    }
    let short = |client: &HttpClient| {
        let client = client.clone();
        let url = silent_url.clone();
        async move {
            let t = target(&url);
            attempt_classified(&client, &t, "msg_1", 1, b"{}", Duration::from_millis(200)).await
        }
    };
    assert_eq!(short(&lean).await, (AttemptOutcome::Failure, AttemptResult::Timeout));
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_read_whole_and_the_connection_serves_again() {
    let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n\
                   5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n";
    let (url, accepted) = canned(chunked, usize::MAX).await;
    let client = direct(&url, 4);
    for _ in 0..3 {
        let ex = Exchange {
            method: hookbench::live::transport::Method::GET,
            url: &url,
            headers: Default::default(),
            body: None,
            timeout: Some(Duration::from_secs(5)),
            keep_body: true,
        };
        let answer = client.exchange(ex).await.expect("an answer");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body.as_deref(), Some(&b"hello, world"[..]));
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    let refused = client
        .exchange(Exchange {
            method: hookbench::live::transport::Method::GET,
            url: "http://127.0.0.1:1/",
            headers: Default::default(),
            body: None,
            timeout: None,
            keep_body: true,
        })
        .await;
    assert_eq!(refused.err(), Some(Failed::Refused));
}
