//! Integration tests: the real binary, real git, the bundled example inventory.

mod bad_inventory;
mod cli;
mod golden;
mod support;
