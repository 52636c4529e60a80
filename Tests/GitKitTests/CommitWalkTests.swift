@testable import GitKit
import Testing
import TestSupport

/// The ancestry walks (`AncestorSet`, `Repository.ancestry`) against the truth: a generated
/// history with merges, octopus merges, several roots and commit dates in random order (the
/// worst clock skew there is), with and without git's commit-graph in each of its forms. The
/// truth is computed from the parents the generator chose, not from any walk under test, and
/// the history git imported is checked against them first.
@Suite struct CommitWalkTests {
    /// A deterministic random history: commit i's parents are earlier commits.
    struct History {
        var parents: [[Int]] = []
        var ids: [OID] = []

        init(count: Int, seed: UInt64) {
            var state = seed
            func next(_ bound: Int) -> Int {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((state >> 33) % UInt64(bound))
            }
            for i in 0..<count {
                if i == 0 || next(20) == 0 { parents.append([]); continue }
                let window = min(i, 8)
                var chosen = [i - 1 - next(window)]
                let extra = next(6) == 0 ? 1 + next(2) : 0   // merges, sometimes octopus
                for _ in 0..<extra where i > 2 {
                    let candidate = next(i)
                    if !chosen.contains(candidate) { chosen.append(candidate) }
                }
                parents.append(chosen)
            }
        }

        /// Every commit reachable from `i`, itself included.
        func ancestors(of i: Int) -> Set<Int> {
            var seen: Set<Int> = [i], stack = [i]
            while let next = stack.popLast() { for p in parents[next] where seen.insert(p).inserted { stack.append(p) } }
            return seen
        }

        /// A fast-import stream: commit i is dated at a random second, so dates say nothing.
        func stream(from first: Int, to end: Int) -> String {
            var out = ""
            for i in first..<end {
                let date = 1_600_000_000 + (i * 7_919 % 1_000) * 3_600
                out += "commit refs/heads/c\(i)\nmark :\(i + 1)\ncommitter A U Thor <a@example.com> \(date) +0000\ndata \("c\(i)\n".utf8.count)\nc\(i)\n"
                for (n, p) in parents[i].enumerated() { out += (n == 0 ? "from" : "merge") + " :\(p + 1)\n" }
                out += "\n"
            }
            return out
        }
    }

    enum Graph: CaseIterable { case none, single, split, partial, disabled, corrupt }

    func makeRepository(_ history: inout History, graph: Graph) async throws -> (ScratchRepository, Repository) {
        let scratch = try await ScratchRepository()
        let marks = scratch.siblingDirectory("marks") + "/marks"
        let half = history.parents.count / 2
        try await scratch.git("fast-import", "--quiet", "--export-marks=\(marks)", input: history.stream(from: 0, to: half))
        if graph == .split || graph == .partial { try await scratch.git("commit-graph", "write", "--reachable", "--split") }
        try await scratch.git("fast-import", "--quiet", "--import-marks=\(marks)", "--export-marks=\(marks)",
                              input: history.stream(from: half, to: history.parents.count))
        switch graph {
        case .none, .partial: break
        case .single, .disabled, .corrupt: try await scratch.git("commit-graph", "write", "--reachable")
        case .split: try await scratch.git("commit-graph", "write", "--reachable", "--split=no-merge")
        }
        if graph == .disabled { try await scratch.git("config", "core.commitGraph", "false") }
        let byMark = Dictionary(uniqueKeysWithValues: try #require(readFile(marks)).split(separator: UInt8(ascii: "\n")).map { line in
            let fields = line.split(separator: UInt8(ascii: " "))
            return (Int(String(decoding: fields[0].dropFirst(), as: UTF8.self))!, OID(hex: String(decoding: fields[1], as: UTF8.self))!)
        })
        history.ids = (0..<history.parents.count).map { byMark[$0 + 1]! }
        // What git imported is the history generated.
        let listed = try await scratch.git("rev-list", "--all", "--parents").split(separator: "\n")
        let index = Dictionary(uniqueKeysWithValues: history.ids.enumerated().map { ($1.hex, $0) })
        #expect(listed.count == history.ids.count)
        for line in listed {
            let fields = line.split(separator: " ").map { index[String($0)]! }
            #expect(Array(fields.dropFirst()) == history.parents[fields[0]])
        }
        // git itself cannot read the history once the graph is corrupt, so only now.
        if graph == .corrupt { try corruptParents(scratch.path + "/.git/objects/info/commit-graph") }
        return (scratch, try Repository.open(path: scratch.path))
    }

    /// Overwrites every commit's parent fields with 0xFF: octopus edges into a missing chunk.
    func corruptParents(_ path: String) throws {
        var bytes = try #require(readFile(path))
        let chunks = Int(bytes[6])
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        let entry = try #require((0..<chunks).first { String(decoding: bytes[(8 + $0 * 12)..<(12 + $0 * 12)], as: UTF8.self) == "CDAT" })
        let (start, end) = (u64(8 + entry * 12 + 4), u64(8 + (entry + 1) * 12 + 4))
        for record in stride(from: start, to: end, by: 36) { for i in 20..<28 { bytes[record + i] = 0xFF } }
        try writeFile(path, bytes, mode: 0o644)
    }

    @Test(arguments: Graph.allCases)
    func ancestorSetAnswersLikeTheHistory(_ graph: Graph) async throws {
        var history = History(count: 70, seed: 14)
        let (scratch, repository) = try await makeRepository(&history, graph: graph)
        _ = scratch
        if graph == .single || graph == .split {
            #expect(CommitGraph.load(objectsDirectory: repository.commonDirectory + "objects") != nil)
        }
        for head in 0..<history.ids.count {
            let truth = history.ancestors(of: head)
            // One set per head, asked about every commit in a scrambled order: the walk resumes.
            let set = try AncestorSet(of: history.ids[head], in: repository)
            for offset in 0..<history.ids.count {
                let candidate = (offset * 31 + head) % history.ids.count
                #expect(try set.contains(history.ids[candidate]) == truth.contains(candidate), "\(candidate) of \(head), \(graph)")
            }
        }
    }

    @Test(arguments: Graph.allCases)
    func ancestryIsRevListAndMergeBase(_ graph: Graph) async throws {
        var history = History(count: 40, seed: 7)
        let (scratch, repository) = try await makeRepository(&history, graph: graph)
        _ = scratch
        for head in 0..<history.ids.count {
            let reachable = history.ancestors(of: head)
            for target in stride(from: head % 3, to: history.ids.count, by: 3) {
                let walk = try repository.ancestry(from: history.ids[head], to: history.ids[target])
                let expected = reachable.subtracting(history.ancestors(of: target))
                #expect(Set(walk.commits) == Set(expected.map { history.ids[$0] }), "\(target)..\(head), \(graph)")
                #expect(walk.commits.count == expected.count)
                #expect(walk.targetIsAncestor == reachable.contains(target))
                // Children before their parents, as a revert must undo them.
                let position = Dictionary(uniqueKeysWithValues: walk.commits.enumerated().map { ($1, $0) })
                for (i, id) in walk.commits.enumerated() {
                    let index = history.ids.firstIndex(of: id)!
                    for parent in history.parents[index] { if let p = position[history.ids[parent]] { #expect(p > i) } }
                }
            }
        }
    }

    @Test func aMarkOnANewerCommitIsFoundDespiteSkewedDates() async throws {
        // The newest commits are dated before their ancestors: a walk that trusts dates meets
        // HEAD last. Checked against git itself.
        let scratch = try await ScratchRepository()
        var stream = ""
        for i in 0..<30 {
            let date = i < 20 ? 1_600_000_000 + i * 60 : 1_500_000_000 - i * 60
            stream += "commit refs/heads/main\ncommitter A <a@example.com> \(date) +0000\ndata 3\nc\(i % 10)\n\n"
        }
        try await scratch.git("fast-import", "--quiet", input: stream)
        let ids = try await scratch.git("rev-list", "--reverse", "main").split(separator: "\n").map { OID(hex: String($0))! }
        let repository = try Repository.open(path: scratch.path)
        for withGraph in [false, true] {
            if withGraph { try await scratch.git("commit-graph", "write", "--reachable") }
            let set = try AncestorSet(of: ids[25], in: repository)
            #expect(try set.contains(ids[22]) && set.contains(ids[3]) && !set.contains(ids[27]))
            let range = try repository.ancestry(from: ids[29], to: ids[21])
            #expect(range.targetIsAncestor && range.commits == Array(ids[22...29].reversed()))
            let gitRange = try await scratch.git("rev-list", "\(ids[21].hex)..\(ids[29].hex)").split(separator: "\n").map(String.init)
            #expect(range.commits.map(\.hex) == gitRange)
        }
    }

    @Test func aShallowCloneWalksItsBoundaryAsRoots() async throws {
        let origin = try await ScratchRepository()
        let ids = try await origin.commits(6)
        let clone = origin.siblingDirectory("shallow") + "/clone"
        try await origin.git("clone", "-q", "--depth", "3", "file://" + origin.path, clone)
        let repository = try Repository.open(path: clone)
        #expect(repository.isShallow)
        let head = try #require(OID(hex: ids[5])), boundary = try #require(OID(hex: ids[3]))
        #expect(try repository.isAncestor(boundary, of: head))
        #expect(try !AncestorSet(of: boundary, in: repository).contains(head))
        let range = try repository.ancestry(from: head, to: boundary)
        #expect(range.targetIsAncestor && range.commits.map(\.hex) == [ids[5], ids[4]])
    }
}
