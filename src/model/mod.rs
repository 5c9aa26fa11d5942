//! The plain types shared by the stages (ingest → validate → consolidate → compare → render →
//! write): cell keys, submissions and their values, value columns and statuses.
//!
//! No stage's logic lives here, and this module imports no stage: every stage imports it.

mod key;
mod limits;
mod submission;

pub use key::*;
pub use limits::*;
pub use submission::*;
