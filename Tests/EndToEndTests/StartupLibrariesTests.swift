import Testing
import TestSupport

/// What the dynamic loader maps when a command starts. libgit2 is linked with GSSAPI support,
/// but GSSAPI (libgssapi_krb5.so.2 and its five Kerberos libraries) is loaded only on the first
/// Negotiate authentication (`CDeferredGSSAPI`), which no command performs: remotes go through
/// the user's git. `DeferredGSSAPITests` checks that the calls, once made, reach the library.
@Suite struct StartupLibrariesTests {
    @Test func commandsStartWithoutGSSAPI() async throws {
        let repo = try await ScratchRepository()
        let commit = try await repo.commit("first", files: ["a.txt": "a\n"])
        for arguments in [["--version"], ["status"], ["point", commit, "-m", "before"], ["points", "--json"], ["last-good"]] {
            // LD_DEBUG=files makes the loader name every object it maps, on standard error.
            let run = try await repo.timeturner(arguments, extraEnvironment: ["LD_DEBUG": "files"])
            let loads = run.stderr.lines.filter { $0.contains("file=") }
            // The control: the trace was on (every process maps the C library).
            #expect(loads.contains { $0.contains("file=libc.so.6") }, "no loader trace for \(arguments): \(run.stderr.prefix(2000))")
            #expect(!loads.contains { $0.contains("gssapi") || $0.contains("krb5") },
                    "\(arguments) loaded GSSAPI:\n\(loads.filter { $0.contains("gssapi") || $0.contains("krb5") }.joined(separator: "\n"))")
        }
    }
}
