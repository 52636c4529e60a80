extension Tier {
    /// The configured tiers beyond code a rollback covers: those of `level`, or exactly `names`
    /// (configured tiers only; `code` among them moves the branch too). Neither: none (code only).
    public static func select(level: RollbackLevel?, names: [String]?, configured: [TierAssignment]) throws(TimeturnerError) -> [TierAssignment] {
        if let level { return configured.filter { level.tiers.contains(base(of: $0.tier)) } }
        guard let names else { return [] }
        var selected: [TierAssignment] = []
        for name in names where name != code {
            // `deploy` is every service of the tier; `deploy.web` that one.
            let matching = configured.filter { $0.tier == name || base(of: $0.tier) == name }
            guard !matching.isEmpty else {
                let known = configured.map(\.tier).joined(separator: ", ")
                throw TimeturnerError(.usage, "the \(name) tier has no executor configured" + (known.isEmpty ? "" : " (configured: \(known))"),
                                      hint: "configure one (git config -f .timeturner timeturner.tier.\(name.replacing(".", with: ".service.")).executor <name>), or leave it out of --tiers")
            }
            selected += matching.filter { candidate in !selected.contains { $0.tier == candidate.tier } }
        }
        return selected
    }
}
