//! The `baocao` binary: parse arguments, call the library, map the outcome to an exit code.

/// mimalloc, not the system allocator: reading a nation's month makes and frees millions of
/// small strings on every core, and glibc's arenas cost a tenth of the run's CPU for them
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use baocao::memory::MI_OPTION_PURGE_DELAY;

fn main() {
    // Pages a thread frees go back to the system after 1 ms, not mimalloc's 10 ms that only
    // that thread's next allocation would end: the reading threads free a nation's grids and
    // then sit idle while the later stages allocate (at 10 ms the peak grows by ~30 MiB; with
    // a store of two years' periods, more). Reading itself frees after a longer pause
    // (`memory::PurgeAfterPause`).
    // No transparent huge pages: mimalloc asks the kernel for them on its whole arena, so each
    // first touch of a 2 MiB stretch faulted in and zeroed 2 MiB, however little of it the run
    // used, and pages handed back and touched again were zeroed 2 MiB at a time. Without them a
    // nation's month peaks ~10 MiB lower (a matrix form's quarter, ~7) and a matrix quarter
    // takes ~0,5 s less CPU (docs/performance.md). Inherited by the programs the run starts
    // (LibreOffice for the PDF copies), which do not need them either. A kernel without the
    // setting runs as before.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    // SAFETY: sets an integer option before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, baocao::memory::PurgeAfterPause::RUN)
    };
    std::process::exit(baocao::cli::main());
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc's documented default for purge_delay is 10 (ms); its neighbours in the
        // enum default to 1 (eager_commit_delay) and 0 (use_numa_nodes).
        // SAFETY: reads an integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 10);
        // Reading frees after that pause, then the delay before it is back (in this test, not
        // one of its own: tests run in parallel and this is the one that reads the option).
        // SAFETY (here and below): reads or sets an integer option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        let set = |v| unsafe { libmimalloc_sys::mi_option_set(super::MI_OPTION_PURGE_DELAY, v) };
        set(0);
        {
            let _pause = baocao::memory::PurgeAfterPause::start(10);
            assert_eq!(get(), 10);
        }
        assert_eq!(get(), 0);
        set(3);
        drop(baocao::memory::PurgeAfterPause::start(1));
        assert_eq!(get(), 3);
        set(10);
    }
}
