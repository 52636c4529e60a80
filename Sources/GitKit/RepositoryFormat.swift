internal import CLibgit2
internal import Glibc

/// A repository format or extension that libgit2 1.5.1 cannot work with.
///
/// libgit2 itself says only "unsupported extension name extensions.objectformat" when it
/// refuses to open such a repository, and a split index passes the open and fails later, halfway
/// through a command, as "unsupported mandatory extension: 'link'". These are found up front by
/// reading the repository's config and the index header directly, so that the user gets one
/// error naming the feature before anything is read through libgit2 or written.
public enum UnsupportedRepositoryFeature: Sendable, Equatable {
    /// `core.repositoryformatversion` above 1 (1.5.1 knows 0 and 1).
    case formatVersion(Int)
    /// `extensions.objectformat` (`sha256`): libgit2 1.5.1 reads only SHA-1 repositories.
    case objectFormat(String)
    /// Any other `extensions.<name>` in a version-1 repository (1.5.1 accepts only `noop`).
    case configExtension(name: String, value: String)
    /// The index has a `link` extension (`git update-index --split-index`, `core.splitIndex`).
    case splitIndex(index: String)
    /// The index has an `sdir` extension (a sparse index, `index.sparse`).
    case sparseIndex(index: String)
    /// Another mandatory (lower-case) index extension.
    case indexExtension(signature: String, index: String)
    /// An index file version other than 2, 3 and 4.
    case indexVersion(Int, index: String)
}

/// Where a repository is, found without opening it (so without libgit2's ownership and format
/// checks), for explaining why opening it failed.
public struct LocatedRepository: Sendable, Equatable {
    /// The git directory (no trailing slash).
    public let gitDirectory: String
    /// The directory with the objects, refs and the shared config.
    public let commonDirectory: String
    /// The path libgit2 1.5.1 (and git) look up in `safe.directory`: the work tree, or the git
    /// directory of a bare repository.
    public let ownershipPath: String
    /// The git dir or `ownershipPath` belongs to another user than the one running.
    public let ownedByAnotherUser: Bool
}

extension Repository {
    /// Finds the repository that `open(path:)` would open, like libgit2 does, without opening it.
    public static func locate(path: String? = nil) -> LocatedRepository? {
        Libgit2.ensureInitialised()
        let explicit = path == nil ? RepositoryEnvironment.variable("GIT_DIR").map(RepositoryEnvironment.absolute) : nil
        var gitDirectory: String
        if let explicit {
            gitDirectory = FileBytes.gitFileTarget(explicit) ?? explicit
        } else {
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            let across = path == nil && ["1", "true", "yes", "on"].contains(RepositoryEnvironment.variable("GIT_DISCOVERY_ACROSS_FILESYSTEM")?.lowercased() ?? "")
            let ceiling = path == nil ? RepositoryEnvironment.variable("GIT_CEILING_DIRECTORIES") : nil
            guard git_repository_discover(&buffer, path ?? ".", across ? 1 : 0, ceiling) == 0, let found = buffer.ptr else {
                git_error_clear()
                return nil
            }
            gitDirectory = String(cString: found)
        }
        guard let resolved = FileBytes.realPath(gitDirectory), FileBytes.exists(resolved + "/HEAD") else { return nil }
        gitDirectory = resolved
        let commonDirectory = FileBytes.commonDirectory(of: gitDirectory)
        let config = OnDiskConfig(path: commonDirectory + "/config")

        let ownershipPath: String
        if let worktreeLink = FileBytes.firstLine(gitDirectory + "/gitdir"), commonDirectory != gitDirectory {
            ownershipPath = FileBytes.parent(of: worktreeLink)  // a linked worktree: where its .git file is
        } else if config.bool("core.bare") == true {
            ownershipPath = gitDirectory
        } else if let configured = config.string("core.worktree") {
            ownershipPath = FileBytes.realPath(configured.hasPrefix("/") ? configured : gitDirectory + "/" + configured) ?? configured
        } else if explicit != nil {
            ownershipPath = FileBytes.parent(of: gitDirectory)  // what 1.5.1's FROM_ENV takes as the work tree
        } else {
            // The first directory upward from where discovery started that has a .git entry;
            // none when discovery started inside the git directory itself.
            var directory = FileBytes.realPath(path ?? ".") ?? gitDirectory
            var holder: String? = nil
            while true {
                if FileBytes.exists(directory + "/.git") { holder = directory; break }
                if directory == "/" || directory.isEmpty { break }
                directory = FileBytes.parent(of: directory)
            }
            ownershipPath = holder ?? FileBytes.parent(of: gitDirectory)
        }
        let me = geteuid()
        let foreign = [ownershipPath, gitDirectory].contains { FileBytes.owner($0).map { $0 != me } ?? false }
        return LocatedRepository(gitDirectory: gitDirectory, commonDirectory: commonDirectory,
                                 ownershipPath: ownershipPath, ownedByAnotherUser: foreign)
    }

    /// The first feature of the repository's config that libgit2 1.5.1 refuses, read from the
    /// config file itself (libgit2 cannot open the repository to ask it).
    public static func unsupportedFormat(of located: LocatedRepository) -> UnsupportedRepositoryFeature? {
        let config = OnDiskConfig(path: located.commonDirectory + "/config")
        let version = config.int("core.repositoryformatversion") ?? 0
        if version > 1 { return .formatVersion(version) }
        // Like git and libgit2, extensions mean something only in a version-1 repository.
        guard version == 1 else { return nil }
        for (name, value) in config.entries(withPrefix: "extensions.") {
            let key = String(name.dropFirst("extensions.".count))
            switch key {
            case "noop": continue
            case "objectformat": return .objectFormat(value)
            default: return .configExtension(name: name, value: value)
            }
        }
        return nil
    }

    /// The index file this handle reads: `GIT_INDEX_FILE` when opened from the environment,
    /// else `index` in the git directory; nil for a bare repository.
    public var indexPath: String? {
        guard !isBare else { return nil }
        if location.path == nil, let fromEnvironment = RepositoryEnvironment.variable("GIT_INDEX_FILE") {
            return RepositoryEnvironment.absolute(fromEnvironment)
        }
        return gitDirectory + "index"
    }

    /// An index format or mandatory index extension libgit2 1.5.1 cannot read, from the index
    /// file's bytes; nil when there is no index or libgit2 can read it.
    public var unsupportedIndexFeature: UnsupportedRepositoryFeature? {
        guard let path = indexPath, let bytes = FileBytes.read(path) else { return nil }
        return IndexHeader.unsupportedFeature(bytes, path: path)
    }
}

/// Just enough of git's index format (Documentation/gitformat-index.txt) to list the extensions:
/// the header, every entry (v2/v3 padded, v4 prefix-compressed), then signature + size blocks
/// up to the trailing SHA-1.
enum IndexHeader {
    static func unsupportedFeature(_ bytes: [UInt8], path: String) -> UnsupportedRepositoryFeature? {
        let trailer = 20
        guard bytes.count >= 12 + trailer, bytes[0..<4].elementsEqual("DIRC".utf8) else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let version = be32(4)
        guard (2...4).contains(version) else { return .indexVersion(version, index: path) }
        let end = bytes.count - trailer
        var offset = 12
        for _ in 0..<be32(8) {
            let fixed = 62
            guard offset + fixed <= end else { return nil }
            let flags = Int(bytes[offset + 60]) << 8 | Int(bytes[offset + 61])
            var name = offset + fixed + (version >= 3 && flags & 0x4000 != 0 ? 2 : 0)
            if version == 4 {
                // A varint (how much of the previous path to drop), then the rest, NUL-terminated.
                while name < end, bytes[name] & 0x80 != 0 { name += 1 }
                name += 1
            }
            guard let nul = bytes[min(name, end)..<end].firstIndex(of: 0) else { return nil }
            // v2/v3 entries are padded with NULs to a multiple of 8 bytes.
            offset = version == 4 ? nul + 1 : offset + (((nul - offset) + 8) & ~7)
        }
        while offset + 8 <= end {
            let signature = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            // Upper-case signatures are optional (readers may skip them); libgit2 1.5.1 knows
            // no lower-case (mandatory) one.
            if !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[offset]) {
                switch signature {
                case "link": return .splitIndex(index: path)
                case "sdir": return .sparseIndex(index: path)
                default: return .indexExtension(signature: signature, index: path)
                }
            }
            offset += 8 + be32(offset + 4)
        }
        return nil
    }
}

/// A config file read on its own through libgit2's config API (no includes of other levels).
struct OnDiskConfig {
    private var values: [(name: String, value: String)] = []

    init(path: String) {
        var config: OpaquePointer? = nil
        guard git_config_open_ondisk(&config, path) == 0 else { git_error_clear(); return }
        defer { git_config_free(config) }
        var iterator: OpaquePointer? = nil
        guard git_config_iterator_new(&iterator, config) == 0 else { git_error_clear(); return }
        defer { git_config_iterator_free(iterator) }
        var entry: UnsafeMutablePointer<git_config_entry>? = nil
        while git_config_next(&entry, iterator) == 0, let entry {
            values.append((String(cString: entry.pointee.name), entry.pointee.value.map { String(cString: $0) } ?? ""))
        }
        git_error_clear()
    }

    /// The last value of `name` (libgit2 lower-cases section and key names).
    func string(_ name: String) -> String? { values.last { $0.name == name.lowercased() }?.value }

    func bool(_ name: String) -> Bool? {
        guard let text = string(name)?.lowercased() else { return nil }
        if ["true", "yes", "on", "1", ""].contains(text) { return true }
        if ["false", "no", "off", "0"].contains(text) { return false }
        return nil
    }

    func int(_ name: String) -> Int? { string(name).flatMap { Int($0.trimming(\.isWhitespace)) } }

    /// Entries whose (lower-cased) name starts with `prefix`, in file order.
    func entries(withPrefix prefix: String) -> [(name: String, value: String)] {
        values.filter { $0.name.hasPrefix(prefix) }
    }
}

/// Plain file-system reads for looking at a repository before libgit2 opens it.
enum FileBytes {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func owner(_ path: String) -> uid_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_uid : nil
    }

    static func parent(of path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return ferror(file) == 0 ? out : nil
    }

    static func firstLine(_ path: String) -> String? {
        guard let bytes = read(path) else { return nil }
        let line = String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
        return line.isEmpty ? nil : line
    }

    /// The git dir a `.git` file ("gitdir: <path>") points to, resolved against the file's directory.
    static func gitFileTarget(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
              let line = firstLine(path), line.hasPrefix("gitdir: ") else { return nil }
        let target = String(line.dropFirst("gitdir: ".count))
        return target.hasPrefix("/") ? target : parent(of: path) + "/" + target
    }

    /// A linked worktree's git dir names the shared one in its `commondir` file.
    static func commonDirectory(of gitDirectory: String) -> String {
        guard let link = firstLine(gitDirectory + "/commondir") else { return gitDirectory }
        let joined = link.hasPrefix("/") ? link : gitDirectory + "/" + link
        return realPath(joined) ?? joined
    }
}
