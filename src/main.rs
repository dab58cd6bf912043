//! The `trailsift` binary: everything is in the library ([`trailsift::cmd::main`]).

fn main() -> std::process::ExitCode {
    trailsift::cmd::main()
}

/// mimalloc: millions of small allocations from several threads; glibc's allocator spent a
/// third of a large run consolidating them, and its per-thread arenas held freed memory
/// (a run with a million selected events: 38 s and 240 MiB with it, 27 s and 157 MiB
/// with mimalloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
