import CMalloc
import Dispatch
import Glibc
import TimeturnerCLI

// glibc gives memory freed at the top of the heap back to the kernel once 128 KiB are free
// there, and zlib's ~260 KiB of state for every object read or written is just that much: each
// object faulted its pages in afresh, and the worker thread's arena shrank and grew again by
// madvise and mprotect (a rollback: 170 page faults and 80 system calls of its 3,000). A
// command lives for milliseconds, so what it frees is kept for reuse: the peak stays the same.
// Setting the trim threshold stops glibc's sliding mmap threshold, so that is fixed too, at a
// size above any buffer a command allocates often (large blobs are still mapped and unmapped).
// The threads keep their own arenas: with one for all (M_ARENA_MAX 1), the two threads of
// `points` contended for it, +15% of its CPU time.
_ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
_ = mallopt(M_MMAP_THRESHOLD, 32 << 20)

// A reader that goes away (`git timeturner rollback … 2>&1 | head -3`) must not kill a rollback
// between two steps: with SIGPIPE's default action the process died with the branch moved and
// the work tree not yet written. Ignored, a write to a closed pipe fails with EPIPE instead, the
// output is dropped and the operation goes on (Terminal, StandardOutput). Child processes get
// the default action back: swift-subprocess resets every signal in the child before exec.
_ = signal(SIGPIPE, SIG_IGN)

// The command runs on this, the main thread, up to its first real suspension (a child
// process, a timer): an async main would run all of it on a dispatch worker thread instead,
// and start-up paid for three new threads, and for the worker's malloc arena growing by
// mprotect (150 calls in a rollback). `--version` 4.96 -> 4.44 ms, `status` 5.80 -> 5.08 ms
// (60 interleaved runs). After a suspension the work goes on on dispatch's threads, as before,
// while this thread waits in dispatchMain(); the command exits the process either way.
nonisolated func runOnThisThread() {
    Task.immediate { await TimeturnerCommand.mainExit() }
}
runOnThisThread()
dispatchMain()
