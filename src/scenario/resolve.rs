//! Scenarios built on others: `extends = "stripe"` and `--set key=value`.
//!
//! Owns turning a scenario's text into the text the parser reads: the parent named by `extends`
//! (a bundled name, or a file beside the scenario) resolved first — its own `extends` too, at most
//! [`MAX_DEPTH`] deep — then the child merged over it section by section, key by key (a table
//! merges, any other value, arrays included, replaces), then each `--set` (a dotted TOML path and
//! a TOML value; a bare word is a string, so `--set events.rate=2000/d` needs no quotes) written
//! over the result. The merged text is what `scenarios show --resolved` prints; the parser then
//! checks it as it checks any file, so an unknown key from `extends` or `--set` is refused with
//! the nearest valid key named.

use std::path::Path;

use super::check::{toml_error, ScenarioError};
use super::events::TraceAccess;

/// How deep `extends` may chain (a longer chain is almost surely a loop).
pub const MAX_DEPTH: usize = 8;

/// The text of `text` with its `extends` resolved and `sets` applied; `None` when it has
/// neither (the text stands as written, so errors keep its own lines).
pub fn resolve(
    text: &str,
    origin: &str,
    access: TraceAccess<'_>,
    sets: &[String],
) -> Result<Option<String>, ScenarioError> {
    let table = parse(text, origin)?;
    if !table.contains_key("extends") && sets.is_empty() {
        return Ok(None);
    }
    let mut merged = merged(table, origin, access, 0)?;
    for set in sets {
        apply(&mut merged, set)?;
    }
    toml::to_string(&merged).map(Some).map_err(|e| ScenarioError(format!("scenario {origin}: {e}")))
}

fn parse(text: &str, origin: &str) -> Result<toml::Table, ScenarioError> {
    text.parse::<toml::Table>().map_err(|e| toml_error(origin, text, &e))
}

/// `table` over its parents, with `extends` gone.
fn merged(
    mut table: toml::Table,
    origin: &str,
    access: TraceAccess<'_>,
    depth: usize,
) -> Result<toml::Table, ScenarioError> {
    let Some(parent) = table.remove("extends") else { return Ok(table) };
    let err = |m: String| ScenarioError(format!("scenario {origin}: `extends`: {m}"));
    let toml::Value::String(name) = parent else {
        return Err(err("must be a bundled scenario's name or a file, such as \"stripe\"".into()));
    };
    if depth >= MAX_DEPTH {
        return Err(err(format!("chains more than {MAX_DEPTH} scenarios deep; is there a loop?")));
    }
    let (text, parent_origin, parent_access) = match super::bundled::text(&name) {
        Some(t) => (t.to_string(), format!("{name} (bundled)"), TraceAccess::Nowhere),
        None => {
            let TraceAccess::Within(dir) = access else {
                return Err(err(format!(
                    "`{}` is not a bundled scenario ({}); a file may be named only by a scenario file, beside it",
                    crate::support::quote::excerpt(&name, crate::support::quote::EXCERPT),
                    super::bundled::names().join(", ")
                )));
            };
            let path = dir.join(&name);
            let text = read(&path).map_err(|e| {
                err(format!(
                    "`{}` is neither a bundled scenario nor a readable file ({e})",
                    crate::support::quote::excerpt(&name, crate::support::quote::EXCERPT_PATH)
                ))
            })?;
            (text, path.display().to_string(), TraceAccess::Within(dir))
        }
    };
    let base = merged(parse(&text, &parent_origin)?, &parent_origin, parent_access, depth + 1)?;
    Ok(over(base, table))
}

fn read(path: &Path) -> Result<String, crate::support::files::FileError> {
    use crate::support::files::{read_text, SMALL_FILE, SMALL_FILE_TEXT};
    read_text(path, SMALL_FILE, SMALL_FILE_TEXT)
}

/// `child` merged over `base`: sections (`[api]`, …) key by key; a key's value — a string, an
/// array, or a table such as `rate_limit = { … }` or a delay's `{ median, p99 }` — replaced
/// whole, so a child's value is never mixed with its parent's (a leaky bucket keeping a cost
/// bucket's `refill`).
fn over(mut base: toml::Table, child: toml::Table) -> toml::Table {
    for (k, v) in child {
        match (base.remove(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(c)) => {
                let mut section = b;
                for (key, value) in c {
                    section.insert(key, value);
                }
                base.insert(k, toml::Value::Table(section));
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    base
}

/// Applies one `--set key.path=value`.
fn apply(table: &mut toml::Table, set: &str) -> Result<(), ScenarioError> {
    let shown = crate::support::quote::excerpt(set, crate::support::quote::EXCERPT_PATH);
    let err = |m: &str| ScenarioError(format!("--set `{shown}`: {m}"));
    let Some((path, value)) = set.split_once('=') else {
        return Err(err("write KEY=VALUE with a dotted key, such as `--set receiver.workers=8`"));
    };
    let keys: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(err("the key has an empty part; write a dotted key such as `events.rate`"));
    }
    if keys == ["extends"] {
        return Err(err("`extends` is the file's own; name the scenario to build on with --scenario"));
    }
    let value = value.trim();
    // A TOML value when it reads as one (`8`, `0.2`, `true`, `["30s"]`, `{ median = "1s" }`),
    // else the text itself (`2000/d`, `on-receipt`).
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let (last, parents) = keys.split_last().expect("at least one key");
    let mut at = table;
    for k in parents {
        let entry = at.entry(k.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(t) = entry else {
            return Err(err(&format!("`{k}` is a value, not a section")));
        };
        at = t;
    }
    at.insert(last.to_string(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn tables_merge_key_by_key_and_values_replace() {
        let base = table("a = 1\n[s]\nx = 1\ny = [1, 2]\n[t]\nz = 3\n");
        let child = table("a = 2\n[s]\ny = [9]\n");
        assert_eq!(over(base, child), table("a = 2\n[s]\nx = 1\ny = [9]\n[t]\nz = 3\n"));
    }

    #[test]
    fn sets_read_toml_values_else_text() {
        let mut t = table("[events]\nrate = \"1/h\"\n");
        for s in
            ["events.rate=2000/d", "receiver.workers=8", "receiver.process={ median = \"1s\", p99 = \"5s\" }"]
        {
            apply(&mut t, s).unwrap();
        }
        assert_eq!(t["events"]["rate"].as_str(), Some("2000/d"));
        assert_eq!(t["receiver"]["workers"].as_integer(), Some(8));
        assert_eq!(t["receiver"]["process"]["p99"].as_str(), Some("5s"));
        for (bad, needle) in
            [("nothing", "KEY=VALUE"), ("a..b=1", "empty part"), ("events.rate.x=1", "not a section")]
        {
            let e = apply(&mut t, bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
