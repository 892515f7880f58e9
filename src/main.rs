//! The `eksvend` binary: parse arguments, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    one_malloc_arena_per_core();
    let cli = eksvend::cli::Cli::parse_args();
    eksvend::commands::run(cli).into()
}

/// Cap glibc's malloc arenas at one per core (at least two) instead of its default of eight per
/// core. glibc gives each thread that allocates while the others hold their arenas an arena of
/// its own, and memory freed into one arena is not reused by the others: apply's workers each
/// kept their peak of rendered trees and pack buffers. Measured on 2 cores, a first apply of
/// 5,000 accounts peaked at 215 MiB with glibc's default and 161 MiB with two arenas, in the
/// same time (docs/performance.md). A `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` arena setting in
/// the environment is left to glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena_per_core() {
    let tuned = std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
    if tuned {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt sets a tunable of the allocator; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena_per_core() {}
