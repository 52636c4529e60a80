import TimeturnerCore

extension Terminal {
    /// `error: …`, then `caused by: …` lines, then `hint: …`: the shape every failure takes.
    func report(_ error: TimeturnerError) {
        err(paint("error:", .red) + " " + Terminal.escaped(error.message))
        for cause in error.causes { err("caused by: " + Terminal.escaped(cause)) }
        if let hint = error.hint { err(paint("hint:", .yellow) + " " + Terminal.escaped(hint)) }
    }
}
