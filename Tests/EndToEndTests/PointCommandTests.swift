import Testing
import TestSupport

/// Runs the built binary against throwaway repositories and checks the result with plain git.
@Suite struct PointCommandTests {
    @Test func pointWritesAnAnnotatedTagAndANoteThatGitReads() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("first")
        try await repo.git("tag", "-a", "v1.0", "-m", "release 1.0")
        let head = try await repo.commit("second")

        let result = try await repo.timeturner("point", "-m", "before the schema change", "--severity", "high", "--env", "production", "--json")
        #expect(result.status == 0, "\(result)")
        let id = try #require(field("id", in: result.stdout))
        #expect(field("commit", in: result.stdout) == head)
        #expect(field("ref", in: result.stdout) == "refs/timeturner/points/\(id)")

        #expect(try await repo.git("cat-file", "-t", "refs/timeturner/points/\(id)").trimmed == "tag")
        let tagText = try await repo.git("cat-file", "-p", "refs/timeturner/points/\(id)")
        #expect(tagText.contains("object \(head)"))
        #expect(tagText.contains("tag \(id)"))
        #expect(tagText.contains("tagger Ada Tester <ada@example.com> 1795000000 +0000"))
        #expect(tagText.contains("Timeturner-Severity: high"))
        let trailers = try await repo.git("for-each-ref", "--format=%(trailers:key=Timeturner-Env,valueonly)", "refs/timeturner/points/\(id)")
        #expect(trailers.trimmed == "production")

        let note = try await repo.git("log", "--notes=timeturner", "--format=%N", "-1", head)
        let line = try #require(note.lines.first)
        #expect(line.hasPrefix("{\"type\":\"point\""))
        #expect(line.contains("\"id\":\"\(id)\""))
        #expect(line.contains("\"v\":1"))
        // python3's json module is the independent check that each note line is valid JSON.
        let parsed = try await runProcess("python3", ["-c", "import json,sys; [json.loads(l) for l in sys.stdin if l.strip()]; print('ok')"],
                                          environment: repo.environment, in: repo.path, input: note)
        #expect(parsed.stdout.trimmed == "ok", "\(parsed)")

        // Nothing under refs/tags: git describe still names the real tag.
        #expect(try await repo.git("describe").trimmed.hasPrefix("v1.0-1-g"))
        #expect(try await repo.git("tag", "--list").trimmed == "v1.0")
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        _ = first
    }

    @Test func pointsListsNewestFirstWithFiltersAndJSON() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(3)
        for (index, args) in [["HEAD~2", "--name", "old", "--env", "staging"],
                              ["HEAD~1", "--name", "mid", "--severity", "critical", "--env", "production"],
                              ["HEAD", "--name", "new", "--env", "production", "-m", "the newest"]].enumerated() {
            let run = try await repo.timeturner(["point"] + args, extraEnvironment: ["GIT_COMMITTER_DATE": "@\(1_795_000_000 + index * 60) +0000"])
            #expect(run.status == 0, "\(run)")
        }
        let table = try await repo.timeturner("points")
        #expect(table.status == 0)
        let rows = table.stdout.lines
        #expect(rows.first?.hasPrefix("ID") == true)
        #expect(rows.dropFirst().map { String($0.prefix(3)) } == ["new", "mid", "old"])
        #expect(rows[1].contains("the newest"))

        let production = try await repo.timeturner("points", "--env", "production", "--json")
        #expect(ids(in: production.stdout) == ["new", "mid"])
        let critical = try await repo.timeturner("points", "--severity", "critical", "--json")
        #expect(ids(in: critical.stdout) == ["mid"])
        let none = try await repo.timeturner("points", "--env", "nowhere", "--json")
        #expect(none.stdout.trimmed == "[]")
    }

    @Test func showPrintsEverythingAndTheRollbackCommand() async throws {
        let repo = try await ScratchRepository()
        let head = try await repo.commit("deploy v2.5")
        _ = try await repo.timeturner("point", "--name", "pre-v2.5", "-m", "before v2.5\n\nmigration 42 ahead", "--severity", "medium")
        let shown = try await repo.timeturner("show", "pre-v2.5")
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.contains("commit   \(head)  deploy v2.5"))
        #expect(shown.stdout.contains("migration 42 ahead"))
        #expect(shown.stdout.contains("severity medium"))
        #expect(shown.stdout.contains("git timeturner rollback --to pre-v2.5"))
        let byCommit = try await repo.timeturner("show", "HEAD", "--json")
        #expect(byCommit.stdout.contains("\"rollbackCommand\": \"git timeturner rollback --to \(head)\""))
        #expect(byCommit.stdout.contains("\"id\": \"pre-v2.5\""))
    }

    @Test func deleteRemovesOnlyTheRef() async throws {
        let repo = try await ScratchRepository()
        let head = try await repo.commit("one")
        _ = try await repo.timeturner("point", "--name", "gone")
        let deleted = try await repo.timeturner("delete", "gone")
        #expect(deleted.status == 0, "\(deleted)")
        #expect(try await repo.gitResult(["rev-parse", "--verify", "-q", "refs/timeturner/points/gone"]).status != 0)
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head)
        let again = try await repo.timeturner("delete", "gone")
        #expect(again.status == 1)
        #expect(again.stderr.contains("no rollback point named 'gone'"))
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    /// Names `--to` reads as something else: a point called HEAD took `--to HEAD` over, and one
    /// called last-good was printed as `rollback --to last-good`, which means another thing.
    @Test(arguments: ["--name=-rf", "--name=a..b", "--name=two words", "--name=$(reboot)", "--name=esc\u{1b}[2J", "--env=x/y", "--env=a:b",
                      "--name=HEAD", "--name=ORIG_HEAD", "--name=last-good", "--name=Last-Good"])
    func invalidNamesAreRefusedWithTheRuleAndNothingIsWritten(_ argument: String) async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let result = try await repo.timeturner("point", argument)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.hasPrefix("error: invalid "))
        #expect(result.stderr.contains("hint: "))
        #expect(!result.stderr.contains("\u{1b}"), "the raw escape reached the terminal")
        #expect(try await repo.git("for-each-ref", "refs/timeturner", "refs/notes").isEmpty)
    }

    /// A tag of a tree put under refs/timeturner/points/ by hand was listed with the tree's id
    /// as its commit, and `rollback --to` it failed with libgit2's type mismatch (adversarial run).
    @Test func aPointRefTaggingATreeIsSkippedWithAWarning() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        #expect(try await repo.timeturner("point", "-m", "real", "--name", "real").status == 0)
        let tree = try await repo.git("rev-parse", "HEAD^{tree}").trimmed
        let tag = try await repo.git("mktag", input: "object \(tree)\ntype tree\ntag odd\ntagger T <t@example.com> 1700000000 +0000\n\na tree\n").trimmed
        try await repo.git("update-ref", "refs/timeturner/points/odd", tag)
        let list = try await repo.timeturner("points", "--json")
        #expect(list.status == 0 && !list.stdout.contains(tree) && list.stdout.contains("\"real\""), "\(list)")
        #expect(list.stderr.contains("refs/timeturner/points/odd is a tag of") && list.stderr.contains("which is not a commit"), "\(list)")
        let rollback = try await repo.timeturner("rollback", "--to", "odd", "--dry-run")
        #expect(rollback.status == 1 && rollback.stderr.contains("which is not a commit"), "\(rollback)")
    }

    @Test func clearErrorsForUnknownCommitsEmptyRepositoriesAndNonRepositories() async throws {
        let repo = try await ScratchRepository()
        let empty = try await repo.timeturner("point")
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no commits yet, so there is nothing to point at"))
        let mark = try await repo.timeturner("good", "--env", "production")
        #expect(mark.status == 1 && mark.stderr.contains("no commits yet, so there is nothing to mark"), "\(mark)")

        _ = try await repo.commit("one")
        let unknown = try await repo.timeturner("point", "deadbeef")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown revision 'deadbeef'"))

        let outside = repo.siblingDirectory("outside")
        var env = repo.environment
        env["GIT_CEILING_DIRECTORIES"] = outside
        let notRepo = try await runProcess(TimeturnerBinary.path, ["points"], environment: env, in: outside)
        #expect(notRepo.status == 1)
        #expect(notRepo.stderr.contains("not a git repository"))
        #expect(!notRepo.stderr.contains("Fatal error"))
    }

    @Test func terminalEscapesInMessagesArePrintedEscaped() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let created = try await repo.timeturner("point", "--name", "evil", "-m", "innocent\u{1b}]0;pwned\u{07}\u{1b}[2J")
        #expect(created.status == 0)
        for args in [["points"], ["show", "evil"], ["point", "--name", "evil2", "-m", "x\u{1b}[31m"]] {
            let run = try await repo.timeturner(args)
            #expect(!run.stdout.contains("\u{1b}") && !run.stderr.contains("\u{1b}"), "\(args): \(run)")
        }
        #expect(try await repo.timeturner("points").stdout.contains("innocent\\e]0;pwned\\x07\\e[2J"))
    }

    @Test func honoursGitDirAndWorksInBareRepositoriesAndShallowClones() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(3)
        let elsewhere = repo.siblingDirectory("elsewhere")
        let viaEnv = try await repo.timeturner(["point", "--name", "via-env"], in: elsewhere,
                                               extraEnvironment: ["GIT_DIR": repo.path + "/.git"])
        #expect(viaEnv.status == 0, "\(viaEnv)")
        #expect(try await repo.git("cat-file", "-t", "refs/timeturner/points/via-env").trimmed == "tag")

        let bare = repo.siblingDirectory("bare") + "/r.git"
        try await repo.git("clone", "-q", "--bare", repo.path, bare)
        let inBare = try await repo.timeturner(["point", "--name", "in-bare", "--json"], in: bare)
        #expect(inBare.status == 0, "\(inBare)")
        #expect(try await repo.timeturner(["points", "--json"], in: bare).stdout.contains("in-bare"))

        // A depth-1 CI checkout can still record a point: nothing here walks history.
        let shallow = repo.siblingDirectory("shallow") + "/c"
        try await repo.git("clone", "-q", "--depth", "1", "file://" + repo.path, shallow)
        let inShallow = try await repo.timeturner(["point", "--name", "ci"], in: shallow)
        #expect(inShallow.status == 0, "\(inShallow)")
    }

    @Test func helpAndVersion() async throws {
        let repo = try await ScratchRepository()
        for command in [[], ["point"], ["points"], ["show"], ["delete"]] {
            let help = try await repo.timeturner(command + ["--help"])
            #expect(help.status == 0, "\(command): \(help)")
            #expect(help.stdout.contains("USAGE:"))
        }
        #expect(try await repo.timeturner("point", "--help").stdout.contains("Examples:"))
        let version = try await repo.timeturner("--version")
        #expect(version.status == 0)
        #expect(version.stdout.trimmed.split(separator: ".").count == 3)
        let bad = try await repo.timeturner("point", "--severity", "apocalyptic")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("low"))
    }
}

/// The value of a top-level string field in pretty JSON output.
func field(_ name: String, in json: String) -> String? {
    for line in json.lines {
        let trimmed = line.trimmed
        let prefix = "\"\(name)\": \""
        if trimmed.hasPrefix(prefix) {
            return String(trimmed.dropFirst(prefix.count).prefix { $0 != "\"" })
        }
    }
    return nil
}

/// Every `"id"` in pretty JSON output, in order.
func ids(in json: String) -> [String] {
    json.lines.map(\.trimmed).filter { $0.hasPrefix("\"id\": \"") }.map { String($0.dropFirst(7).prefix { $0 != "\"" }) }
}
