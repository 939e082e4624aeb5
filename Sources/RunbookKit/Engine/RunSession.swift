import Foundation

/// The state of one run while this process owns it: its definition, its instances as
/// last checkpointed, the values later steps can reference, and the secrets to redact.
/// Confined to the task driving the run.
final class RunSession {
    let runID: String
    let runbook: Runbook
    let params: [String: Value]
    let onFailure: FailurePolicy
    let keepsSecrets: Bool
    private(set) var instances: [InstanceRecord]
    private(set) var redactor: Redactor
    /// What each finished step exposes to later ones, by step id.
    private(set) var results: [String: Scope.StepResult] = [:]

    init(runID: String, runbook: Runbook, params: [String: Value], onFailure: FailurePolicy, keepsSecrets: Bool,
         instances: [InstanceRecord]) {
        self.runID = runID
        self.runbook = runbook
        self.params = params
        self.onFailure = onFailure
        self.keepsSecrets = keepsSecrets
        self.instances = instances
        var redactor = Redactor(collecting: Array(params.values))
        for instance in instances {
            redactor.add(instance.inputs)
            redactor.add(instance.intent)
            redactor.add(instance.outputs)
        }
        self.redactor = redactor
    }

    var scope: Scope { Scope(params: params, steps: results, runID: runID) }

    func indices(ofStep stepIndex: Int) -> [Int] {
        instances.indices.filter { instances[$0].stepIndex == stepIndex }
    }

    var nextPosition: Int { (instances.last?.position ?? -1) + 1 }

    func append(_ new: [InstanceRecord]) {
        instances += new
    }

    func update(_ index: Int, _ change: (inout InstanceRecord) -> Void) {
        change(&instances[index])
        redactor.add(instances[index].inputs)
        redactor.add(instances[index].intent)
        redactor.add(instances[index].outputs)
    }

    func remember(_ value: Value) { redactor.add(value) }

    /// Records what step `stepIndex` exposes once all its instances are applied or skipped.
    func finishStep(_ stepIndex: Int) {
        let step = runbook.steps[stepIndex]
        let mine = indices(ofStep: stepIndex).map { instances[$0] }
        if step.foreach != nil {
            results[step.id] = .each(mine.filter { $0.state == .applied }.map { $0.outputs ?? Outputs([:]) })
        } else if let only = mine.first, only.state == .applied {
            results[step.id] = .single(only.outputs ?? Outputs([:]))
        } else {
            results[step.id] = .skipped
        }
    }

    func redact(_ text: String) -> String { redactor.redact(text) }
}
