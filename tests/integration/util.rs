//! Helpers shared by the integration tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use hookbench::engine::sim;
use hookbench::result::report::{Report, StrategyReport};
use hookbench::scenario::Scenario;
use hookbench::strategy::{Spec, StrategyKind};

/// A scenario from TOML text (panics with the message if invalid: test scenarios are ours).
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `kinds` at `intervals` and returns the report.
pub fn run(s: &Scenario, kinds: &[StrategyKind], intervals: &[u64]) -> Report {
    let specs = Spec::expand(kinds, intervals, s.strategies.reconcile_interval);
    sim::run(s, &specs).unwrap_or_else(|e| panic!("{e}"))
}

/// The row of `report` labelled `label`.
pub fn row<'a>(report: &'a Report, label: &str) -> &'a StrategyReport {
    report.strategies.iter().find(|r| r.label == label).unwrap_or_else(|| {
        panic!("no row {label} in {:?}", report.strategies.iter().map(|r| &r.label).collect::<Vec<_>>())
    })
}

/// Runs the built binary with `args` in `dir` (or the crate root).
pub fn hookbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookbench")).args(args).output().expect("the binary runs")
}

/// Starts `hookbench serve` with `args`; returns the child, its stdout and the bound address.
pub fn start_serve(args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    start_server("serve", args, &[])
}

/// Starts `hookbench COMMAND` (`serve` or `receive`) with `args` and environment `env`; returns
/// the child, its stdout and the address it printed on its first line (after its URL scheme).
pub fn start_server(
    command: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, BufReader<ChildStdout>, String) {
    let (child, out, line) = start_with_banner(command, args, env);
    // `http://ADDR` or, with --tls, `https://ADDR`.
    let addr = line
        .split("://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, out, addr)
}

/// Starts `hookbench COMMAND` with `args` and environment `env`; returns the child, its stdout
/// and its first line (the banner).
pub fn start_with_banner(
    command: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookbench"))
        .arg(command)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the first line");
    (child, out, line)
}

/// Stdout and stderr as text.
pub fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A fresh temporary directory under the target dir (Cargo's `CARGO_TARGET_TMPDIR`, removed by
/// `cargo clean`, never the system temp directory); unique per test run and name.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hookbench-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Relative difference.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
