internal import Dispatch
internal import CLibgit2
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
        backgroundReader(label).read(work)
    }

    /// Another thread with a handle of its own, for several reads one after the other
    /// (`BackgroundReader.read`).
    public func backgroundReader(_ label: String) -> BackgroundReader {
        BackgroundReader(label: label, location: location)
    }
}

/// One thread and one repository handle of its own, opened on its first read, on which reads
/// run in the order they were started, each while the caller goes on. A second read queued
/// behind the first neither opens another handle nor competes with the first for the cores
/// (a rollback's plan reads its commits and then inflates the blobs its checkout will write).
public final class BackgroundReader: @unchecked Sendable {
    private let queue: DispatchQueue
    private let location: Repository.Location
    /// Opened and used only on `queue` (serial), hence the unchecked Sendable.
    private var handle: Repository?
    private var opened = false

    fileprivate init(label: String, location: Repository.Location) {
        // A queue of its own rather than a global one: a private serial queue always gets a
        // thread, even while the caller's (possibly cooperative-pool) thread blocks in `wait`.
        queue = DispatchQueue(label: "git-timeturner." + label)
        self.location = location
    }

    /// The handle is freed on the reader's own thread, after any read still queued: freeing
    /// unmaps its pack windows and frees its caches, which grows with what it read (a dry run
    /// on a million commits was 1 ms slower when its caller's thread did it).
    deinit {
        nonisolated(unsafe) let last = handle
        handle = nil
        queue.async { withExtendedLifetime(last) {} }
    }

    /// Runs `work` after the reads started before it. `wait()` is nil when the handle could
    /// not be opened (the first one did, so that is unlikely): the caller then does the work on
    /// its own handle.
    public func read<Value: Sendable>(_ work: @escaping @Sendable (Repository) -> Value) -> ConcurrentRead<Value> {
        let read = ConcurrentRead<Value>()
        queue.async {
            if !self.opened { self.handle = try? self.location.open(); self.opened = true }
            let value: Value? = self.handle.map(work)
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

extension Repository {
    /// Reads `ids` on another thread (`inflate`, on a handle of its own); returns at once.
    public func inflateAhead(_ ids: [OID], budget: Int = 8 << 20) -> ConcurrentRead<Int> {
        readConcurrently("inflate-ahead") { $0.inflate(ids, budget: budget) }
    }

    /// Reads `ids` and throws them away: what this leaves behind is the pack's cache of delta
    /// bases, which libgit2 shares between handles, so that another handle reading the same
    /// objects afterwards (a checkout writing them) applies one delta to a base already
    /// inflated instead of inflating the whole chain. Returns how many were read. Objects that
    /// cannot be read are skipped: the reader that needs them reports that.
    ///
    /// Stops after `budget` bytes of objects: libgit2 1.5.1 keeps at most 16 MiB of bases per pack
    /// and empties the whole cache when it is full, so reading further ahead than that would throw
    /// away what was inflated first, before it is used. Skips objects larger than 1 MiB, whose
    /// bases that cache does not keep (its limit per object), so that reading them ahead would
    /// only hold a second copy of a large file in memory while the checkout reads it.
    public func inflate(_ ids: [OID], budget: Int = 8 << 20) -> Int {
        withObjectDatabase { (odb) in
            var read = 0, bytes = 0
            for id in ids where bytes < budget {
                guard let header = objectHeader(id), header.size <= Repository.largestObjectReadAhead else { continue }
                var raw = id.raw, object: OpaquePointer? = nil
                guard git_odb_read(&object, odb, &raw) == 0 else { git_error_clear(); continue }
                bytes += git_odb_object_size(object)
                git_odb_object_free(object)
                read += 1
            }
            return read
        } ?? 0
    }

    /// libgit2 1.5.1's `GIT_PACK_CACHE_SIZE_LIMIT`: no larger base is kept in a pack's cache.
    public static let largestObjectReadAhead = 1 << 20
}
