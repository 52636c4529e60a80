internal import Synchronization
internal import Glibc

/// A signal (SIGINT, SIGTERM, SIGHUP) that asks the running operation to stop. The CLI turns
/// signals into a call of `interrupt`; no work happens in a signal handler. While an operation
/// is `armed`, the engine stops the running step (child processes watch this and kill their
/// process group), restores the state before the operation and exits 128 + the signal. Before
/// that (planning, the confirmation prompt) nothing has changed and the signal may end the
/// process as usual, which is what the CLI does when it is not armed.
public final class Interruption: Sendable {
    private let received = Atomic<Int32>(0)
    private let armedCount = Atomic<Int>(0)
    private let deliveredCount = Atomic<Int>(0)

    public init() {}

    /// Records the first signal; later ones are ignored (the restore must be allowed to finish).
    public func interrupt(_ signal: Int32) {
        deliveredCount.add(1, ordering: .sequentiallyConsistent)
        _ = received.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
    }

    /// Every signal delivered while armed, the ignored ones too: a guard's question ends when
    /// another one arrives while it waits for the answer.
    public var deliveries: Int { deliveredCount.load(ordering: .sequentiallyConsistent) }

    /// Forgets the signal, so that the next one is recorded: a guard whose operator chose to go
    /// on watching (or to roll back, which arms its own operation) after Ctrl-C.
    public func resume() {
        received.store(0, ordering: .sequentiallyConsistent)
    }

    /// The signal received while armed, if any.
    public var signal: Int32? {
        let value = received.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    public var isArmed: Bool { armedCount.load(ordering: .sequentiallyConsistent) > 0 }

    /// Runs `body` with the operation armed: a signal now stops it instead of ending the process.
    func armed<T>(_ body: () async -> T) async -> T {
        armedCount.add(1, ordering: .sequentiallyConsistent)
        defer { armedCount.subtract(1, ordering: .sequentiallyConsistent) }
        return await body()
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`, for messages.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}

extension OperationDirectory {
    /// `.git/timeturner/child-group`: the process group of the verification command running now,
    /// so that `recover` after a SIGKILL of the tool can end a group that outlived it.
    var childGroupPath: String { path + "/child-group" }

    func recordChildGroup(_ group: Int32) {
        try? LocalFile.writeAtomically(Array("\(group)\n".utf8), to: childGroupPath)
    }

    func clearChildGroup() { unlink(childGroupPath) }

    /// Kills the recorded group if it still runs; returns it when it did.
    @discardableResult
    func endChildGroup() -> Int32? {
        defer { clearChildGroup() }
        guard let bytes = LocalFile.read(childGroupPath),
              let group = Int32(String(decoding: bytes, as: UTF8.self).filter(\.isNumber)), group > 1 else { return nil }
        guard kill(-group, 0) == 0 else { return nil }
        kill(-group, SIGKILL)
        return group
    }
}
