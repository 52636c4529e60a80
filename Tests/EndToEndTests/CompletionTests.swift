import Testing
import TestSupport

/// Shell completion: the hidden `__complete` subcommand, and the bash, fish and zsh scripts in
/// completions/ driven through each shell the way it completes a Tab press.
@Suite struct CompletionTests {
    /// A repository with two points, a good mark in production, a remote and a safety ref.
    static func repository() async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        #expect(try await repo.timeturner("point", "--name", "pre-v2", "-m", "before v2").status == 0)
        #expect(try await repo.timeturner("point", "--name", "pre-v3", "-m", "before v3\n\nwith a body").status == 0)
        #expect(try await repo.timeturner("good", "--env", "production").status == 0)
        #expect(try await repo.timeturner("good", "--env", "staging").status == 0)
        try await repo.git("remote", "add", "upstream", repo.siblingDirectory("remote"))
        try await repo.git("update-ref", "refs/timeturner/safety/20261118T110640Z-abcdef", "HEAD")
        return repo
    }

    static func candidates(_ repo: ScratchRepository, _ words: String...) async throws -> (directive: String, values: [String], lines: [String]) {
        let result = try await repo.timeturner(["__complete", "--"] + words)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        return (lines.first ?? "", lines.dropFirst().map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[0]) },
                Array(lines.dropFirst()))
    }

    @Test func hiddenSubcommandAnswersFromDefinitionsAndRepository() async throws {
        let repo = try await Self.repository()
        #expect(try await Self.candidates(repo, "roll").values == ["rollback"])
        let subcommands = try await Self.candidates(repo, "")
        #expect(subcommands.values.contains("point") && subcommands.values.contains("registry"))
        #expect(!subcommands.values.contains("__complete"), "the hidden command is not offered")

        let to = try await Self.candidates(repo, "rollback", "--to", "")
        #expect(to.directive == ":refs")
        #expect(to.values == ["last-good", "pre-v3", "pre-v2"])
        #expect(to.lines.contains("pre-v3\tbefore v3"), "a point comes with its subject: \(to.lines)")
        #expect(try await Self.candidates(repo, "rollback", "--to", "pre-v2").values == ["pre-v2"])

        #expect(try await Self.candidates(repo, "good", "--env", "").values == ["production", "staging"])
        #expect(try await Self.candidates(repo, "last-good", "--env=st").values == ["--env=staging"])
        #expect(try await Self.candidates(repo, "sync", "").values == ["upstream"])
        #expect(try await Self.candidates(repo, "undo", "").values == ["20261118T110640Z-abcdef"])
        #expect(try await Self.candidates(repo, "delete", "pre-v").values == ["pre-v3", "pre-v2"])
        #expect(try await Self.candidates(repo, "point", "--severity", "").values == ["low", "medium", "high", "critical"])
        #expect(try await Self.candidates(repo, "rollback", "--tiers", "code,d").values == ["code,deploy", "code,db"])
        #expect(try await Self.candidates(repo, "executor", "describe", "").values.starts(with: ["command", "files", "migrations", "postgres", "release-dir"]))
        #expect(try await Self.candidates(repo, "registry", "import", "").directive == ":files")
        try await repo.git("config", "timeturner.check.health.kind", "http")
        #expect(try await Self.candidates(repo, "guard", "--check", "").values == ["health"])
        #expect(try await Self.candidates(repo, "check", "he").values == ["health"])
        #expect(try await Self.candidates(repo, "trigger", "").values == ["check"])
        let options = try await Self.candidates(repo, "rollback", "--d")
        #expect(options.values == ["--dry-run"])
        // After an option that takes a value, the next word is that value, not an option.
        #expect(try await Self.candidates(repo, "point", "-m", "--env", "").directive == ":refs")
    }

    /// `--with-refs` (the bash script's): where any revision goes, the branches, tags and
    /// remote-tracking branches are listed by the binary as git's own bash completion lists them,
    /// checked against `git for-each-ref`, packed and loose refs alike.
    @Test func withRefsListsWhatGitsCompletionWould() async throws {
        let repo = try await Self.repository()
        try await repo.git("tag", "v1.0")
        try await repo.git("branch", "feature/login")
        try await repo.git("update-ref", "refs/remotes/upstream/main", "HEAD")
        try await repo.git("pack-refs", "--all")
        try await repo.git("branch", "hotfix")          // loose, after the pack
        try await repo.git("tag", "v1.1")
        try await repo.git("update-ref", "ORIG_HEAD", "HEAD")

        func complete(_ words: String...) async throws -> (directive: String, values: [String]) {
            let result = try await repo.timeturner(["__complete", "--with-refs", "--"] + words)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
            let lines = result.stdout.split(separator: "\n").map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[0]) }
            return (lines.first ?? "", Array(lines.dropFirst()))
        }
        let gits = try await repo.git("for-each-ref", "--format=%(refname:strip=2)", "refs/tags", "refs/heads", "refs/remotes")
            .split(separator: "\n").map(String.init)
        #expect(gits.contains("hotfix") && gits.contains("v1.1") && gits.contains("upstream/main") && gits.contains("feature/login"))

        let all = try await complete("rollback", "--to", "")
        #expect(all.directive == ":words", "the script has nothing left to add")
        #expect(all.values == ["last-good", "pre-v3", "pre-v2", "HEAD", "ORIG_HEAD"] + gits, "\(all.values)")
        #expect(try await complete("rollback", "--to", "v1").values == ["v1.0", "v1.1"])
        #expect(try await complete("rollback", "--to", "h").values == ["hotfix"])
        #expect(try await complete("rollback", "--to=fe").values == ["--to=feature/login"])
        #expect(try await complete("rollback", "--to", "refs/h").values == ["refs/heads/feature/login", "refs/heads/hotfix", "refs/heads/main"])
        let full = try await repo.git("for-each-ref", "--format=%(refname)").split(separator: "\n").map(String.init)
        #expect(try await complete("rollback", "--to", "refs").values == full.sorted())
        // Where only point ids go, no ref is offered.
        #expect(try await complete("delete", "").values == ["pre-v3", "pre-v2"])
        // Without the option, ref names are still left to the shell.
        #expect(try await Self.candidates(repo, "rollback", "--to", "v1").directive == ":refs")
    }

    /// Outside a repository the commands still complete; repository values are simply absent.
    @Test func outsideARepository() async throws {
        let repo = try await ScratchRepository()
        let outside = repo.siblingDirectory("outside")
        let result = try await repo.timeturner(["__complete", "--", "rollback", "--to", ""], in: outside,
                                               extraEnvironment: ["GIT_CEILING_DIRECTORIES": outside])
        #expect(result.status == 0)
        #expect(result.stdout == ":refs\nlast-good\tthe newest good commit of --env\n")
    }

    /// bash: git's own completion (Debian's git package) finds completions/git-timeturner.bash the
    /// way an installed copy is found, through bash-completion's loader, and calls _git_timeturner.
    @Test func bashCompletesThroughGitsCompletion() async throws {
        let repo = try await Self.repository()
        let bashDir = repo.siblingDirectory("bash-completion")
        let scriptDir = repo.siblingDirectory("bash-completion/completions")
        _ = bashDir
        try writeFile(scriptDir + "/git-timeturner", readFile(Fixtures.repositoryRoot + "/completions/git-timeturner.bash") ?? [])
        func complete(_ line: String) async throws -> [String] {
            let driver = """
            source /usr/share/bash-completion/bash_completion
            line="$1"
            read -ra COMP_WORDS <<<"$line"
            [[ $line == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE="$line" COMP_POINT=${#line}
            complete -p "${COMP_WORDS[0]}" >/dev/null 2>&1 || _completion_loader "${COMP_WORDS[0]}"
            func=$(complete -p "${COMP_WORDS[0]}" | sed -E 's/.*-F ([^ ]+).*/\\1/')
            "$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
            var environment = repo.environment
            environment["BASH_COMPLETION_USER_DIR"] = bashDir
            environment["PATH"] = Self.binaryDirectory + ":" + (environment["PATH"] ?? "")
            let result = try await runProcess("bash", ["-c", driver, "driver", line], environment: environment, in: repo.path)
            #expect(result.status == 0, "\(result)")
            return result.stdout.split(separator: "\n").map { String($0).trimmed }
        }
        #expect(try await complete("git timeturner roll") == ["rollback"])
        let to = try await complete("git timeturner rollback --to ")
        #expect(to.contains("pre-v2") && to.contains("pre-v3") && to.contains("last-good"), "\(to)")
        #expect(to.contains("main"), "branches are offered too: \(to)")
        #expect(try await complete("git-timeturner rollback --to ma") == ["main"], "also without git's completion")
        #expect(try await complete("git timeturner good --env pro") == ["production"])
        #expect(try await complete("git timeturner registry l") == ["list", "log"])
        #expect(try await complete("git-timeturner rollback --dry") == ["--dry-run"])
        #expect(try await complete("git-timeturner sync up") == ["upstream"])
    }

    /// fish: the conf.d file declares both `git-timeturner` and `git timeturner`. (fish's own
    /// configuration is left on: --no-config would skip vendor conf.d files too; HOME is private.)
    @Test func fishCompletesBothSpellings() async throws {
        let repo = try await Self.repository()
        let data = repo.siblingDirectory("share")
        try writeFile(data + "/fish/vendor_conf.d/git-timeturner.fish", readFile(Fixtures.repositoryRoot + "/completions/git-timeturner.fish") ?? [])
        var environment = repo.environment
        environment["XDG_DATA_DIRS"] = data + ":/usr/share"
        environment["PATH"] = Self.binaryDirectory + ":" + (environment["PATH"] ?? "")
        let script = """
        complete -C 'git timeturner roll'; echo ==; complete -C 'git timeturner rollback --to pre'; echo ==; complete -C 'git-timeturner good --env '
        """
        let result = try await runProcess("fish", ["-c", script], environment: environment, in: repo.path)
        #expect(result.status == 0, "\(result)")
        let parts = result.stdout.split(separator: "==\n", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 3, "\(result)")
        guard parts.count == 3 else { return }
        #expect(parts[0].hasPrefix("rollback\t"))
        #expect(parts[1].lines.sorted() == ["pre-v2\tbefore v2", "pre-v3\tbefore v3"])
        #expect(parts[2].lines == ["production\tenvironment", "staging\tenvironment"])
    }

    /// zsh: completing needs a terminal (zle), so the function is run with _describe replaced by
    /// one that prints what it was given: what reaches zsh's menu is exactly this list.
    @Test func zshFunctionHandsCandidatesToDescribe() async throws {
        let repo = try await Self.repository()
        let functions = repo.siblingDirectory("zsh-functions")
        try writeFile(functions + "/_git-timeturner", readFile(Fixtures.repositoryRoot + "/completions/_git-timeturner") ?? [])
        var environment = repo.environment
        environment["PATH"] = Self.binaryDirectory + ":" + (environment["PATH"] ?? "")
        let script = """
        fpath=(\(functions) $fpath)
        _describe() { print -rl -- "${(@P)4}"; }
        _files() { print FILES; }
        autoload -Uz _git-timeturner
        words=(timeturner rollback --to pre); CURRENT=4; _git-timeturner
        print -r -- --
        words=(git-timeturner registry import ''); CURRENT=4; _git-timeturner
        """
        let result = try await runProcess("zsh", ["-f", "-c", script], environment: environment, in: repo.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "pre-v3:before v3\npre-v2:before v2\n--\nFILES\n", "\(result)")
        #expect(try await runProcess("zsh", ["-n", functions + "/_git-timeturner"], environment: environment, in: repo.path).status == 0)
    }

    static var binaryDirectory: String { String(TimeturnerBinary.path[..<TimeturnerBinary.path.lastIndex(of: "/")!]) }
}
