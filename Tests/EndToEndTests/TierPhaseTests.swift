import Testing
import TestSupport

/// The order tiers roll back in, the activation step, partial rollbacks and the context each
/// executor call carries, with `command` tiers whose every call appends to `calls.log` (outside
/// git's view) what it saw, so the test reads exactly what ran, in what order, against which code.
@Suite struct TierPhaseTests {
    /// v1 (point p1 capturing db, config and deploy), then v2 with every tier "moved on".
    /// Each tier's state is a file under state/ (ignored), its capture is that file's content,
    /// its rollback writes the capture back and logs the tier, the code it saw in the work tree
    /// and the request's from/to.
    func application(activate: String? = "echo \"activate deploy=$(cat state/deploy)\" >> calls.log") async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        for tier in ["db", "config", "deploy"] {
            try await repo.git("config", "timeturner.tier.\(tier).executor", "command")
            try await repo.git("config", "timeturner.tier.\(tier).capture", "cat state/\(tier)")
            try await repo.git("config", "timeturner.tier.\(tier).rollback",
                               "printf '%s\\n' \"$TIMETURNER_CAPTURE\" > state/\(tier); echo \"\(tier) code=$(cat app.txt) to=${TIMETURNER_TO:-none}\" >> calls.log")
            try await repo.git("config", "timeturner.tier.\(tier).verify", "echo verify-\(tier) >> calls.log")
        }
        if let activate { try await repo.git("config", "timeturner.activate", activate) }
        try repo.write("state/db", "schema-1\n")
        try repo.write("state/config", "config-1\n")
        try repo.write("state/deploy", "release-1\n")
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "state/\ncalls.log\n"])
        let point = try await repo.timeturner("point", "--name", "p1")
        #expect(point.status == 0, "\(point)")
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try repo.write("state/db", "schema-2\n")
        try repo.write("state/config", "config-2\n")
        try repo.write("state/deploy", "release-2\n")
        return repo
    }

    func states(_ repo: ScratchRepository) -> [String] {
        ["db", "config", "deploy"].map { repo.read("state/\($0)")?.trimmed ?? "?" }
    }

    @Test func tiersRunInPhasesAndActivationRunsOnceWhenEverythingIsInPlace() async throws {
        let repo = try await application()
        let v1 = try await repo.git("rev-parse", "HEAD~1").trimmed
        let plan = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--dry-run")
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("activate: echo"), "\(plan.stdout)")
        // In words, from the executor's own dry run, not the capture's JSON.
        #expect(plan.stdout.contains("db: command rollback to the state captured with point p1"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("{\"output\""), "\(plan.stdout)")

        let run = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        #expect(run.status == 0, "\(run)")
        // The database and the configuration go back while the code being left is still in the
        // work tree; the release switch after the code; one activation, then each tier's check.
        #expect(repo.read("calls.log")?.lines == [
            "db code=v2 to=\(v1)", "config code=v2 to=\(v1)", "deploy code=v1 to=\(v1)",
            "activate deploy=release-1", "verify-db", "verify-config", "verify-deploy",
        ], "\(repo.read("calls.log") ?? "")")
        #expect(states(repo) == ["schema-1", "config-1", "release-1"])
        let journal = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl")
        #expect(journal.contains("\"activation\":[{\"command\":\"echo"), "\(journal)")
    }

    @Test func anOrderSettingMovesATierAndCheckoutsGiveItTheTreeBeingLeft() async throws {
        let repo = try await application()
        // The db after the code: it must not read the migrations from the work tree (now v1),
        // so it asks for copies of both trees.
        try await repo.git("config", "timeturner.tier.db.order", "45")
        try await repo.git("config", "timeturner.tier.db.checkouts", "true")
        try await repo.git("config", "timeturner.tier.db.rollback",
                           "printf '%s\\n' \"$TIMETURNER_CAPTURE\" > state/db; echo \"db code=$(cat app.txt) from-tree=$(cat \"$TIMETURNER_CHECKOUT_FROM/app.txt\") to-tree=$(cat \"$TIMETURNER_CHECKOUT_TO/app.txt\")\" >> calls.log")
        let run = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        #expect(run.status == 0, "\(run)")
        let log = repo.read("calls.log")?.lines ?? []
        let v1 = try await repo.git("rev-parse", "HEAD~2").trimmed
        #expect(Array(log.prefix(3)) == ["config code=v2 to=\(v1)", "db code=v1 from-tree=v2 to-tree=v1", "deploy code=v1 to=\(v1)"],
                "\(log)")
        // The copies are gone once the operation ended.
        let left = try await runProcess("/bin/sh", ["-c", "ls -A .git/timeturner/checkouts 2>/dev/null || true"],
                                        environment: repo.environment, in: repo.path)
        #expect(left.stdout.trimmed.isEmpty, "\(left.stdout)")
        let bad = try await repo.timeturner("rollback", "-c", "timeturner.tier.db.order=soon", "--to", "p1", "--level", "2", "--dry-run")
        #expect(bad.status == 64 && bad.stderr.contains("timeturner.tier.db.order"), "\(bad)")
    }

    @Test func aFailedActivationPutsEveryTierBackAndActivatesTheRestoredState() async throws {
        let repo = try await application(activate: "echo \"activate deploy=$(cat state/deploy)\" >> calls.log; [ \"$(cat state/deploy)\" = release-2 ]")
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        #expect(run.status == 5, "\(run)")
        #expect(run.stderr.contains("activation failed"), "\(run.stderr)")
        // "Restored": branch, index and every file as before, once the test's own call log is set aside.
        let calls = repo.read("calls.log") ?? ""
        _ = try await runProcess("rm", ["-f", "calls.log"], environment: repo.environment, in: repo.path)
        #expect(try await repo.fingerprint() == before)
        try repo.write("calls.log", calls)
        #expect(states(repo) == ["schema-2", "config-2", "release-2"])
        #expect(try await repo.git("show", "HEAD:app.txt") == "v2\n")
        let log = repo.read("calls.log")?.lines ?? []
        // Activated on the rolled-back state (failed), then again on the restored one (passed).
        #expect(log.filter { $0.hasPrefix("activate") } == ["activate deploy=release-1", "activate deploy=release-2"], "\(log)")
    }

    @Test func aPartialRollbackLeavesTheBranchAndIsUndone() async throws {
        let repo = try await application()
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        // Only the configuration, HEAD stays on v2.
        let run = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "config", "--yes", "--json")
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head)
        #expect(states(repo) == ["schema-2", "config-1", "release-2"])
        let event = try #require(parseJSON(run.stdout))
        #expect((event["tiers"] as? [[String: Any]])?.map { $0["tier"] as? String } == ["config"])
        #expect(event["commit"] as? String == head)
        // Undo puts the configuration back, and only it.
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(states(repo) == ["schema-2", "config-2", "release-2"])
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head)

        // With HEAD already at the point, the tiers still roll back (not "nothing to do").
        try await repo.git("reset", "-q", "--hard", "HEAD~1")
        let atTarget = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "code,db,config,deploy", "--yes")
        #expect(atTarget.status == 0, "\(atTarget)")
        #expect(states(repo) == ["schema-1", "config-1", "release-1"])
        #expect(!atTarget.stdout.contains("nothing to do"), "\(atTarget.stdout)")
        // The branch did not move, so undo finds it where the rollback left it and puts the tiers back.
        let undoAtTarget = try await repo.timeturner("undo", "--yes")
        #expect(undoAtTarget.status == 0, "\(undoAtTarget)")
        #expect(states(repo) == ["schema-2", "config-2", "release-2"])
    }

    @Test func aTierThatFailsBeforeChangingAnythingIsNotRestoredAndExitsOne() async throws {
        let repo = try await application(activate: nil)
        try await repo.git("config", "timeturner.tier.db.rollback", "echo migration tool missing >&2; exit 7")
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        // Branch, index, work tree and every file (the tiers' state included) byte for byte as before.
        #expect(try await repo.fingerprint() == before)
        // The db tier runs first and its capture is unchanged afterwards: nothing changed at
        // all, so the outcome is a plain failure (exit 1), not "restored" and never "needs a person".
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("the db tier failed before changing anything; nothing was rolled back"), "\(run.stderr)")
        #expect(states(repo) == ["schema-2", "config-2", "release-2"])
        #expect(!(repo.read("calls.log") ?? "").contains("config"), "a later tier ran")
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
    }

    @Test func aLastGoodCommitWithoutCapturesSaysHowToCaptureAndGoodCaptureFixesIt() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "timeturner.tier.config.executor", "command")
        try await repo.git("config", "timeturner.tier.config.capture", "cat state/config")
        try await repo.git("config", "timeturner.tier.config.rollback", "printf '%s\\n' \"$TIMETURNER_CAPTURE\" > state/config")
        try repo.write("state/config", "config-1\n")
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "state/\n"])
        #expect(try await repo.timeturner("good", "--env", "production").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try repo.write("state/config", "config-2\n")

        let refused = try await repo.timeturner("rollback", "--env", "production", "--level", "2", "--dry-run")
        #expect(refused.status == 3, "\(refused)")
        let v1 = try await repo.git("rev-parse", "--short=7", "HEAD~1").trimmed
        #expect(refused.stderr.contains("last-good (production) is \(v1), and no point on that commit has a capture of the config tier(s)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("git timeturner good \(v1) --env production --capture"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("roll back fewer tiers"))

        // Deploy v1 again the way hooks/post-deploy marks it: the capture is taken on the deployed commit.
        try await repo.git("checkout", "-q", "HEAD~1")
        try repo.write("state/config", "config-1\n")
        let good = try await repo.timeturner("good", "--env", "production", "--capture", "--json")
        #expect(good.status == 0, "\(good)")
        let capturePoint = try #require(parseJSON(good.stdout)?["capturePoint"] as? [String: Any])
        #expect(capturePoint["created"] as? Bool == true && capturePoint["tiers"] as? [String] == ["config"])
        // Marking again reuses that point.
        let again = try await repo.timeturner("good", "--env", "production", "--capture", "--json")
        #expect((parseJSON(again.stdout)?["capturePoint"] as? [String: Any])?["created"] as? Bool == false, "\(again)")
        try await repo.git("checkout", "-q", "main")
        try repo.write("state/config", "config-2\n")
        let run = try await repo.timeturner("rollback", "--env", "production", "--level", "2", "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(repo.read("state/config") == "config-1\n")
    }

    @Test func aProcessKilledDuringActivationIsRecoveredAndActivatedAgainOnTheRestoredState() async throws {
        // The first activation kills git-timeturner itself (SIGKILL, no chance to clean up);
        // the next one, run by recover, logs the state it starts.
        let repo = try await application(activate: """
            echo "activate deploy=$(cat state/deploy)" >> calls.log
            if [ ! -e killed ]; then touch killed; kill -9 $PPID; sleep 5; fi
            """)
        try await repo.git("config", "--add", "timeturner.tier.db.checkouts", "true")
        let run = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        #expect(run.status != 0, "\(run)")
        #expect(states(repo) == ["schema-1", "config-1", "release-1"], "the tiers had been rolled back when it died")
        #expect(repo.exists(".git/timeturner/state.jsonl"))
        let recover = try await repo.timeturner("recover", "--yes", "--json")
        #expect(recover.status == 0, "\(recover)")
        #expect(states(repo) == ["schema-2", "config-2", "release-2"])
        #expect(try await repo.git("show", "HEAD:app.txt") == "v2\n")
        let activations = (repo.read("calls.log")?.lines ?? []).filter { $0.hasPrefix("activate") }
        #expect(activations == ["activate deploy=release-1", "activate deploy=release-2"], "\(activations)")
        // The copies of the trees the killed run had made are gone once an operation ran again.
        let left = try await runProcess("/bin/sh", ["-c", "ls -A .git/timeturner/checkouts 2>/dev/null || true"],
                                        environment: repo.environment, in: repo.path)
        #expect(left.stdout.trimmed.isEmpty, "\(left.stdout)")
    }

    @Test func oneServiceAmongSeveralRollsBackOnItsOwn() async throws {
        let repo = try await ScratchRepository()
        // One executor for the tier, a setting per service.
        try await repo.git("config", "timeturner.tier.deploy.executor", "command")
        try await repo.git("config", "timeturner.tier.deploy.capture", "cat state/$SERVICE")
        try await repo.git("config", "timeturner.tier.deploy.rollback", "printf '%s\\n' \"$TIMETURNER_CAPTURE\" > state/$SERVICE")
        for service in ["web", "worker"] {
            try await repo.git("config", "timeturner.tier.deploy.service.\(service).capture", "cat state/\(service)")
            try await repo.git("config", "timeturner.tier.deploy.service.\(service).rollback",
                               "printf '%s\\n' \"$TIMETURNER_CAPTURE\" > state/\(service)")
            try repo.write("state/\(service)", "\(service)-1\n")
        }
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "state/\n"])
        let point = try await repo.timeturner("point", "--name", "p1", "--json")
        #expect(point.status == 0, "\(point)")
        #expect((parseJSON(point.stdout)?["captures"] as? [[String: Any]])?.compactMap { $0["tier"] as? String } == ["deploy.web", "deploy.worker"])
        try repo.write("state/web", "web-2\n")
        try repo.write("state/worker", "worker-2\n")

        // Only the web service; the code and the worker stay.
        let web = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "deploy.web", "--yes", "--json")
        #expect(web.status == 0, "\(web)")
        #expect(repo.read("state/web") == "web-1\n" && repo.read("state/worker") == "worker-2\n")
        #expect((parseJSON(web.stdout)?["tiers"] as? [[String: Any]])?.map { $0["tier"] as? String } == ["deploy.web"])
        // The tier by its name: every service.
        let all = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "deploy", "--yes")
        #expect(all.status == 0, "\(all)")
        #expect(repo.read("state/worker") == "worker-1\n")
        let unknown = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "deploy.api", "--dry-run")
        #expect(unknown.status == 64 && unknown.stderr.contains("configured: deploy.web, deploy.worker"), "\(unknown)")
        let bad = try await repo.timeturner("rollback", "--to", "p1", "--tiers", "deploy.we/b", "--dry-run")
        #expect(bad.status == 64 && bad.stderr.contains("'deploy.we/b' is not a tier"), "\(bad)")
    }

    @Test func aRollbackThatDiscardsDataNeedsThePromptOrAcceptDataLoss() async throws {
        let repo = try await ScratchRepository()
        repo.setEnvironment("PATH", Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin"))
        try await repo.git("config", "timeturner.tier.db.executor", "testing")
        try await repo.git("config", "timeturner.tier.db.discards", "the orders written since the capture")
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        #expect(try await repo.timeturner("point", "--name", "p1").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n"])

        let plan = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--dry-run", "--json")
        let loss = try #require((parseJSON(plan.stdout)?["dataLoss"] as? [[String: Any]])?.first, "\(plan)")
        #expect(loss["tier"] as? String == "db" && loss["discards"] as? String == "the orders written since the capture")

        let refused = try await repo.timeturner("rollback", "--to", "p1", "--level", "2", "--yes")
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("this rollback discards data: the db tier the orders written since the capture"), "\(refused.stderr)")
        #expect(try await repo.git("show", "HEAD:app.txt") == "v2\n")

        // At the prompt the person sees the loss; typing the word accepts it.
        let binary = TimeturnerBinary.path
        let command = "'\(binary)' rollback --to p1 --level 2"
        let typed = try await runProcess("script", ["-qec", command, "/dev/null"], environment: repo.environment, in: repo.path,
                                         input: "rollback\n")
        #expect(typed.status == 0, "\(typed)")
        #expect(typed.stdout.contains("data loss: rolling back the db tier discards the orders written since the capture"), "\(typed.stdout)")
        #expect(try await repo.git("show", "HEAD:app.txt") == "v1\n")
        let journal = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl")
        #expect(journal.contains("\"dataLoss\":[{"), "\(journal)")
    }
}
