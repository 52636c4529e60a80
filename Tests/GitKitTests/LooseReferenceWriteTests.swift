import GitKit
import Testing
import TestSupport

/// `setReference` writes the tool's own refs (`refs/timeturner/`, `refs/notes/`) itself instead
/// of through libgit2 (LooseReferenceWrite.swift). These check that the outcome is what
/// libgit2 and git would make of the same write: values, refusals, lock files, reflogs.
@Suite struct LooseReferenceWriteTests {
    /// Creating and updating next to packed refs: git reads the values written, and every
    /// refusal (exists, moved, gone, locked, a name conflict with a packed ref) changes nothing.
    @Test func compareAndSwapNextToPackedRefsAgreesWithGit() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(3)
        let (one, two, three) = (try #require(OID(hex: ids[0])), try #require(OID(hex: ids[1])), try #require(OID(hex: ids[2])))
        for name in ["refs/timeturner/points/packed", "refs/timeturner/points/dir/inside", "refs/timeturner/flat"] {
            try await scratch.git("update-ref", name, ids[0])
        }
        try await scratch.git("pack-refs", "--all")
        let repository = try Repository.open(path: scratch.path)
        func code(_ write: () throws -> Void) -> GitError.Code? {
            do { try write(); return nil } catch { return (error as? GitError)?.code ?? .other(0) }
        }

        try repository.setReference("refs/timeturner/points/new", to: two, expecting: nil, logMessage: "create")
        #expect(try await scratch.git("rev-parse", "refs/timeturner/points/new").trimmed == ids[1])
        #expect(code { try repository.setReference("refs/timeturner/points/new", to: one, expecting: nil, logMessage: "again") } == .exists)
        #expect(code { try repository.setReference("refs/timeturner/points/packed", to: one, expecting: nil, logMessage: "again") } == .exists)

        // A packed ref is updated by comparing with its packed line; a stale expectation is refused.
        #expect(code { try repository.setReference("refs/timeturner/points/packed", to: two, expecting: three, logMessage: "stale") } == .modified)
        try repository.setReference("refs/timeturner/points/packed", to: two, expecting: one, logMessage: "move")
        #expect(try await scratch.git("rev-parse", "refs/timeturner/points/packed").trimmed == ids[1])
        #expect(code { try repository.setReference("refs/timeturner/points/gone", to: two, expecting: one, logMessage: "gone") } == .notFound)

        // Name conflicts with packed refs, both ways, as libgit2 refuses them.
        #expect(code { try repository.setReference("refs/timeturner/points/dir", to: two, expecting: nil, logMessage: "d/f") } != nil)
        #expect(code { try repository.setReference("refs/timeturner/flat/below", to: two, expecting: nil, logMessage: "d/f") } != nil)

        // Another writer's lock is reported and left alone.
        let lock = scratch.path + "/.git/refs/timeturner/points/locked.lock"
        try writeFile(lock, [])
        #expect(code { try repository.setReference("refs/timeturner/points/locked", to: two, expecting: nil, logMessage: "locked") } == .locked)
        #expect(readFile(lock) != nil)

        let listed = try await scratch.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/timeturner/")
        #expect(listed.split(separator: "\n").map(String.init).sorted() == [
            "refs/timeturner/flat \(ids[0])", "refs/timeturner/points/dir/inside \(ids[0])",
            "refs/timeturner/points/new \(ids[1])", "refs/timeturner/points/packed \(ids[1])",
        ])
        #expect(try await scratch.git("fsck", "--no-dangling").trimmed.isEmpty)
    }

    /// The reflog lines written here are libgit2's, byte for byte but for the time: compared
    /// with the line libgit2 writes for a ref outside the tool's namespaces, in the same call
    /// pattern, with `core.logAllRefUpdates=always`. Without the setting, a notes ref is logged
    /// in a repository with a work tree and a point ref is not (libgit2's and git's default).
    @Test func reflogLinesAreTheOnesLibgit2Writes() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let (one, two) = (try #require(OID(hex: ids[0])), try #require(OID(hex: ids[1])))
        let repository = try Repository.open(path: scratch.path)
        try repository.setReference("refs/notes/timeturner", to: one, expecting: nil, logMessage: "notes: first")
        try repository.setReference("refs/notes/timeturner", to: two, expecting: one, logMessage: "notes: second\nline")
        try repository.setReference("refs/timeturner/points/p", to: one, expecting: nil, logMessage: "point")
        let notesLog = try #require(scratch.read(".git/logs/refs/notes/timeturner"))
        #expect(notesLog.split(separator: "\n").count == 2)
        #expect(scratch.read(".git/logs/refs/timeturner/points/p") == nil)
        #expect(try await scratch.git("reflog", "show", "--format=%gs", "refs/notes/timeturner").trimmed == "notes: second line\nnotes: first")

        try await scratch.git("config", "core.logAllRefUpdates", "always")
        let again = try Repository.open(path: scratch.path)
        for name in ["refs/timeturner/logged", "refs/other/logged"] {   // ours, then libgit2's
            try again.setReference(name, to: one, expecting: nil, logMessage: "made\nhere ")
            try again.setReference(name, to: two, expecting: one, logMessage: "moved")
        }
        let withoutTime = { (text: String) in
            text.split(separator: "\n").map { line in
                // "<old> <new> <name> <<email>> <seconds> <zone>\t<message>": drop the seconds.
                let parts = line.split(separator: ">", maxSplits: 1)
                return parts.count < 2 ? String(line) : parts[0] + ">" + parts[1].drop { $0 == " " }.drop(while: \.isNumber)
            }
        }
        let ours = try #require(scratch.read(".git/logs/refs/timeturner/logged"))
        let libgit2s = try #require(scratch.read(".git/logs/refs/other/logged"))
        #expect(withoutTime(ours) == withoutTime(libgit2s))
        #expect(withoutTime(ours).count == 2)
    }

    /// A bare repository logs nothing by default (libgit2's and git's rule).
    @Test func bareRepositoryWritesNoReflogByDefault() async throws {
        let scratch = try await ScratchRepository()
        let head = try #require(OID(hex: try await scratch.commit("one")))
        let bare = scratch.siblingDirectory("bare") + "/repo.git"
        try await scratch.git("clone", "-q", "--bare", scratch.path, bare)
        let repository = try Repository.open(path: bare)
        try repository.setReference("refs/notes/timeturner", to: head, expecting: nil, logMessage: "notes")
        #expect(readFile(bare + "/logs/refs/notes/timeturner") == nil)
        #expect(try await scratch.git("--git-dir=" + bare, "rev-parse", "refs/notes/timeturner").trimmed == head.hex)
    }
}
