//! The `baocao` binary: parse arguments, call the library, map the outcome to an exit code.

/// mimalloc, not the system allocator: reading a nation's month makes and frees millions of
/// small strings on every core, and glibc's arenas cost a tenth of the run's CPU for them
/// (README, "Hiệu năng").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (mimalloc.h; its default is 10 ms).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Pages a thread frees go back to the system at once, not after a delay that only that
    // thread's next allocation would end: the reading threads free a nation's grids and then
    // sit idle while the later stages allocate (without this the peak grows by ~60 MiB).
    // SAFETY: sets an integer option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
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
    }
}
