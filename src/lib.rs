//! The `sessionlab` command: the pieces `main.rs` wires together, public so the
//! end-to-end tests in `tests/` drive exactly what the binary runs.

pub mod class;
pub mod demo;
pub mod lesson;
pub mod own_app;
pub mod report;
pub mod stdout;

/// Every argon2id check allocates 19 MiB. glibc's malloc raises its mmap
/// threshold after the first such block is freed and from then on keeps those
/// blocks in its arenas: a `demo` peaked near 450 MB instead of 50 MB. A fixed
/// threshold keeps large blocks in mmap, returned to the system when freed.
pub fn return_argon2_memory_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; call it first thing in `main`, before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
