//! baocao: a batch engine for standardized periodic reporting (Nghị định 09/2019/NĐ-CP).
//!
//! Data flows one way: `catalog` (config) → `ingest` → `validate` → `consolidate` → `render`.
//! Between stages travel plain data: `Submission`, `Diagnostic`, `Consolidated`.

pub mod batch;
pub mod board;
pub mod catalog;
pub mod cli;
pub mod consolidate;
pub mod diag;
pub mod draft;
pub mod due;
pub mod exit;
pub mod fault;
pub mod hash;
pub mod history;
pub mod ingest;
pub mod mail;
pub mod memory;
pub mod model;
pub mod output;
pub mod pdf;
pub mod period;
pub mod pipeline;
pub mod render;
pub mod schedule;
pub mod sign;
pub mod store;
pub mod synth;
pub mod tasks;
pub mod text;
pub mod validate;
