import ArgumentParser
import GitKit
import TimeturnerCore

struct PointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "List rollback points, newest first.",
        discussion: """
        Columns: id, commit, age, severity, environment, subject.

        Examples:
          git timeturner points
          git timeturner points --env production --severity high
          git timeturner points --json | jq -r '.[0].id'
        """
    )

    @Option(help: "Only points for this environment.")
    var env: String?

    @Option(help: "Only points of this severity.")
    var severity: SeverityArgument?

    @Flag(help: "Print a JSON array of the same objects 'point --json' prints.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let listing = PointStore(repository: repository).list()
        listing.warnings.forEach(context.terminal.warning)
        // Unfiltered, the listing is used as is: filtering copies every point.
        let points = env == nil && severity == nil ? listing.points : listing.points.filter { point in
            (env == nil || point.environment == env) && (severity == nil || point.severity == severity?.value)
        }
        if json {
            var output = RollbackPoint.prettyJSONArray(points)
            output.append(0x0a)
            context.terminal.out(bytes: output)
            return
        }
        if points.isEmpty {
            context.terminal.err("No rollback points" + (env != nil || severity != nil ? " match." : " yet. Create one with: git timeturner point -m \"<why>\""))
            return
        }
        let rows = points.map { point in
            [Terminal.escaped(point.id), point.commit.short, point.at.age(relativeTo: context.now),
             point.severity?.rawValue ?? "-", Terminal.escaped(point.environment ?? "-"), Terminal.escaped(point.subject)]
        }
        context.terminal.out(Table(header: ["ID", "COMMIT", "AGE", "SEVERITY", "ENV", "SUBJECT"], rows: rows).rendered)
    }
}
