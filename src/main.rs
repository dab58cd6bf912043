//! The `trailsift` binary: everything is in the library ([`trailsift::cmd::main`]).

fn main() -> std::process::ExitCode {
    // No transparent huge pages for this process, whatever the system's setting (see the
    // allocator below); a kernel that refuses only leaves them as they were.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    trailsift::cmd::main()
}

/// mimalloc: millions of small allocations from several threads; glibc's allocator spent a
/// third of a large run consolidating them, and its per-thread arenas held freed memory
/// (a run with a million selected events: 38 s and 240 MiB with it, 27 s and 157 MiB
/// with mimalloc).
///
/// Built with `no_thp`, and `main` turns them off for the process (a system set to `always`
/// gives them unasked): mimalloc otherwise asks Linux for transparent huge pages, and every
/// fresh 2 MiB page it touches is zeroed whole by the kernel. On the skewed benchmark dump
/// that was 7 % of the run's CPU (`clear_page_erms`), for a peak of 66-87 MiB where 41-50 MiB
/// do.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
