public import GitKit
internal import Glibc

/// The hooks `git timeturner hooks install` manages.
public enum ManagedHook: String, CaseIterable, Sendable {
    /// Not a hook git runs: the script a deploy pipeline calls after deploying
    /// (`$(git rev-parse --git-path hooks)/post-deploy <env> -- <check>`), kept with the others so
    /// a repository has one place for them.
    case postDeploy = "post-deploy"
    /// Refuses to push a branch whose tip is marked bad where the branch deploys (opt-in).
    case prePush = "pre-push"

    /// What the shim runs. pre-push reads the refs being pushed on standard input, which a hook
    /// of the user's after ours needs as well: the shim keeps a copy and hands it on.
    var shim: [String] {
        switch self {
        case .postDeploy:
            ["git timeturner hooks run post-deploy \"$@\" || exit $?"]
        case .prePush:
            ["timeturner_refs=$(cat); printf '%s\\n' \"$timeturner_refs\" | git timeturner hooks run pre-push \"$@\" || exit $?",
             "exec <<timeturner_end", "$timeturner_refs", "timeturner_end"]
        }
    }
}

/// What installing or removing one hook did.
public struct HookChange: Sendable, Equatable {
    public enum Action: String, Sendable { case created, added, updated, unchanged, removed, deleted, absent }
    public let hook: ManagedHook
    public let path: String
    public let action: Action
}

/// Installs shims between marker comments in the repository's hooks directory, so that the
/// user's own hook lines survive, installing again changes nothing, and `--uninstall` takes out
/// exactly what was put in (the file too, when nothing of the user's is left).
public struct HookShims {
    static let begin = "# >>> git-timeturner >>> (managed by 'git timeturner hooks install'; remove with 'git timeturner hooks install --uninstall')"
    static let end = "# <<< git-timeturner <<<"

    let repository: Repository
    let home: String?

    /// `environment` gives HOME, for a `core.hooksPath` starting with `~/`.
    public init(repository: Repository, environment: [String: String]) {
        self.repository = repository
        home = environment["HOME"]
    }

    /// Where git looks for hooks: `core.hooksPath` (relative to the work tree root, or to the
    /// git directory in a bare repository, as git resolves it), else `hooks/` in the common git
    /// directory (shared by all worktrees).
    public func directory() throws(TimeturnerError) -> String {
        let configured: String?
        do { configured = try repository.configString("core.hooksPath") } catch {
            throw TimeturnerError(error, doing: "read core.hooksPath")
        }
        guard let configured, !configured.isEmpty else { return HookShims.trimmed(repository.commonDirectory) + "/hooks" }
        if configured.hasPrefix("/") { return HookShims.trimmed(configured) }
        if configured.hasPrefix("~/"), let home { return home + configured.dropFirst(1) }
        let base = repository.workTree ?? repository.gitDirectory
        return LocalFile.absolute(HookShims.trimmed(configured), relativeTo: HookShims.trimmed(base))
    }

    public func install(_ hook: ManagedHook) throws(TimeturnerError) -> HookChange {
        let directory = try directory()
        let path = directory + "/" + hook.rawValue
        let block = [HookShims.begin] + hook.shim + [HookShims.end]
        guard let existing = LocalFile.read(path) else {
            try LocalFile.makeDirectories(directory)
            try LocalFile.writeAtomically(Array((["#!/bin/sh"] + block).joined(separator: "\n").utf8) + [0x0a], to: path, mode: 0o755)
            return HookChange(hook: hook, path: path, action: .created)
        }
        var lines = HookShims.lines(existing)
        let action: HookChange.Action
        if let range = HookShims.blockRange(in: lines) {
            guard Array(lines[range]) != block else { return HookChange(hook: hook, path: path, action: .unchanged) }
            lines.replaceSubrange(range, with: block)
            action = .updated
        } else {
            // First after the interpreter line: a user's hook that ends with `exit 0` would never
            // reach lines added at the end.
            let at = lines.first?.hasPrefix("#!") == true ? 1 : 0
            lines.insert(contentsOf: block, at: at)
            action = .added
        }
        try LocalFile.writeAtomically(Array(lines.joined(separator: "\n").utf8) + [0x0a], to: path, mode: mode_t(HookShims.executableMode(of: path)))
        return HookChange(hook: hook, path: path, action: action)
    }

    public func uninstall(_ hook: ManagedHook) throws(TimeturnerError) -> HookChange {
        let path = try directory() + "/" + hook.rawValue
        guard let existing = LocalFile.read(path) else { return HookChange(hook: hook, path: path, action: .absent) }
        var lines = HookShims.lines(existing)
        guard let range = HookShims.blockRange(in: lines) else { return HookChange(hook: hook, path: path, action: .absent) }
        lines.removeSubrange(range)
        // Nothing but an interpreter line left: the file was ours alone.
        if lines.allSatisfy({ line in line.hasPrefix("#!") || line.allSatisfy { $0 == " " || $0 == "\t" } }) {
            guard unlink(path) == 0 else { throw TimeturnerError(.failure, "cannot delete \(path): \(String(cString: strerror(errno)))") }
            return HookChange(hook: hook, path: path, action: .deleted)
        }
        try LocalFile.writeAtomically(Array(lines.joined(separator: "\n").utf8) + [0x0a], to: path, mode: mode_t(HookShims.executableMode(of: path)))
        return HookChange(hook: hook, path: path, action: .removed)
    }

    /// Whether the hook file holds our block.
    public func isInstalled(_ hook: ManagedHook) throws(TimeturnerError) -> Bool {
        guard let existing = LocalFile.read(try directory() + "/" + hook.rawValue) else { return false }
        return HookShims.blockRange(in: HookShims.lines(existing)) != nil
    }

    static func lines(_ bytes: [UInt8]) -> [String] {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func blockRange(in lines: [String]) -> ClosedRange<Int>? {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("# >>> git-timeturner >>>") }),
              let stop = lines[start...].firstIndex(of: end) else { return nil }
        return start...stop
    }

    /// The user's permission bits kept, with execute added: git skips a hook it cannot execute.
    static func executableMode(of path: String) -> UInt32 {
        (LocalFile.kindAndMode(path)?.mode ?? 0o644) & 0o7777 | 0o111
    }

    static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
