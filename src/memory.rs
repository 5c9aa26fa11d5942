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

/// While it lives, the pages a thread frees go back to the system only after a pause rather
/// than at once: a page handed back at once is faulted in and zeroed again by the next
/// allocation.
/// - Reading (`READING`, mimalloc's own default, 10 ms) makes and drops a grid per file on
///   every core: a nation's month took 66,000 page faults instead of 43,000, ~0.15 s more
///   system time.
/// - The history store's periods (`DECODING`, 1 ms) are decoded a part at a time, each part's
///   buffers freed before the next: with a 22-month store 1.3 million faults (3.5 s of system
///   time) became 370,000; 10 ms saved 0.4 s more but held ~45 MiB more at the peak.
///
/// When it ends, the delay before it is back and the caller calls `release_freed`, which hands
/// back what waits.
///
/// mimalloc reads the option each time it frees: set it only while the pool is idle (before
/// and after a stage, as `run_period` does).
pub struct PurgeAfterPause {
    before: std::ffi::c_long,
}

impl PurgeAfterPause {
    /// The pause while files are read (ms).
    pub const READING: std::ffi::c_long = 10;
    /// The pause while the store's past periods are decoded (ms).
    pub const DECODING: std::ffi::c_long = 1;

    pub fn start(pause: std::ffi::c_long) -> PurgeAfterPause {
        // SAFETY: reads and sets an integer option; no pointer.
        let before = unsafe {
            let before = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, pause);
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
