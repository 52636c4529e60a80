import Testing
import TestSupport

/// The GitHub Actions and GitLab CI examples in docs/registry.md, run: their shell steps, in order,
/// in a fresh full clone of a scratch "origin" that holds the project (its deploy and smoke-test
/// scripts are stand-ins, hooks/post-deploy is the real one), each step as `bash -e -c` as both CI
/// systems run them. Afterwards the origin must hold the good mark the job recorded.
@Suite struct CIExampleTests {
    @Test(arguments: ["GitHub Actions", "GitLab CI"])
    func registryDocCIExampleRuns(_ system: String) async throws {
        let project = try await ScratchRepository()
        try project.write("deploy.sh", "#!/bin/sh\necho \"deploying to $1\"\n", mode: 0o755)
        try project.write("scripts/smoke-test.sh", "#!/bin/sh\necho \"smoke test ${1:-local}: ok\"\n", mode: 0o755)
        try writeFile(project.path + "/hooks/post-deploy", readFile(Fixtures.repositoryRoot + "/hooks/post-deploy") ?? [], mode: 0o755)
        let head = try await project.commit("the project", files: ["app.txt": "v1\n"])
        let origin = project.siblingDirectory("origin.git")
        try await project.git("clone", "-q", "--bare", project.path, origin)

        let extracted = try await runProcess("python3", [Fixtures.directory + "/ci-steps.py", Fixtures.repositoryRoot + "/docs/registry.md", system],
                                             environment: project.environment, in: project.path)
        #expect(extracted.status == 0, "no \(system) example in docs/registry.md: \(extracted)")
        let steps = extracted.stdout.lines
        #expect(steps.count >= 3, "\(steps)")
        #expect(steps.contains { $0.contains("hooks/post-deploy production") }, "\(steps)")

        // actions/checkout with fetch-depth 0, GitLab's GIT_DEPTH 0: a full clone.
        let job = project.siblingDirectory("job")
        try await project.git("clone", "-q", origin, job)
        var environment = project.environment
        environment["PATH"] = CompletionTests.binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["CI_COMMIT_SHA"] = head
        for step in steps {
            let result = try await runProcess("bash", ["-e", "-c", step], environment: environment, in: job)
            #expect(result.status == 0, "step \(step): \(result)")
        }

        // The job's last step pushed the registry: the origin has the good mark, by the CI identity.
        let files = try await runProcess("git", ["--git-dir", origin, "ls-tree", "-r", "--name-only", "refs/timeturner/registry"],
                                         environment: environment, in: job)
        let shard = try #require(files.stdout.lines.first { $0.hasPrefix("marks/production/") }, "\(files)")
        let marks = try await runProcess("git", ["--git-dir", origin, "show", "refs/timeturner/registry:" + shard], environment: environment, in: job)
        #expect(marks.stdout.contains("\"commit\":\"\(head)\""), "\(marks)")
        #expect(marks.stdout.contains("\"type\":\"good\""), "\(marks)")
        #expect(marks.stdout.contains(system == "GitLab CI" ? "GitLab CI <ci@example.com>" : "CI <ci@example.com>"), "\(marks)")
    }
}
