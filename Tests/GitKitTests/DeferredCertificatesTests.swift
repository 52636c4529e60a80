@testable import GitKit
import Testing
import TestSupport

/// libgit2's initialisation no longer loads the system CA bundle (`CDeferredCertificates`).
/// What must hold: the load really is refused (the interposed mbedTLS loader is the one
/// libgit2 calls), and libgit2's TLS then fails closed: a server whose certificate would be
/// trusted with the right CA is refused, and accepted once that CA is loaded explicitly.
@Suite(.serialized) struct DeferredCertificatesTests {
    @Test func libgit2RefusesATLSServerUntilItsCAIsLoaded() async throws {
        Libgit2.ensureInitialised()
        #expect(Libgit2.refusedCertificateLoads >= 1, "git_libgit2_init did not go through the interposed loader")
        let directory = try makeTemporaryDirectory("tls")
        defer { removeTree(directory) }
        try await TLSServer.with(directory: directory, environment: HermeticEnvironment.make(home: directory)) { server in
            // No CA: the handshake completes but the certificate is not trusted, so libgit2 refuses.
            do throws(GitError) {
                try Libgit2.connectForFetch(server.url("repo.git"))
                Issue.record("libgit2 connected to a TLS server without any trusted certificate")
            } catch {
                #expect(error.code == .other(-17), "expected GIT_ECERTIFICATE, got \(error)")   // GIT_ECERTIFICATE
                #expect(error.message.contains("certificate"), "\(error)")
            }
            // The control: with the test CA trusted, TLS gets through, and what fails is only that
            // s_server is not a git server. So the refusal above was the missing CA, nothing else.
            try Libgit2.trustCertificates(in: server.caFile)
            do throws(GitError) {
                try Libgit2.connectForFetch(server.url("repo.git"))
                Issue.record("s_server is not a git server; the connection should fail after TLS")
            } catch {
                #expect(error.code != .other(-17), "\(error)")
                #expect(!error.message.contains("certificate"), "\(error)")
            }
        }
    }
}
