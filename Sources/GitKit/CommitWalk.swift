internal import CLibgit2

/// One commit as a walk sees it: its parents and, when the commit-graph holds it, its
/// topological level. Levels are what lets a walk stop early without trusting commit dates: a
/// commit's ancestors all have lower levels, so once every commit left to visit is at or below
/// a commit's level, none of them can lead to it.
struct WalkCommit {
    let parents: [OID]
    let inGraph: Bool
    /// nil when the commit is not in the graph, or the graph has no usable level for it.
    let level: UInt32?
}

/// Why a walk stopped short. A corrupt commit-graph is not the user's error: the public
/// entry points start the walk again from the commit objects alone.
enum WalkFailure: Error {
    case git(GitError)
    case corruptGraph
}

/// Reads commits for a walk: from the commit-graph when it holds them, from the object database
/// otherwise. Objects are read raw and only the `parent` lines are parsed.
final class CommitReader {
    private let graph: CommitGraph?
    private let odb: OpaquePointer
    /// Commits a shallow clone has without their parents (`shallow`): walked as roots.
    private let shallow: Set<OID>

    init(_ repository: Repository, useGraph: Bool) throws(GitError) {
        var odb: OpaquePointer? = nil
        try Libgit2.check("open the object database") { git_repository_odb(&odb, repository.handle) }
        self.odb = odb!
        shallow = repository.isShallow ? repository.shallowCommits() : []
        // git ignores the commit-graph in a shallow clone and when core.commitGraph is false.
        graph = useGraph && shallow.isEmpty && repository.commitGraphEnabled
            ? CommitGraph.load(objectsDirectory: repository.commonDirectory + "objects") : nil
    }

    deinit { git_odb_free(odb) }

    func read(_ id: OID) throws(WalkFailure) -> WalkCommit {
        if let graph, let position = graph.position(of: id) {
            do {
                return WalkCommit(parents: try graph.parents(at: position).map { (p) throws(CommitGraph.Corrupt) in try graph.id(at: p) },
                                  inGraph: true, level: try graph.level(at: position))
            } catch { throw .corruptGraph }
        }
        if shallow.contains(id) { return WalkCommit(parents: [], inGraph: false, level: nil) }
        return WalkCommit(parents: try objectParents(id), inGraph: false, level: nil)
    }

    private func objectParents(_ id: OID) throws(WalkFailure) -> [OID] {
        var object: OpaquePointer? = nil
        var raw = id.raw
        do {
            try Libgit2.check("look up commit \(id.hex)") { git_odb_read(&object, odb, &raw) }
        } catch { throw .git(error) }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_COMMIT else {
            throw .git(GitError(operation: "look up commit \(id.hex)", code: .notFound, message: "the object is not a commit"))
        }
        let bytes = UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object))
        guard let parents = Self.parseParents(bytes) else {
            throw .git(GitError(operation: "read commit \(id.hex)", code: .other(-1), message: "malformed commit header"))
        }
        return parents
    }

    /// The ids on the `parent` lines that follow the `tree` line, as git writes them.
    static func parseParents(_ bytes: UnsafeRawBufferPointer) -> [OID]? {
        let treeLine = 5 + 40 + 1, parentLine = 7 + 40 + 1
        guard bytes.count >= treeLine, bytes.starts(with: "tree ".utf8) else { return nil }
        var parents: [OID] = []
        var offset = treeLine
        while offset + parentLine <= bytes.count, bytes[offset..<offset + 7].elementsEqual("parent ".utf8) {
            guard bytes[offset + parentLine - 1] == UInt8(ascii: "\n"),
                  let parent = OID(hexBytes: UnsafeRawBufferPointer(rebasing: bytes[offset + 7..<offset + 47])) else { return nil }
            parents.append(parent)
            offset += parentLine
        }
        return parents
    }
}

/// The commits a walk has yet to visit, in the order that makes levels useful: commits without
/// a level first, first come first served (breadth first: no date decides anything), then
/// commits with a level, highest first.
struct WalkQueue {
    struct Entry {
        let id: OID
        let commit: WalkCommit
        let sequence: Int
    }
    private var heap: [Entry] = []
    private var sequence = 0
    /// How many queued commits are not in the graph: only those can lead to a commit outside it.
    private(set) var outsideGraph = 0
    /// How many queued commits have no level (outside the graph or without a usable level).
    private(set) var unleveled = 0

    var isEmpty: Bool { heap.isEmpty }
    /// The highest level queued, when every queued commit has one.
    var topLevel: UInt32? { unleveled == 0 ? heap.first?.commit.level : nil }

    mutating func push(_ id: OID, _ commit: WalkCommit) {
        heap.append(Entry(id: id, commit: commit, sequence: sequence))
        sequence += 1
        if !commit.inGraph { outsideGraph += 1 }
        if commit.level == nil { unleveled += 1 }
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count && Self.precedes(heap[left], heap[first]) { first = left }
            if right < heap.count && Self.precedes(heap[right], heap[first]) { first = right }
            guard first != parent else { break }
            heap.swapAt(first, parent)
            parent = first
        }
        if !top.commit.inGraph { outsideGraph -= 1 }
        if top.commit.level == nil { unleveled -= 1 }
        return top
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        switch (a.commit.level, b.commit.level) {
        case (nil, nil): return a.sequence < b.sequence
        case (nil, _): return true
        case (_, nil): return false
        case let (x?, y?): return x != y ? x > y : a.sequence < b.sequence
        }
    }
}

/// Whether commits are ancestors of one commit, for many commits in a row, answered by one walk
/// from that commit that goes only as deep as the questions need and never repeats itself.
///
/// With a commit-graph the walk stops at the level of the commit asked about, like git's
/// `merge-base --is-ancestor`; a commit outside the graph cannot be an ancestor of one inside
/// it (the graph holds every ancestor of its commits), so only the commits newer than the graph
/// are walked for it. Without a graph it walks breadth first until it meets the commit, and to
/// answer "no" it must visit every ancestor: commit dates could bound that, but clock skew
/// makes date-bounded answers wrong, and a wrong "not an ancestor" picks the wrong good commit.
public final class AncestorSet {
    private let head: OID
    private let repository: Repository
    private var reader: CommitReader
    private var seen: Set<OID> = []
    private var queue = WalkQueue()

    public init(of head: OID, in repository: Repository) throws(GitError) {
        self.head = head
        self.repository = repository
        reader = try CommitReader(repository, useGraph: true)
        try start()
    }

    private func start() throws(GitError) {
        seen = [head]
        queue = WalkQueue()
        do { queue.push(head, try reader.read(head)) } catch {
            guard case .git(let failure) = error else { return try restartWithoutGraph() }
            throw failure
        }
    }

    private func restartWithoutGraph() throws(GitError) {
        reader = try CommitReader(repository, useGraph: false)
        try start()
    }

    /// Whether `id` is `head` or one of its ancestors. Throws when a commit cannot be read.
    public func contains(_ id: OID) throws(GitError) -> Bool {
        do { return try walk(toward: id) } catch {
            guard case .git(let failure) = error else {
                try restartWithoutGraph()
                return try contains(id)
            }
            throw failure
        }
    }

    private func walk(toward id: OID) throws(WalkFailure) -> Bool {
        if seen.contains(id) { return true }
        let wanted = try reader.read(id)
        while !isSettled(wanted), let next = queue.pop() {
            var found = false
            for parent in next.commit.parents where seen.insert(parent).inserted {
                queue.push(parent, try reader.read(parent))
                found = found || parent == id
            }
            if found { return true }
        }
        return false
    }

    /// True when nothing left in the queue can lead to `wanted`.
    private func isSettled(_ wanted: WalkCommit) -> Bool {
        if !wanted.inGraph { return queue.outsideGraph == 0 }
        guard let level = wanted.level, let top = queue.topLevel else { return queue.isEmpty }
        return top <= level
    }
}

/// `git rev-list target..head` and `git merge-base --is-ancestor target head` in one walk,
/// exact whatever the commit dates say.
///
/// Both ends are walked together (commits reachable from `head` flagged 1, from `target` 2; a
/// commit reached from `target` passes 2 on to everything already walked below it). The walk
/// may stop once every queued commit is reachable from `target` and no commit flagged 1 alone
/// could still turn out to be reachable from `target` through a queued one. A flag-1 commit is
/// safe when it descends from `target` (no ancestor of `target` can reach it: that would be a
/// cycle), or when the levels show no queued commit can reach it. Dates are never consulted:
/// git's own walk stops a few commits after the dates say it may, which clock skew defeats.
///
/// So the walk is bounded by the commits between the two when they all descend from `target`
/// (a linear history, merges of branches made after it), or, with a commit-graph, by the levels
/// between the two. Without a graph, a merged branch that forked below `target` keeps the walk
/// going to the roots, as it must to be sure.
struct RangeWalk {
    private struct Node {
        var flags: UInt8
        var queued: Bool
        var parents: [OID]?
        let inGraph: Bool
        let level: UInt32?
    }
    private static let fromHead: UInt8 = 1, fromTarget: UInt8 = 2

    private let reader: CommitReader
    private let head: OID, target: OID
    private var nodes: [OID: Node] = [:]
    private var queue = WalkQueue()
    private var queuedFromHeadOnly = 0
    /// Flag-1 commits in the order the walk reached them.
    private var walked: [OID] = []

    init(reader: CommitReader, head: OID, target: OID) {
        self.reader = reader
        self.head = head
        self.target = target
    }

    mutating func run() throws(WalkFailure) -> Ancestry {
        if head == target { return Ancestry(commits: [], targetIsAncestor: true) }
        try enqueue(head, flags: Self.fromHead)
        try enqueue(target, flags: Self.fromTarget)
        var blockers: Blockers? = nil
        var popsSinceRefresh = 0
        while !queue.isEmpty {
            if queuedFromHeadOnly == 0 {
                // From here on no commit flagged 1 alone joins, so the blockers only shrink.
                if blockers == nil || popsSinceRefresh >= max(64, blockers!.ids.count) {
                    blockers = blockers?.refreshed(nodes) ?? findBlockers()
                    popsSinceRefresh = 0
                }
                if !blockers!.block(queue) { break }
                popsSinceRefresh += 1
            }
            try expand(queue.pop()!.id)
        }
        let range = walked.filter { nodes[$0]!.flags == Self.fromHead }
        return Ancestry(commits: topologicalOrder(range),
                        targetIsAncestor: nodes[target]!.flags & Self.fromHead != 0)
    }

    private mutating func enqueue(_ id: OID, flags: UInt8) throws(WalkFailure) {
        let commit = try reader.read(id)
        nodes[id] = Node(flags: flags, queued: true, parents: commit.parents, inGraph: commit.inGraph, level: commit.level)
        if flags == Self.fromHead { queuedFromHeadOnly += 1 }
        queue.push(id, commit)
    }

    private mutating func expand(_ id: OID) throws(WalkFailure) {
        nodes[id]!.queued = false
        let mine = nodes[id]!.flags
        if mine == Self.fromHead { queuedFromHeadOnly -= 1; walked.append(id) }
        for parent in nodes[id]!.parents ?? [] {
            guard let existing = nodes[parent] else { try enqueue(parent, flags: mine); continue }
            if mine & Self.fromTarget != 0 && existing.flags & Self.fromTarget == 0 { paintFromTarget(parent) }
            nodes[parent]!.flags |= mine
        }
    }

    /// Flags `id` and everything walked below it as reachable from `target`.
    private mutating func paintFromTarget(_ id: OID) {
        var stack = [id]
        while let next = stack.popLast() {
            guard let node = nodes[next], node.flags & Self.fromTarget == 0 else { continue }
            nodes[next]!.flags |= Self.fromTarget
            if node.queued {
                if node.flags == Self.fromHead { queuedFromHeadOnly -= 1 }
            } else {
                stack.append(contentsOf: node.parents ?? [])
            }
        }
    }

    /// Flag-1 commits that do not descend from `target`: a queued commit might still reach them.
    private struct Blockers {
        var ids: [OID]
        var outsideGraph = false, unleveled = false
        var lowestLevel: UInt32 = .max

        init(_ ids: [OID], _ nodes: [OID: Node]) {
            self.ids = ids
            for id in ids {
                let node = nodes[id]!
                if !node.inGraph { outsideGraph = true } else if let level = node.level { lowestLevel = min(lowestLevel, level) } else { unleveled = true }
            }
        }

        func refreshed(_ nodes: [OID: Node]) -> Blockers {
            Blockers(ids.filter { nodes[$0]!.flags == RangeWalk.fromHead }, nodes)
        }

        /// Whether some queued commit could reach one of them.
        func block(_ queue: WalkQueue) -> Bool {
            if ids.isEmpty || queue.isEmpty { return false }
            if queue.outsideGraph > 0 || unleveled { return true }
            if outsideGraph { return false }   // graph commits cannot reach commits outside it
            guard let top = queue.topLevel else { return true }
            return top > lowestLevel
        }
    }

    private func findBlockers() -> Blockers {
        var descends: [OID: Bool] = [target: true]
        func descendsFromTarget(_ start: OID) -> Bool {
            // Iterative depth-first search over walked commits, memoised.
            var stack: [(OID, Int)] = [(start, 0)]
            while let (id, index) = stack.last {
                if descends[id] != nil { stack.removeLast(); continue }
                let node = nodes[id]!
                let parents = node.queued ? [] : node.parents ?? []
                if index < parents.count {
                    stack[stack.count - 1].1 = index + 1
                    let parent = parents[index]
                    if descends[parent] == true { descends[id] = true; stack.removeLast(); continue }
                    if descends[parent] == nil, nodes[parent] != nil { stack.append((parent, 0)) }
                } else {
                    descends[id] = parents.contains { descends[$0] == true }
                    stack.removeLast()
                }
            }
            return descends[start]!
        }
        let ids = walked.filter { nodes[$0]!.flags == Self.fromHead && !descendsFromTarget($0) }
        return Blockers(ids, nodes)
    }

    /// Children before parents, otherwise in the order walked (newest first in a linear history).
    private func topologicalOrder(_ range: [OID]) -> [OID] {
        let members = Set(range)
        var children: [OID: Int] = [:]
        for id in range { for parent in nodes[id]!.parents ?? [] where members.contains(parent) { children[parent, default: 0] += 1 } }
        var ready = range.filter { children[$0] == nil }.reversed() as [OID]
        let rank = Dictionary(uniqueKeysWithValues: range.enumerated().map { ($1, $0) })
        var order: [OID] = []
        while let id = ready.popLast() {
            order.append(id)
            var freed: [OID] = []
            for parent in nodes[id]!.parents ?? [] where members.contains(parent) {
                children[parent]! -= 1
                if children[parent] == 0 { freed.append(parent) }
            }
            ready.append(contentsOf: freed)
            ready.sort { rank[$0]! > rank[$1]! }
        }
        return order
    }
}

extension Repository {
    /// Commits a shallow clone holds without their parents (the `shallow` file).
    func shallowCommits() -> Set<OID> {
        guard let bytes = readWholeFile(commonDirectory + "shallow") else { return [] }
        return Set(bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in line.withUnsafeBytes { OID(hexBytes: $0) } })
    }

    /// `core.commitGraph` (default true): git reads no commit-graph when it is false.
    var commitGraphEnabled: Bool {
        guard let config = try? configurationSnapshot() else { git_error_clear(); return true }
        var value: Int32 = 1
        if git_config_get_bool(&value, config, "core.commitgraph") < 0 { git_error_clear(); return true }
        return value != 0
    }
}
