internal import Glibc

/// Bounded, jittered retry for read-modify-write updates of one reference.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    /// Upper bound of the first back-off; each later one doubles it, capped at `maximumDelay`.
    public var initialDelayMicroseconds: UInt32
    public var maximumDelayMicroseconds: UInt32

    public init(attempts: Int = 60, initialDelayMicroseconds: UInt32 = 500, maximumDelayMicroseconds: UInt32 = 50_000) {
        self.attempts = attempts
        self.initialDelayMicroseconds = initialDelayMicroseconds
        self.maximumDelayMicroseconds = maximumDelayMicroseconds
    }

    public static let standard = RetryPolicy()
}

extension Repository {
    /// Moves `name` from whatever it holds now to what `build` makes of it, with compare-and-swap.
    ///
    /// `build` gets the current target (nil when the ref does not exist) and returns the new one;
    /// it must only create objects, never move refs, because it may run several times. When another
    /// writer moved the ref in between (`.modified`, `.exists`, `.locked`), the ref is re-read and
    /// `build` runs again, after a random back-off so that contending writers spread out.
    /// Returns the value written.
    @discardableResult
    public func updateReference<E: Error>(
        _ name: String,
        logMessage: String,
        policy: RetryPolicy = .standard,
        build: (OID?) throws(E) -> OID
    ) throws(UpdateError<E>) -> OID {
        var delay = policy.initialDelayMicroseconds
        var lastContention: GitError? = nil
        for _ in 0..<max(1, policy.attempts) {
            let current: OID?
            do { current = try reference(name)?.target } catch { throw .git(error) }
            let next: OID
            do { next = try build(current) } catch { throw .build(error) }
            do {
                try setReference(name, to: next, expecting: current, logMessage: logMessage)
                return next
            } catch let error where error.code.isContention || error.code == .exists {
                lastContention = error
                usleep(UInt32.random(in: delay / 2...delay))
                delay = min(delay * 2, policy.maximumDelayMicroseconds)
            } catch {
                throw .git(error)
            }
        }
        throw .gaveUp(name: name, attempts: policy.attempts, last: lastContention)
    }
}

/// Why `updateReference` failed.
public enum UpdateError<BuildError: Error>: Error {
    /// `build` threw.
    case build(BuildError)
    /// Reading or writing the reference failed for a reason other than contention.
    case git(GitError)
    /// Other writers kept winning for every attempt.
    case gaveUp(name: String, attempts: Int, last: GitError?)
}
