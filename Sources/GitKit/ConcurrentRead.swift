internal import Dispatch
internal import Synchronization

extension Repository {
    /// Starts `work` on another thread with a handle of its own on this repository, while the
    /// caller goes on with this one, and returns what `wait()` hands back.
    ///
    /// For reading what does not change under either (objects, a commit range): a libgit2
    /// handle is never used by two threads, so only Sendable values cross, and the other handle
    /// has caches of its own. The two threads share libgit2's pack files, mapped once per
    /// process, so what one inflates the other finds in the pack's cache of delta bases.
    public func readConcurrently<Value: Sendable>(_ label: String,
                                                  _ work: @escaping @Sendable (Repository) -> Value) -> ConcurrentRead<Value> {
        let read = ConcurrentRead<Value>()
        let location = location
        // A queue of its own rather than a global one: a private serial queue always gets a
        // thread, even while the caller's (possibly cooperative-pool) thread blocks in `wait`.
        DispatchQueue(label: "git-timeturner." + label).async {
            let value: Value? = (try? location.open()).map(work)
            read.value.withLock { $0 = value }
            read.finished.signal()
        }
        return read
    }
}

/// What `Repository.readConcurrently` started. `wait()` is called once.
public final class ConcurrentRead<Value: Sendable>: Sendable {
    fileprivate let value = Mutex<Value?>(nil)
    fileprivate let finished = DispatchSemaphore(value: 0)

    fileprivate init() {}

    /// Blocks until the work is done. Nil when the second handle could not be opened (the first
    /// opened, so that is unlikely): the caller then does the work on its own handle.
    public func wait() -> Value? {
        finished.wait()
        return value.withLock { $0 }
    }
}
