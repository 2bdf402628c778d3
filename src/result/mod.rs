//! Everything that reads or judges a finished result: the one [`report::Report`] a run makes,
//! its named measures, the `--threshold` gate, the baseline comparison of `check`, the
//! architect's advice and frontier, replicated runs and the statistics they need.
//!
//! Owns no engine and no I/O but reading result files: each module takes a finished report (or
//! two) and computes data the renderers then format.

pub mod advice;
pub mod baseline;
pub mod judgement;
pub mod measure;
pub mod replication;
pub mod report;
pub mod saved;
pub mod stats;
pub mod threshold;
pub mod timeline;
pub mod verdict;
