//! `hookbench scenarios list|show|validate`.
//!
//! Owns finding and loading the scenarios each subcommand names and summarising them for
//! `render::scenarios`; `show` prints a scenario's TOML as written (control characters
//! written out). It never formats a listing.

use super::{load_scenario, print};
use crate::cli::ScenariosCommand;
use crate::error::Result;
use crate::render::scenarios::{self, Summary};
use crate::scenario::{Scenario, BUNDLED, DEFAULT};

fn summary(s: &Scenario) -> Summary {
    Summary {
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
            let rows: Vec<(&str, bool, Summary)> = BUNDLED
                .iter()
                .filter_map(|(name, _)| match Scenario::bundled(name) {
                    Some(Ok(s)) => Some((*name, *name == DEFAULT, summary(&s))),
                    _ => None,
                })
                .collect();
            print(&scenarios::list(&rows))?;
        }
        ScenariosCommand::Show { scenario } => {
            if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == scenario) {
                print(text)?;
            } else {
                let (_, text) = load_scenario(&scenario, None)?;
                print(&crate::render::text::escape_keeping_lines(&text.unwrap_or_default()))?;
            }
        }
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
