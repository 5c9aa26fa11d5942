//! Freed memory handed back to the operating system between a run's stages.
//!
//! glibc keeps what a thread frees in that thread's arena, for that thread to reuse: the
//! reading threads' grids and the store decoder's row groups stay in the process's resident
//! memory after they are freed, and the next stage, on other threads, allocates beside them
//! (a nation's month with two years of history peaked at 650 MiB for it, not 480).
//! `malloc_trim` returns the free pages of every arena. The `baocao` binary allocates with
//! mimalloc, whose per-thread heaps do the same until their thread allocates again: each
//! thread of the pool collects its own (`mi_collect`).

/// Returns the heap's free pages to the operating system: glibc's arenas (where glibc is the
/// allocator) and the mimalloc heaps of this thread and of every thread of the pool.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and only releases pages glibc holds free.
        unsafe {
            malloc_trim(0);
        }
    }
    // mimalloc (the binary's allocator): a thread's heap keeps the pages it freed until that
    // thread allocates again; the pool's threads are idle between stages, so each collects its
    // own here.
    rayon::broadcast(|_| {
        // SAFETY: mi_collect takes no pointer; it frees only what the calling thread's heap
        // holds unused.
        unsafe { libmimalloc_sys::mi_collect(true) }
    });
    // SAFETY: as above, for this thread.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (mimalloc.h).
pub const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// While it lives, the pages a thread frees go back to the system only after mimalloc's
/// default pause (10 ms) rather than at once: reading makes and drops a grid per file on every
/// core, and a page handed back at once is faulted in and zeroed again for the next file (a
/// nation's month: 66,000 page faults instead of 43,000, ~0.15 s more system time). When it
/// ends, the delay before it is back and the caller calls `release_freed`, which hands back
/// what waits.
///
/// mimalloc reads the option each time it frees: set it only while the pool is idle (before
/// and after a stage, as `run_period` does).
pub struct PurgeAfterPause {
    before: std::ffi::c_long,
}

impl PurgeAfterPause {
    /// mimalloc's own default for `purge_delay` (ms).
    const PAUSE: std::ffi::c_long = 10;

    pub fn start() -> PurgeAfterPause {
        // SAFETY: reads and sets an integer option; no pointer.
        let before = unsafe {
            let before = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, Self::PAUSE);
            before
        };
        PurgeAfterPause { before }
    }
}

impl Drop for PurgeAfterPause {
    fn drop(&mut self) {
        // SAFETY: sets an integer option; no pointer.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, self.before) };
    }
}
