extension Tier {
    /// The configured tiers beyond code a rollback covers: those of `level`, or exactly `names`
    /// (configured tiers only; `code` among them moves the branch too). Neither: none (code only).
    public static func select(level: RollbackLevel?, names: [String]?, configured: [TierAssignment]) throws(TimeturnerError) -> [TierAssignment] {
        if let level { return configured.filter { level.tiers.contains($0.tier) } }
        guard let names else { return [] }
        return try names.filter { $0 != code }.map { (name) throws(TimeturnerError) in
            guard let assignment = configured.first(where: { $0.tier == name }) else {
                throw TimeturnerError(.usage, "the \(name) tier has no executor configured",
                                      hint: "configure one (git config -f .timeturner timeturner.tier.\(name).executor <name>), or leave it out of --tiers")
            }
            return assignment
        }
    }
}
