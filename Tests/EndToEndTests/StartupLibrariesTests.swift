import Testing
import TestSupport

/// What the dynamic loader maps when a command starts. libgit2 is linked with GSSAPI and SSH
/// support, but GSSAPI (libgssapi_krb5.so.2 and its five Kerberos libraries) is loaded only on
/// the first Negotiate authentication (`CDeferredGSSAPI`), and libssh2 with OpenSSL's libcrypto
/// only on the first SSH connection (`CDeferredSSH`); no command does either, since remotes go
/// through the user's git. `DeferredGSSAPITests` and `DeferredSSHTests` check that the calls,
/// once made, reach the libraries.
@Suite struct StartupLibrariesTests {
    static let deferred = ["gssapi", "krb5", "libssh2", "libcrypto"]

    @Test func commandsStartWithoutGSSAPIOrSSH() async throws {
        let repo = try await ScratchRepository()
        let commit = try await repo.commit("first", files: ["a.txt": "a\n"])
        for arguments in [["--version"], ["status"], ["point", commit, "-m", "before"], ["points", "--json"], ["last-good"]] {
            // LD_DEBUG=files makes the loader name every object it maps, on standard error.
            let run = try await repo.timeturner(arguments, extraEnvironment: ["LD_DEBUG": "files"])
            let loads = run.stderr.lines.filter { $0.contains("file=") }
            // The control: the trace was on (every process maps the C library).
            #expect(loads.contains { $0.contains("file=libc.so.6") }, "no loader trace for \(arguments): \(run.stderr.prefix(2000))")
            let deferred = loads.filter { line in Self.deferred.contains { line.contains($0) } }
            #expect(deferred.isEmpty, "\(arguments) loaded a library it does not use:\n\(deferred.joined(separator: "\n"))")
        }
    }

    /// A command runs on the main thread until it first waits for something (main.swift): one
    /// that waits for nothing starts no thread at all. An async main ran every command on a
    /// dispatch worker and started three threads first. The control: the same trace sees the
    /// thread a rollback's plan reads the commits on (`Repository.readConcurrently`).
    @Test func aCommandThatWaitsForNothingStartsNoThread() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("first", files: ["a.txt": "a\n"])
        try await repo.commit("second", files: ["a.txt": "b\n"])
        let directory = repo.siblingDirectory("threads")
        try writeFile(directory + "/.keep", [])
        func threadsStarted(_ arguments: [String]) async throws -> Int {
            let log = directory + "/strace-\(arguments[0]).log"
            let run = try await runProcess("strace", ["-f", "-qq", "-e", "trace=clone,clone3", "-o", log, TimeturnerBinary.path] + arguments,
                                           environment: repo.environment, in: repo.path)
            #expect(run.status == 0, "\(run)")
            return (readFile(log).map { String(decoding: $0, as: UTF8.self) } ?? "").lines.filter { $0.contains("clone") }.count
        }
        #expect(try await threadsStarted(["status"]) == 0)
        #expect(try await threadsStarted(["--version"]) == 0)
        #expect(try await threadsStarted(["rollback", "--to", first, "--dry-run"]) >= 1, "the trace sees a thread when there is one")
    }
}
