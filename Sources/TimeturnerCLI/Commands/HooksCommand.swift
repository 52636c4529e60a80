import ArgumentParser
internal import Glibc
import GitKit
import TimeturnerCore

/// `git timeturner hooks install|run`: the repository's hooks as one-line shims that call back
/// into git-timeturner, so upgrading the tool upgrades every repository's hooks.
struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install the post-deploy and pre-push hooks into this repository.",
        discussion: """
        Hooks go into the directory git runs hooks from (core.hooksPath, else .git/hooks), as \
        shims between '# >>> git-timeturner >>>' and '# <<< git-timeturner <<<' comments: a hook \
        you already have is kept, installing again changes nothing, --uninstall removes only \
        the shim. docs/hooks.md says what each hook does.

        Examples:
          git timeturner hooks install                  # post-deploy
          git timeturner hooks install --pre-push       # opt in to the push guard
          git timeturner hooks install --uninstall      # every shim out again
          "$(git rev-parse --git-path hooks)/post-deploy" production -- ./smoke-test.sh
        """,
        subcommands: [Install.self, Run.self]
    )
}

extension HooksCommand {
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install (or with --uninstall remove) hook shims; without a hook flag, post-deploy.",
            discussion: """
            post-deploy: not run by git; a deploy pipeline runs it after deploying, with the \
            environment and a check command, and it marks the deployed commit good or bad.
            pre-push: refuses to push a branch whose new tip is marked bad in an environment the \
            branch deploys to (timeturner.env.<env>.branch; every environment when none is set). \
            Bypass once with 'git push --no-verify' or TIMETURNER_ALLOW_BAD_PUSH=1.
            """
        )

        @Flag(help: "The post-deploy hook (the default when no hook is named).")
        var postDeploy = false

        @Flag(help: "The pre-push guard against pushing commits marked bad.")
        var prePush = false

        @Flag(help: "Remove the shims instead (every managed hook when none is named).")
        var uninstall = false

        @Flag(help: "Print what was done as JSON.")
        var json = false

        func run() throws {
            let context = CommandContext.process
            let repository = try context.openRepository()
            let shims = HookShims(repository: repository, environment: context.environment)
            var hooks: [ManagedHook] = []
            if postDeploy { hooks.append(.postDeploy) }
            if prePush { hooks.append(.prePush) }
            if hooks.isEmpty { hooks = uninstall ? ManagedHook.allCases : [.postDeploy] }
            let changes = try hooks.map { (hook) throws(TimeturnerError) in
                try uninstall ? shims.uninstall(hook) : shims.install(hook)
            }
            if json {
                context.printJSON(["directory": .string(try shims.directory()),
                                   "hooks": .array(changes.map { ["hook": .string($0.hook.rawValue), "path": .string($0.path),
                                                                  "action": .string($0.action.rawValue)] })])
                return
            }
            for change in changes {
                context.terminal.out("\(change.hook.rawValue): \(Self.words[change.action] ?? change.action.rawValue) \(Terminal.escaped(change.path))")
            }
        }

        static let words: [HookChange.Action: String] = [
            .created: "created", .added: "added a shim to your hook", .updated: "updated the shim in",
            .unchanged: "already installed in", .removed: "removed the shim from", .deleted: "deleted",
            .absent: "not installed in",
        ]
    }

    /// What the shims call. Hidden from help: people run the hooks, not this.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a hook (called by the installed shims).",
            shouldDisplay: false
        )

        @Argument(help: "post-deploy or pre-push.")
        var hook: HookArgument

        @Argument(parsing: .captureForPassthrough, help: "The hook's own arguments.")
        var arguments: [String] = []

        func run() throws {
            let context = CommandContext.process
            switch hook.value {
            case .postDeploy: try Self.execPostDeploy(arguments, context: context)
            case .prePush: try Self.guardPush(context: context)
            }
        }

        /// The post-deploy script is installed with the binary ($PREFIX/share/git-timeturner/hooks);
        /// TIMETURNER_SHARE_DIR points elsewhere (tests, a checkout). Replaces this process, so
        /// the script's exit status is the hook's.
        static func execPostDeploy(_ arguments: [String], context: CommandContext) throws(TimeturnerError) {
            let share = shareDirectory(environment: context.environment)
            let script = share + "/hooks/post-deploy"
            guard access(script, X_OK) == 0 else {
                throw TimeturnerError(.failure, "the post-deploy script is not installed at \(script)",
                                      hint: "install git-timeturner with 'make install', or set TIMETURNER_SHARE_DIR to a directory holding hooks/post-deploy")
            }
            let argv = ([script] + arguments).map { strdup($0) } + [nil]
            execv(script, argv)
            throw TimeturnerError(.failure, "cannot run \(script): \(String(cString: strerror(errno)))")
        }

        static func shareDirectory(environment: [String: String]) -> String {
            if let explicit = environment["TIMETURNER_SHARE_DIR"], !explicit.isEmpty { return explicit }
            // <prefix>/bin/git-timeturner → <prefix>/share/git-timeturner
            let executable = LocalFile.linkTarget("/proc/self/exe") ?? CommandLine.arguments[0]
            var prefix = String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)])
            if prefix.hasSuffix("/bin") { prefix.removeLast("/bin".count) }
            return prefix + "/share/git-timeturner"
        }

        static func guardPush(context: CommandContext) throws(TimeturnerError) {
            var input: [String] = []
            while let line = readLine() { input.append(line) }
            let updates = PushGuard.updates(from: input.joined(separator: "\n"))
            guard !updates.isEmpty else { return }
            let repository = try context.openRepository()
            let configuration = try context.configuration(in: repository, overrides: [])
            let refusals = try PushGuard(repository: repository).refusals(for: updates, deployTargets: PushGuard.environments(in: configuration))
            guard let first = refusals.first else { return }
            let words = refusals.map { refusal in
                "\(refusal.branch) at \(refusal.mark.commit.short) is marked bad in \(refusal.mark.env)"
                    + (Terminal.noteLines(refusal.mark.note ?? "").first.map { " (\($0))" } ?? "")
            }
            if context.environment["TIMETURNER_ALLOW_BAD_PUSH"] == "1" {
                words.forEach { context.terminal.warning("pushing anyway (TIMETURNER_ALLOW_BAD_PUSH=1): " + $0) }
                return
            }
            throw TimeturnerError(.refused, "refusing to push: " + words.joined(separator: "; "),
                                  hint: "mark it good once fixed (git timeturner good \(first.mark.commit.short) --env \(first.mark.env)), or push anyway with 'git push --no-verify' or TIMETURNER_ALLOW_BAD_PUSH=1")
        }
    }
}

struct HookArgument: ExpressibleByArgument {
    let value: ManagedHook
    init?(argument: String) {
        guard let value = ManagedHook(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { ManagedHook.allCases.map(\.rawValue) }
}
