/// The environment executors and their commands run with.
///
/// Everything git sets for the process running us (`GIT_DIR`, `GIT_INDEX_FILE`,
/// `GIT_WORK_TREE`, `GIT_PREFIX`, …) is removed: an executor that runs git itself, or a
/// restart script that does, must act on the repository it means, not on ours, and a
/// leaked `GIT_INDEX_FILE` can make such a child write into our index. `TIMETURNER_TRUST` is
/// removed too: approving a file is for this tool, not for the programs that file names.
/// The rest is kept: executors need credentials and locations (`PGPASSWORD`, `KUBECONFIG`,
/// `DOCKER_HOST`) besides `PATH`, `HOME`, `LANG` and `TZ`.
public enum ExecutorEnvironment {
    public static func scrubbed(_ environment: [String: String], executor: String, tier: String,
                                repository: String) -> [String: String] {
        var out = environment.filter { key, _ in
            !key.hasPrefix("GIT_") && key != "TIMETURNER_TRUST"
        }
        if out["PATH"] == nil { out["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        out["TIMETURNER_EXECUTOR"] = executor
        out["TIMETURNER_TIER"] = tier
        out["TIMETURNER_REPOSITORY"] = repository
        return out
    }
}
