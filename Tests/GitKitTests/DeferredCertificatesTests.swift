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
        // Nothing in this process has made a TLS connection yet (only this suite does): the
        // initialisation has not set up TLS, and has loaded no certificate.
        #expect(!Libgit2.tlsIsSetUp, "git_libgit2_init set up libgit2's TLS")
        #expect(Libgit2.refusedCertificateLoads == 0)
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
            // The connection set TLS up, through libgit2's own set-up, whose CA-bundle load was refused.
            #expect(Libgit2.tlsIsSetUp)
            #expect(Libgit2.refusedCertificateLoads >= 1, "libgit2's TLS set-up did not go through the interposed loader")
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
