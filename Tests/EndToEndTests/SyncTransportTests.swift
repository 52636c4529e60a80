import Testing
import TestSupport

/// Issue 12: fetch and push go through the user's git, so a remote reached over SSH with the
/// team's own configuration (core.sshCommand, a host alias, url.<base>.insteadOf) works, and a
/// remote that refuses the credentials fails at once with ssh's reason instead of prompting.
/// A real sshd on 127.0.0.1 with throwaway keys (Tests/TestSupport/SSHServer.swift).
@Suite struct SyncTransportTests {
    @Test func syncOverSSHUsesTheUsersSSHConfigurationAndInsteadOf() async throws {
        let seed = try await ScratchRepository()
        _ = try await seed.commit("release 1")
        let bare = seed.siblingDirectory("served") + "/app.git"
        try await seed.git("init", "-q", "--bare", "-b", "main", bare)
        try await seed.git("push", "-q", bare, "main")
        try await SSHServer.with(environment: seed.environment) { server in
            let a = seed.siblingDirectory("a") + "/clone"
            let b = seed.siblingDirectory("b") + "/clone"
            // As a team sets it up: the SSH command in the clone's config, the host an alias.
            try await seed.git("clone", "-q", "-c", "core.sshCommand=\(server.sshCommand)", server.url(bare), a)
            try await seed.git("clone", "-q", "-c", "core.sshCommand=\(server.sshCommand)", server.url(bare), b)
            #expect(try await seed.timeturner(["point", "--name", "over-ssh", "-m", "through sshd"], in: a).status == 0)
            #expect(try await seed.timeturner(["good", "--env", "production", "--evidence", "ssh clone a"], in: a).status == 0)
            let push = try await seed.timeturner(["sync", "--json"], in: a)
            #expect(push.status == 0, "\(push)")
            #expect(push.stdout.contains("\"ref\": \"refs/timeturner/registry\"") && push.stdout.contains("refs/timeturner/points/over-ssh"), "\(push)")
            #expect(try await seed.git("--git-dir", bare, "rev-parse", "refs/timeturner/registry").trimmed
                    == (try await runProcess("git", ["rev-parse", "refs/timeturner/registry"], environment: seed.environment, in: a)).stdout.trimmed)

            // B names the remote through url.<base>.insteadOf, as a team alias would.
            try await runProcess("git", ["config", "url.\(server.url("")).insteadOf", "team:"], environment: seed.environment, in: b).requireSuccess()
            let pull = try await seed.timeturner(["sync", "team:\(bare)", "--json"], in: b)
            #expect(pull.status == 0, "\(pull)")
            #expect(pull.stdout.contains("refs/timeturner/points/over-ssh"), "\(pull)")
            let marks = try await seed.timeturner(["registry", "list", "--env", "production"], in: b)
            #expect(marks.stdout.contains("ssh clone a"), "\(marks)")
        }
    }

    @Test func aRefusedKeyFailsAtOnceWithSSHsReasonAndNoPrompt() async throws {
        let seed = try await ScratchRepository()
        _ = try await seed.commit("release 1")
        let bare = seed.siblingDirectory("served") + "/app.git"
        try await seed.git("init", "-q", "--bare", "-b", "main", bare)
        try await SSHServer.with(environment: seed.environment) { server in
            // The right host and known_hosts, but the server accepts no key at all now.
            try await seed.git("config", "core.sshCommand", server.sshCommand)
            try writeFile(server.directory + "/authorized_keys", [], mode: 0o600)
            #expect(try await seed.timeturner("good", "--env", "production").status == 0)
            let started = ContinuousClock.now
            let result = try await seed.timeturner("sync", server.url(bare))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("could not fetch git-timeturner's refs from 'ssh://"), "\(result)")
            #expect(result.stderr.contains("Permission denied"), "ssh's own reason is passed on: \(result)")
            #expect(result.stderr.contains("hint: "))
            #expect(ContinuousClock.now - started < .seconds(30), "failed at once instead of waiting for a password")
        }
    }
}

extension ProcessResult {
    @discardableResult
    func requireSuccess() throws -> ProcessResult {
        guard status == 0 else { throw SetupError("command failed: \(self)") }
        return self
    }
}
