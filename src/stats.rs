//! Stage counters: how often each stage ran in this process, so tests and profiles can show
//! that resolve and the IAM documents are built once per command.
//!
//! `eksvend` prints them to stderr when `EKSVEND_STAGE_COUNTS=1` is set.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A counted stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// One call of `resolve::resolve` (the whole fleet).
    Resolve,
    /// One account's policy documents built for the check stage (`iam::policies`).
    Check,
    /// One account's IAM files built in full, stacks included (`iam::build`), to render it.
    Iam,
    /// One account rendered (`render::render`).
    Render,
}

static COUNTS: [AtomicUsize; 4] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];

/// Count one run of `stage`.
pub fn count(stage: Stage) {
    COUNTS[stage as usize].fetch_add(1, Ordering::Relaxed);
}

/// How often `stage` ran so far in this process.
pub fn get(stage: Stage) -> usize {
    COUNTS[stage as usize].load(Ordering::Relaxed)
}

/// `resolve 1, check 5, iam 5, render 5`.
pub fn summary() -> String {
    format!(
        "stage counts: resolve {}, check {}, iam {}, render {}",
        get(Stage::Resolve),
        get(Stage::Check),
        get(Stage::Iam),
        get(Stage::Render)
    )
}
