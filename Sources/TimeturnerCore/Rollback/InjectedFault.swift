internal import Glibc

/// Test-only fault injection (`TIMETURNER_TEST_FAULT=<step kind>:<fault>`): before the first
/// step of that kind, the engine fails the way the operating system would, or the process
/// receives a signal, so tests can sweep every step with every fault and check that the
/// repository is exactly as before (or that `recover` makes it so). Never set in normal use.
public struct InjectedFault: Sendable, Equatable {
    public enum Fault: String, Sendable {
        /// The step fails as a write fails on a full disk / a read-only or foreign directory.
        case noSpace = "ENOSPC", permissionDenied = "EACCES"
        /// The process receives the signal (handled like one from outside), or is killed.
        case interrupt = "SIGINT", terminate = "SIGTERM", hangUp = "SIGHUP", kill = "SIGKILL"
    }

    public let before: OperationStep
    public let fault: Fault

    /// `work-tree:ENOSPC`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let step = OperationStep(rawValue: parts[0]), let fault = Fault(rawValue: parts[1]) else { return nil }
        before = step
        self.fault = fault
    }

    func inject(before step: RollbackStep, interruption: Interruption?) throws(TimeturnerError) {
        guard step.kind == before else { return }
        switch fault {
        case .noSpace, .permissionDenied:
            let code = fault == .noSpace ? ENOSPC : EACCES
            throw TimeturnerError(.failure, "could not \(step.label): \(String(cString: strerror(code))) (injected by TIMETURNER_TEST_FAULT)")
        case .interrupt: deliver(SIGINT, interruption)
        case .terminate: deliver(SIGTERM, interruption)
        case .hangUp: deliver(SIGHUP, interruption)
        case .kill: kill(getpid(), SIGKILL)
        }
    }

    /// Signals become an interruption on another thread: wait (bounded) until it has.
    private func deliver(_ signal: Int32, _ interruption: Interruption?) {
        kill(getpid(), signal)
        for _ in 0..<500 where interruption?.signal == nil { usleep(10_000) }
    }
}
