public import GitKit

/// Whether to colour what the tool writes, decided the way git decides (`color.ui`), with the
/// tool's own `timeturner.color` above it and `NO_COLOR` (no-color.org) above both:
/// `always`/`never` are unconditional, `auto`/`true` (and no setting) mean "on a terminal only",
/// `false` means never. `TERM=dumb` is a terminal that cannot show colour.
public enum ColourChoice {
    public static func decide(environment: [String: String], isTerminal: Bool, setting: String?) -> Bool {
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        switch setting?.lowercased() {
        case "always": return true
        case "never", "false", "no", "off", "0": return false
        default: return isTerminal && environment["TERM"] != "dumb"
        }
    }

    /// `timeturner.color`, else `color.ui`, from the repository's effective configuration.
    public static func setting(in repository: Repository) -> String? {
        for key in ["timeturner.color", "color.ui"] {
            if let value = try? repository.configString(key), !value.isEmpty { return value }
        }
        return nil
    }
}
