//! The crate-wide error: every failure knows its exit code and prints as one sentence.
//!
//! Exit codes: 0 success; 1 a check or threshold found a regression; 2 bad input (flags,
//! scenario files, output paths); 3 an internal check failed — a bug in hookbench, reported
//! with what broke, never printed as a result.

use crate::engine::sim::SimError;
use crate::result::baseline::BaselineError;
use crate::result::threshold::ThresholdError;
use crate::scenario::ScenarioError;
use crate::support::limits::MAX_DURATION_TEXT;
use crate::support::units::UnitError;

/// Everything that can end a command early.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: the sentence says what was wrong and what would be right.
    #[error("{0}")]
    Input(String),
    /// A flag's value is out of bounds (the recurring sentences, said one way).
    #[error(transparent)]
    Flag(#[from] FlagError),
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
            | Error::Flag(_)
            | Error::Scenario(_)
            | Error::Unit(_)
            | Error::Threshold(_)
            | Error::Baseline(_) => 2,
            Error::Internal(_) => 3,
        }
    }
}

/// A flag's value is out of bounds: the flag, and what was wrong with what was given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag}: {problem}")]
pub struct FlagError {
    /// The flag as typed, such as `--interval`.
    pub flag: &'static str,
    /// What was wrong, and what would be right.
    pub problem: Problem,
}

/// The recurring problems of a flag's value, each with one sentence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// Not a duration or rate at all.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// A duration below the flag's minimum.
    #[error("`{text}` is shorter than `{min}`; give at least `{min}`")]
    TooShort {
        /// As given.
        text: String,
        /// The minimum, written as a duration.
        min: String,
    },
    /// A duration over [`crate::support::limits::MAX_DURATION`].
    #[error("`{text}` is over a year; use at most `{MAX_DURATION_TEXT}`")]
    OverAYear {
        /// As given.
        text: String,
    },
    /// A number outside its range.
    #[error("{value} is out of range; give {range}")]
    OutOfRange {
        /// As given.
        value: String,
        /// The range, in words: `a factor from 0.01 to 100000`.
        range: &'static str,
    },
}

impl FlagError {
    /// `flag` got `problem`.
    pub fn new(flag: &'static str, problem: Problem) -> FlagError {
        FlagError { flag, problem }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
