//! Small utilities every layer uses, each of which knows nothing of hookbench's model: durations
//! and rates as people write them ([`units`]), the bounds every run stays within ([`limits`]),
//! reading user-named files safely ([`files`]), quoting user text ([`quote`]), the one writer to
//! standard output and error ([`out`]), and a queue of timed items ([`queue`]).

pub mod files;
pub mod limits;
pub mod out;
pub mod queue;
pub mod quote;
pub mod units;
