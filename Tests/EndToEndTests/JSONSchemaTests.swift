import Testing
import TestSupport

/// Every `--json` output validates against its schema in docs/schemas/ (JSON Schema 2020-12,
/// checked by python3-jsonschema), on real output of the built binary; and every command that
/// has `--json` has a schema, so a new command cannot ship without one.
@Suite struct JSONSchemaTests {
    static let schemas = Fixtures.repositoryRoot + "/docs/schemas"

    @Test func everyJSONOutputValidatesAgainstItsSchema() async throws {
        let repo = try await ScratchRepository()
        let instances = repo.siblingDirectory("instances")
        let remote = repo.siblingDirectory("remote.git")
        try await repo.git("init", "-q", "--bare", remote)
        try await repo.git("remote", "add", "origin", remote)
        // An executor for the deploy tier, so point and rollback output carry captures and tiers.
        repo.setEnvironment("PATH", Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin"))
        try await repo.git("config", "timeturner.tier.deploy.executor", "trivial")
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        var count = 0
        func record(_ schema: String, _ arguments: String..., input: String? = nil) async throws {
            let result = try await repo.timeturner(arguments, input: input)
            #expect(result.status == 0, "\(arguments): \(result)")
            count += 1
            try writeFile(instances + "/\(schema).\(count).json", Array(result.stdout.utf8))
        }
        try await record("point", "point", "--name", "pre-v2", "-m", "before v2", "--severity", "high", "--env", "production", "--json")
        try await record("point", "point", "--name", "code-only", "--code-only", "--json")
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try await record("points", "points", "--json")
        try await record("show", "show", "pre-v2", "--json")
        try await record("show", "show", "HEAD", "--json")
        try await record("good", "good", "--env", "production", "--evidence", "smoke ok", "--json")
        try await record("good", "good", "--env", "production", "--capture", "--json")
        try await record("bad", "bad", "--env", "staging", "--reason", "line one\nline two", "--json")
        try await record("last-good", "last-good", "--env", "production", "--json")
        try await record("registry-list", "registry", "list", "--json")
        try await record("registry-log", "registry", "log", "-n", "2", "--json")
        let export = try await repo.timeturner("registry", "export", "--env", "production")
        try await record("registry-import", "registry", "import", "-", "--env", "qa", "--json", input: export.stdout)
        try await record("config", "config", "--json", "-c", "timeturner.verify=true")
        try await record("trust", "trust", "--show", "--json")
        try await record("executor-list", "executor", "list", "--json")
        try await record("executor-describe", "executor", "describe", "trivial", "--json")
        try await record("executor-run", "executor", "run", "command", "verify", "--json")
        try await record("executor-run", "executor", "run", "trivial", "capture", "--repeat", "2", "--json")
        try await record("rollback", "rollback", "--to", "pre-v2", "--tiers", "code,deploy", "--dry-run", "--json")
        try await record("rollback", "rollback", "--to", "pre-v2", "--tiers", "deploy", "--dry-run", "--json")
        try await record("rollback", "rollback", "--to", "pre-v2", "--tiers", "code,deploy", "--verify", "true", "--yes", "--json")
        try await record("status", "status", "--json")
        try await record("history", "history", "--json")
        try await record("history", "history", "--stats", "--json")
        try await record("artifacts-list", "artifacts", "list", "--json")
        try await record("artifacts-prune", "artifacts", "prune", "--dry-run", "--json")
        try await record("undo", "undo", "--yes", "--json")
        try await record("recover", "recover", "--yes", "--json")
        try await record("sync", "sync", "origin", "--json")
        try await record("hooks-install", "hooks", "install", "--pre-push", "--json")
        try await record("delete", "delete", "code-only", "--json")
        try await repo.git("config", "timeturner.check.ok.kind", "command")
        try await repo.git("config", "timeturner.check.ok.command", "echo 1")
        try await repo.git("config", "timeturner.check.ok.value", "output")
        try await repo.git("config", "timeturner.check.ok.fail-if", "> 2")
        try await record("check", "check", "--json")
        try await record("guard", "guard", "--env", "production", "--json")
        try await repo.git("config", "timeturner.trigger.ok.check", "ok")
        try await record("trigger-check", "trigger", "check", "--env", "production", "--json")
        try await record("trigger-check", "trigger", "check", "--env", "production", "--json")  // the same again: not journaled
        try await record("history", "history", "--guards", "--json")

        let validation = try await runProcess("python3", [Fixtures.directory + "/validate-json.py", Self.schemas, instances],
                                              environment: repo.environment, in: repo.path)
        #expect(validation.status == 0, "\(validation)")
        let validated = Set(validation.stdout.lines.filter { $0.hasSuffix(": ok") }.map { String($0.split(separator: ".")[0]) })
        let schemaFiles = try await runProcess("ls", [Self.schemas], environment: repo.environment, in: repo.path)
        let all = Set(schemaFiles.stdout.lines.map { String($0.dropLast(".schema.json".count)) })
        #expect(validated == all, "schemas never checked against real output: \(all.subtracting(validated).sorted())")
    }

    /// The commands with a --json flag, read from the definitions (`--experimental-dump-help`),
    /// each need docs/schemas/<command path joined by '-'>.schema.json.
    @Test func everyCommandWithJSONHasASchema() async throws {
        let repo = try await ScratchRepository()
        let dump = try await repo.timeturner("--experimental-dump-help")
        let script = """
        import json, os, sys
        def walk(c, path):
            if c.get("shouldDisplay", True) is False: return
            if any(n.get("name") == "json" for a in c.get("arguments", []) for n in a.get("names", [])):
                print("-".join(path))
            for s in c.get("subcommands", []): walk(s, path + [s["commandName"]])
        walk(json.load(sys.stdin)["command"], [])
        """
        let listed = try await runProcess("python3", ["-c", script], environment: repo.environment, in: repo.path, input: dump.stdout)
        #expect(listed.status == 0, "\(listed)")
        let commands = listed.stdout.lines
        #expect(commands.count >= 20, "\(listed)")
        for command in commands {
            #expect(readFile(Self.schemas + "/\(command).schema.json") != nil, "no schema for '\(command) --json'")
        }
    }
}
