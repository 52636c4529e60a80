import CMalloc
import TimeturnerCLI

// glibc gives memory freed at the top of the heap back to the kernel once 128 KiB are free
// there, and zlib's ~260 KiB of state for every object read or written is just that much: each
// object faulted its pages in afresh, and the worker thread's arena shrank and grew again by
// madvise and mprotect (a rollback: 170 page faults and 200 system calls of its 3,000). A
// command lives for milliseconds, so what it frees is kept for reuse: the peak stays the same.
// Setting the trim threshold stops glibc's sliding mmap threshold, so that is fixed too, at a
// size above any buffer a command allocates often (large blobs are still mapped and unmapped).
_ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
_ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
// One arena for every thread: the work of a command runs on one thread at a time (a Swift
// concurrency worker, not the main thread), and the worker's own arena grew by one mprotect call
// per allocation that reached its top (160 in a rollback); the main heap grows by brk with room
// to spare.
_ = mallopt(M_ARENA_MAX, 1)

await TimeturnerCommand.mainExit()
