import ArgumentParser
import GitKit
import TimeturnerCore

struct ArtifactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifacts",
        abstract: "List the tiers' dumps and archives, and prune those no point or undo needs.",
        discussion: """
        Tier executors write artifacts (pg_dump files, tar archives) into timeturner.artifacts.dir \
        (default <git dir>/timeturner/artifacts), one subdirectory per tier, named by what they \
        hold: point-<id> for a point's capture, before-<operation> for the present state captured \
        just before a rollback or undo. Captures refer to them by paths relative to that directory. \
        timeturner.artifacts.keep (default 5) keeps those of the newest points of each \
        environment; the present-state captures of rollbacks that can still be undone and those of \
        an interrupted operation are always kept.
        """,
        subcommands: [ArtifactsListCommand.self, ArtifactsPruneCommand.self],
        defaultSubcommand: ArtifactsListCommand.self
    )

    /// The store and its retention as configured for the repository in the current directory.
    static func retention(_ context: CommandContext, overrides: [String]) throws(TimeturnerError) -> ArtifactRetention {
        let repository = try context.openRepository()
        let configuration = try context.configuration(in: repository, overrides: overrides)
        let store = try ArtifactStore(repository: repository, configuration: configuration)
        return ArtifactRetention(store: store, keep: try ArtifactRetention.keep(from: configuration), now: context.now)
    }

    static func rows(_ entries: [ArtifactEntry]) -> [[String]] {
        entries.map { entry in
            [entry.reference, ByteCount.text(entry.size), entry.keptBecause.map { "kept: " + $0 } ?? "prunable",
             entry.referencedBy.isEmpty ? "nothing" : entry.referencedBy.joined(separator: ", ")].map { Terminal.escaped($0) }
        }
    }
}

/// Sizes as people read them.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
