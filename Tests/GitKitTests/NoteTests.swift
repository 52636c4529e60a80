import Dispatch
import GitKit
import Testing
import TestSupport

@Suite struct NoteTests {
    @Test func appendKeepsExistingTextAndReadsBackWithGit() async throws {
        let scratch = try await ScratchRepository()
        let head = try await scratch.commit("one")
        try await scratch.git("notes", "--ref=timeturner", "add", "-m", "{\"type\":\"written-by-git\"}", head)
        let repository = try Repository.open(path: scratch.path)
        let signature = Signature(name: "T", email: "t@example.com", time: 1_795_000_000)
        try repository.appendToNote(on: OID(hex: head)!, notesRef: "refs/notes/timeturner",
                                    text: "{\"type\":\"second\"}\n", signature: signature)
        let shown = try await scratch.git("notes", "--ref=timeturner", "show", head)
        #expect(shown == "{\"type\":\"written-by-git\"}\n{\"type\":\"second\"}\n")
    }

    /// The failure the design warns about: git_note_create loses concurrent writes. Eight
    /// threads, each with its own repository handle, append to eight different commits at once.
    @Test func concurrentAppendsFromSeparateHandlesAreAllKept() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(8)
        let path = scratch.path
        let failures = FailureCounter()
        DispatchQueue.concurrentPerform(iterations: ids.count) { index in
            do {
                let repository = try Repository.open(path: path)
                let signature = Signature(name: "T", email: "t@example.com", time: 1_795_000_000)
                for round in 0..<5 {
                    try repository.appendToNote(on: OID(hex: ids[index])!, notesRef: "refs/notes/timeturner",
                                                text: "{\"round\":\(round)}\n", signature: signature)
                }
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.messages.isEmpty)
        for id in ids {
            let note = try await scratch.git("notes", "--ref=timeturner", "show", id)
            #expect(note.lines.count == 5, "note on \(id) has \(note.lines.count) lines")
        }
        #expect(try await scratch.gitResult(["fsck", "--no-progress"]).status == 0)
    }
}

final class FailureCounter: @unchecked Sendable {
    private let lock = DispatchQueue(label: "failures")
    private var stored: [String] = []
    func add(_ message: String) { lock.sync { stored.append(message) } }
    var messages: [String] { lock.sync { stored } }
}
