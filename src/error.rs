//! The crate-wide error: every failure knows its exit code and prints as one sentence.
//!
//! Exit codes: 0 success; 1 a check or threshold found a regression; 2 bad input (flags,
//! scenario files, output paths); 3 an internal check failed — a bug in hookbench, reported
//! with what broke, never printed as a result.

use crate::baseline::BaselineError;
use crate::engine::sim::SimError;
use crate::scenario::ScenarioError;
use crate::threshold::ThresholdError;
use crate::units::UnitError;

/// Everything that can end a command early.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: the sentence says what was wrong and what would be right.
    #[error("{0}")]
    Input(String),
    /// A scenario file is malformed.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A duration or rate is malformed.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// A `--threshold` is malformed or names no row of the run.
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// `check` cannot read a file or must not compare the two.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// A model invariant broke, in either engine: a bug.
    #[error("{0}; this is a bug in hookbench, please report it with the command you ran")]
    Internal(String),
}

impl From<SimError> for Error {
    fn from(e: SimError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_)
            | Error::Scenario(_)
            | Error::Unit(_)
            | Error::Threshold(_)
            | Error::Baseline(_) => 2,
            Error::Internal(_) => 3,
        }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
