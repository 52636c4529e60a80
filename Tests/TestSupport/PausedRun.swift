import Subprocess
import SystemPackage
internal import Glibc

extension ScratchRepository {
    /// Runs the binary with `TIMETURNER_TEST_PAUSE_AT=<step>` and, once it waits before that step
    /// (its marker file exists), runs `whilePaused` with the child's pid and the marker's path.
    /// `whilePaused` may remove the marker (the operation goes on) or kill the child. Returns the
    /// exit status (128 + signal when killed). Output is discarded: these tests look at the
    /// repository, not at the text.
    public func timeturnerPaused(_ arguments: [String], before step: String,
                                 whilePaused: @Sendable (_ pid: Int32, _ marker: String) async throws -> Void) async throws -> Int32 {
        let gitDirectory = try await git("rev-parse", "--absolute-git-dir").trimmed
        let marker = gitDirectory + "/timeturner/test-pause"
        var env = environment
        env["TIMETURNER_TEST_PAUSE_AT"] = step
        let result = try await Subprocess.run(
            .path(FilePath(TimeturnerBinary.path)), arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: env.map { (Environment.Key(rawValue: $0.key)!, $0.value) })),
            workingDirectory: FilePath(path), input: .none, output: .discarded, error: .discarded
        ) { execution in
            let pid = execution.processIdentifier.value
            // Wait (bounded) until the operation reaches the step; it may also end early (a refusal).
            for _ in 0..<3000 where access(marker, F_OK) != 0 && kill(pid, 0) == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            guard access(marker, F_OK) == 0 else { throw SetupError("the operation never paused before \(step)") }
            try await whilePaused(pid, marker)
        }
        switch result.terminationStatus {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    /// The state a rollback must give back exactly: branch and HEAD, index, and every file of
    /// the work tree (tracked or not) with its mode or symlink target and content hash.
    public func fingerprint() async throws -> String {
        let script = """
        set -e
        echo "HEAD $(git rev-parse HEAD) $(git symbolic-ref -q HEAD || echo detached)"
        git for-each-ref --format='%(refname) %(objectname)' refs/heads
        echo "--- index"; git ls-files -s
        echo "--- status"; git status --porcelain=v1 -uall
        echo "--- diff"; git diff; git diff --cached
        echo "--- files"
        find . -path ./.git -prune -o \\( -type f -o -type l \\) -print | LC_ALL=C sort | while read -r f; do
          if [ -L "$f" ]; then echo "$f link $(readlink "$f")"; else echo "$f $(stat -c %a "$f") $(sha1sum < "$f" | cut -c1-40)"; fi
        done
        """
        let result = try await runProcess("/bin/sh", ["-c", script], environment: environment, in: path)
        guard result.status == 0 else { throw CommandFailed(command: ["fingerprint"], result: result) }
        return result.stdout
    }

    public func exists(_ relativePath: String) -> Bool { access(path + "/" + relativePath, F_OK) == 0 }
}
