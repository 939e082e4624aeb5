import RunbookKit

/// The dry-run: one line per instance with its mark (`+ create`, `~ change`, `= already
/// so`, `! blocked`, `? not checked`), then the rollback plan.
struct PlanRenderer {
    var style: Style

    func render(_ plan: RunPlan, format: OutputFormat) {
        if format == .json {
            JSONOutput.print(json(plan))
            return
        }
        Terminal.out("plan for \(style.bold(plan.runbook)) (dry run: nothing was changed)")
        let width = min(max(plan.entries.map(\.instance.count).max() ?? 0, 10), 48)
        for entry in plan.entries {
            let name = entry.instance.padding(toLength: max(width, entry.instance.count), withPad: " ", startingAt: 0)
            var line = "  \(mark(entry.plan.mark)) \(name)  \(entry.plan.summary)"
            if let note = entry.plan.note { line += style.dim("  (\(note))") }
            Terminal.out(line)
        }
        let rollback = plan.rollback
        Terminal.out("")
        Terminal.out("rollback plan (newest first):")
        if rollback.isEmpty { Terminal.out("  nothing to undo") }
        for entry in rollback {
            let name = entry.instance.padding(toLength: max(width, entry.instance.count), withPad: " ", startingAt: 0)
            Terminal.out("  - \(name)  \(entry.plan.undo ?? "")")
        }
        let unchecked = plan.entries.filter { $0.plan.mark == .unchecked }.count
        if unchecked > 0 {
            Terminal.out("")
            Terminal.out(style.dim("\(unchecked) step(s) marked ? could not be checked against live state"))
        }
        if !plan.blocked.isEmpty {
            Terminal.out("")
            Terminal.out(style.paint("\(plan.blocked.count) step(s) blocked: the run would stop before changing anything", "31"))
        }
    }

    private func mark(_ mark: Plan.Mark) -> String {
        switch mark {
        case .create: return style.paint("+", "32")
        case .change: return style.paint("~", "33")
        case .unchanged: return style.dim("=")
        case .blocked: return style.paint("!", "31")
        case .unchecked: return style.dim("?")
        }
    }

    private func json(_ plan: RunPlan) -> Value {
        func entry(_ e: PlanEntry) -> Value {
            .map([
                "instance": .string(e.instance), "step": .string(e.stepID), "uses": .string(e.uses),
                "mark": .string(e.plan.mark.rawValue), "symbol": .string(e.plan.mark.symbol),
                "summary": .string(e.plan.summary), "note": e.plan.note.map(Value.string) ?? .null,
                "undo": e.plan.undo.map(Value.string) ?? .null, "skipped": .bool(e.isSkipped),
            ])
        }
        return .map([
            "runbook": .string(plan.runbook),
            "dry_run": true,
            "params": .map(plan.params),
            "steps": .list(plan.entries.map(entry)),
            "rollback": .list(plan.rollback.map(entry)),
            "blocked": .int(plan.blocked.count),
        ])
    }
}
