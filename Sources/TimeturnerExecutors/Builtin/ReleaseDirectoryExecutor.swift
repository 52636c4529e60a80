internal import Glibc
public import TimeturnerCore
import GitKit

/// `release-dir`: the Capistrano-style layout `<root>/releases/<id>/` plus a `<root>/current`
/// symlink. Capture records where `current` points; rollback points it back atomically (a new
/// link under a temporary name, then `rename(2)` over `current`, so a reader never sees it
/// missing), then runs the restart command; verify runs the health command.
public struct ReleaseDirectoryExecutor: BuiltinExecutor {
    public init() {}
    public let name = "release-dir"
    public let summary = "releases/<id> plus a current symlink, swapped atomically; restart and health commands"
    public var settingsHelp: [(key: String, meaning: String)] {
        [("root", "the directory holding releases/ and current"),
         ("restart", "command run after the swap, with TIMETURNER_RELEASE set (optional)"),
         ("health", "command that exits 0 when the running release is healthy (optional)")]
    }

    public func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        let root = context.path(try context.required("root", example: "/srv/app"))
        let current = root + "/current"
        switch request.verb {
        case .describe:
            return describeResponse
        case .capture:
            let (release, target) = try pointedRelease(current, root: root, context: context)
            return ExecutorResponse(capture: ["release": .string(release), "target": .string(target)])
        case .rollback:
            guard let release = request.capture?["release"]?.stringValue, !release.isEmpty, !release.contains("/"), release != "..", release != "." else {
                throw context.fail("the capture names no release")
            }
            let target = "releases/" + release
            guard LocalFile.isDirectory(root + "/" + target) else {
                throw TimeturnerError(.refused, "executor 'release-dir' refuses to roll back the \(request.tier) tier: \(root)/\(target) does not exist",
                                      hint: "the release was pruned; redeploy it or roll back to a newer point")
            }
            let before = try? pointedRelease(current, root: root, context: context)
            if request.dryRun {
                return ExecutorResponse(message: "would point \(current) at \(target) (now \(before?.target ?? "nothing")) and run the restart command")
            }
            let temporary = root + "/.current-timeturner-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            guard symlink(target, temporary) == 0 else { throw context.fail("could not create \(temporary): \(String(cString: strerror(errno)))") }
            guard rename(temporary, current) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw context.fail("could not replace \(current): \(reason)")
            }
            if let restart = request.setting("restart"), !restart.trimming(\.isWhitespace).isEmpty {
                try await context.shell(restart, what: "restart command",
                                        extraEnvironment: ["TIMETURNER_RELEASE": release, "TIMETURNER_RELEASE_PATH": root + "/" + target])
            }
            return ExecutorResponse(message: "current → \(target) (was \(before?.target ?? "nothing"))")
        case .verify:
            let (release, _) = try pointedRelease(current, root: root, context: context)
            // An empty health command would "pass" without checking anything: no check, said so.
            if let health = request.setting("health"), !health.trimming(\.isWhitespace).isEmpty {
                if request.dryRun { return ExecutorResponse(message: "would run: \(health)") }
                try await context.shell(health, what: "health command", extraEnvironment: ["TIMETURNER_RELEASE": release])
                return ExecutorResponse(message: "release \(release) is healthy")
            }
            let unset = request.setting("health") == nil ? "no health command configured" : "health is empty, so no health check ran"
            return ExecutorResponse(message: "current points at release \(release); \(unset)")
        }
    }

    private func pointedRelease(_ current: String, root: String, context: BuiltinContext) throws(TimeturnerError) -> (release: String, target: String) {
        guard let target = LocalFile.linkTarget(current) else {
            throw context.fail("\(current) is not a symbolic link", hint: "release-dir expects <root>/current → releases/<id>")
        }
        let resolved = LocalFile.absolute(target, relativeTo: root)
        guard LocalFile.isDirectory(resolved) else { throw context.fail("\(current) points at \(target), which is not a directory") }
        var components = resolved.split(separator: "/").map(String.init)
        let release = components.removeLast()
        guard components.last == "releases" else {
            throw context.fail("\(current) points at \(target), which is not under releases/")
        }
        return (release, target)
    }
}
