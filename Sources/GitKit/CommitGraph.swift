internal import Glibc

/// git's commit-graph (`objects/info/commit-graph`, or the split chain under
/// `objects/info/commit-graphs/`), mapped read-only and read in place: a commit's parents and its
/// topological level without parsing the commit object.
///
/// Why not libgit2's reader: 1.5.1 checksums the whole file every time a walk opens it (about
/// 200M instructions at 100,000 commits), and `git_graph_descendant_of` opens it on every call.
/// git itself trusts the file without a checksum (only `git commit-graph verify` checks it); so
/// does this reader, but every offset and position read from it is bounds-checked, and anything
/// out of place throws `Corrupt`, after which the walk starts again from the commit objects.
///
/// The file cannot go stale: it describes commits, and a commit's parents never change. A
/// commit newer than the file is simply not in it, and the walk reads that commit's object.
final class CommitGraph {
    struct Corrupt: Error {}

    /// A commit's position: its index in the sorted ids of all layers, oldest layer first.
    typealias Position = UInt32

    /// One file of the graph, mapped.
    private struct Layer {
        let base: UnsafeRawPointer
        let size: Int
        let count: UInt32
        let fanout: Int, lookup: Int, data: Int
        let edges: Int?, edgesCount: Int
        /// Positions of this layer start after all commits of the layers below it.
        let first: UInt32
    }

    private let layers: [Layer]
    let count: UInt32

    private static let hashLength = 20
    private static let noParent: UInt32 = 0x7000_0000
    private static let extraEdges: UInt32 = 0x8000_0000
    /// Generation v1's cap: levels at the cap are not ordered among themselves.
    static let levelCap: UInt32 = 0x3FFF_FFFF

    private init(layers: [Layer]) {
        self.layers = layers
        count = layers.last.map { $0.first + $0.count } ?? 0
    }

    deinit {
        for layer in layers { munmap(UnsafeMutableRawPointer(mutating: layer.base), layer.size) }
    }

    /// The graph of `objectsDirectory`, or nil when there is none or it cannot be used (another
    /// hash, another version, a malformed header or chain). git reads the single file first and
    /// the chain only without it; so does this.
    static func load(objectsDirectory: String) -> CommitGraph? {
        let info = objectsDirectory.hasSuffix("/") ? objectsDirectory + "info/" : objectsDirectory + "/info/"
        if let single = map(info + "commit-graph") {
            guard let layer = parse(single, first: 0) else { munmap(UnsafeMutableRawPointer(mutating: single.base), single.size); return nil }
            return CommitGraph(layers: [layer])
        }
        guard let bytes = readWholeFile(info + "commit-graphs/commit-graph-chain") else { return nil }
        let chain = String(decoding: bytes, as: UTF8.self)
        var layers: [Layer] = []
        var first: UInt32 = 0
        for name in chain.split(separator: "\n") where !name.isEmpty {
            let mapped = map(info + "commit-graphs/graph-\(name).graph")
            guard let mapped, let layer = parse(mapped, first: first) else {
                if let mapped { munmap(UnsafeMutableRawPointer(mutating: mapped.base), mapped.size) }
                for layer in layers { munmap(UnsafeMutableRawPointer(mutating: layer.base), layer.size) }
                return nil
            }
            layers.append(layer)
            first = first &+ layer.count
        }
        return layers.isEmpty ? nil : CommitGraph(layers: layers)
    }

    // MARK: - Reading

    /// The position of `id`, or nil when the graph does not hold it.
    func position(of id: OID) -> Position? {
        id.withUnsafeBytes { key -> Position? in
            for layer in layers.reversed() {
                let byte = Int(key[0])
                let low = byte == 0 ? 0 : Int(Self.readUInt32(layer.base + layer.fanout + (byte - 1) * 4))
                var high = Int(Self.readUInt32(layer.base + layer.fanout + byte * 4))
                guard high <= Int(layer.count), low <= high else { return nil }
                var lowBound = low
                while lowBound < high {
                    let middle = (lowBound + high) / 2
                    let order = memcmp(layer.base + layer.lookup + middle * Self.hashLength, key.baseAddress!, Self.hashLength)
                    if order == 0 { return layer.first + UInt32(middle) }
                    if order < 0 { lowBound = middle + 1 } else { high = middle }
                }
            }
            return nil
        }
    }

    func id(at position: Position) throws(Corrupt) -> OID {
        let (layer, index) = try locate(position)
        let start = layer.base + layer.lookup + index * Self.hashLength
        return OID(rawBytes: UnsafeRawBufferPointer(start: start, count: Self.hashLength))
    }

    /// The topological level (generation number v1), or nil when it was not computed (a graph
    /// written by an old git stores 0) or is at the cap, where it orders nothing.
    func level(at position: Position) throws(Corrupt) -> UInt32? {
        let (layer, index) = try locate(position)
        let level = Self.readUInt32(layer.base + layer.data + index * (Self.hashLength + 16) + Self.hashLength + 8) >> 2
        return level == 0 || level >= Self.levelCap ? nil : level
    }

    /// The parents' positions, in order.
    func parents(at position: Position) throws(Corrupt) -> [Position] {
        let (layer, index) = try locate(position)
        let record = layer.base + layer.data + index * (Self.hashLength + 16) + Self.hashLength
        let first = Self.readUInt32(record), second = Self.readUInt32(record + 4)
        guard first != Self.noParent else { return [] }
        var parents = [try checked(first)]
        if second == Self.noParent { return parents }
        guard second & Self.extraEdges != 0 else { parents.append(try checked(second)); return parents }
        // An octopus: the second and later parents are a run in the EDGE chunk, the last flagged.
        guard let edges = layer.edges else { throw Corrupt() }
        var edge = Int(second & ~Self.extraEdges)
        while true {
            guard edge < layer.edgesCount, parents.count <= 100_000 else { throw Corrupt() }
            let value = Self.readUInt32(layer.base + edges + edge * 4)
            parents.append(try checked(value & ~Self.extraEdges))
            if value & Self.extraEdges != 0 { return parents }
            edge += 1
        }
    }

    private func checked(_ position: UInt32) throws(Corrupt) -> Position {
        guard position < count else { throw Corrupt() }
        return position
    }

    private func locate(_ position: Position) throws(Corrupt) -> (Layer, Int) {
        for layer in layers where position >= layer.first && position - layer.first < layer.count {
            return (layer, Int(position - layer.first))
        }
        throw Corrupt()
    }

    // MARK: - Opening

    private static func parse(_ mapped: (base: UnsafeRawPointer, size: Int), first: UInt32) -> Layer? {
        let (base, size) = mapped
        // Header: "CGPH", version 1, hash version 1 (SHA-1), chunk count, base-graph count.
        guard size >= 8 + 12, memcmp(base, "CGPH", 4) == 0, base.load(fromByteOffset: 4, as: UInt8.self) == 1,
              base.load(fromByteOffset: 5, as: UInt8.self) == 1 else { return nil }
        let chunkCount = Int(base.load(fromByteOffset: 6, as: UInt8.self))
        guard 8 + (chunkCount + 1) * 12 <= size else { return nil }
        var chunks: [UInt32: (offset: Int, length: Int)] = [:]
        for i in 0..<chunkCount {
            let entry = base + 8 + i * 12
            let id = readUInt32(entry)
            let offset = readUInt64(entry + 4), next = readUInt64(entry + 16)
            guard offset <= next, next <= UInt64(size) else { return nil }
            chunks[id] = (Int(offset), Int(next - offset))
        }
        func chunk(_ name: String) -> (offset: Int, length: Int)? {
            chunks[name.utf8.reduce(0) { $0 << 8 | UInt32($1) }]
        }
        guard let fanout = chunk("OIDF"), fanout.length == 256 * 4,
              let lookup = chunk("OIDL"), let data = chunk("CDAT") else { return nil }
        let count = readUInt32(base + fanout.offset + 255 * 4)
        guard lookup.length == Int(count) * hashLength, data.length == Int(count) * (hashLength + 16),
              UInt64(first) + UInt64(count) < UInt64(noParent) else { return nil }
        let edges = chunk("EDGE")
        return Layer(base: base, size: size, count: count, fanout: fanout.offset, lookup: lookup.offset, data: data.offset,
                     edges: edges?.offset, edgesCount: (edges?.length ?? 0) / 4, first: first)
    }

    private static func map(_ path: String) -> (base: UnsafeRawPointer, size: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else { return nil }
        return (UnsafeRawPointer(pointer), size)
    }

    private static func readUInt32(_ pointer: UnsafeRawPointer) -> UInt32 {
        UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self))
    }

    private static func readUInt64(_ pointer: UnsafeRawPointer) -> UInt64 {
        UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
    }
}
