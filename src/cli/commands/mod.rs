//! One module per subcommand. Each reads its arguments, calls the library, prints what comes
//! back, and returns an [`Outcome`](super::Outcome): the verdicts of checks are the library's.

pub mod bench;
pub mod compare;
pub mod eval;
pub mod gradcheck;
pub mod list;
pub mod plot;
pub mod predict;
pub mod reproduce;
pub mod serve;
pub mod trace;
pub mod train;
