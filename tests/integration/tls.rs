//! HTTPS end to end (issue 27): `serve --tls` and `receive --tls`, the emitter's trust
//! (`--ca-cert`), certificate failures as their own kind (`tls`), the handshake under the header
//! timeout, and `compare --engine live --tls`. Loopback only; every wait is a bounded guard, and
//! no wall-clock time is asserted as a figure. Certificates are made here with `rcgen`.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command};
use std::time::Duration;

use crate::live_servers::{closed_by_server, webhook_summary};
use crate::util::{hookbench, start_with_banner, temp_dir, text};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A few events, all within a tenth of a second of wall time at 600×.
const FEW_EVENTS: &str = r#"
name = "tls"
duration = "1m"
seed = 3
[events]
rate = "600/h"
[webhook]
delay = "0s"
retry = "svix"
"#;

/// A running `serve` or `receive`: its stdout after the banner, its address, and the certificate
/// file its banner names (a self-signed one).
struct Server {
    child: Child,
    out: BufReader<ChildStdout>,
    addr: String,
    cert: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(command: &str, args: &[&str]) -> Server {
    start_with(command, args, &[])
}

/// [`start`] with environment variables `env`.
fn start_with(command: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let (child, out, line) = start_with_banner(command, args, env);
    let addr = line
        .split("listening on https://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no https address in {line:?}"))
        .to_string();
    let cert = line
        .split("self-signed certificate ")
        .nth(1)
        .and_then(|r| r.split(" (trust").next())
        .map(PathBuf::from);
    Server { child, out, addr, cert }
}

/// A certificate for `names` (and its key) written to `dir` as `NAME.pem` and `NAME-key.pem`;
/// `expired`: valid in 2000 only.
fn certificate(dir: &Path, name: &str, names: &[&str], expired: bool) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 12, 31);
    }
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}-key.pem")));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

/// `serve`'s flags to emit `scenario`'s events to `url` at 600×, on any free port.
fn emitting<'a>(scenario: &'a str, url: &'a str) -> [&'a str; 10] {
    [
        "--addr",
        "127.0.0.1:0",
        "--scenario",
        scenario,
        "--webhook-url",
        url,
        "--secret",
        SECRET,
        "--speedup",
        "600",
    ]
}

/// `curl` with `args`: its exit code and standard output.
fn curl(args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl is installed (.ci/run installs it)");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn serve_and_receive_speak_https_and_every_delivery_arrives_verified() {
    let dir = temp_dir("tls-both");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, FEW_EVENTS).unwrap();
    let receiver =
        start("receive", &["--tls", "--addr", "127.0.0.1:0", "--secret", SECRET, "--stop-after", "60s"]);
    let trusted = receiver.cert.clone().expect("the receiver's banner names its certificate");
    let url = format!("https://{}/hook", receiver.addr);
    // The emitter trusts the receiver's certificate through SSL_CERT_FILE (--ca-cert's variable).
    let args = emitting(scenario.to_str().unwrap(), &url);
    let args = [&["--tls", "--stop-after", "3s"][..], &args].concat();
    let mut serve = start_with("serve", &args, &[("SSL_CERT_FILE", trusted.to_str().unwrap())]);
    let api_cert = serve.cert.clone().expect("serve's banner names its certificate");
    let api_cert = api_cert.to_str().unwrap();
    let events = format!("https://{}/events?limit=5", serve.addr);
    // The API over TLS: trusted with --cacert, refused without; TLS 1.2 and 1.3; ALPN http/1.1.
    let (code, body) = curl(&["--cacert", api_cert, "-H", "x-api-key: k", &events]);
    assert_eq!(code, 0, "{body}");
    assert!(body.contains("\"data\""), "{body}");
    let (code, _) = curl(&["-H", "x-api-key: k", &events]);
    assert_eq!(code, 60, "an untrusted certificate must be refused by curl");
    for version in [["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3", "--tls-max", "1.3"]] {
        let (code, v) = curl(
            &[&["--cacert", api_cert, "-o", "/dev/null", "-w", "%{http_version}"][..], &version, &[&events]]
                .concat(),
        );
        assert_eq!((code, v.as_str()), (0, "1.1"), "{version:?}");
    }
    assert!(serve.child.wait().unwrap().success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut serve.out, &mut rest).unwrap();
    let (attempts, delivered) = webhook_summary(&rest);
    let total: u64 = rest
        .split(" of ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{rest}"));
    assert!(total > 0, "{rest}");
    assert_eq!((attempts, delivered), (total, total), "every event delivered at its first attempt: {rest}");
}

/// The examples trust a private CA as users run them (`CA_CERT=FILE`): the polite poller reads
/// `serve --tls`'s API with the certificate its banner names, and without it stops with an error
/// that says why instead of taking the refusal for the end of the run.
#[test]
fn the_example_poller_reads_serve_tls_by_its_printed_certificate_and_says_so_without_it() {
    use crate::serve_report::polite_poller::{self, trust};
    let dir = temp_dir("tls-examples");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, FEW_EVENTS).unwrap();
    let args =
        ["--tls", "--addr", "127.0.0.1:0", "--scenario", scenario.to_str().unwrap(), "--stop-after", "30s"];
    let serve = start("serve", &[&args[..], &["--speedup", "600"]].concat());
    let cert = serve.cert.clone().expect("serve's banner names its certificate");
    let api = format!("https://{}", serve.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let trusted = trust::client(Some(&cert)).unwrap();
    let page = rt.block_on(async {
        let r = trusted.get(format!("{api}/events?limit=5")).header("x-api-key", "examples").send().await;
        r.expect("the printed certificate is trusted").json::<serde_json::Value>().await.unwrap()
    });
    assert!(page["data"].is_array(), "{page}");
    // Polling with the trusting client runs until stopped, without an error.
    let run = |client: reqwest::Client| {
        rt.block_on(async {
            let poll = polite_poller::poll(&client, &api, "examples", Duration::from_millis(20), 600.0);
            tokio::time::timeout(Duration::from_secs(1), poll).await
        })
    };
    assert!(run(trusted).is_err(), "the trusting poller is still polling when the guard ends");
    let refused = run(trust::client(None).unwrap()).expect("the untrusted poller stops at once");
    let err = format!("{:?}", refused.expect_err("an untrusted certificate is an error, not the API gone"));
    assert!(err.contains("InvalidCertificate"), "{err}");
    // The file is read as users name it, through CA_CERT or SSL_CERT_FILE.
    let bad = trust::client(Some(&dir.join("missing.pem"))).map(|_| ()).unwrap_err().to_string();
    assert!(bad.contains("missing.pem"), "{bad}");
}

#[test]
fn an_untrusted_certificate_fails_as_tls_and_the_retries_deliver_once_it_is_trusted() {
    let dir = temp_dir("tls-fix");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, FEW_EVENTS).unwrap();
    let (cert, key) = certificate(&dir, "trusted", &["127.0.0.1"], false);
    // The first receiver serves a self-signed certificate nobody trusts.
    let untrusted =
        start("receive", &["--tls", "--addr", "127.0.0.1:0", "--secret", SECRET, "--stop-after", "60s"]);
    let addr = untrusted.addr.clone();
    let url = format!("https://{addr}/hook");
    // Svix's schedule at 600×: retries 8 ms, 0.5 s and 3.5 s of wall time after each event; the run
    // ends 5.1 s in (the 1 m window and a 50 m drain).
    let args = emitting(scenario.to_str().unwrap(), &url);
    let report = ["--ca-cert", cert.to_str().unwrap(), "--report", "--drain", "50m", "--format", "json"];
    let (mut serve, out, _) = crate::serve_report::start_serve_reporting(&[&args[..], &report].concat());
    // The fix: a receiver on the same port with the certificate serve trusts. Before it, the
    // first attempts met an untrusted certificate.
    std::thread::sleep(Duration::from_millis(800));
    drop(untrusted);
    let _fixed = start(
        "receive",
        &[
            "--tls",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--addr",
            &addr,
            "--secret",
            SECRET,
            "--stop-after",
            "60s",
        ],
    );
    let report: serde_json::Value = serde_json::from_reader(out).expect("a JSON report");
    assert!(serve.wait().unwrap().success());
    crate::serve_report::assert_schema(&report);
    let endpoint = crate::serve_report::row(&report, "endpoint");
    let tls = endpoint["failures"]["tls"].as_u64().unwrap();
    assert!(tls > 0, "no tls failure counted: {endpoint}");
    assert_eq!(endpoint["failures"]["client_error"], 0, "{endpoint}");
    assert_eq!(endpoint["webhooks"]["delivered"], report["run"]["events"], "{endpoint}");
    assert_eq!(endpoint["webhooks"]["dead_lettered"], 0, "{endpoint}");
}

#[test]
fn a_half_sent_client_hello_does_not_lock_the_server_out() {
    let receiver = start(
        "receive",
        &[
            "--tls",
            "--addr",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--max-connections",
            "2",
            "--header-timeout",
            "500ms",
            "--stop-after",
            "60s",
        ],
    );
    // Both slots taken: one silent, one that sent the first bytes of a ClientHello and stalled.
    let mut stalled: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&receiver.addr).unwrap()).collect();
    stalled[1].write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]).unwrap();
    // A fresh client waits in the backlog until the header timeout frees a slot, then is answered.
    let cert = receiver.cert.clone().unwrap();
    let url = format!("https://{}/hook", receiver.addr);
    let (code, status) = curl(&[
        "--cacert",
        cert.to_str().unwrap(),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-d",
        "{}",
        &url,
    ]);
    assert_eq!(code, 0, "the fresh client was not served");
    assert_ne!(status, "000");
    for (i, s) in stalled.iter_mut().enumerate() {
        assert!(closed_by_server(s), "stalled connection {i} was not cut off");
    }
}

/// Serves 204 at every path over TLS with `tls`; the address.
async fn tls_sink(tls: hookbench::live::tls::ServerTls) -> std::net::SocketAddr {
    use hookbench::live::serve::{serve_over, Limits, Refusals};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(|| async { axum::http::StatusCode::NO_CONTENT });
    let pending = std::future::pending();
    tokio::spawn(serve_over(listener, router, Limits::default(), Refusals::none(), Some(tls), pending));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_name_expired_and_untrusted_certificates_are_tls_failures() {
    use hookbench::engine::observer::AttemptResult;
    use hookbench::live::emitter::{attempt_classified, Destination};
    use hookbench::live::tls::{roots, ServerTls};
    use hookbench::model::emitter::AttemptOutcome;
    let dir = temp_dir("tls-kinds");
    let good = certificate(&dir, "good", &["127.0.0.1"], false);
    let cases = [
        ("trusted", good.clone(), good.0.clone(), AttemptResult::Acked),
        (
            "wrong name",
            certificate(&dir, "name", &["example.com"], false),
            dir.join("name.pem"),
            AttemptResult::Tls,
        ),
        ("expired", certificate(&dir, "old", &["127.0.0.1"], true), dir.join("old.pem"), AttemptResult::Tls),
        ("untrusted", certificate(&dir, "other", &["127.0.0.1"], false), good.0.clone(), AttemptResult::Tls),
    ];
    for (what, (cert, key), trusted, want) in cases {
        let addr = tls_sink(ServerTls::from_pem_files(&cert, &key).unwrap()).await;
        let url = format!("https://{addr}/hook");
        let client = hookbench::live::client::http_client_trusting(
            &url.parse().unwrap(),
            0,
            &roots(&trusted).unwrap(),
        )
        .unwrap();
        let target = Destination {
            url,
            secret: hookbench::model::signature::Secret::parse(SECRET).unwrap(),
            scheme: Default::default(),
            payload: hookbench::scenario::Payload::Fat,
        };
        let (outcome, kind) =
            attempt_classified(&client, &target, "msg_1", 1, b"{}", Duration::from_secs(10)).await;
        assert_eq!(kind, want, "{what}");
        let delivered = matches!(outcome, AttemptOutcome::Success);
        assert_eq!(delivered, want == AttemptResult::Acked, "{what}: never accepted unverified");
    }
}

#[test]
fn bad_tls_files_and_misplaced_flags_exit_2_with_one_sentence() {
    let dir = temp_dir("tls-bad");
    let (cert, key) = certificate(&dir, "a", &["127.0.0.1"], false);
    let (_, other_key) = certificate(&dir, "b", &["127.0.0.1"], false);
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let missing = dir.join("missing.pem");
    let (cert, key, other_key, junk, missing) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        other_key.to_str().unwrap(),
        junk.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let receive = |extra: &[&str]| {
        hookbench(
            &[&["receive", "--addr", "127.0.0.1:0", "--secret", SECRET, "--stop-after", "1s"][..], extra]
                .concat(),
        )
    };
    for (args, says) in [
        (vec!["--tls", "--tls-cert", missing, "--tls-key", key], "cannot read"),
        (vec!["--tls", "--tls-cert", junk, "--tls-key", key], "holds no PEM certificate"),
        (vec!["--tls", "--tls-cert", cert, "--tls-key", junk], "holds no PEM private key"),
        (
            vec!["--tls", "--tls-cert", cert, "--tls-key", other_key],
            "is not the private key of the certificate in",
        ),
    ] {
        let out = receive(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.trim().lines().count() == 1, "{args:?}: {stderr}");
    }
    let out = hookbench(&["serve", "--addr", "127.0.0.1:0", "--ca-cert", junk, "--stop-after", "1s"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
    assert!(text(&out).1.contains("--ca-cert"), "{}", text(&out).1);
    let out = hookbench(&["compare", "--scenario", "payments", "--tls"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
    assert!(text(&out).1.contains("--engine live"), "{}", text(&out).1);
    let out = receive(&["--tls-cert", cert, "--tls-key", key]);
    assert_eq!(out.status.code(), Some(2), "--tls-cert without --tls: {}", text(&out).1);
}

#[test]
fn live_over_tls_agrees_with_the_sim() {
    use hookbench::strategy::StrategyKind::{Poll, Webhook};
    use hookbench::support::units::SECOND;
    let _one = crate::capacity::one_live_run();
    let s = crate::live::agreement_scenario();
    let sim = crate::util::run(&s, &[Poll, Webhook], &[30 * SECOND]);
    let specs =
        hookbench::strategy::Spec::expand(&[Poll, Webhook], &[30 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 60.0, progress: false, tls: true };
    let live = hookbench::live::engine::run(&s, &specs, opts).unwrap();
    crate::live::assert_agreement(&sim, &live);
    assert!(live.live.as_ref().is_some_and(|l| l.tls), "the report says it ran over TLS");
    let table = hookbench::render::render(&live, hookbench::cli::Format::Table);
    assert!(table.contains("live over loopback HTTPS (TLS 1.3/1.2): "), "{table}");
    let json = hookbench::render::render(&live, hookbench::cli::Format::Json);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["live"]["tls"], true);
    crate::serve_report::assert_schema(&json);
}

/// Live over TLS with the network modelled agrees with the sim: a new connection per delivery and
/// per poll at a 100 ms round trip and TLS 1.3, so each waits 2 round trips (TCP, TLS) before its
/// request, beside the real handshake on loopback. The poll row agrees as plain HTTP does; the
/// webhook row waits at least the sim's modelled latency and no more than loopback's overhead
/// above it.
#[test]
fn live_over_tls_with_the_network_modelled_agrees_with_the_sim() {
    use hookbench::strategy::StrategyKind::{Poll, Webhook};
    use hookbench::support::units::SECOND;
    let _one = crate::capacity::one_live_run();
    let s = crate::util::scenario(
        r#"
        name = "agreement-network"
        duration = "20m"
        drain = "1m"
        seed = 31
        [events]
        rate = "1500/h"
        resources = 40
        payload_bytes = 200
        [api]
        rtt = "100ms"
        connection = "new"
        [webhook]
        delay = "300ms"
        retry = "svix"
        connection = "new"
        [network]
        rtt = "100ms"
        tls = "1.3"
        [strategies]
        intervals = ["30s"]
        "#,
    );
    let sim = crate::util::run(&s, &[Poll, Webhook], &[30 * SECOND]);
    let specs =
        hookbench::strategy::Spec::expand(&[Poll, Webhook], &[30 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup: 60.0, progress: false, tls: true };
    let live = hookbench::live::engine::run(&s, &specs, opts).unwrap();
    crate::live::assert_agreement(&sim, &live);
    let info = live.live.as_ref().expect("a live run");
    assert!(info.tls && info.distortion.contains("round trips of [network] rtt"), "{}", info.distortion);
    let (sw, lw) = (crate::util::row(&sim, "webhook"), crate::util::row(&live, "webhook"));
    let (sm, lm) = (sw.latency_ms.mean.unwrap(), lw.latency_ms.mean.unwrap());
    // The sim's closed form: 300 ms of delay (the request on an open connection) plus 2 round trips
    // of 100 ms (TCP, TLS 1.3) on every attempt.
    assert!((sm - 500.0).abs() < 1e-6, "sim webhook mean {sm} ms");
    assert!(lm >= sm * 0.99 && lm <= sm * 1.25, "webhook mean: sim {sm:.0} ms, live {lm:.0} ms");
}
