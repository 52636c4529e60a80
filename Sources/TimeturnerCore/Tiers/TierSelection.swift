extension Tier {
    /// The configured tiers a rollback covers: those of `level`, or exactly `names` (which must
    /// include code and name only configured tiers). Neither: none (code only).
    public static func select(level: RollbackLevel?, names: [String]?, configured: [TierAssignment]) throws(TimeturnerError) -> [TierAssignment] {
        if let level { return configured.filter { level.tiers.contains($0.tier) } }
        guard let names else { return [] }
        guard names.contains(code) else {
            throw TimeturnerError(.usage, "--tiers must include code: every rollback moves the code",
                                  hint: "for example: --tiers code,db")
        }
        return try names.filter { $0 != code }.map { (name) throws(TimeturnerError) in
            guard let assignment = configured.first(where: { $0.tier == name }) else {
                throw TimeturnerError(.usage, "the \(name) tier has no executor configured",
                                      hint: "configure one (git config -f .timeturner timeturner.tier.\(name).executor <name>), or leave it out of --tiers")
            }
            return assignment
        }
    }
}
