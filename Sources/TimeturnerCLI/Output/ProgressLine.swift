internal import Glibc

/// One line on standard error saying what is running and for how long, for work that can take
/// more than a second (fetch and push, executor calls such as pg_dump and restores). Shown only
/// on a terminal, only once the work has run for a second (fast runs print nothing), and erased
/// when it ends, so it never mixes into output that is read by a program.
struct ProgressLine {
    let terminal: Terminal
    let enabled: Bool

    init(terminal: Terminal, environment: [String: String]) {
        self.terminal = terminal
        enabled = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    }

    func during<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        guard enabled else { return try await body() }
        let terminal = self.terminal
        let ticker = Task.detached { () -> Bool in
            var seconds = 0
            while true {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if Task.isCancelled { return seconds > 0 }
                seconds += 1
                terminal.err("\r\u{1b}[K" + terminal.paint("\(what)… \(seconds)s", .dim), newline: false)
            }
        }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        ticker.cancel()
        // Erase only after the ticker has stopped, so no tick lands after the erase.
        if await ticker.value { terminal.err("\r\u{1b}[K", newline: false) }
        return try result.get()
    }
}
