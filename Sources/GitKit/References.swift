internal import CLibgit2
internal import Glibc

/// A reference and the object it points at, copied out of libgit2.
public struct Reference: Equatable, Sendable {
    public let name: String
    /// The object a direct reference points at; for a symbolic one, what it resolves to.
    public let target: OID
    /// For a symbolic reference (HEAD on a branch): the reference it points to.
    public let symbolicTarget: String?
}

extension Repository {
    /// Looks up a reference by full name without following symbolic links. Nil when it does not exist.
    public func reference(_ name: String) throws(GitError) -> Reference? {
        var pointer: OpaquePointer? = nil
        let result = git_reference_lookup(&pointer, handle, name)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("look up \(name)") { result }
        defer { git_reference_free(pointer) }
        return try makeReference(pointer!)
    }

    /// All references whose names match `glob` (`refs/timeturner/points/*`), in no particular order.
    public func references(matching glob: String) throws(GitError) -> [Reference] {
        var iterator: OpaquePointer? = nil
        try Libgit2.check("list references \(glob)") { git_reference_iterator_glob_new(&iterator, handle, glob) }
        defer { git_reference_iterator_free(iterator) }
        var out: [Reference] = []
        while true {
            var pointer: OpaquePointer? = nil
            let result = git_reference_next(&pointer, iterator)
            if result == GIT_ITEROVER.rawValue { git_error_clear(); break }
            try Libgit2.check("list references \(glob)") { result }
            defer { git_reference_free(pointer) }
            out.append(try makeReference(pointer!))
        }
        return out
    }

    /// Only the names of the references matching `glob`: no target is resolved, so listing
    /// thousands (for shell completion) costs a pass over the ref store and nothing more.
    public func referenceNames(matching glob: String) throws(GitError) -> [String] {
        var iterator: OpaquePointer? = nil
        try Libgit2.check("list references \(glob)") { git_reference_iterator_glob_new(&iterator, handle, glob) }
        defer { git_reference_iterator_free(iterator) }
        var out: [String] = []
        while true {
            var name: UnsafePointer<CChar>? = nil
            let result = git_reference_next_name(&name, iterator)
            if result == GIT_ITEROVER.rawValue { git_error_clear(); break }
            try Libgit2.check("list references \(glob)") { result }
            if let name { out.append(String(cString: name)) }
        }
        return out
    }

    /// The names of the references under `namespace` (`refs/timeturner/points/`) that continue
    /// with `prefix`, without the namespace, read from the files git keeps them in: `packed-refs`
    /// and the loose files below the namespace, in the common directory. For shell completion,
    /// which runs on every Tab press: libgit2's iterator turns every line of `packed-refs` into
    /// a reference object, where only a few names are wanted; here a name becomes a String only
    /// when it matches. Nil when the repository keeps its references some other way (a
    /// `refStorage` extension), so that the caller falls back to `referenceNames(matching:)`.
    public func referenceNamesInFiles(under namespace: String, startingWith prefix: String = "") -> [String]? {
        let common = commonDirectory.hasSuffix("/") ? String(commonDirectory.dropLast()) : commonDirectory
        if ((try? configString("extensions.refStorage")) ?? nil).map({ $0 != "files" }) == true { return nil }
        var names: [String] = []
        let skip = namespace.utf8.count
        let wanted = Array((namespace + prefix).utf8)
        _ = withFileBytes(common + "/packed-refs") { bytes in
            let lines = PackedRefsLines(bytes)
            for case .reference(_, let name) in lines where lines.has(name, prefix: wanted) {
                names.append(lines.string((name.lowerBound + skip)..<name.upperBound))
            }
        }
        // Loose refs: new since the last pack, or also packed (then listed once).
        var loose: [String] = []
        Repository.collectLooseNames(in: common + "/" + namespace, as: "", into: &loose)
        let packedCount = names.count
        for name in loose where name.hasPrefix(prefix) {
            if packedCount == 0 || !names[..<packedCount].contains(name) { names.append(name) }
        }
        return names
    }

    /// The names under `namespace` (without it) of the references that may point, through a
    /// tag, at `commit`: the packed ones whose peeled line says so, and every loose one (only
    /// reading its tag would tell). Read from the files as `referenceNamesInFiles` does, so that
    /// finding the points on one commit does not read every point's tag. A `packed-refs` written
    /// without the `fully-peeled` trait (git before 1.8.5) names every packed ref as a candidate.
    /// Nil when the repository keeps its references some other way.
    public func referenceNamesInFiles(under namespace: String, peelingTo commit: OID) -> [String]? {
        let common = commonDirectory.hasSuffix("/") ? String(commonDirectory.dropLast()) : commonDirectory
        if ((try? configString("extensions.refStorage")) ?? nil).map({ $0 != "files" }) == true { return nil }
        var names: [String] = []
        let skip = namespace.utf8.count
        let wanted = Array(namespace.utf8), hex = Array(commit.hex.utf8)
        _ = withFileBytes(common + "/packed-refs") { bytes in
            let lines = PackedRefsLines(bytes)
            var fullyPeeled = false
            var pending: (name: Range<Int>, target: Int)? = nil
            func settle(peeled: Int?) {
                guard let entry = pending else { return }
                pending = nil
                let object = peeled ?? entry.target
                if !fullyPeeled || memcmp(bytes.baseAddress! + object, hex, 40) == 0 { names.append(lines.string(entry.name)) }
            }
            for line in lines {
                switch line {
                case .header(let range):   // "# pack-refs with: peeled fully-peeled sorted"
                    fullyPeeled = lines.string(range).split(separator: " ").contains("fully-peeled")
                case .peeled(let object):  // "^<40 hex>": what the ref above peels to
                    settle(peeled: object)
                case .reference(let target, let name):
                    settle(peeled: nil)
                    if lines.has(name, prefix: wanted) { pending = ((name.lowerBound + skip)..<name.upperBound, target) }
                case .other:
                    settle(peeled: nil)
                }
            }
            settle(peeled: nil)
        }
        // Loose refs: new since the last pack, or also packed (a loose file wins over its packed line).
        var loose: [String] = []
        Repository.collectLooseNames(in: common + "/" + namespace, as: "", into: &loose)
        for name in loose where !names.contains(name) { names.append(name) }
        return names
    }

    private static func collectLooseNames(in directory: String, as prefix: String, into names: inout [String]) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." || name.hasSuffix(".lock") { continue }
            let path = directory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                collectLooseNames(in: path, as: prefix + name + "/", into: &names)
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                names.append(prefix + name)
            }
        }
    }


    private func makeReference(_ pointer: OpaquePointer) throws(GitError) -> Reference {
        let name = String(cString: git_reference_name(pointer))
        if git_reference_type(pointer) == GIT_REFERENCE_SYMBOLIC {
            let symbolic = String(cString: git_reference_symbolic_target(pointer))
            var resolved: OpaquePointer? = nil
            let result = git_reference_resolve(&resolved, pointer)
            if result < 0 {
                git_error_clear()
                return Reference(name: name, target: .zero, symbolicTarget: symbolic)
            }
            defer { git_reference_free(resolved) }
            return Reference(name: name, target: OID(git_reference_target(resolved).pointee), symbolicTarget: symbolic)
        }
        return Reference(name: name, target: OID(git_reference_target(pointer).pointee), symbolicTarget: nil)
    }

    /// Sets `name` to `target` only if it still holds `expected` (nil: only if it does not exist yet).
    ///
    /// This is the single way the tool changes a reference. libgit2 takes the ref's lock file,
    /// compares under the lock, and fails with `.modified` (value changed), `.exists` (created
    /// meanwhile) or `.locked` (another writer holds the lock) instead of overwriting.
    public func setReference(_ name: String, to target: OID, expecting expected: OID?,
                             logMessage: String) throws(GitError) {
        // The tool's own refs without libgit2's whole-packed-refs load (LooseReferenceWrite.swift).
        if try writeLooseReference(name, to: target, expecting: expected, logMessage: logMessage) { return }
        var pointer: OpaquePointer? = nil
        var targetRaw = target.raw
        if let expected {
            var expectedRaw = expected.raw
            try Libgit2.check("update \(name)") {
                git_reference_create_matching(&pointer, handle, name, &targetRaw, 1, &expectedRaw, logMessage)
            }
        } else {
            // "Must not exist yet" is a compare-and-swap too, against the all-zero id. libgit2
            // 1.5.1's plain create (force = 0) checks for an existing ref *before* taking the
            // ref's lock and then writes unconditionally: two creators can both pass the check
            // and the second silently overwrites the first (seen: notes lines lost under load).
            // Against the zero id, the comparison happens under the lock, and the loser gets
            // GIT_EMODIFIED, reported as `.exists` like the early check's GIT_EEXISTS.
            var absent = git_oid()
            do {
                try Libgit2.check("create \(name)") {
                    git_reference_create_matching(&pointer, handle, name, &targetRaw, 0, &absent, logMessage)
                }
            } catch where error.code == .modified {
                throw GitError(operation: "create \(name)", code: .exists, errorClass: error.errorClass,
                               message: "\(name) was created by another writer meanwhile")
            }
        }
        git_reference_free(pointer)
    }

    /// Deletes `name` only if it still points at `expected`. Throws `.notFound` when it is gone
    /// and `.modified` when it moved.
    public func deleteReference(_ name: String, expecting expected: OID) throws(GitError) {
        var pointer: OpaquePointer? = nil
        try Libgit2.check("look up \(name)") { git_reference_lookup(&pointer, handle, name) }
        defer { git_reference_free(pointer) }
        guard git_reference_type(pointer) == GIT_REFERENCE_DIRECT,
              OID(git_reference_target(pointer).pointee) == expected else {
            throw GitError(operation: "delete \(name)", code: .modified,
                           message: "\(name) changed since it was read")
        }
        // git_reference_delete passes the value it was looked up with to the ref database,
        // which compares it under the ref's lock: a concurrent update makes this fail, not vanish.
        try Libgit2.check("delete \(name)") { git_reference_delete(pointer) }
    }

    /// Whether `name` is a well-formed full reference name by git's rules (`git check-ref-format`).
    public static func isValidReferenceName(_ name: String) -> Bool {
        Libgit2.ensureInitialised()
        var valid: Int32 = 0
        guard git_reference_name_is_valid(&valid, name) == 0 else { git_error_clear(); return false }
        return valid == 1
    }
}
