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
                    if file != "out.rs" && !query {
                        bad.push(format!("src/{file}:{}: `{}`", n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "write through `hookbench::out` (closed pipes are not errors), not:\n  {}",
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
        ("receive", "--tolerance", "400d", "over a year"),
        ("receive", "--tolerance", "0s", "at least `1s`"),
        ("receive", "--tolerance", "99999999999999999999y", "--tolerance"),
        ("serve", "--header-timeout", "400d", "over a year"),
    ] {
        one_sentence(&[cmd, "--addr", "127.0.0.1:0", "--secret", SECRET, flag, value], &[flag, expect]);
    }
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
    assert!(stdout.contains("user:***@127.0.0.1") && stdout.contains("token=***&page=2"), "{stdout}");
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
