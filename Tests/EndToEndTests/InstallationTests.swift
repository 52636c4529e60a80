import Testing
import TestSupport

/// The committed manual pages against the --help definitions, and `make install` into a
/// HOME-local prefix the way a new user installs: afterwards `git timeturner --help` shows the
/// manual, bash completes `git timeturner roll<TAB>` and point ids, `hooks install` keeps an
/// existing hook and runs the installed post-deploy script, and `make uninstall` leaves nothing.
@Suite struct InstallationTests {
    @Test func manualPagesMatchTheHelpDefinitions() async throws {
        let repo = try await ScratchRepository()
        let dump = try await repo.timeturner("--experimental-dump-help")
        #expect(dump.status == 0)
        let check = try await runProcess("python3", [Fixtures.directory + "/check-man-pages.py", Fixtures.repositoryRoot + "/man"],
                                         environment: repo.environment, in: repo.path, input: dump.stdout)
        #expect(check.status == 0, "the pages are out of date; run 'make man':\n\(check)")
    }

    @Test func makeInstallIntoHomeLocalThenUninstall() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        #expect(try await repo.timeturner("point", "--name", "pre-v2", "-m", "before v2").status == 0)
        let prefix = repo.home + "/.local"
        var environment = repo.environment
        environment["PATH"] = prefix + "/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["MANPAGER"] = "cat"
        environment["MANWIDTH"] = "80"
        environment["LC_ALL"] = "C.UTF-8"
        let make = try await runProcess("make", ["-C", Fixtures.repositoryRoot, "install", "PREFIX=\(prefix)", "BIN=\(TimeturnerBinary.path)"],
                                        environment: environment, in: repo.path)
        #expect(make.status == 0, "\(make)")

        // Every installed page renders without a warning.
        let pages = try await runProcess("ls", [prefix + "/share/man/man1"], environment: environment, in: repo.path).stdout.lines
        #expect(pages.count >= 25 && pages.contains("git-timeturner-rollback.1"), "\(pages)")
        for page in pages {
            let rendered = try await runProcess("groff", ["-mandoc", "-Tutf8", "-ww", "-z", prefix + "/share/man/man1/" + page],
                                                environment: environment, in: repo.path)
            #expect(rendered.status == 0 && rendered.stderr.isEmpty, "\(page): \(rendered)")
        }
        // git turns --help after a subcommand into 'git help', which opens man git-timeturner;
        // man finds $PREFIX/share/man from $PREFIX/bin on PATH.
        let help = try await runProcess("git", ["timeturner", "--help"], environment: environment, in: repo.path)
        #expect(help.status == 0, "\(help)")
        #expect(help.stdout.contains("GIT-TIMETURNER(1)") && help.stdout.contains("rollback"), "\(help)")
        let rollbackPage = try await runProcess("man", ["git-timeturner-rollback"], environment: environment, in: repo.path)
        #expect(rollbackPage.stdout.contains("The steps of a rollback"), "docs/rollback.md is part of the page")

        // bash-completion finds ~/.local/share/bash-completion/completions/git-timeturner itself.
        let driver = """
        source /usr/share/bash-completion/bash_completion
        __load_completion git
        for line in "git timeturner roll" "git timeturner rollback --to pre"; do
            read -ra COMP_WORDS <<<"$line"
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE="$line" COMP_POINT=${#line}
            __git_wrap__git_main git "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s|' "${COMPREPLY[@]}"; echo
        done
        """
        let completed = try await runProcess("bash", ["-c", driver], environment: environment.merging(["LC_ALL": "C"]) { $1 }, in: repo.path)
        #expect(completed.stdout == "rollback |\npre-v2 |\n", "\(completed)")

        // hooks install keeps the user's hook; the shim reaches the installed post-deploy script.
        try repo.write(".git/hooks/post-deploy", "#!/bin/sh\necho mine >> hook.log\n", mode: 0o755)
        let installHooks = try await runProcess("git", ["timeturner", "hooks", "install"], environment: environment, in: repo.path)
        #expect(installHooks.stdout.contains("post-deploy: added a shim to your hook"), "\(installHooks)")
        let deployed = try await runProcess(repo.path + "/.git/hooks/post-deploy", ["production", "--", "true"], environment: environment, in: repo.path)
        #expect(deployed.status == 0, "\(deployed)")
        #expect(try await repo.timeturner("last-good", "--env", "production").status == 0)
        #expect(repo.read("hook.log") == "mine\n", "the user's own lines still run")

        let uninstall = try await runProcess("make", ["-C", Fixtures.repositoryRoot, "uninstall", "PREFIX=\(prefix)"], environment: environment, in: repo.path)
        #expect(uninstall.status == 0, "\(uninstall)")
        let left = try await runProcess("find", [prefix, "-type", "f"], environment: environment, in: repo.path)
        #expect(left.stdout.isEmpty, "make uninstall left: \(left.stdout)")
    }
}
