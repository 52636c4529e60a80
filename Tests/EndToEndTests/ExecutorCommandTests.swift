import Foundation
import Testing
import TestSupport

/// `config`, `trust`, `executor` and `point` with tiers, run as the built binary against
/// throwaway repositories and checked with plain git.
@Suite struct ExecutorCommandTests {
    /// A repository whose committed .timeturner configures a deploy tier with the `command`
    /// executor; running it leaves a marker file outside the repository.
    func repositoryWithSharedExecutor() async throws -> (repo: ScratchRepository, marker: String) {
        let repo = try await ScratchRepository()
        let marker = repo.siblingDirectory("markers") + "/captured"
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.deploy.executor", "command")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.deploy.capture", "touch \(marker); echo release-7")
        try await repo.commit("add .timeturner", files: [:])
        try await repo.git("add", ".timeturner")
        try await repo.commit("share the deploy tier")
        return (repo, marker)
    }

    @Test func aFreshCloneRunsNothingUntilTrustedAndAnEditRevokesTrust() async throws {
        let (origin, marker) = try await repositoryWithSharedExecutor()
        let clone = origin.siblingDirectory("clone") + "/work"
        try await origin.git("clone", "-q", origin.path, clone)

        let refused = try await origin.timeturner(["point", "-m", "before deploy"], in: clone)
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("error: the deploy tier (executor 'command') is configured in .timeturner, which is not trusted (never trusted on this machine); nothing was run"))
        #expect(refused.stderr.contains("hint: read it first"))
        #expect(refused.stderr.contains("git timeturner trust"))
        #expect(!LocalFileProbe.exists(marker), "an untrusted executor ran")
        let refs = try await runProcess("git", ["for-each-ref", "refs/timeturner", "refs/notes"], environment: origin.environment, in: clone)
        #expect(refs.stdout.isEmpty, "a refused point left refs: \(refs.stdout)")

        let shown = try await origin.timeturner(["trust", "--show", "--json"], in: clone)
        #expect(shown.stdout.contains("\"trusted\": false"))
        let trusted = try await origin.timeturner(["trust"], in: clone)
        #expect(trusted.status == 0, "\(trusted)")
        #expect(trusted.stdout.contains("  executors:\n    timeturner.tier.deploy.executor = command"), "\(trusted)")
        let trustFile = origin.home + "/.config/git-timeturner/trust"
        #expect(String(decoding: readFile(trustFile) ?? [], as: UTF8.self).contains("\"sha256\":"))

        let made = try await origin.timeturner(["point", "-m", "before deploy", "--name", "p1"], in: clone)
        #expect(made.status == 0, "\(made)")
        #expect(made.stdout.contains("captured deploy with command"))
        #expect(LocalFileProbe.exists(marker))
        let note = try await runProcess("git", ["notes", "--ref=timeturner", "show", "HEAD"], environment: origin.environment, in: clone)
        let capture = try #require(note.stdout.lines.first { $0.hasPrefix("{\"type\":\"capture\"") })
        #expect(capture.contains("\"capture\":{\"output\":\"release-7\"}"))
        #expect(capture.contains("\"tier\":\"deploy\""))
        #expect(capture.contains("\"point\":\"p1\""))
        let trailers = try await runProcess("git", ["for-each-ref", "--format=%(trailers:key=Timeturner-Tier,valueonly)", "refs/timeturner/points/p1"],
                                            environment: origin.environment, in: clone)
        #expect(trailers.stdout.lines == ["code", "deploy"])

        // Any edit, even a comment, makes the file untrusted again.
        let sharedPath = clone + "/.timeturner"
        try writeFile(sharedPath, (readFile(sharedPath) ?? []) + Array("# harmless?\n".utf8))
        let edited = try await origin.timeturner(["point", "-m", "again"], in: clone)
        #expect(edited.status == 3)
        #expect(edited.stderr.contains("it changed since you trusted it"))

        // CI passes the expected hash instead; a wrong one is refused.
        let hash = try #require(try await runProcess("sha256sum", [sharedPath], environment: origin.environment, in: clone).stdout.split(separator: " ").first.map(String.init))
        let wrong = try await origin.timeturner(["point", "-m", "ci"], in: clone, extraEnvironment: ["TIMETURNER_TRUST": String(repeating: "0", count: 64)])
        #expect(wrong.status == 3)
        #expect(wrong.stderr.contains("TIMETURNER_TRUST=0000"))
        let ci = try await origin.timeturner(["point", "-m", "ci"], in: clone, extraEnvironment: ["TIMETURNER_TRUST": hash])
        #expect(ci.status == 0, "\(ci)")

        let revoked = try await origin.timeturner(["trust", "--revoke"], in: clone)
        #expect(revoked.status == 0)
        try writeFile(sharedPath, Array(((readFile(sharedPath).map { String(decoding: $0, as: UTF8.self) }) ?? "").replacingOccurrences("# harmless?\n", "").utf8))
        let afterRevoke = try await origin.timeturner(["point", "-m", "after revoke"], in: clone)
        #expect(afterRevoke.status == 3, "revoked trust still let the executor run: \(afterRevoke)")
    }

    @Test func configShowsEffectiveValuesAndWhereEachCameFrom() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.executor", "postgres")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.backupDir", "/shared/dumps")
        try await repo.git("config", "-f", ".timeturner", "--add", "timeturner.tier.config.path", "a.env")
        try await repo.git("config", "-f", ".timeturner", "--add", "timeturner.tier.config.path", "b.env")
        try await repo.git("config", "-f", ".timeturner", "include.path", "/etc/elsewhere")
        try await repo.git("config", "--global", "timeturner.tier.db.verifyQuery", "SELECT 1")
        try await repo.git("config", "timeturner.tier.db.backupDir", "/local/dumps")

        let json = try await repo.timeturner("config", "--json", "-c", "timeturner.tier.db.verifyQuery=SELECT 2")
        #expect(json.status == 0, "\(json)")
        #expect(json.stderr.contains("'include.path' ignored"))
        let object = try #require(parseJSON(json.stdout))
        let settings = try #require(object["settings"] as? [[String: Any]])
        func origin(_ key: String) -> [String] { settings.filter { $0["key"] as? String == key }.compactMap { $0["origin"] as? String } }
        func values(_ key: String) -> [String] { settings.filter { $0["key"] as? String == key }.compactMap { $0["value"] as? String } }
        #expect(values("timeturner.tier.db.executor") == ["postgres"])
        #expect(origin("timeturner.tier.db.executor") == [".timeturner"])
        #expect(values("timeturner.tier.db.backupdir") == ["/local/dumps"])
        #expect(origin("timeturner.tier.db.backupdir") == ["local git config"])
        #expect(values("timeturner.tier.db.verifyquery") == ["SELECT 2"])
        #expect(origin("timeturner.tier.db.verifyquery") == ["command line"])
        #expect(values("timeturner.tier.config.path") == ["a.env", "b.env"])
        let overridden = try #require(object["overridden"] as? [[String: Any]])
        #expect(overridden.contains { $0["value"] as? String == "/shared/dumps" && $0["origin"] as? String == ".timeturner" })
        #expect(overridden.contains { $0["value"] as? String == "SELECT 1" && $0["origin"] as? String == "global git config" })
        #expect((object["trust"] as? [String: Any])?["trusted"] as? Bool == false)

        let text = try await repo.timeturner("config")
        #expect(text.stdout.contains(".timeturner (untrusted)"))
        #expect(text.stdout.lines.contains { $0.hasPrefix("timeturner.tier.db.backupdir") && $0.hasSuffix("local git config") })
    }

    @Test func executorRunListAndDescribe() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let path = ["PATH": Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin")]

        let list = try await repo.timeturner(["executor", "list"], extraEnvironment: path)
        #expect(list.status == 0)
        for name in ["command", "files", "migrations", "postgres", "release-dir", "trivial", "testing"] {
            #expect(list.stdout.lines.contains { $0.hasPrefix(name + " ") }, "\(name) missing from: \(list.stdout)")
        }
        let run = try await repo.timeturner(["executor", "run", "trivial", "verify"], extraEnvironment: path)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.hasPrefix("trivial verify: fine ("))

        let described = try await repo.timeturner(["executor", "describe", "testing", "--json"], extraEnvironment: path)
        #expect(described.stdout.contains("\"summary\": \"test-only executor\""))
        #expect(described.stdout.contains("git-timeturner-exec-testing"))

        let failing = try await repo.timeturner(["executor", "run", "testing", "verify", "-c", "timeturner.executor.testing.mode=fail"], extraEnvironment: path)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("testing: something broke on purpose"))
        #expect(failing.stderr.contains("error: executor 'testing' failed to verify the testing tier: it exited with status 3"))

        let invalid = try await repo.timeturner(["executor", "run", "testing", "capture", "-c", "timeturner.executor.testing.mode=invalid-json"], extraEnvironment: path)
        #expect(invalid.stderr.contains("its output is not valid JSON"))

        let unknown = try await repo.timeturner(["executor", "run", "nowhere", "verify"], extraEnvironment: path)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no executor named 'nowhere'"))
    }

    @Test func aFailingCaptureRemovesThePointAgain() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        // Local config is the user's own: no trust needed.
        try await repo.git("config", "timeturner.tier.deploy.executor", "testing")
        try await repo.git("config", "timeturner.executor.testing.mode", "fail")
        let path = ["PATH": Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin")]
        let failed = try await repo.timeturner(["point", "--name", "p1"], extraEnvironment: path)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("could not capture the deploy tier for point p1; the point was removed again"))
        #expect(failed.stderr.contains("executor 'testing' failed to capture the deploy tier: it exited with status 3"))
        #expect(try await repo.git("for-each-ref", "refs/timeturner/points").isEmpty)

        let codeOnly = try await repo.timeturner(["point", "--name", "p2", "--code-only"], extraEnvironment: path)
        #expect(codeOnly.status == 0, "\(codeOnly)")
    }
}

enum LocalFileProbe {
    static func exists(_ path: String) -> Bool { readFile(path) != nil }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}

/// The independent reading of `--json` output (Foundation's parser, not ours).
func parseJSON(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}
