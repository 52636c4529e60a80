internal import Glibc
import TimeturnerCore

/// Turns SIGINT, SIGTERM and SIGHUP into an `Interruption` while an operation runs.
///
/// The handler does only what is safe in a signal handler: two atomic operations on the
/// interruption, or, while no operation is armed (planning, the confirmation prompt, when
/// nothing has changed), restoring the default action and raising the signal again, so the
/// process ends exactly as it would have without us. Everything else (stopping the running
/// step, the message, the restore) happens in the engine, which polls the interruption.
/// A plain `sigaction`, not a dispatch source: a dispatch source registers asynchronously, and a
/// signal arriving in between would be lost.
enum InterruptionSignals {
    static let watched: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Made (and the handlers installed) when the first engine is made: only operations that
    /// change things watch signals.
    static let interruption: Interruption = {
        let interruption = Interruption()
        installedInterruption = interruption
        for number in watched {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                guard let interruption = installedInterruption, interruption.isArmed else {
                    signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                    return
                }
                interruption.interrupt(signalNumber)
            }
            sigemptyset(&action.sa_mask)
            // The command runs on the main thread (main.swift), which takes the signals: a
            // system call the signal lands in is restarted, as it was when the work ran on a
            // dispatch thread that blocks them. The engine notices the interruption by polling.
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        return interruption
    }()
}

/// Read by the signal handler, which cannot capture anything; set once, before any handler runs.
nonisolated(unsafe) private var installedInterruption: Interruption?
