//! `hookbench scenarios list|show|validate|fit`.
//!
//! Owns finding and loading the scenarios each subcommand names and summarising them for
//! `render::scenarios`; `show` prints a scenario's TOML as written (control characters
//! written out); `fit` reads a recording through [`crate::support::files`], hands its lines to
//! [`crate::scenario::fit`] and writes what `render::fit` makes of it. It never formats a listing.

use std::path::Path;

use super::options::{load_scenario, load_scenario_set};
use super::output::print;
use crate::cli::ScenariosCommand;
use crate::error::{Error, Result};
use crate::render::fit::Arrivals;
use crate::render::scenarios::{self, ScenarioSummary};
use crate::scenario::{Scenario, BUNDLED, DEFAULT};

fn summary(s: &Scenario) -> ScenarioSummary {
    ScenarioSummary {
        name: s.name.clone(),
        duration: s.duration,
        expected_events: s.expected_events(),
        quota: s.api.rate_limit,
        description: s.description.clone(),
        strategies: s.strategies.list.len(),
    }
}

/// Runs a `scenarios` subcommand.
pub fn run(cmd: ScenariosCommand) -> Result<u8> {
    match cmd {
        ScenariosCommand::List => {
            let rows: Vec<(&str, bool, ScenarioSummary)> = BUNDLED
                .iter()
                .filter_map(|(name, _)| match Scenario::bundled(name) {
                    Some(Ok(s)) => Some((*name, *name == DEFAULT, summary(&s))),
                    _ => None,
                })
                .collect();
            print(&scenarios::list(&rows))?;
        }
        ScenariosCommand::Show { scenario, resolved: true, set } => {
            // Checked as a run would check it (which reads the file once and hands its text
            // back), then printed as the parser reads it.
            let (_, read) = load_scenario_set(&scenario, None, &set)?;
            let (text, origin, dir) = match (read, BUNDLED.iter().find(|(n, _)| *n == scenario)) {
                (Some(text), _) => {
                    let path = Path::new(&scenario);
                    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    (text, scenario.clone(), Some(dir.to_path_buf()))
                }
                (None, Some((_, t))) => (t.to_string(), format!("{scenario} (bundled)"), None),
                (None, None) => return Err(Error::Internal("a scenario loaded without a text".into())),
            };
            let access = dir
                .as_deref()
                .map_or(crate::scenario::TraceAccess::Nowhere, crate::scenario::TraceAccess::Within);
            let merged = crate::scenario::resolve::resolve(&text, &origin, access, &set)?.unwrap_or(text);
            print(&crate::render::text::escape_keeping_lines(&merged))?;
        }
        ScenariosCommand::Show { scenario, .. } => {
            if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == scenario) {
                print(text)?;
            } else {
                let (_, text) = load_scenario(&scenario, None)?;
                print(&crate::render::text::escape_keeping_lines(&text.unwrap_or_default()))?;
            }
        }
        ScenariosCommand::Fit { file, output, synthetic } => fit(&file, output.as_deref(), synthetic)?,
        ScenariosCommand::Validate { scenarios: names } => {
            let mut rows = Vec::new();
            for name in &names {
                let (s, _) = load_scenario(name, None)?;
                rows.push((name.as_str(), summary(&s)));
            }
            print(&scenarios::validated(&rows))?;
        }
    }
    Ok(0)
}

/// `scenarios fit FILE [-o OUT] [--synthetic]`.
fn fit(file: &Path, output: Option<&Path>, synthetic: bool) -> Result<()> {
    let shown = crate::render::text::escape(&file.display().to_string());
    // The scenario never replaces the recording it is fitted from.
    if let Some(out) = output {
        let same = match (std::fs::canonicalize(file), std::fs::canonicalize(out)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(Error::Input(format!(
                "-o `{}` is the recording itself; write the scenario to another file",
                crate::render::text::escape(&out.display().to_string())
            )));
        }
    }
    let cannot = |e: crate::support::files::FileError| format!("cannot read recording `{shown}`: {e}");
    let lines = crate::support::files::lines(file).map_err(|e| Error::Input(cannot(e)))?;
    let jsonl = file.extension().is_some_and(|x| x.eq_ignore_ascii_case("jsonl"));
    let rows =
        crate::scenario::fit::read(&shown, lines.map(|l| l.map_err(cannot)), jsonl).map_err(Error::Input)?;
    let fitted = crate::scenario::fit::fit(&rows);
    let name = file.file_stem().map_or("fitted".into(), |s| s.to_string_lossy().into_owned());
    let trace = trace_path(file, output);
    let arrivals = if synthetic { Arrivals::Synthetic } else { Arrivals::Trace(&trace) };
    let text = crate::render::fit::toml(&fitted, &shown, &format!("fitted-{name}"), arrivals);
    // What is written validates: the scenario is read back (its arrivals from the recording) and
    // any key `validate` would refuse is this run's error, before anything is written.
    let access = if synthetic {
        crate::scenario::TraceAccess::Nowhere
    } else {
        crate::scenario::TraceAccess::Given(file)
    };
    if let Err(e) = Scenario::from_toml_with(&text, "the fitted scenario", access) {
        return Err(Error::Input(format!(
            "the recording `{shown}` fits no valid scenario, so nothing was written: {e}"
        )));
    }
    match output {
        Some(out) => std::fs::write(out, &text).map_err(|e| {
            Error::Input(format!(
                "cannot write `{}`: {e}",
                crate::render::text::escape(&out.display().to_string())
            ))
        }),
        None => print(&text),
    }
}

/// How the scenario names the recording: relative to the directory the scenario is written to
/// — `-o`'s, else standard output's when it is a file (`> fit.toml`), else the current
/// directory — when the recording lies beside or below it (a scenario may name no trace
/// elsewhere), else as given; then `--trace FILE` on the command line replays it.
fn trace_path(file: &Path, output: Option<&Path>) -> String {
    let dir = match output {
        Some(o) => o.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
        None => stdout_file_dir().unwrap_or_else(|| Path::new(".").to_path_buf()),
    };
    let relative = (|| {
        let (d, f) = (std::fs::canonicalize(&dir).ok()?, std::fs::canonicalize(file).ok()?);
        f.strip_prefix(&d).ok().map(|r| r.to_string_lossy().into_owned())
    })();
    relative.unwrap_or_else(|| file.to_string_lossy().into_owned())
}

/// The directory of the regular file standard output was redirected to, where the system
/// tells it (Linux: `/proc/self/fd/1`).
fn stdout_file_dir() -> Option<std::path::PathBuf> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let target = std::fs::read_link("/proc/self/fd/1").ok()?;
        let open =
            std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned().ok()?).metadata().ok()?;
        let named = std::fs::metadata(&target).ok()?;
        // The path still names the file written to (not one renamed or deleted since).
        if !open.is_file() || (open.dev(), open.ino()) != (named.dev(), named.ino()) {
            return None;
        }
        target.parent().map(Path::to_path_buf)
    }
    #[cfg(not(unix))]
    None
}
