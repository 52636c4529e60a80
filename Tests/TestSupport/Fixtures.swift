/// Files under Tests/Fixtures, found from this source file's path (tests run from the package).
public enum Fixtures {
    public static let directory: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fixtures"
    }()

    /// Holds `git-timeturner-exec-testing` (modes: fail, invalid-json, hang, flood, …) and
    /// `git-timeturner-exec-trivial`.
    public static var executors: String { directory + "/executors" }
}

extension Fixtures {
    /// `kubectl`, `helm` and `docker` stand-ins that log their arguments (see standin.py).
    public static var standins: String { directory + "/standins" }

    /// The example executors shipped in docs/executors/.
    public static var exampleExecutors: String {
        String(directory[..<directory.lastIndex(of: "/")!].dropLast("/Tests".count)) + "/docs/executors"
    }
}

extension Fixtures {
    /// The root of this repository (completions/, man/, hooks/, docs/ are read from it).
    public static var repositoryRoot: String {
        String(directory[..<directory.lastIndex(of: "/")!].dropLast("/Tests".count))
    }
}
