internal import Glibc

/// Records an operation's progress in `state.jsonl` (`StateLog`) before each step (with what the steps before it did), reports it to
/// the progress sink, and holds the test-only pause hook. Shared by rollback, undo and recover,
/// so they record their steps the same way.
final class OperationRecorder {
    let directory: OperationDirectory
    let log: StateLog
    let progress: any RollbackProgress
    /// Test-only (`TIMETURNER_TEST_PAUSE_AT=<step>`): wait before the first step of this kind
    /// until the marker file `.git/timeturner/test-pause` is removed, so tests can kill or race
    /// the operation at an exact point. Never set in normal use.
    let pauseBefore: OperationStep?
    var state: OperationState
    /// Whether the state file may be written: only by the lock's holder.
    var holdsLock = false
    private var paused = false

    init(directory: OperationDirectory, progress: any RollbackProgress, pauseBefore: OperationStep?, state: OperationState) {
        self.directory = directory
        log = StateLog(path: directory.statePath)
        self.progress = progress
        self.pauseBefore = pauseBefore
        self.state = state
    }

    func enter(_ step: RollbackStep) async throws(TimeturnerError) {
        state.step = step.kind.rawValue
        state.stepLabel = step.label
        if pauseBefore == step.kind && !paused {
            paused = true
            try await pause(before: step.kind)
        }
        if holdsLock { try log.append(state, durable: step.recordsDurably) }
        progress.report(.stepStarted(step))
    }

    /// Recorded in memory; the next step's `enter` writes it. A crash in between leaves the
    /// step looking unfinished, which `recover` treats as not done: it restores instead of
    /// completing, which is always safe. One write per step instead of two.
    func finish(_ step: RollbackStep) throws(TimeturnerError) {
        state.stepsDone.append(step.kind.rawValue)
        state.doneCount += 1
        progress.report(.stepFinished(step))
    }

    /// Writes the state now (after recording a capture or the result commit mid-step), durably
    /// unless told otherwise: it is what a change about to be made is recorded by.
    func save(durable: Bool = true) throws(TimeturnerError) {
        if holdsLock { try log.append(state, durable: durable) }
    }

    private func pause(before kind: OperationStep) async throws(TimeturnerError) {
        let marker = directory.path + "/test-pause"
        // State first, marker second: a test acts as soon as it sees the marker.
        state.pausedBefore = kind.rawValue
        if holdsLock { try log.append(state, durable: true) } else { try LocalFile.makeDirectories(directory.path) }
        let descriptor = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor >= 0 { close(descriptor) }
        progress.report(.pausedForTest(kind, marker: marker))
        // Bounded: a forgotten marker must not hang a test run forever.
        for _ in 0..<6000 where access(marker, F_OK) == 0 { usleep(20_000) }
        state.pausedBefore = nil
    }
}
