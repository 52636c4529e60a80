import Testing
import TestSupport

/// `hooks install`: shims between markers that keep the user's hook, idempotent and removable,
/// in core.hooksPath when set; the pre-push guard run by a real `git push`.
@Suite struct HooksCommandTests {
    @Test func installKeepsTheUsersHookAndIsIdempotentAndRemovable() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let userHook = "#!/bin/sh\necho 'my own pre-push'\nexit 0\n"
        try repo.write(".git/hooks/pre-push", userHook, mode: 0o755)

        let first = try await repo.timeturner("hooks", "install", "--post-deploy", "--pre-push")
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("post-deploy: created"))
        #expect(first.stdout.contains("pre-push: added a shim to your hook"))
        let installed = try #require(repo.read(".git/hooks/pre-push"))
        #expect(installed.hasPrefix("#!/bin/sh\n# >>> git-timeturner >>>"), "our shim runs before the user's exit 0")
        #expect(installed.hasSuffix("# <<< git-timeturner <<<\necho 'my own pre-push'\nexit 0\n"))
        #expect(try await runProcess("sh", ["-n", repo.path + "/.git/hooks/pre-push"], environment: repo.environment, in: repo.path).status == 0)

        let again = try await repo.timeturner("hooks", "install", "--post-deploy", "--pre-push", "--json")
        #expect(again.status == 0)
        #expect(again.stdout.contains("\"action\": \"unchanged\""), "\(again)")
        #expect(repo.read(".git/hooks/pre-push") == installed)

        let removed = try await repo.timeturner("hooks", "install", "--uninstall")
        #expect(removed.status == 0, "\(removed)")
        #expect(repo.read(".git/hooks/pre-push") == userHook, "exactly the user's hook is left")
        #expect(repo.read(".git/hooks/post-deploy") == nil, "a hook that was ours alone is deleted")
    }

    @Test func honoursCoreHooksPathAndRunsPostDeploy() async throws {
        let repo = try await ScratchRepository()
        let head = try await repo.commit("first")
        try await repo.git("config", "core.hooksPath", "ci/hooks")
        let install = try await repo.timeturner("hooks", "install")
        #expect(install.status == 0, "\(install)")
        let hook = repo.path + "/ci/hooks/post-deploy"
        #expect(repo.read("ci/hooks/post-deploy") != nil, "\(install)")
        #expect(try await repo.git("rev-parse", "--git-path", "hooks/post-deploy").trimmed == "ci/hooks/post-deploy")

        // The shim calls `git timeturner hooks run post-deploy`, which runs the script shipped
        // in hooks/ (TIMETURNER_SHARE_DIR stands in for $PREFIX/share/git-timeturner).
        var environment = repo.environment
        environment["PATH"] = CompletionTests.binaryDirectory + ":" + (environment["PATH"] ?? "")
        environment["TIMETURNER_SHARE_DIR"] = Fixtures.repositoryRoot
        let run = try await runProcess(hook, ["production", "--", "true"], environment: environment, in: repo.path)
        #expect(run.status == 0, "\(run)")
        let marks = try await repo.timeturner("registry", "list", "--env", "production", "--json")
        #expect(marks.stdout.contains("\"commit\": \"\(head)\""), "\(marks)")
        #expect(marks.stdout.contains("\"type\": \"good\""), "\(marks)")

        let failing = try await runProcess(hook, ["production", "--", "false"], environment: environment, in: repo.path)
        #expect(failing.status == 1, "the check's status is the hook's: \(failing)")
    }

    @Test func prePushRefusesATipMarkedBadWithABypass() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let remote = repo.siblingDirectory("remote.git")
        try await repo.git("init", "-q", "--bare", remote)
        try await repo.git("remote", "add", "origin", remote)
        #expect(try await repo.timeturner("hooks", "install", "--pre-push").status == 0)
        var environment = repo.environment
        environment["PATH"] = CompletionTests.binaryDirectory + ":" + (environment["PATH"] ?? "")
        func push(_ extra: [String: String] = [:], _ arguments: [String] = []) async throws -> ProcessResult {
            try await runProcess("git", ["push"] + arguments + ["origin", "HEAD:refs/heads/main"],
                                 environment: environment.merging(extra) { $1 }, in: repo.path)
        }
        #expect(try await push().status == 0, "nothing is marked: the push goes through")

        let bad = try await repo.commit("second")
        #expect(try await repo.timeturner("bad", "--env", "production", "--reason", "error rate 12%").status == 0)
        let refused = try await push()
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("error: refusing to push: main at \(bad.prefix(7)) is marked bad in production (error rate 12%)"), "\(refused)")
        #expect(refused.stderr.contains("hint: "), "\(refused)")
        #expect(try await runProcess("git", ["--git-dir", remote, "rev-parse", "main"], environment: environment, in: repo.path).stdout.trimmed != bad)

        // Mapped to another environment only, main's bad mark in production does not matter.
        try await repo.git("config", "timeturner.env.staging.branch", "main")
        #expect(try await push(["GIT_DIR": repo.path + "/.git"], ["--dry-run"]).status == 0)
        try await repo.git("config", "--unset", "timeturner.env.staging.branch")

        let bypassed = try await push(["TIMETURNER_ALLOW_BAD_PUSH": "1"])
        #expect(bypassed.status == 0, "\(bypassed)")
        #expect(bypassed.stderr.contains("warning: pushing anyway"))
        #expect(try await runProcess("git", ["--git-dir", remote, "rev-parse", "main"], environment: environment, in: repo.path).stdout.trimmed == bad)

        // A later good mark clears it.
        let third = try await repo.commit("third")
        #expect(try await repo.timeturner("bad", "--env", "production").status == 0)
        #expect(try await repo.timeturner("good", "--env", "production").status == 0)
        #expect(try await push().status == 0)
        _ = third
    }
}
