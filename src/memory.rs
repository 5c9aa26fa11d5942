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

/// While it lives, the pages a thread frees go back to the system only after a pause longer
/// than the run's (`RUN`): a page handed back at once is faulted in and zeroed again by the
/// next allocation.
/// - Reading (`READING`, mimalloc's own default, 10 ms) makes and drops a grid per file on
///   every core: a nation's month took 66,000 page faults instead of 43,000, ~0.15 s more
///   system time.
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
    /// The pause for the rest of the run (ms), set by the binary at its start. At 0 (a page
    /// handed back as soon as it is free) a nation's month took 62,000 page faults and 0,3 s
    /// more CPU (a matrix form's quarter, 0,6 s): every stage frees and allocates as it goes
    /// (the store's decoded parts, the consolidations, the year-to-date), and each page came
    /// back zeroed. At 1 ms, 23,000 faults, the same peak (a matrix form's, 16 MiB higher); at
    /// 2 ms and more the peak grows (mimalloc's own 10 ms: ~30 MiB) for no time gained. The
    /// pages of idle threads are handed back between stages (`release_freed`).
    pub const RUN: std::ffi::c_long = 1;

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
