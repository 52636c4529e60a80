import ArgumentParser
import GitKit
import TimeturnerCore

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a rollback point (its ref only; the commit is untouched).",
        discussion: """
        Removes refs/timeturner/points/<id> with compare-and-swap: if someone changed the point \
        meanwhile, nothing is deleted. The deletion is recorded as a line in the commit's note.

        Example:
          git timeturner delete 20261121T223000Z-7f3a
        """
    )

    @Argument(help: "The point id.")
    var id: String

    @Flag(help: "Print the deleted point as JSON.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let point = try PointStore(repository: repository).delete(id: id, by: context.attribution(in: repository))
        if json {
            context.printJSON(point.json)
        } else {
            context.terminal.out("Deleted rollback point \(Terminal.escaped(point.id)) (was \(point.commit.short), tag object \(point.tag.short))")
        }
    }
}
