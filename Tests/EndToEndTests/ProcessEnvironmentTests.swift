import Testing
import TestSupport
internal import Glibc

/// The tool reads its environment from `environ` itself (`CommandContext.processEnvironment`).
/// It must read it as git does: an environment can hold one name twice (a program that builds
/// `envp` by hand), and then `getenv`, so git and libgit2, takes the first.
@Suite struct ProcessEnvironmentTests {
    /// Runs `program` with exactly `environment` (duplicates kept: no shell in between, which
    /// would rebuild it); its exit status and standard output.
    func run(_ program: String, _ arguments: [String], environment: [String]) throws -> (status: Int32, output: String) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw SetupError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, program, &actions, nil, argv, envp) == 0 else { throw SetupError("cannot start \(program)") }
        close(pipe[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(pipe[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return ((status >> 8) & 0xff, String(decoding: output, as: UTF8.self))
    }

    @Test func aNameSetTwiceMeansTheFirstAsForGit() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        // The repository through GIT_DIR and GIT_WORK_TREE: the test process's directory is shared.
        let base = repo.environment.filter { !$0.key.hasPrefix("GIT_COMMITTER_") }.map { "\($0.key)=\($0.value)" }
            + ["GIT_DIR=\(repo.path)/.git", "GIT_WORK_TREE=\(repo.path)"]
        let environment = base + ["GIT_COMMITTER_NAME=First Name", "GIT_COMMITTER_EMAIL=first@example.com",
                                  "GIT_COMMITTER_NAME=Second Name", "GIT_COMMITTER_EMAIL=second@example.com",
                                  "NOT A VARIABLE"]
        let git = try run("git", ["var", "GIT_COMMITTER_IDENT"], environment: environment)
        #expect(git.status == 0 && git.output.hasPrefix("First Name <first@example.com>"), "\(git)")
        let point = try run(TimeturnerBinary.path, ["point", "-m", "who"], environment: environment)
        #expect(point.status == 0, "\(point)")
        let tagger = try await repo.git("for-each-ref", "refs/timeturner/points", "--format=%(taggername) %(taggeremail)").trimmed
        #expect(tagger == "First Name <first@example.com>", "the tool read the environment otherwise than git: \(tagger)")
    }
    /// With `GIT_CONFIG_NOSYSTEM` true git reads no system-wide gitconfig, and neither does the
    /// tool now (libgit2 1.5.1 ignores the variable). Watched with strace: whether the tool looks
    /// for `/etc/gitconfig` at all, which libgit2 does on every open when it may read it.
    @Test(arguments: [("1", false), ("true", false), ("0", true), (nil, true)] as [(String?, Bool)])
    func theSystemConfigIsSkippedAsGitSkipsIt(value: String?, looked: Bool) async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        var environment = repo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = value
        let log = repo.siblingDirectory("trace") + "/strace.log"
        let run = try await runProcess("strace", ["-f", "-qq", "-e", "trace=%file", "-o", log, TimeturnerBinary.path, "status"],
                                       environment: environment, in: repo.path)
        #expect(run.status == 0, "\(run)")
        let trace = String(decoding: try #require(readFile(log)), as: UTF8.self)
        #expect(trace.contains("\"/etc/gitconfig\"") == looked,
                "GIT_CONFIG_NOSYSTEM=\(value ?? "(unset)"): /etc/gitconfig \(looked ? "not looked for" : "looked for")")
    }
}
