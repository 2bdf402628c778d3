//! Inputs that never leak and output that never panics (issue 11): closed pipes, numbers out of
//! range, secrets in URLs, trace paths a scenario may name, files that never end, and control
//! characters on their way to the terminal.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::bad_input::one_sentence;
use crate::util::{hookbench, temp_dir, text};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

// ---------------------------------------------------------------------------------------------
// 4. Closed pipes and numbers out of range.

/// Every `.rs` file under `src/`, with its path relative to `src/` and its text.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/ is readable").flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under src/").to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("a source file is readable")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// The code of a line: before a `//` comment (good enough for this crate's style: no `//` in
/// the strings these checks care about).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// `print!` and friends panic when stdout or stderr is a closed pipe; everything goes through
/// `out.rs` instead, which treats a closed pipe as written. A handle on a standard stream is
/// taken only there, or to ask whether it is a terminal.
#[test]
fn nothing_prints_past_the_one_writer() {
    let mut bad = Vec::new();
    for (file, text) in sources() {
        for (n, line) in text.lines().enumerate() {
            let line = code(line);
            for mac in ["print!(", "println!(", "eprint!(", "eprintln!(", "dbg!("] {
                let found = line
                    .match_indices(mac)
                    .any(|(i, _)| i == 0 || !line[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if found {
                    bad.push(format!("src/{file}:{}: `{}`", n + 1, line.trim()));
                }
            }
            for stream in ["io::stdout()", "io::stderr()"] {
                for (i, _) in line.match_indices(stream) {
                    let rest = &line[i + stream.len()..];
                    let query =
                        [".is_terminal()", ".as_raw_fd()", ".as_fd()"].iter().any(|q| rest.starts_with(q));
                    if file != "support/out.rs" && !query {
                        bad.push(format!("src/{file}:{}: `{}`", n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "write through `hookbench::support::out` (closed pipes are not errors), not:\n  {}",
        bad.join("\n  ")
    );
}

/// `serve` and `receive` with their stdout piped into a reader that has already gone: no panic,
/// and the exit code they return when stopped (0).
#[test]
fn serve_and_receive_end_quietly_into_a_closed_pipe() {
    for cmd in ["serve", "receive"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hookbench"))
            .args([cmd, "--addr", "127.0.0.1:0", "--secret", SECRET, "--stop-after", "1s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        drop(child.stdout.take()); // the reader closes at once (`| true`)
        let out = child.wait_with_output().expect("it ends");
        let (_, stderr) = text(&out);
        assert_ne!(out.status.code(), Some(101), "{cmd}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{cmd}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{cmd}: {stderr}");
    }
}

#[test]
fn server_numbers_out_of_range_exit_2() {
    for (cmd, flag, value, expect) in [
        ("serve", "--stop-after", "400d", "over a year"),
        ("receive", "--stop-after", "18446744073709551615s", "--stop-after"),
        ("serve", "--speedup", "1e300", "0.01 to 100000"),
        ("serve", "--speedup", "inf", "0.01 to 100000"),
        ("receive", "--speedup", "NaN", "0.01 to 100000"),
        ("receive", "--speedup", "0", "0.01 to 100000"),
        ("receive", "--timestamp-tolerance", "400d", "over a year"),
        ("receive", "--timestamp-tolerance", "0s", "at least `1s`"),
        ("receive", "--timestamp-tolerance", "99999999999999999999y", "--timestamp-tolerance"),
        ("serve", "--header-timeout", "400d", "over a year"),
    ] {
        one_sentence(&[cmd, "--addr", "127.0.0.1:0", "--secret", SECRET, flag, value], &[flag, expect]);
    }
    // The old spelling of `--timestamp-tolerance` is still accepted, for one release.
    one_sentence(
        &["receive", "--addr", "127.0.0.1:0", "--secret", SECRET, "--tolerance", "0s"],
        &["--timestamp-tolerance: `0s` is shorter than `1s`"],
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Secrets in URLs.

/// `serve --webhook-url` with a password and a token in it: the banner, the summary and every
/// error sentence show `user:***` and `token=***`, never the secrets.
#[test]
fn webhook_url_secrets_never_reach_the_output() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    let url = format!("http://user:hunter2@127.0.0.1:{port}/hook?token=tok123&page=2");
    let out = hookbench(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--secret",
        SECRET,
        "--webhook-url",
        &url,
        "--stop-after",
        "1s",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("user:***@127.0.0.1") && stdout.contains("token=***&page=***"), "{stdout}");
    drop(listener);
    // Unreachable (the port is closed now), and malformed: one sentence each, redacted.
    for url in [url.as_str(), "http://user:hunter2@/?sig=tok123", "ftp://user:hunter2@h/?token=tok123"] {
        let out = hookbench(&["serve", "--addr", "127.0.0.1:0", "--secret", SECRET, "--webhook-url", url]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains("--webhook-url") && stderr.contains("user:***@"), "{url}: {stderr}");
        for (what, shown) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!shown.contains("hunter2") && !shown.contains("tok123"), "{url}: {what}: {shown}");
        }
    }
    for (what, shown) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!shown.contains("hunter2") && !shown.contains("tok123"), "{what}: {shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// 13. Control characters on their way to the terminal.

/// The characters that must never reach a terminal raw: ESC (colour, cursor, clear screen), the
/// C1 CSI, and the right-to-left override.
fn assert_no_raw_controls(what: &str, shown: &str) {
    for c in ['\u{1b}', '\u{9b}', '\u{202e}', '\u{7}'] {
        assert!(!shown.contains(c), "{what}: a raw U+{:04X} in:\n{}", c as u32, shown.escape_debug());
    }
}

#[test]
fn control_and_bidi_characters_are_written_out_everywhere() {
    let dir = temp_dir("controls");
    let file = dir.join("evil.toml");
    std::fs::write(
        &file,
        "name = \"evil\\u001b[31mRED\\u202eDIR\\u0007\"\n\
         description = \"line\\u001b[2J cleared \\u009b1m\"\nduration = \"1h\"\n[events]\nrate = \"60/h\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let base = dir.join("base.json");
    let json = dir.join("result.json");
    let runs: Vec<(String, Vec<String>)> = vec![
        ("table".into(), vec!["compare", "-s", f, "--strategies", "webhook,poll"]),
        ("markdown".into(), vec!["compare", "-s", f, "--strategies", "webhook,poll", "-f", "markdown"]),
        ("validate".into(), vec!["scenarios", "validate", f]),
        ("show".into(), vec!["scenarios", "show", f]),
        (
            "advise".into(),
            vec!["advise", "-s", f, "--strategies", "poll", "-i", "1m,5m", "--max-latency", "10m"],
        ),
        ("serve".into(), vec!["serve", "-s", f, "--addr", "127.0.0.1:0", "--stop-after", "1s"]),
        ("error".into(), vec!["compare", "-s", "no\u{1b}[31msuch\u{202e}file"]),
    ]
    .into_iter()
    .map(|(w, a)| (w, a.into_iter().map(String::from).collect()))
    .collect();
    for (what, args) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hookbench(&args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.code() != Some(101), "{what}: {stderr}");
        assert_no_raw_controls(what, &stdout);
        assert_no_raw_controls(what, &stderr);
        let shown = format!("{stdout}{stderr}");
        let expect = match what.as_str() {
            "error" => "no\\u{1b}[31msuch\\u{202e}file",
            "show" => "evil\\u001b[31mRED", // the file as written: TOML's own escapes
            _ => "evil\\u{1b}[31mRED\\u{202e}DIR",
        };
        assert!(shown.contains(expect), "{what}: {shown}");
    }
    // `check` shows row labels read from the files.
    let out = hookbench(&[
        "compare",
        "-s",
        f,
        "--strategies",
        "webhook",
        "-f",
        "json",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let evil = std::fs::read_to_string(&base)
        .unwrap()
        .replace("\"label\": \"webhook\"", "\"label\": \"web\\u001bhook\"");
    std::fs::write(&base, &evil).unwrap();
    std::fs::write(&json, &evil).unwrap();
    for format in ["table", "markdown"] {
        let out =
            hookbench(&["check", json.to_str().unwrap(), "-b", base.to_str().unwrap(), "--format", format]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_no_raw_controls("check", &stdout);
        assert!(stdout.contains("web\\u{1b}hook"), "{stdout}");
    }
}

// ---------------------------------------------------------------------------------------------
// 11. A scenario reads only the trace beside it.

/// A trace a scenario names must be inside the scenario's directory (by a relative path or an
/// absolute one), symlinks resolved; any
/// other file is given with `--trace` on the command line. Nothing of a refused file is quoted.
#[test]
fn a_scenario_reads_only_a_trace_inside_its_directory() {
    let dir = temp_dir("trace-paths");
    let sub = dir.join("scenarios");
    std::fs::create_dir_all(sub.join("deeper")).unwrap();
    let rows = "timestamp,resource\n1,a\n2,b\n3,a\n";
    std::fs::write(dir.join("outside.csv"), rows).unwrap();
    std::fs::write(sub.join("deeper/ok.csv"), rows).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("outside.csv"), sub.join("link.csv")).unwrap();
    let scenario = |name: &str, trace: &str| {
        let p = sub.join(name);
        std::fs::write(&p, format!("name = \"t\"\n[events]\ntrace = \"{trace}\"\n")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let secret = "whsec_LEAKLEAKLEAKLEAKLEAKLEAKLEAK";
    let mut refused = vec![
        scenario("environ.toml", "/proc/self/environ"),
        scenario("shadow.toml", "/etc/shadow"),
        scenario("up.toml", "../outside.csv"),
        scenario("upup.toml", "deeper/../../outside.csv"),
    ];
    if cfg!(unix) {
        refused.push(scenario("link.toml", "link.csv"));
    }
    for s in &refused {
        let out = Command::new(env!("CARGO_BIN_EXE_hookbench"))
            .args(["compare", "--scenario", s])
            .env("HOOKBENCH_SECRET", secret)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{s}: {stderr}");
        assert!(
            stderr.contains("outside the scenario's directory") && stderr.contains("--trace"),
            "{s}: {stderr}"
        );
        assert!(!stderr.contains("LEAK") && !stdout.contains("LEAK"), "{s}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{s}: {stderr}");
    }
    // Inside the directory, below it too: read.
    let ok = scenario("ok.toml", "deeper/ok.csv");
    let out = hookbench(&["compare", "--scenario", &ok, "-f", "json"]);
    assert!(out.status.success(), "{}", text(&out).1);
    // Anywhere, from the command line, with a bundled scenario, in compare, sweep and advise.
    let outside = dir.join("outside.csv");
    let outside = outside.to_str().unwrap();
    let out = hookbench(&[
        "compare",
        "-s",
        "payments",
        "--trace",
        outside,
        "-f",
        "json",
        "--strategies",
        "webhook",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["run"]["events"], 3, "{stdout}");
    let out = hookbench(&[
        "sweep",
        "--trace",
        outside,
        "--no-chart",
        "-i",
        "1m",
        "--strategies",
        "poll",
        "-f",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = hookbench(&[
        "advise",
        "--trace",
        outside,
        "-i",
        "1m",
        "--strategies",
        "poll",
        "--max-latency",
        "10m",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    // A file that is not a trace (its first line is no trace header): nothing of it is quoted.
    let env_like = dir.join("environ");
    std::fs::write(&env_like, format!("HOOKBENCH_SECRET={secret}TAIL\u{1b}[2J\0PATH=/bin\0HOME=/root\n1\n"))
        .unwrap();
    let out = hookbench(&["compare", "--trace", env_like.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--trace") && stderr.contains("line 1"), "{stderr}");
    assert!(stderr.contains("not a trace header"), "{stderr}");
    assert!(
        !stderr.contains("LEAK") && !stderr.contains("TAIL") && !stderr.contains("PATH=/bin"),
        "{stderr}"
    );
    assert_no_raw_controls("environ", &stderr);
    // A scenario with no directory (text, or bundled) may not name a trace at all.
    let e = hookbench::scenario::Scenario::from_toml("name = \"x\"\n[events]\ntrace = \"t.csv\"\n", "text")
        .unwrap_err()
        .to_string();
    assert!(e.contains("--trace"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// 12. Files that never end.

/// Runs hookbench with `args`; fails the test if it has not ended within 20 s (killing it).
pub fn bounded(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = std::time::Instant::now();
    while child.try_wait().expect("waitable").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("it ended")
}

#[test]
fn devices_fifos_and_huge_files_are_refused_with_the_limit() {
    let dir = temp_dir("never-end");
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["compare".into(), "--scenario".into(), "/dev/zero".into()], "a device"),
        (vec!["compare".into(), "--scenario".into(), "/dev/urandom".into()], "a device"),
        (vec!["check".into(), "/dev/zero".into(), "--baseline".into(), "/dev/zero".into()], "a device"),
        (vec!["compare".into(), "--trace".into(), "/dev/zero".into()], "a device"),
        (vec!["compare".into(), "--scenario".into(), dir.to_str().unwrap().into()], "a directory"),
    ];
    // A scenario of 4 MiB and one byte (comments), a result file of the same size.
    let big = dir.join("big.toml");
    let mut text_ = "name = \"x\"\n[events]\nrate = \"1/h\"\n".to_string();
    while text_.len() <= 4 << 20 {
        text_.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&big, &text_).unwrap();
    cases.push((vec!["compare".into(), "--scenario".into(), big.to_str().unwrap().into()], "4 MiB"));
    cases.push((
        vec!["check".into(), big.to_str().unwrap().into(), "--baseline".into(), big.to_str().unwrap().into()],
        "4 MiB",
    ));
    // A named pipe nobody writes to: refused at once, never waited on.
    if cfg!(unix) {
        let fifo = dir.join("fifo.toml");
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        let f = fifo.to_str().unwrap().to_string();
        cases.push((vec!["compare".into(), "--scenario".into(), f.clone()], "named pipe"));
        cases.push((vec!["check".into(), f.clone(), "--baseline".into(), f.clone()], "named pipe"));
        cases.push((vec!["compare".into(), "--trace".into(), f.clone()], "named pipe"));
        std::fs::write(dir.join("fifo-trace.toml"), "name = \"x\"\n[events]\ntrace = \"fifo.toml\"\n")
            .unwrap();
        let s = dir.join("fifo-trace.toml").to_str().unwrap().to_string();
        cases.push((vec!["compare".into(), "--scenario".into(), s], "named pipe"));
    }
    for (args, expect) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = bounded(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: expected `{expect}` in {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}
