import CDeferredSSH
@testable import GitKit
import Testing
import TestSupport

/// libgit2's calls into libssh2 go to `CDeferredSSH`, which loads libssh2.so.1 on the first SSH
/// connection and passes every call on. What must hold: a connection through libgit2's own SSH
/// transport really reaches a real sshd through the loaded library (key exchange, host key,
/// known-hosts check), and refuses what libssh2 refuses. That no command loads the library at
/// start-up is checked on the built binary, in EndToEndTests' `StartupLibrariesTests`.
@Suite(.serialized) struct DeferredSSHTests {
    @Test func libgit2sSSHTransportReachesARealServerThroughTheLoadedLibrary() async throws {
        let directory = try makeTemporaryDirectory("ssh-transport")
        defer { removeTree(directory) }
        try await SSHServer.with(environment: HermeticEnvironment.make(home: directory)) { server in
            // The server's host key is fresh, so no known_hosts file lists it: libgit2 completes the
            // key exchange, reads the host key and its hashes through libssh2, and refuses the host
            // before any authentication. Reaching that refusal is the proof that the calls went
            // through to a working libssh2.
            do throws(GitError) {
                try Libgit2.connectForFetch("ssh://git@127.0.0.1:\(server.port)/repo.git")
                Issue.record("libgit2 connected to an SSH server whose host key nobody trusts")
            } catch {
                #expect(error.code == .other(-17), "expected GIT_ECERTIFICATE, got \(error)")
                #expect(error.message.contains("hostkey"), "\(error)")
            }
            #expect(timeturner_libssh2_loaded() == 1, "the SSH connection did not load libssh2.so.1")
        }
        // The control: with nothing listening, the refusal is the connection's, not the host key's.
        let closed = try freePort()
        do throws(GitError) {
            try Libgit2.connectForFetch("ssh://git@127.0.0.1:\(closed)/repo.git")
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code != .other(-17), "\(error)")
            #expect(!error.message.contains("hostkey"), "\(error)")
        }
    }
}
