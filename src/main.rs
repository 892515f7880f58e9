//! The `eksvend` binary: parse arguments, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = eksvend::cli::Cli::parse_args();
    let workers = match &cli.command {
        eksvend::cli::Command::Apply { jobs, .. } => *jobs,
        // validate, plan and render work on one thread per core
        _ => std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
    };
    one_malloc_arena_per_worker(workers);
    eksvend::commands::run(cli).into()
}

/// Cap glibc's malloc arenas at one per worker thread (at least two) instead of its default of
/// eight per core. glibc gives each thread that allocates while the others hold their arenas an
/// arena of its own, and memory freed into one arena is not reused by the others: the main
/// thread's arena kept the load's and resolve's peak while apply's workers grew theirs.
/// Measured on 2 cores (docs/performance.md), a first apply of 5,000 accounts with 4 jobs
/// peaked at 215 MiB with glibc's default, 178 MiB with four arenas and 161 MiB with two, but
/// two arenas for four workers were at times 40% slower (lock contention); four were as fast
/// as glibc's default. A `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` arena setting in the
/// environment is left to glibc. Called before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena_per_worker(workers: usize) {
    let tuned = std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
    if tuned {
        return;
    }
    let arenas = libc::c_int::try_from(workers.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt sets a tunable of the allocator; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena_per_worker(_workers: usize) {}
