//! Issue 23, the third hardening pass: each test is named for the guarantee it holds — nothing a
//! user writes becomes code, bad input is one sentence and exit 2, no run exits 0 with a figure
//! it knows to be wrong, nothing measured is lost.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use hookbench::export::locust::{locustfile, LocustOptions};
use hookbench::model::signature::Scheme;
use hookbench::model::source::EventLog;
use hookbench::scenario::Scenario;
use hookbench::support::units::SECOND;

use crate::util::{hookbench, temp_dir, text};

/// Whether `python3` runs here; if not, the caller skips with the printed reason.
fn python3() -> bool {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: python3 is not installed (CI has it)");
    }
    ok
}

/// Loads an exported locustfile as Locust would (`compile` of its bytes, so any coding
/// declaration in it is honoured, then the whole module runs) with stand-ins for `gevent` and
/// `locust` and no target reachable. It records every file opened, process started or socket
/// connected while the module runs, and every module the file imports; it prints one JSON object:
/// the named constants' values, the imports and those events. Arguments: the file, then a JSON
/// file with a list of the constant names to print.
const LOAD: &str = r#"
import builtins, json, sys, types

path, names_path = sys.argv[1], sys.argv[2]
names = json.load(open(names_path, encoding="utf-8"))


class _Hook:
    def add_listener(self, fn):
        return fn


class _Events:
    def __getattr__(self, _name):
        return _Hook()


locust = types.ModuleType("locust")
locust.HttpUser = type("HttpUser", (), {})
locust.constant = lambda x: x
locust.events = _Events()
locust.task = lambda fn: fn
runners = types.ModuleType("locust.runners")
for _n in ("LocalRunner", "MasterRunner", "WorkerRunner"):
    setattr(runners, _n, type(_n, (), {}))
locust.runners = runners
sys.modules.update({"locust": locust, "locust.runners": runners, "gevent": types.ModuleType("gevent")})
STDLIB = ["base64", "hashlib", "hmac", "heapq", "itertools", "json", "math", "random", "statistics",
          "time", "datetime"]
for _m in STDLIB:
    __import__(_m)

source = open(path, "rb").read()
imports, events, watching = [], [], [False]
WATCHED = ("open", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen",
           "socket.connect", "socket.getaddrinfo", "os.remove", "os.rename", "os.mkdir", "shutil.rmtree",
           "ctypes.dlopen", "urllib.Request")


def _audit(event, args):
    if watching[0] and event in WATCHED:
        events.append(event + " " + repr(args)[:200])


sys.addaudithook(_audit)
real_import = builtins.__import__


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if globals is not None and globals.get("__name__") == "locustfile":
        imports.append(name)
    return real_import(name, globals, locals, fromlist, level)


code = compile(source, path, "exec")
module = {"__name__": "locustfile", "__file__": path}
builtins.__import__ = _import
watching[0] = True
try:
    exec(code, module)
finally:
    watching[0] = False
    builtins.__import__ = real_import
print(json.dumps({"values": {n: module.get(n) for n in names}, "imports": sorted(set(imports)),
                  "events": events}))
"#;

/// The modules the template imports, and nothing else may be.
const TEMPLATE_IMPORTS: &[&str] = &[
    "base64",
    "datetime",
    "gevent",
    "hashlib",
    "heapq",
    "hmac",
    "itertools",
    "json",
    "locust",
    "locust.runners",
    "math",
    "random",
    "statistics",
    "time",
];

/// Loads `file` (written into `dir`) with [`LOAD`] and returns its JSON answer, asserting that
/// the file loaded, imported only the template's modules and opened, ran or connected nothing.
fn load_locustfile(dir: &Path, file: &[u8], names: &[&str]) -> serde_json::Value {
    let path = dir.join("locustfile.py");
    std::fs::write(&path, file).unwrap();
    let names_path = dir.join("names.json");
    std::fs::write(&names_path, serde_json::to_string(names).unwrap()).unwrap();
    let loader = dir.join("load.py");
    std::fs::write(&loader, LOAD).unwrap();
    let out = Command::new("python3").arg(&loader).arg(&path).arg(&names_path).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "the exported file does not load: {stderr}");
    let answer: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the loader's JSON");
    let imports: Vec<&str> =
        answer["imports"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for module in &imports {
        assert!(TEMPLATE_IMPORTS.contains(module), "the file imported `{module}`");
    }
    assert_eq!(answer["events"], serde_json::json!([]), "loading the file did something");
    answer
}

/// The coding declarations Python honours on a file's first two lines (PEP 263's regular
/// expression `coding[:=]\s*([-\w.]+)` in every spelling editors write), each naming a codec
/// that would turn the escapes of a string literal back into quotes and code.
const COOKIES: &[&str] = &[
    "coding: unicode_escape",
    "coding=unicode_escape",
    "coding:unicode_escape",
    "-*- coding: unicode_escape -*-",
    "vim: set fileencoding=unicode_escape :",
    "coding: raw_unicode_escape",
    "coding: unicode-escape",
    "\u{c}# coding: unicode_escape",
    "\r# coding: unicode_escape",
    "\n# coding: unicode_escape",
    "\u{2028}# coding: unicode_escape",
];

/// Text that becomes code if a string literal's escapes are ever decoded again: it closes the
/// literal, opens `marker` for writing, and reopens a literal.
fn payload(marker: &Path) -> String {
    let m = marker.display();
    format!(
        "x\" + str(open('{m}', 'w')) + \"x' + str(open('{m}', 'w')) + 'x\\\" + str(open('{m}', 'w')) + \\\"\
         \u{0}nul\rcr\u{2028}ls\u{2029}ps\u{85}nel\u{1b}[31mesc\u{202e}bidi \\ \\\\ \\x41 \\u0041 \\N{{DIGIT ONE}} \"\"\" ''' 😀"
    )
}

/// A TOML basic string for `text` (TOML's escapes for the control characters).
fn toml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn no_scenario_text_becomes_code_in_an_exported_locustfile() {
    if !python3() {
        return;
    }
    let dir = temp_dir("hardening-locust-cookies");
    let marker = dir.join("pwned");
    for (i, cookie) in COOKIES.iter().enumerate() {
        let hostile = format!("{cookie} {}", payload(&marker));
        let states = [format!("s {cookie} {}", payload(&marker)), "paid\u{0}".into()];
        let scenario_text = format!(
            "name = {}\nduration = \"1h\"\nseed = 1\n[events]\nrate = \"20/h\"\nresource_type = {}\nstates = [{}, {}]\n",
            toml_str(&format!("n {hostile}")),
            toml_str(&format!("r {hostile}")),
            toml_str(&states[0]),
            toml_str(&states[1]),
        );
        let scenario_path = dir.join("hostile.toml");
        std::fs::write(&scenario_path, &scenario_text).unwrap();
        // The secret (any text for GitHub's scheme) and the URLs (quotes and escapes in a path
        // are valid) carry the same text, within what each flag accepts.
        let secret = format!("k {cookie} {}", payload(&marker)).replace('\0', "0");
        let target = "http://127.0.0.1:1/h\"'\\x41?coding:unicode_escape#coding=unicode_escape";
        let api = "http://127.0.0.1:1/api\"+open('x')+\"";
        let out = hookbench(&[
            "export",
            "locust",
            "-s",
            scenario_path.to_str().unwrap(),
            "--webhook-url",
            target,
            "--api",
            api,
            "--pollers",
            "1",
            "--scheme",
            "github",
            "--secret",
            &secret,
        ]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "cookie {i}: {stderr}");
        let file = &out.stdout;
        assert!(file.is_ascii(), "cookie {i}: the file is not ASCII");
        let file_text = String::from_utf8_lossy(file);
        assert!(file_text.starts_with("# -*- coding: utf-8 -*-\n"), "cookie {i}: {}", &file_text[..80]);
        // No user text in any comment: every `#` line is the generator's own.
        for line in file_text.lines().filter(|l| l.trim_start().starts_with('#')) {
            assert!(!line.contains("unicode_escape") && !line.contains("pwned"), "cookie {i}: {line}");
        }
        let answer =
            load_locustfile(&dir, file, &["SCENARIO", "RESOURCE_TYPE", "STATES", "SECRET", "TARGET", "API"]);
        assert!(!marker.exists(), "cookie {i}: the scenario's text ran as code");
        let values = &answer["values"];
        assert_eq!(values["SCENARIO"], format!("n {hostile}").trim(), "cookie {i}");
        assert_eq!(values["RESOURCE_TYPE"], format!("r {hostile}"), "cookie {i}");
        assert_eq!(values["STATES"], serde_json::json!(states), "cookie {i}");
        assert_eq!(values["SECRET"], secret, "cookie {i}");
        assert_eq!(values["TARGET"], target, "cookie {i}");
        assert_eq!(values["API"], api, "cookie {i}");
    }
}

#[test]
fn a_nul_in_a_scenario_name_exports_a_file_that_loads_with_the_name_intact() {
    if !python3() {
        return;
    }
    let dir = temp_dir("hardening-locust-nul");
    let scenario_path = dir.join("nul.toml");
    std::fs::write(&scenario_path, "name = \"a\\u0000b\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n")
        .unwrap();
    let out = hookbench(&[
        "export",
        "locust",
        "-s",
        scenario_path.to_str().unwrap(),
        "--webhook-url",
        "http://127.0.0.1:1/hooks",
        "--secret",
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert!(!out.stdout.contains(&0), "a raw NUL in the file");
    let answer = load_locustfile(&dir, &out.stdout, &["SCENARIO"]);
    assert_eq!(answer["values"]["SCENARIO"], "a\u{0}b");
}

/// A scenario for the fuzzed export.
fn fuzz_scenario() -> Scenario {
    Scenario::from_toml("name = \"t\"\nduration = \"1h\"\nseed = 7\n[events]\nrate = \"20/h\"\n", "test")
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any Unicode in any string field: the file is ASCII, compiles, loads without opening,
    /// running or importing anything beyond the template's list, and holds the text exactly.
    #[test]
    fn any_unicode_in_any_exported_field_loads_as_that_text_and_runs_nothing(
        name in any::<String>(),
        resource_type in any::<String>(),
        states in prop::collection::vec(any::<String>(), 1..4),
        secret in any::<String>(),
        path in any::<String>(),
    ) {
        if !python3() {
            return Ok(());
        }
        let mut s = fuzz_scenario();
        s.name = name.clone();
        s.events.resource_type = resource_type.clone();
        s.events.states = states.clone();
        let log = EventLog::generate(&s);
        let target = format!("http://127.0.0.1:1/{path}");
        let opts = LocustOptions {
            target: target.clone(),
            scheme: Scheme::Github,
            secret: secret.clone(),
            speedup: 10.0,
            pollers: 1,
            interval: 30 * SECOND,
            api: Some(format!("{target}/api")),
        };
        let file = locustfile(&s, &log, &opts);
        prop_assert!(file.is_ascii());
        let dir = temp_dir("hardening-locust-fuzz");
        let answer = load_locustfile(&dir, file.as_bytes(), &["SCENARIO", "RESOURCE_TYPE", "STATES", "SECRET", "TARGET", "API"]);
        let values = &answer["values"];
        prop_assert_eq!(&values["SCENARIO"], &serde_json::json!(name));
        prop_assert_eq!(&values["RESOURCE_TYPE"], &serde_json::json!(resource_type));
        prop_assert_eq!(&values["STATES"], &serde_json::json!(states));
        prop_assert_eq!(&values["SECRET"], &serde_json::json!(secret));
        prop_assert_eq!(&values["TARGET"], &serde_json::json!(target));
    }
}

#[test]
fn an_export_url_is_refused_unless_the_embedded_text_itself_is_a_plain_http_url() {
    let bad = [
        "http:///x",
        "https:////127.0.0.1/x",
        "http://127.0.0.1:1/a\tb",
        "http://127.0.0.1:1/a\nb",
        "http://127.0.0.1:1/a\rb",
        "\thttp://127.0.0.1:1/x",
        "http://127.0.0.1:1/x\n",
        "http://127.0.0.1:1/\u{7f}",
        "http://127.0.0.1:1/\u{2028}",
        "http:\\\\127.0.0.1/x",
    ];
    for url in bad {
        for flag in ["--webhook-url", "--api"] {
            let mut args = vec![
                "export",
                "locust",
                "-s",
                "payments",
                "-d",
                "1h",
                "--secret",
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "--pollers",
                "1",
            ];
            if flag == "--api" {
                args.extend(["--webhook-url", "http://127.0.0.1:1/hooks", "--api", url]);
            } else {
                args.extend(["--api", "http://127.0.0.1:1", "--webhook-url", url]);
            }
            let out = hookbench(&args);
            let (stdout, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(2), "{flag} {url:?}: {stderr}");
            assert!(stdout.is_empty(), "{flag} {url:?}: a file was written");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{flag} {url:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{flag} `")) && stderr.contains("is not an HTTP URL"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn a_csv_cell_never_starts_a_spreadsheet_formula_nor_carries_raw_control_characters() {
    let dir = temp_dir("hardening-csv");
    for name in ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "=a\u{1b}[31m\u{202e}b\u{0}c"]
    {
        let path = dir.join("s.toml");
        let toml = format!("name = {}\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n", toml_str(name));
        std::fs::write(&path, toml).unwrap();
        let out = hookbench(&["compare", "-s", path.to_str().unwrap(), "--format", "csv"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name:?}: {stderr}");
        assert!(!stdout.contains(['\u{1b}', '\u{202e}', '\u{0}']), "{name:?}: raw control characters");
        let mut rows = csv::Reader::from_reader(stdout.as_bytes());
        let mut seen = 0;
        for row in rows.records() {
            let row = row.unwrap();
            let cell = &row[0];
            assert!(cell.starts_with('\''), "{name:?}: the cell `{cell}` would be a formula");
            seen += 1;
        }
        assert!(seen > 0, "{stdout}");
    }
}

/// Runs `compare` on a scenario written from `toml` and returns (exit code, stdout, stderr).
fn compare_toml(name: &str, toml: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let dir = temp_dir(name);
    let path = dir.join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let mut args = vec!["compare", "-s", path.to_str().unwrap()];
    args.extend(extra);
    let out = hookbench(&args);
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

/// Asserts one sentence on stderr containing every needle, exit 2 and nothing on stdout.
fn refused(what: &str, (code, stdout, stderr): (Option<i32>, String, String), needles: &[&str]) {
    assert_eq!(code, Some(2), "{what}: {stderr}");
    assert!(stdout.is_empty(), "{what}: {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{what}: `{needle}` not in {stderr}");
    }
}

#[test]
fn a_provider_throughput_that_admits_nothing_or_rounds_to_no_gap_is_refused() {
    for rate in ["0/s", "0/h", "1/400d", "0.000000001/s", "2000000/s", "1e12/s"] {
        let toml = format!("name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n[webhook]\nthroughput = \"{rate}\"\n");
        refused(rate, compare_toml("hardening-throughput", &toml, &[]), &["webhook.throughput", rate]);
    }
    let toml =
        "name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n[webhook]\nthroughput = \"1000000/s\"\n";
    assert_eq!(
        compare_toml("hardening-throughput-ok", toml, &[]).0,
        Some(0),
        "one a microsecond is the fastest"
    );
}

#[test]
fn every_duration_key_shares_one_bound_and_one_sentence() {
    let cases = [
        ("webhook.delay", "[webhook]\ndelay = \"584542y\"\n"),
        ("webhook.delay", "[webhook]\ndelay = \"400d\"\n"),
        ("webhook.delay.p99", "[webhook]\ndelay = { median = \"1s\", p99 = \"400d\" }\n"),
        ("webhook.delay.mean", "[webhook]\ndelay = { mean = \"400d\", dist = \"exponential\" }\n"),
        ("receiver.gone_at", "[receiver]\ngone_at = \"400d\"\n"),
        ("api.rtt.p99", "[api]\nrtt = { median = \"1s\", p99 = \"584542y\" }\n"),
    ];
    for (key, section) in cases {
        let toml = format!("name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n{section}");
        refused(
            key,
            compare_toml("hardening-bound", &toml, &[]),
            &[key, "is over a year; use at most `366d`"],
        );
    }
}

#[test]
fn a_long_random_delay_is_drawn_as_given_never_capped_at_a_day() {
    let toml = "name = \"t\"\nduration = \"1h\"\ndrain = \"10d\"\n[events]\nrate = \"200/h\"\n\
                [webhook]\ndelay = { median = \"2d\", p99 = \"3d\" }\n[strategies]\nlist = [\"webhook\"]\n";
    let (code, stdout, stderr) = compare_toml("hardening-delay", toml, &["--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let row = &json["strategies"][0];
    let day_ms = 86_400_000.0;
    let p50 = row["latency_ms"]["p50"].as_f64().unwrap();
    let max = row["latency_ms"]["max"].as_f64().unwrap();
    assert!((1.8 * day_ms..2.2 * day_ms).contains(&p50), "p50 {p50} ms, not about two days");
    assert!(max > 2.5 * day_ms, "max {max} ms: capped");
}

const GITHUB_SECRET: &str = "It's a Secret to Everybody";

/// POSTs one GitHub-signed delivery with id `id` to `addr` and returns the status line.
fn post_signed(addr: &str, id: &str) -> String {
    use hookbench::model::signature::Message;
    use std::io::{Read, Write};
    let s = Scheme::Github.secret(GITHUB_SECRET).unwrap();
    let body = br#"{"action":"opened"}"#;
    let headers = Scheme::Github.sign(&s, &Message { id, timestamp: 0, attempt: 1, body });
    let mut req = format!(
        "POST /hooks HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers.iter() {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(req.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("").to_string()
}

#[test]
fn receive_never_truncates_an_existing_recording_and_binds_before_writing() {
    let dir = temp_dir("hardening-record-exists");
    let file = dir.join("rec.csv");
    let base = ["--addr", "127.0.0.1:0", "--scheme", "github", "--secret", GITHUB_SECRET, "--quiet"];
    let (mut first, _out, addr) = crate::util::start_server(
        "receive",
        &[&base[..], &["--stop-after", "30s", "--record", file.to_str().unwrap()]].concat(),
        &[],
    );
    assert!(post_signed(&addr, "d1").starts_with("HTTP/1.1 204"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let kept = std::fs::read_to_string(&file).unwrap();
    assert_eq!(kept.lines().count(), 2, "{kept}");
    // A second receiver on the busy port, with and without --force, and one on a free port
    // without --force: each refused, the first one's recording untouched.
    let busy = ["--addr", addr.as_str(), "--scheme", "github", "--secret", GITHUB_SECRET, "--quiet"];
    let free = base;
    for (args, needle) in [
        ([&busy[..], &["--record", file.to_str().unwrap()]].concat(), "exists"),
        ([&busy[..], &["--record", file.to_str().unwrap(), "--force"]].concat(), ""),
        ([&free[..], &["--stop-after", "1s", "--record", file.to_str().unwrap()]].concat(), "--force"),
    ] {
        let out = hookbench(&[&["receive"][..], &args].concat());
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), kept, "{args:?}: the recording changed");
    }
    let _ = first.kill();
    let _ = first.wait();
}

#[test]
fn a_failed_record_write_ends_receive_with_exit_2_after_the_summary() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--scheme",
        "github",
        "--secret",
        GITHUB_SECRET,
        "--quiet",
        "--stop-after",
        "20s",
        "--record",
        "/dev/full",
        "--force",
    ];
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .arg("receive")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    assert!(post_signed(&addr, "d1").starts_with("HTTP/1.1 204"));
    let done = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let (_, stderr) = text(&done);
    assert_eq!(done.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "the failed write did not stop the run");
    assert!(rest.contains("1 deliveries accepted"), "the summary of what was kept: {rest}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--record: writing `/dev/full` failed after 0 rows"), "{stderr}");
}

#[test]
fn sign_reads_its_body_by_the_rules_of_every_input_file() {
    let dir = temp_dir("hardening-sign-body");
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b'x'; (4 << 20) + 1]).unwrap();
    let mut cases =
        vec![("/dev/zero".to_string(), "a device"), (big.display().to_string(), "larger than 4 MiB")];
    #[cfg(unix)]
    {
        let fifo = dir.join("fifo");
        let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        if made {
            cases.push((fifo.display().to_string(), "named pipe"));
        }
    }
    for (body, needle) in cases {
        let started = std::time::Instant::now();
        let out = hookbench(&["sign", "--scheme", "github", "--secret", GITHUB_SECRET, "--body", &body]);
        let (stdout, stderr) = text(&out);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{body}: sign did not stop");
        assert_eq!(out.status.code(), Some(2), "{body}: {stderr}");
        assert!(stdout.is_empty() && stderr.trim_end().lines().count() == 1, "{body}: {stderr}");
        assert!(stderr.contains(needle), "{body}: {stderr}");
    }
}

#[test]
fn sign_refuses_an_id_that_would_inject_a_header_and_a_blank_secret() {
    let dir = temp_dir("hardening-sign-id");
    let body = dir.join("body.json");
    std::fs::write(&body, "{}").unwrap();
    let body = body.to_str().unwrap();
    for id in ["a\r\nX-Injected: 1", "a\nb", "a\u{1b}b", "a\u{7f}"] {
        let out = hookbench(&[
            "sign",
            "--secret",
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "--body",
            body,
            "--id",
            id,
        ]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{id:?}: {stdout}{stderr}");
        assert!(!stdout.contains("X-Injected"), "{id:?}: {stdout}");
        assert!(stderr.contains("--id") && stderr.trim_end().lines().count() == 1, "{id:?}: {stderr}");
    }
    for secret in [" ", "\t", "  \n "] {
        for command in ["sign", "receive"] {
            let mut args = vec![command, "--scheme", "github", "--secret", secret];
            if command == "sign" {
                args.extend(["--body", body]);
            } else {
                args.extend(["--addr", "127.0.0.1:0", "--stop-after", "1s"]);
            }
            let out = hookbench(&args);
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(2), "{command} {secret:?}: {stderr}");
            assert!(stderr.contains("--secret is blank"), "{command} {secret:?}: {stderr}");
        }
    }
}

#[test]
fn a_rate_limit_beyond_what_is_modelled_is_refused_never_clamped() {
    for limit in ["18446744073709551616/h", "1e30/h", "1000000001/h"] {
        let toml = format!(
            "name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n[api]\nrate_limit = \"{limit}\"\n"
        );
        refused(limit, compare_toml("hardening-quota", &toml, &[]), &["api.rate_limit", limit]);
        let toml = format!(
            "name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n[api]\nrate_limit = {{ algorithm = \"sliding-window\", limit = \"{limit}\" }}\n"
        );
        refused(limit, compare_toml("hardening-quota", &toml, &[]), &["api.rate_limit", limit]);
    }
}

#[test]
fn the_tests_write_their_files_under_the_target_dir_never_the_system_temp_dir() {
    let dir = temp_dir("probe");
    assert!(dir.starts_with(env!("CARGO_TARGET_TMPDIR")), "{}", dir.display());
    let needle = ["std::env::", "temp_dir()"].concat();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains(&needle), "{} writes to the system temp directory", path.display());
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A GitHub-signed request for delivery `id` on a kept-alive connection.
fn signed_request(addr: &str, id: &str) -> Vec<u8> {
    use hookbench::model::signature::Message;
    let s = Scheme::Github.secret(GITHUB_SECRET).unwrap();
    let body = br#"{"action":"opened"}"#;
    let headers = Scheme::Github.sign(&s, &Message { id, timestamp: 0, attempt: 1, body });
    let mut req = format!("POST /hooks HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers.iter() {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Posts deliveries on one kept-alive connection until it is closed or `until`; returns how
/// many were answered 204.
fn post_until_closed(addr: &str, client: usize, until: std::time::Instant) -> u64 {
    use std::io::{BufRead, Read, Write};
    let Ok(stream) = std::net::TcpStream::connect(addr) else { return 0 };
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = std::io::BufReader::new(stream);
    let mut answered = 0;
    for n in 0.. {
        if std::time::Instant::now() > until {
            break;
        }
        if writer.write_all(&signed_request(addr, &format!("c{client}-{n}"))).is_err() {
            break;
        }
        let mut status = String::new();
        if reader.read_line(&mut status).unwrap_or(0) == 0 {
            break;
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return answered;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            break;
        }
        if status.starts_with("HTTP/1.1 204") {
            answered += 1;
        }
    }
    answered
}

#[test]
fn receive_stopped_by_a_signal_under_load_counts_every_delivery_it_answered() {
    let (mut child, mut out, addr) = crate::util::start_server(
        "receive",
        &["--addr", "127.0.0.1:0", "--scheme", "github", "--secret", GITHUB_SECRET, "--quiet"],
        &[],
    );
    let until = std::time::Instant::now() + std::time::Duration::from_secs(4);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let addr = addr.clone();
            std::thread::spawn(move || post_until_closed(&addr, c, until))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let answered: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let _ = child.wait();
    let mut summary = String::new();
    std::io::Read::read_to_string(&mut out, &mut summary).unwrap();
    assert!(answered > 0, "no delivery was answered");
    let accepted: u64 = summary
        .split(" deliveries accepted")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {summary}"));
    assert_eq!(
        accepted, answered,
        "the summary counts {accepted}, the clients saw {answered} answered: {summary}"
    );
    assert!(summary.contains(&format!("({answered} events")), "the event count was lost: {summary}");
}

/// POSTs `body`, GitHub-signed as delivery `id`, to `addr` and returns the status line.
fn post_signed_body(addr: &str, id: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let req = signed_request_with(addr, id, body);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(&req).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("").to_string()
}

/// A GitHub-signed request for `body` as delivery `id`, closing the connection after it.
fn signed_request_with(addr: &str, id: &str, body: &[u8]) -> Vec<u8> {
    use hookbench::model::signature::Message;
    let s = Scheme::Github.secret(GITHUB_SECRET).unwrap();
    let headers = Scheme::Github.sign(&s, &Message { id, timestamp: 0, attempt: 1, body });
    let mut req = format!(
        "POST /hooks HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers.iter() {
        req += &format!("{k}: {v}\r\n");
    }
    req += "\r\n";
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Runs `receive` for a moment with `extra` flags, posts `bodies`, and returns (exit code,
/// stdout, stderr).
fn receive_bodies(extra: &[&str], bodies: &[&str]) -> (Option<i32>, String, String) {
    let args = [
        &[
            "--addr",
            "127.0.0.1:0",
            "--scheme",
            "github",
            "--secret",
            GITHUB_SECRET,
            "--quiet",
            "--stop-after",
            "2s",
        ][..],
        extra,
    ]
    .concat();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .arg("receive")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    for (i, body) in bodies.iter().enumerate() {
        assert!(post_signed_body(&addr, &format!("d{i}"), body.as_bytes()).starts_with("HTTP/1.1 204"));
    }
    let done = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    (done.status.code(), rest, text(&done).1)
}

#[test]
fn receive_refuses_an_event_time_that_is_not_a_timestamp_and_reports_times_in_the_future() {
    let (code, stdout, stderr) = receive_bodies(&["--event-time", "/amount"], &[r#"{"amount": 1234}"#]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("latency from the event time"), "the amount was read as a time: {stdout}");
    assert!(stdout.contains("1 deliveries accepted"), "the summary first: {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--event-time `/amount` pointed at 1234, which is not a timestamp"), "{stderr}");

    let ahead =
        humantime::format_rfc3339(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
    let past = humantime::format_rfc3339(std::time::SystemTime::now() - std::time::Duration::from_secs(2));
    let (code, stdout, stderr) = receive_bodies(
        &[],
        &[&format!(r#"{{"occurred_at": "{ahead}"}}"#), &format!(r#"{{"occurred_at": "{past}"}}"#)],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 event times after their arrival (the sender's clock is ahead by up to "),
        "{stdout}"
    );
    assert!(stdout.contains("p50 2"), "only the event in the past is a latency: {stdout}");
}

/// Runs `serve --report --format json` with `args` on loopback, sends one `GET /events?limit=1`
/// with each API key of `keys` (one connection each), and returns the JSON report printed when
/// the run ends.
fn serve_report_json(args: &[&str], keys: &[&str]) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut all = vec!["--addr", "127.0.0.1:0", "--report", "--format", "json"];
    all.extend_from_slice(args);
    let (mut child, mut stdout, addr) = crate::serve_report::start_serve_reporting(&all);
    for key in keys {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let head = format!(
            "GET /events?limit=1 HTTP/1.1\r\nHost: {addr}\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.read_to_string(&mut String::new());
    }
    let mut report = String::new();
    stdout.read_to_string(&mut report).unwrap();
    child.wait().unwrap();
    serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}: {report}"))
}

#[test]
fn serve_report_stopped_early_counts_only_events_that_happened_and_scales_per_day_by_the_span() {
    let dir = temp_dir("hardening-serve-partial");
    let file = dir.join("s.toml");
    std::fs::write(&file, "name = \"p\"\nduration = \"20m\"\nseed = 7\n[events]\nrate = \"6000/h\"\n")
        .unwrap();
    let file = file.to_str().unwrap();
    let report = serve_report_json(&["-s", file, "--speedup", "100", "--stop-after", "3s"], &["once"]);
    assert_eq!(report["run"]["partial"], true);
    let covered = report["run"]["covered_s"].as_f64().unwrap();
    assert!((250.0..400.0).contains(&covered), "covered {covered} s");
    let row = report["strategies"].as_array().unwrap().iter().find(|r| r["label"] == "client:once").unwrap();
    let events = &row["events"];
    let total = events["total"].as_u64().unwrap();
    // 6000/h over about 5 minutes: about 500 happened; the 20-minute window holds about 2000.
    assert!(total < 800, "{total} events counted, most of which never happened: {events}");
    assert!(events["in_flight"].as_u64().unwrap() < 800, "{events}");
    // One request in the span covered, not in the whole window.
    let per_day = row["per_day"]["requests"].as_f64().unwrap();
    let expected = 86_400.0 / covered;
    assert!((per_day - expected).abs() < expected * 0.05, "{per_day} requests a day, expected {expected}");
}

/// A recording (`receive --record` CSV) of deliveries given as (event time, arrival) in
/// seconds since 2026-01-01.
fn recording(rows: &[(f64, f64)]) -> String {
    let base = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    let at = |s: f64| {
        let t = if s >= 0.0 {
            base + std::time::Duration::from_secs_f64(s)
        } else {
            base - std::time::Duration::from_secs_f64(-s)
        };
        humantime::format_rfc3339_micros(t).to_string()
    };
    let mut text = String::from(hookbench::trace::record::HEADER);
    for (i, (event, arrived)) in rows.iter().enumerate() {
        text += &format!("\n{},{},d{i},,,,false,204,pointer", at(*event), at(*arrived));
    }
    text + "\n"
}

#[test]
fn scenarios_fit_never_fits_early_arrivals_as_no_delay_never_writes_an_invalid_scenario_nor_over_its_recording(
) {
    let dir = temp_dir("hardening-fit");
    // Arrivals before their event time are reported and left out of the delay.
    let rec = dir.join("early.csv");
    let rows: Vec<(f64, f64)> = (0..20)
        .map(|i| {
            let t = f64::from(i) * 60.0;
            if i % 4 == 0 {
                (t, t - 1.0)
            } else {
                (t, t + 0.5)
            }
        })
        .collect();
    std::fs::write(&rec, recording(&rows)).unwrap();
    let out = hookbench(&["scenarios", "fit", rec.to_str().unwrap(), "--synthetic"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("# 5 deliveries arrived before their event time"), "{stdout}");
    assert!(stdout.contains("delay = { median = \"500ms\", p99 = \"500ms\" }"), "{stdout}");

    // An absurd span (an event time decades before its arrival): refused, nothing written.
    let rec = dir.join("absurd.csv");
    std::fs::write(&rec, recording(&[(0.0, 0.2), (60.0, 60.3), (-1.5e9, 120.0)])).unwrap();
    let fitted = dir.join("absurd.toml");
    for synthetic in [false, true] {
        let mut args = vec!["scenarios", "fit", rec.to_str().unwrap(), "-o", fitted.to_str().unwrap()];
        if synthetic {
            args.push("--synthetic");
        }
        let out = hookbench(&args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("fits no valid scenario, so nothing was written"), "{stderr}");
        assert!(!fitted.exists(), "an invalid scenario was written");
    }

    // -o naming the recording itself is refused, the recording untouched.
    let rec = dir.join("self.csv");
    let kept = recording(&[(0.0, 0.2), (60.0, 60.3)]);
    std::fs::write(&rec, &kept).unwrap();
    for out_path in [rec.clone(), dir.join(".").join("self.csv")] {
        let out = hookbench(&["scenarios", "fit", rec.to_str().unwrap(), "-o", out_path.to_str().unwrap()]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is the recording itself"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&rec).unwrap(), kept, "the recording was overwritten");
    }
}

#[test]
fn a_sliding_window_log_too_large_to_hold_is_refused_before_the_run() {
    let scenario = |limit: &str| {
        format!(
            "name = \"t\"\nduration = \"1d\"\n[events]\nrate = \"20/h\"\nresources = 100000\n[api]\n\
             rate_limit = {{ algorithm = \"sliding-window\", limit = \"{limit}\" }}\n\
             [strategies]\nlist = [\"poll-state\"]\nintervals = [\"1s\"]\n"
        )
    };
    for extra in [&[][..], &["--allow-long-run"][..]] {
        refused(
            "a log of 10^9 request times",
            compare_toml("hardening-sliding-log", &scenario("1000000000/366d"), extra),
            &["api.rate_limit: a sliding window of 1000000000 requests per 366d would log about", "MB"],
        );
    }
    let small = "name = \"t\"\nduration = \"1h\"\n[events]\nrate = \"20/h\"\n[api]\n\
                 rate_limit = { algorithm = \"sliding-window\", limit = \"600/h\" }\n";
    assert_eq!(compare_toml("hardening-sliding-small", small, &[]).0, Some(0));
}

#[test]
fn serve_reaches_a_webhook_url_with_an_ipv6_literal() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let url = format!("http://[::1]:{port}/x");
    let out = hookbench(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--stop-after",
        "1s",
        "--webhook-url",
        &url,
        "--secret",
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("webhooks → http://[::1]:"), "{stdout}");
}

#[test]
fn a_printed_url_hides_every_query_and_path_parameter_value_whatever_its_name() {
    let url =
        "http://127.0.0.1:1/hook;token=s3cret-a?to%6Ben=s3cret-b&jwt=s3cret-c&hmac=s3cret-d&bearer=s3cret-e";
    let out = hookbench(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--stop-after",
        "1s",
        "--webhook-url",
        url,
        "--secret",
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("s3cret"), "{stdout}{stderr}");
    assert!(stderr.contains("/hook;token=***?to%6Ben=***&jwt=***&hmac=***&bearer=***"), "{stderr}");
}

#[test]
fn receive_with_stdout_closed_suggests_only_what_receive_takes() {
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" receive --addr 127.0.0.1:0 --scheme github --secret x --stop-after 1s >&-")
        .arg(env!("CARGO_BIN_EXE_hookbench"))
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard output is closed"), "{stderr}");
    assert!(!stderr.contains("--output"), "receive has no --output: {stderr}");
}

#[test]
fn a_bare_number_where_a_duration_is_expected_gets_the_unit_hint() {
    for (key, value, needle) in [("duration", "15", "`\"15s\"`"), ("drain", "2.5", "`\"2.5s\"`")] {
        let toml = if key == "duration" {
            format!("name = \"t\"\nduration = {value}\n[events]\nrate = \"20/h\"\n")
        } else {
            format!("name = \"t\"\nduration = \"1h\"\n{key} = {value}\n[events]\nrate = \"20/h\"\n")
        };
        refused(key, compare_toml("hardening-bare-number", &toml, &[]), &["is a bare number", needle]);
    }
}

#[test]
fn a_file_that_is_not_a_trace_is_never_quoted() {
    let secret = "whsec_LEAKLEAKLEAKLEAKLEAKLEAK";
    // The environment alone, so its first bytes are the secret.
    let out = Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .args(["compare", "--trace", "/proc/self/environ"])
        .env_clear()
        .env("HOOKBENCH_SECRET", secret)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--trace") && stderr.contains("not a trace header"), "{stderr}");
    for leak in ["LEAK", "HOOKBENCH_SECRET", "whsec"] {
        assert!(!stderr.contains(leak) && !stdout.contains(leak), "{leak}: {stderr}");
    }
    // Once the header names a time column, a bad field is quoted, short and escaped.
    let dir = temp_dir("hardening-trace-quote");
    let file = dir.join("t.csv");
    std::fs::write(&file, "timestamp,resource\n1,a\nnot-a-time\u{1b}[2J,b\n").unwrap();
    let out = hookbench(&["compare", "--trace", file.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3") && stderr.contains("`not-a-time\\u{1b}[2J`"), "{stderr}");
}

/// A scenario whose API always fails behind a breaker that probes every `open`.
fn storm(duration: &str, open: &str) -> String {
    format!(
        "name = \"storm\"\nduration = \"{duration}\"\ndrain = \"10m\"\n[events]\nrate = \"360/h\"\n[api]\nfailure_rate = 1.0\n[strategies]\ncircuit_breaker = {{ failures = 5, open = \"{open}\" }}\n"
    )
}

#[test]
fn a_breaker_probe_storm_counts_in_the_run_size_estimate() {
    use hookbench::strategy::{Spec, StrategyKind};
    // Truthful: the estimate is at least the steps the storm takes, and not wildly more.
    let s = hookbench::scenario::Scenario::from_toml(&storm("2m", "10ms"), "storm").unwrap();
    for kind in [StrategyKind::Poll, StrategyKind::Hybrid] {
        let specs = Spec::expand(&[kind], &[30 * SECOND], s.strategies.reconcile_interval);
        let ran = hookbench::engine::sim::run(&s, &specs).unwrap().run.steps as f64;
        let estimated = hookbench::engine::estimate::estimate_run(&s, &specs, 1, 1).steps;
        assert!(
            estimated >= ran && estimated < 20.0 * ran,
            "{kind:?}: estimated {estimated}, ran {ran} steps"
        );
    }
    // A day of it is refused up front, as any run too big to finish.
    let dir = temp_dir("hardening-breaker-storm");
    let file = dir.join("storm.toml");
    std::fs::write(&file, storm("1d", "1ms")).unwrap();
    let out = crate::inputs::bounded(&["compare", "-s", file.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-long-run") && stderr.contains("hybrid"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn serve_report_with_stdout_closed_still_writes_its_output_file() {
    let dir = temp_dir("hardening-serve-closed");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, "name = \"c\"\nduration = \"1m\"\nseed = 3\n[events]\nrate = \"600/h\"\n")
        .unwrap();
    let report = dir.join("F.json");
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" serve -s \"$1\" --addr 127.0.0.1:0 --speedup 100 --report --drain 1s --stop-after 20s --output \"$2\" >&-")
        .arg(env!("CARGO_BIN_EXE_hookbench"))
        .arg(&scenario)
        .arg(&report)
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {stderr}")))
            .unwrap();
    assert_eq!(json["engine"], "serve", "{json}");
    assert!(stderr.contains("listening on") && stderr.contains("wrote"), "{stderr}");
}

#[test]
fn serve_report_folds_clients_past_the_cap_into_one_other_row_saying_how_many() {
    // `hookbench::engine::observer::MAX_CLIENT_ROWS`.
    const CAP: usize = 100;
    let dir = temp_dir("hardening-serve-clients");
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "name = \"k\"\nduration = \"10m\"\nseed = 5\n[events]\nrate = \"600/h\"\n[api]\nrtt = \"10ms\"\n",
    )
    .unwrap();
    let keys: Vec<String> = (0..CAP + 30).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let file = file.to_str().unwrap();
    let report =
        serve_report_json(&["-s", file, "--speedup", "100", "--drain", "1s", "--stop-after", "60s"], &keys);
    let labels: Vec<&str> =
        report["strategies"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
    let clients = labels.iter().filter(|l| l.starts_with("client:")).count();
    assert_eq!(clients, CAP, "{labels:?}");
    let other = report["strategies"].as_array().unwrap().iter().find(|r| r["label"] == "other (30 clients)");
    let other = other.unwrap_or_else(|| panic!("no `other (30 clients)` row in {labels:?}"));
    assert_eq!(other["requests"]["total"], 30, "{other}");
}

#[test]
fn a_scenario_may_name_its_trace_by_an_absolute_path_inside_its_directory() {
    let dir = temp_dir("hardening-absolute-trace");
    let trace = dir.join("t.csv");
    std::fs::write(&trace, "timestamp,resource\n1,a\n2,b\n3,a\n").unwrap();
    let file = dir.join("s.toml");
    std::fs::write(&file, format!("name = \"t\"\n[events]\ntrace = {}\n", toml_str(trace.to_str().unwrap())))
        .unwrap();
    let out = hookbench(&["compare", "-s", file.to_str().unwrap(), "-f", "json", "--strategies", "webhook"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["run"]["events"], 3, "{stdout}");
    // Outside the directory, absolute or not, it is still refused (and the file not read).
    std::fs::write(&file, "name = \"t\"\n[events]\ntrace = \"/etc/hostname-missing\"\n").unwrap();
    let out = hookbench(&["compare", "-s", file.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("outside the scenario's directory"), "{stderr}");
}

#[test]
fn the_readme_fit_round_trip_through_a_redirect_replays_the_recording() {
    let dir = temp_dir("hardening-fit-redirect");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let rows: Vec<(f64, f64)> = (0..40).map(|i| (f64::from(i) * 30.0, f64::from(i) * 30.0 + 0.5)).collect();
    std::fs::write(dir.join("rec.csv"), recording(&rows)).unwrap();
    // The README's round trip as typed, then with the recording by absolute path, then from a
    // directory below, the scenario redirected beside the recording.
    for (script, scenario) in [
        ("\"$0\" scenarios fit rec.csv > fit.toml", "fit.toml"),
        ("\"$0\" scenarios fit \"$PWD/rec.csv\" > abs.toml", "abs.toml"),
        ("(cd sub && \"$0\" scenarios fit ../rec.csv > ../up.toml)", "up.toml"),
    ] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{script} && \"$0\" compare -s {scenario} -f json --strategies webhook"))
            .arg(env!("CARGO_BIN_EXE_hookbench"))
            .current_dir(&dir)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        let written = std::fs::read_to_string(dir.join(scenario)).unwrap_or_default();
        assert!(out.status.success(), "{script}: {stderr}\n{written}");
        assert!(written.contains("trace = \"rec.csv\""), "{script}: {written}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(json["run"]["events"], 40, "{script}");
    }
}

#[test]
fn serve_counts_every_answered_request_in_its_summary_with_plurals_right() {
    use std::io::{Read, Write};
    let summary = |requests: &[&str]| {
        let (mut child, mut out, addr) =
            crate::util::start_serve(&["--addr", "127.0.0.1:0", "--speedup", "100", "--stop-after", "3s"]);
        for r in requests {
            let mut conn = std::net::TcpStream::connect(&addr).unwrap();
            write!(conn, "{r} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let _ = conn.read_to_string(&mut String::new());
        }
        assert!(child.wait().unwrap().success());
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        rest
    };
    let one = summary(&["GET /events?limit=1"]);
    assert!(one.contains(": 1 request answered (") && one.contains("events happened"), "{one}");
    // A malformed query, an unknown route and another method are answered too: all in the total.
    let five = summary(&[
        "GET /events?limit=1",
        "GET /events?limit=0",
        "GET /nowhere",
        "POST /events",
        "GET /openapi.json",
    ]);
    assert!(five.contains(": 5 requests answered ("), "{five}");
    assert!(five.contains("3 other 4xx"), "{five}");
}
