//! `serve` and `receive` under hostile and unusual clients (issue 11): silent, half-sent and idle
//! connections, redirects, proxies, huge headers values, many clients, loopback spelled
//! otherwise, conditional requests and the one error shape. Traffic stays on loopback; every
//! wait is bounded, and no wall-clock time is asserted as a performance figure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::util::{hookbench, start_server, text};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// How long a test waits for an answer that must come: a guard against hanging, not a measure.
const GUARD: Duration = Duration::from_secs(20);

/// Reads one HTTP/1.1 answer (head and a `Content-Length` body) without waiting for the close.
fn read_response(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(GUARD)).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return text;
            }
        }
        match s.read(&mut chunk) {
            Ok(0) => return String::from_utf8_lossy(&buf).to_string(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("no answer within {GUARD:?}: {e}; got {:?}", String::from_utf8_lossy(&buf)),
        }
    }
}

/// Sends a request that closes the connection after its answer, and reads the answer.
fn request(addr: &str, head: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "{head}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .unwrap();
    read_response(&mut s)
}

/// Whether the server closed `s` (end of stream or a reset) within the guard.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(GUARD)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
            }
        }
    }
}

#[test]
fn silent_connections_at_the_cap_do_not_lock_out_a_fresh_client() {
    let (mut child, _out, addr) = start_server(
        "serve",
        &[
            "--addr",
            "127.0.0.1:0",
            "--max-connections",
            "5",
            "--header-timeout",
            "500ms",
            "--stop-after",
            "60s",
        ],
        &[],
    );
    // Five connections take every slot: three silent, one with part of the HTTP/2 preface, one
    // with half a request head.
    let mut silent: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    silent[3].write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    silent[4].write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n").unwrap();
    // A fresh client waits in the backlog until the header timeout frees a slot, then is served.
    let answer = request(&addr, "GET /openapi.json HTTP/1.1", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for (i, s) in silent.iter_mut().enumerate() {
        assert!(closed_by_server(s), "silent connection {i} was not cut off");
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_unfinished_body_or_chunked_stream_does_not_hold_the_receiver() {
    let (mut child, _out, addr) = start_server(
        "receive",
        &[
            "--addr",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--max-connections",
            "2",
            "--body-timeout",
            "500ms",
            "--stop-after",
            "60s",
            "--quiet",
        ],
        &[],
    );
    let mut short = TcpStream::connect(&addr).unwrap();
    write!(short, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"id\":").unwrap();
    let mut chunked = TcpStream::connect(&addr).unwrap();
    write!(chunked, "POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{{\"id\r\n")
        .unwrap();
    // Both slots are taken; a fresh (unsigned) delivery is answered once the body timeout frees
    // one.
    let answer = request(&addr, "POST /hook HTTP/1.1", "{}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    for s in [&mut short, &mut chunked] {
        let answer = read_response(s);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(closed_by_server(s));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let (mut child, _out, addr) = start_server(
        "serve",
        &[
            "--addr",
            "127.0.0.1:0",
            "--max-connections",
            "1",
            "--header-timeout",
            "1h",
            "--idle-timeout",
            "500ms",
            "--stop-after",
            "60s",
        ],
        &[],
    );
    let mut idle = TcpStream::connect(&addr).unwrap();
    write!(idle, "GET /events?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let answer = read_response(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The kept-alive connection holds the only slot until it has idled for the idle timeout.
    let answer = request(&addr, "GET /openapi.json HTTP/1.1", "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed_by_server(&mut idle));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn server_limits_out_of_range_exit_2_with_one_sentence() {
    for (flag, value) in [
        ("--max-connections", "18446744073709551615"),
        ("--max-connections", "100001"),
        ("--max-connections", "0"),
        ("--max-connections", "99999999999999999999999"),
        ("--header-timeout", "0s"),
        ("--body-timeout", "0s"),
        ("--idle-timeout", "soon"),
    ] {
        for cmd in ["serve", "receive"] {
            let out = hookbench(&[
                cmd,
                "--addr",
                "127.0.0.1:0",
                "--secret",
                SECRET,
                flag,
                value,
                "--stop-after",
                "1s",
            ]);
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(2), "{cmd} {flag} {value}: {stderr}");
            assert!(stderr.contains(flag) && !stderr.contains("panicked"), "{cmd} {flag} {value}: {stderr}");
        }
    }
}

#[test]
fn loopback_spelled_as_a_name_or_v4_mapped_is_loopback() {
    for addr in ["localhost:0", "[::ffff:127.0.0.1]:0"] {
        let out = hookbench(&["serve", "--addr", addr, "--stop-after", "500ms"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{addr}: {stderr}");
        assert!(stdout.contains("listening on http://"), "{addr}: {stdout}");
        assert!(!stderr.contains("warning"), "{addr} is loopback: {stderr}");
    }
    let out = hookbench(&["serve", "--addr", "[::ffff:10.0.0.1]:0", "--stop-after", "500ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("not a loopback address"), "{}", text(&out).1);
    let out = hookbench(&["serve", "--addr", "localhost", "--stop-after", "500ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("not an address"), "{}", text(&out).1);
}
