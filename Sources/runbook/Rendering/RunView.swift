import Foundation
import RunbookKit

/// A run as `status` and `execute` show it: every step of its definition, expanded into
/// instances where the run has reached them.
struct RunView {
    var run: RunRecord
    var rows: [Row]

    struct Row {
        var stepID: String
        var instance: String
        var state: InstanceState
        var attempt: Int
        var error: String?
        var outputs: Outputs?
        var startedAt: Date?
        var finishedAt: Date?
    }

    init(snapshot: RunSnapshot) {
        run = snapshot.run
        let steps = (try? RunbookParser().parse(snapshot.run.source).steps.map(\.id)) ?? []
        var byStep: [String: [InstanceRecord]] = [:]
        for instance in snapshot.instances { byStep[instance.stepID, default: []].append(instance) }
        var rows: [Row] = []
        for step in steps.isEmpty ? Array(byStep.keys).sorted() : steps {
            guard let instances = byStep[step] else {
                rows.append(Row(stepID: step, instance: step, state: .pending, attempt: 0))
                continue
            }
            for i in instances {
                rows.append(Row(stepID: i.stepID, instance: i.name, state: i.state, attempt: i.attempt, error: i.error,
                                outputs: i.outputs, startedAt: i.startedAt, finishedAt: i.finishedAt))
            }
        }
        self.rows = rows
    }

    var json: Value {
        let state = run.effectiveState()
        var object: [String: Value] = [
            "id": .string(run.id),
            "runbook": .string(run.runbook),
            "state": .string(state.rawValue),
            "params": .map(run.params),
            "created_at": .string(Timestamp.iso(run.createdAt)),
            "updated_at": .string(Timestamp.iso(run.updatedAt)),
            "source": .string(run.source.displayPath),
            "error": run.error.map(Value.string) ?? .null,
            "steps": .list(rows.map { row in
                .map([
                    "id": .string(row.stepID),
                    "instance": .string(row.instance),
                    "state": .string(row.state.rawValue),
                    "attempt": .int(row.attempt),
                    "error": row.error.map(Value.string) ?? .null,
                    "outputs": row.outputs.map { .map($0.values) } ?? .null,
                    "started_at": row.startedAt.map { .string(Timestamp.iso($0)) } ?? .null,
                    "finished_at": row.finishedAt.map { .string(Timestamp.iso($0)) } ?? .null,
                ])
            }),
        ]
        if let lease = run.lease, state == .running || state == .rollingBack {
            object["owner"] = .map(["pid": .int(Int(lease.owner.pid)), "host": .string(lease.owner.host)])
        }
        return .map(object)
    }

    func text(style: Style) -> [String] {
        let state = run.effectiveState()
        var lines = ["run \(style.bold(run.id))  \(run.runbook)  \(style.run(state))"]
        lines.append(style.dim("  started \(Timestamp.iso(run.createdAt)) from \(run.source.displayPath)"))
        if let lease = run.lease, state == .running || state == .rollingBack {
            lines.append("  owned by \(lease.owner)")
        }
        let width = min(max(rows.map(\.instance.count).max() ?? 0, 10), 48)
        for row in rows {
            let name = row.instance.padding(toLength: max(width, row.instance.count), withPad: " ", startingAt: 0)
            var line = "  \(style.state(row.state))  \(name)"
            if let start = row.startedAt, let end = row.finishedAt {
                line += "  " + Duration.milliseconds(Int64(end.timeIntervalSince(start) * 1000)).shortText
            }
            if let error = row.error { line += "  \(error)" }
            lines.append(line)
        }
        if let error = run.error, state != .succeeded {
            lines.append("  \(state == .rolledBack ? "cause" : "error"): \(error)")
        }
        lines += Hints.next(for: state, stored: run.state, runID: run.id).map { "  \($0)" }
        return lines
    }
}

/// What the operator can do next, by run state.
enum Hints {
    static func next(for state: RunState, stored: RunState, runID: String) -> [String] {
        if state == .interrupted, stored == .rollingBack {
            return ["finish the undo: runbook rollback \(runID)"]
        }
        switch state {
        case .failed:
            return ["fix the cause, then continue: runbook resume \(runID)", "or undo what it did:    runbook rollback \(runID)"]
        case .interrupted:
            return ["continue: runbook resume \(runID)", "or undo:  runbook rollback \(runID)"]
        case .rollbackFailed:
            return ["fix the cause, then finish the undo: runbook rollback \(runID)"]
        default:
            return []
        }
    }
}
