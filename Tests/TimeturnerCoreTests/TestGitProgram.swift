import TestSupport
import TimeturnerCore

/// The real `git` for Core's remote tests, run through TestSupport's process runner with the
/// hermetic environment (Core cannot use the executors layer's runner).
struct TestGitProgram: GitProgram {
    let environment: [String: String]
    let directory: String

    func run(_ arguments: [String], timeout: Swift.Duration) async -> GitProgramResult {
        do {
            let result = try await runProcess("git", arguments, environment: environment, in: directory)
            return GitProgramResult(ending: .exited(result.status), standardOutput: Array(result.stdout.utf8),
                                    standardError: result.stderr.split(separator: "\n").map(String.init))
        } catch {
            return GitProgramResult(ending: .aborted("\(error)"))
        }
    }
}

/// A git whose pushes report success without sending anything, the first `lies` times:
/// what libgit2's local transport did to a path remote when another clone pushed at once.
actor LyingGitProgram: GitProgram {
    let real: TestGitProgram
    private var lies: Int
    private(set) var pushes = 0

    init(real: TestGitProgram, lies: Int) {
        self.real = real
        self.lies = lies
    }

    func run(_ arguments: [String], timeout: Swift.Duration) async -> GitProgramResult {
        guard arguments.contains("push") else { return await real.run(arguments, timeout: timeout) }
        pushes += 1
        guard lies > 0 else { return await real.run(arguments, timeout: timeout) }
        lies -= 1
        // `git push --porcelain` saying every refspec went through.
        let refspecs = arguments.drop { $0 != "push" }.filter { $0.contains(":") && !$0.hasPrefix("-") }
        let lines = ["To remote"] + refspecs.map { " \t\($0)\t0000000..1111111" } + ["Done"]
        return GitProgramResult(ending: .exited(0), standardOutput: Array(lines.joined(separator: "\n").utf8))
    }
}
