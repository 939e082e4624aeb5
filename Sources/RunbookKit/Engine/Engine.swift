import Foundation

/// What the engine needs besides the store.
public struct EngineConfiguration: Sendable {
    public var registry: PluginRegistry
    /// The environment steps see.
    public var environment: [String: String]
    public var workingDirectory: String
    /// Crash injection for recovery tests (`RUNBOOK_FAILPOINT`).
    public var failpoint: Failpoint?
    public var heartbeatInterval: Duration

    public init(registry: PluginRegistry, environment: [String: String], workingDirectory: String,
                failpoint: Failpoint? = nil, heartbeatInterval: Duration = .seconds(10)) {
        self.registry = registry
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.failpoint = failpoint
        self.heartbeatInterval = heartbeatInterval
    }
}

/// Executes, resumes and rolls back runs. It owns a run through the store's lease for as
/// long as it works on it, and writes every transition through the store as one
/// transaction, following the checkpoint protocol in docs/recovery.md.
public final class Engine: Sendable {
    let store: any RunStore
    let configuration: EngineConfiguration
    let observer: any RunObserver
    let stop: StopSignal
    let owner: LeaseOwner

    public init(store: any RunStore, configuration: EngineConfiguration, observer: any RunObserver = SilentObserver(),
                stop: StopSignal = StopSignal(), owner: LeaseOwner = .current()) {
        self.store = store
        self.configuration = configuration
        self.observer = observer
        self.stop = stop
        self.owner = owner
    }

    /// Checks, plans (pre-flight: nothing blocked), creates the run and executes it.
    public func execute(_ runbook: Runbook, params: [String: Value], onFailure: FailurePolicy,
                        keepSecrets: Bool = false) async throws(EngineError) -> RunOutcome {
        let planner = Planner(registry: configuration.registry, environment: configuration.environment,
                              workingDirectory: configuration.workingDirectory, isPreflight: true)
        let plan: RunPlan
        do { plan = try await planner.plan(runbook, params: params) } catch { throw .invalid(error) }
        guard plan.blocked.isEmpty else { throw .blocked(plan.blocked) }

        var runID = RunID.make()
        for attempt in 1...5 {
            do {
                try store.createRun(NewRun(id: runID, runbook: runbook, params: params, onFailure: onFailure,
                                           keepsSecrets: keepSecrets), owner: owner)
                break
            } catch .duplicateRun where attempt < 5 {
                runID = RunID.make()
            } catch {
                throw .store(error)
            }
        }
        observer.handle(.runStarted(runID: runID, runbook: runbook.name, mode: .execute))
        let session = RunSession(runID: runID, runbook: runbook, params: params, onFailure: onFailure, keepsSecrets: keepSecrets,
                                 instances: [])
        return try await drive(session) { () async throws(StoreError) -> RunOutcome in
            try await self.forwardThenRollBackOnFailure(session)
        }
    }

    /// Settles in-doubt instances and continues a run that failed or was interrupted.
    public func resume(_ runID: String) async throws(EngineError) -> RunOutcome {
        let taken = try await take(runID, mode: .resume) { state in
            switch state {
            case .succeeded:
                return .nothingToDo("it already succeeded")
            case .rollingBack, .rolledBack, .rollbackFailed:
                return .refuse("it is being undone; finish with `runbook rollback \(runID)`")
            default:
                return .proceed
            }
        }
        guard case .proceed(let session) = taken else { return taken.outcome }
        return try await drive(session) { () async throws(StoreError) -> RunOutcome in
            try await self.forwardThenRollBackOnFailure(session)
        }
    }

    /// Undoes everything the run applied, newest first. Running it again after an
    /// interruption or a failed undo continues where it stopped.
    public func rollback(_ runID: String) async throws(EngineError) -> RunOutcome {
        let taken = try await take(runID, mode: .rollback) { state in
            state == .rolledBack ? .nothingToDo("it is already rolled back") : .proceed
        }
        guard case .proceed(let session) = taken else { return taken.outcome }
        return try await drive(session) { () async throws(StoreError) -> RunOutcome in
            try await self.rollBack(session, cause: nil)
        }
    }

    // MARK: - Ownership

    /// Whether a command applies to a run in a given state.
    private enum Admission {
        case proceed
        case nothingToDo(String)
        case refuse(String)
    }

    private enum Taken {
        case proceed(RunSession)
        case done(RunOutcome)

        var outcome: RunOutcome {
            switch self {
            case .done(let outcome): return outcome
            case .proceed(let session): return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .running)
            }
        }
    }

    /// Loads a run and takes its lease, if `admission` lets the command proceed.
    private func take(_ runID: String, mode: RunEvent.Mode, admission: (RunState) -> Admission) async throws(EngineError) -> Taken {
        let loaded: RunRecord?
        do { loaded = try store.run(runID) } catch { throw .store(error) }
        guard let record = loaded else { throw .store(.unknownRun(runID)) }
        switch admission(record.state) {
        case .proceed:
            break
        case .nothingToDo(let reason):
            observer.handle(.notice("run \(runID): nothing to do, \(reason)"))
            return .done(RunOutcome(runID: runID, runbook: record.runbook, state: record.state))
        case .refuse(let hint):
            throw .wrongState(runID: runID, state: record.state, hint: hint)
        }
        let reloaded: RunSnapshot?
        do { reloaded = try store.load(runID, revealSecrets: true) } catch { throw .store(error) }
        guard let snapshot = reloaded else { throw .store(.unknownRun(runID)) }
        let runbook: Runbook
        do {
            runbook = try RunbookLoader(registry: configuration.registry).load(snapshot.run.source)
        } catch {
            throw .invalid(error)
        }
        do {
            if case .tookOver(let previous) = try store.acquireLease(runID, owner: owner) {
                observer.handle(.notice("took over run \(runID) from \(previous), which is no longer running"))
            }
        } catch {
            throw .store(error)
        }
        observer.handle(.runStarted(runID: runID, runbook: runbook.name, mode: mode))
        if let path = snapshot.run.source.path, let data = FileManager.default.contents(atPath: path),
           SHA256Digest.hex(of: data) != snapshot.run.definitionDigest {
            observer.handle(.notice("\(snapshot.run.source.displayPath) has changed since this run started; using the copy stored with the run"))
        }
        return .proceed(RunSession(runID: runID, runbook: runbook, params: snapshot.run.params, onFailure: snapshot.run.onFailure,
                                   keepsSecrets: snapshot.run.keepsSecrets, instances: snapshot.instances))
    }

    /// Runs `work` with a heartbeat on the lease, and releases the lease at the end.
    private func drive(_ session: RunSession,
                       _ work: () async throws(StoreError) -> RunOutcome) async throws(EngineError) -> RunOutcome {
        let store = self.store, owner = self.owner, runID = session.runID, interval = configuration.heartbeatInterval
        let heartbeat = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                try? store.renewLease(runID, owner: owner)
            }
        }
        defer {
            heartbeat.cancel()
            try? store.releaseLease(runID, owner: owner)
        }
        do {
            return try await work()
        } catch {
            throw .store(error)
        }
    }

    // MARK: - Forward

    private enum InstanceResult {
        case applied
        case skipped
        case failed(String)
        /// Abandoned by a second signal: the instance stays in doubt.
        case abandoned
    }

    /// Runs forward; a failure with `on_failure: rollback` undoes the run at once.
    private func forwardThenRollBackOnFailure(_ session: RunSession) async throws(StoreError) -> RunOutcome {
        let outcome = try await forward(session)
        guard outcome.state == .failed, session.onFailure == .rollback else { return outcome }
        observer.handle(.notice("rolling back (on failure: rollback)"))
        var undone = try await rollBack(session, cause: outcome.error)
        if undone.state == .rolledBack { undone.error = outcome.error }
        return undone
    }

    private func forward(_ session: RunSession) async throws(StoreError) -> RunOutcome {
        let runbook = session.runbook
        for (stepIndex, step) in runbook.steps.enumerated() {
            guard let plugin = configuration.registry.plugin(step.uses) else {
                return try fail(session, "unknown plugin \(step.uses)")
            }
            var indices = session.indices(ofStep: stepIndex)
            if indices.isEmpty {
                if stop.isRequested { return try interrupt(session) }
                switch try expand(session, stepIndex: stepIndex) {
                case .success(let expanded): indices = expanded
                case .failure(let failure): return try fail(session, failure.message, instance: nil)
                }
            }
            for index in indices {
                switch session.instances[index].state {
                case .applied, .skipped:
                    continue
                case .rollingBack, .rolledBack:
                    return try fail(session, "instance \(session.instances[index].name) is \(session.instances[index].state.rawValue)")
                case .started, .failed:
                    switch try await settle(session, index: index, plugin: plugin) {
                    case .some(true): continue
                    case .some(false): break
                    case nil: return try fail(session, session.instances[index].error ?? "cannot settle \(session.instances[index].name)",
                                              instance: session.instances[index].name)
                    }
                case .pending:
                    break
                }
                if stop.isRequested { return try interrupt(session) }
                switch try await run(session, index: index, step: step, plugin: plugin) {
                case .applied, .skipped:
                    continue
                case .failed(let message):
                    return try fail(session, message, instance: session.instances[index].name)
                case .abandoned:
                    return try interrupt(session)
                }
            }
            session.finishStep(stepIndex)
        }
        // Delivered secrets are no longer needed once the run has succeeded (docs/security.md).
        try store.setState(.succeeded, error: nil, purge: session.keepsSecrets ? .none : .delivered, runID: session.runID, owner: owner)
        return RunOutcome(runID: session.runID, runbook: runbook.name, state: .succeeded)
    }

    /// Creates the instances of a step reached for the first time.
    private func expand(_ session: RunSession, stepIndex: Int) throws(StoreError) -> Result<[Int], ExpansionFailure> {
        let step = session.runbook.steps[stepIndex]
        var items: [Value?] = [nil]
        var names = [step.id]
        if let foreach = step.foreach {
            do {
                let value = try session.scope.resolve(foreach).value
                guard case .list(let list) = value else {
                    return .failure(ExpansionFailure(message: "step \(step.id): foreach must be a list, not \(value.kind.rawValue)"))
                }
                items = list
                names = InstanceNaming.names(step: step.id, items: list)
            } catch {
                return .failure(ExpansionFailure(message: "step \(step.id): foreach: \(error)"))
            }
        }
        let first = session.nextPosition
        let records = zip(names, items).enumerated().map { offset, pair in
            InstanceRecord(runID: session.runID, position: first + offset, stepID: step.id, stepIndex: stepIndex,
                           name: pair.0, item: pair.1)
        }
        try store.expand(session.runID, instances: records, owner: owner)
        session.append(records)
        return .success(Array(session.instances.indices.suffix(records.count)))
    }

    struct ExpansionFailure: Error {
        var message: String
    }

    private func context(_ session: RunSession, instance: String, attempt: Int) -> StepContext {
        let store = self.store, owner = self.owner, runID = session.runID, observer = self.observer
        let redactor = session.redactor
        // A plugin's notes go to the journal and to the operator's screen (a long wait for
        // IAM to catch up should not look like a hang).
        return StepContext(runID: runID, instance: instance, attempt: attempt, environment: configuration.environment,
                           workingDirectory: configuration.workingDirectory,
                           note: { message in
                               let text = redactor.redact(message)
                               try? store.note(text, instance: instance, runID: runID, owner: owner)
                               observer.handle(.notice("\(instance): \(text)"))
                           })
    }

    /// Applies one instance under the checkpoint protocol, with the step's retries.
    private func run(_ session: RunSession, index: Int, step: StepSpec, plugin: any StepPlugin) async throws(StoreError) -> InstanceResult {
        let record = session.instances[index]
        let name = record.name
        var scope = session.scope
        scope.item = record.item

        if let when = step.when {
            do {
                if try when.evaluate(in: scope) == false {
                    let reason = "\(when) is false"
                    try store.record(.skipped(reason), instance: name, runID: session.runID, owner: owner)
                    session.update(index) { $0.state = .skipped }
                    observer.handle(.instanceFinished(name: name, state: .skipped, elapsed: .zero, detail: reason))
                    return .skipped
                }
            } catch {
                return try failBeforeStart(session, index: index, "when: \(error)")
            }
        }

        let inputs: Inputs
        if let stored = record.inputs {
            inputs = stored
        } else {
            do {
                inputs = try Planner.resolveInputs(step, plugin: plugin, scope: scope)
            } catch {
                return try failBeforeStart(session, index: index, "\(error)")
            }
        }
        session.remember(.map(inputs.values))
        let problems = plugin.validate(inputs)
        if !problems.isEmpty {
            return try failBeforeStart(session, index: index, problems.map(\.description).joined(separator: "; "))
        }

        let began = ContinuousClock.now
        var attempt = record.attempt
        let intent: Intent
        if let stored = record.intent {
            intent = stored
        } else {
            do {
                intent = try await plugin.observe(inputs, context: context(session, instance: name, attempt: attempt + 1))
            } catch {
                if Task.isCancelled { return .abandoned }
                return try failBeforeStart(session, index: index, "cannot observe: \(describe(error, session))")
            }
        }
        session.remember(.map(intent.values))

        let secretOutputs = type(of: plugin).outputs.secretNames
        var tries = 0
        while true {
            attempt += 1
            tries += 1
            try store.record(.started(attempt: attempt, inputs: inputs, intent: intent), instance: name, runID: session.runID, owner: owner)
            session.update(index) {
                $0.state = .started
                $0.attempt = attempt
                $0.inputs = inputs
                $0.intent = intent
            }
            configuration.failpoint.trigger(instance: name, point: .beforeApply)
            observer.handle(.instanceStarted(name: name, attempt: attempt))

            var outputs: Outputs
            let applyBegan = ContinuousClock.now
            do {
                let ctx = context(session, instance: name, attempt: attempt)
                outputs = try await withTimeout(step.timeout) {
                    try await plugin.apply(inputs, intent: intent, context: ctx)
                }
            } catch {
                if Task.isCancelled {
                    try? store.note("abandoned by a second signal while applying; left in doubt for resume",
                                    instance: name, runID: session.runID, owner: owner)
                    return .abandoned
                }
                let message = describe(error, session)
                if tries < step.retry.maxAttempts, !stop.isRequested {
                    let delay = step.retry.backoff * (1 << min(tries - 1, 16))
                    try store.note("attempt \(attempt) failed: \(message); retrying in \(delay.shortText)",
                                   instance: name, runID: session.runID, owner: owner)
                    observer.handle(.retrying(name: name, attempt: attempt, error: message, delay: delay))
                    do { try await Task.sleep(for: delay) } catch { return .abandoned }
                    continue
                }
                try store.record(.failed(message), instance: name, runID: session.runID, owner: owner)
                session.update(index) {
                    $0.state = .failed
                    $0.error = message
                }
                observer.handle(.instanceFinished(name: name, state: .failed, elapsed: began.duration(to: .now), detail: message))
                return .failed(message)
            }
            configuration.failpoint.trigger(instance: name, point: .afterApply)
            outputs = Self.markSecrets(outputs, names: secretOutputs, known: session.redactor,
                                       nearby: Redactor(collecting: [.map(inputs.values)]))
            try store.record(.applied(outputs, took: applyBegan.duration(to: .now)), instance: name, runID: session.runID, owner: owner)
            session.update(index) {
                $0.state = .applied
                $0.outputs = outputs
                $0.error = nil
            }
            configuration.failpoint.trigger(instance: name, point: .afterCheckpoint)
            observer.handle(.instanceFinished(name: name, state: .applied, elapsed: began.duration(to: .now), detail: nil))
            return .applied
        }
    }

    /// The instance failed before its `started` checkpoint: nothing was applied.
    private func failBeforeStart(_ session: RunSession, index: Int, _ message: String) throws(StoreError) -> InstanceResult {
        let name = session.instances[index].name
        let text = session.redact(message)
        try store.record(.failed(text), instance: name, runID: session.runID, owner: owner)
        session.update(index) {
            $0.state = .failed
            $0.error = text
        }
        observer.handle(.instanceFinished(name: name, state: .failed, elapsed: .zero, detail: text))
        return .failed(text)
    }

    /// Settles an in-doubt (`started`) or `failed` instance through its plugin's reconcile.
    /// Returns true if it is applied, false if it must be applied again, nil if it cannot
    /// be settled now (the error is recorded on the instance).
    private func settle(_ session: RunSession, index: Int, plugin: any StepPlugin) async throws(StoreError) -> Bool? {
        let record = session.instances[index]
        guard let inputs = record.inputs, let intent = record.intent else {
            try store.record(.settledNotApplied("never applied"), instance: record.name, runID: session.runID, owner: owner)
            session.update(index) { $0.state = .pending }
            return false
        }
        let settlement: Settlement
        do {
            var ctx = context(session, instance: record.name, attempt: record.attempt)
            ctx.settling = record.state == .failed ? .afterFailure(record.error ?? "") : .inDoubt
            settlement = try await plugin.reconcile(inputs, intent: intent, context: ctx)
        } catch {
            let message = "cannot settle \(record.name): \(describe(error, session))"
            try store.record(.failed(message), instance: record.name, runID: session.runID, owner: owner)
            session.update(index) {
                $0.state = .failed
                $0.error = message
            }
            observer.handle(.settled(name: record.name, outcome: message))
            return nil
        }
        switch settlement {
        case .applied(let outputs):
            let marked = Self.markSecrets(outputs, names: type(of: plugin).outputs.secretNames, known: session.redactor,
                                          nearby: Redactor(collecting: [.map(inputs.values)]))
            try store.record(.applied(marked, note: "settled: the change was in place"), instance: record.name,
                             runID: session.runID, owner: owner)
            session.update(index) {
                $0.state = .applied
                $0.outputs = marked
                $0.error = nil
            }
            observer.handle(.settled(name: record.name, outcome: "applied before the interruption"))
            return true
        case .notApplied:
            try store.record(.settledNotApplied("settled: not applied; applying again"), instance: record.name,
                             runID: session.runID, owner: owner)
            session.update(index) { $0.state = .pending }
            observer.handle(.settled(name: record.name, outcome: "not applied; applying again"))
            return false
        case .repaired(let note):
            let text = session.redact(note)
            try store.record(.settledNotApplied("settled: repaired (\(text)); applying again"), instance: record.name,
                             runID: session.runID, owner: owner)
            session.update(index) { $0.state = .pending }
            observer.handle(.settled(name: record.name, outcome: "repaired (\(text)); applying again"))
            return false
        }
    }

    private func fail(_ session: RunSession, _ message: String, instance: String? = nil) throws(StoreError) -> RunOutcome {
        let text = instance.map { "step \($0) failed: \(message)" } ?? message
        try store.setState(.failed, error: text, runID: session.runID, owner: owner)
        return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .failed, error: text)
    }

    private func interrupt(_ session: RunSession) throws(StoreError) -> RunOutcome {
        let signal = stop.received
        let reason = signal.map { "stopped by \(Self.signalName($0))" } ?? "stopped"
        try store.setState(.interrupted, error: reason, runID: session.runID, owner: owner)
        return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .interrupted, error: reason, signal: signal)
    }

    // MARK: - Rollback

    private func rollBack(_ session: RunSession, cause: String?) async throws(StoreError) -> RunOutcome {
        try store.setState(.rollingBack, error: cause, runID: session.runID, owner: owner)
        for index in session.instances.indices.reversed() {
            let record = session.instances[index]
            guard let plugin = configuration.registry.plugin(session.runbook.steps[record.stepIndex].uses) else { continue }
            switch record.state {
            case .pending, .skipped, .rolledBack:
                continue
            case .started, .failed:
                switch try await settle(session, index: index, plugin: plugin) {
                case .some(true):
                    break
                case .some(false):
                    try store.record(.rolledBack("nothing to undo: it was not applied"), instance: record.name,
                                     runID: session.runID, owner: owner)
                    session.update(index) { $0.state = .rolledBack }
                    continue
                case nil:
                    let message = session.instances[index].error ?? "cannot settle \(record.name)"
                    try store.setState(.rollbackFailed, error: message, runID: session.runID, owner: owner)
                    return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .rollbackFailed, error: message)
                }
            case .applied, .rollingBack:
                break
            }
            if stop.isRequested {
                let signal = stop.received
                return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .interrupted,
                                  error: signal.map { "rollback stopped by \(Self.signalName($0))" }, signal: signal)
            }
            switch try await undo(session, index: index, plugin: plugin) {
            case .none:
                continue
            case .some(let message):
                if message.isEmpty {
                    let signal = stop.received
                    return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .interrupted,
                                      error: "rollback abandoned", signal: signal)
                }
                let text = "undo of \(record.name) failed: \(message)"
                try store.setState(.rollbackFailed, error: text, runID: session.runID, owner: owner)
                return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .rollbackFailed, error: text)
            }
        }
        try store.setState(.rolledBack, error: cause, purge: .all, runID: session.runID, owner: owner)
        return RunOutcome(runID: session.runID, runbook: session.runbook.name, state: .rolledBack, error: cause)
    }

    /// Undoes one applied instance. Returns nil when undone, the error otherwise ("" when abandoned).
    private func undo(_ session: RunSession, index: Int, plugin: any StepPlugin) async throws(StoreError) -> String? {
        let record = session.instances[index]
        let name = record.name
        if record.state != .rollingBack {
            try store.record(.rollingBack, instance: name, runID: session.runID, owner: owner)
            session.update(index) { $0.state = .rollingBack }
        }
        configuration.failpoint.trigger(instance: name, point: .beforeRollback)
        observer.handle(.rollbackStarted(name: name))
        let began = ContinuousClock.now
        do {
            try await plugin.rollback(record.inputs ?? Inputs([:]), intent: record.intent ?? Intent([:]),
                                      outputs: record.outputs ?? Outputs([:]),
                                      context: context(session, instance: name, attempt: record.attempt))
        } catch {
            if Task.isCancelled { return "" }
            let message = describe(error, session)
            try store.record(.rollbackFailed(message), instance: name, runID: session.runID, owner: owner)
            session.update(index) { $0.error = message }
            observer.handle(.rollbackFinished(name: name, state: .rollingBack, elapsed: began.duration(to: .now), detail: message))
            return message
        }
        configuration.failpoint.trigger(instance: name, point: .afterRollback)
        try store.record(.rolledBack(nil), instance: name, runID: session.runID, owner: owner)
        session.update(index) {
            $0.state = .rolledBack
            $0.error = nil
        }
        observer.handle(.rollbackFinished(name: name, state: .rolledBack, elapsed: began.duration(to: .now), detail: nil))
        return nil
    }

    // MARK: - Helpers

    /// Outputs the plugin declares secret are secret, whatever it returned; so is any output
    /// that carries a secret the run knows.
    static func markSecrets(_ outputs: Outputs, names: Set<String>, known: Redactor, nearby: Redactor) -> Outputs {
        var result = outputs
        for (name, value) in outputs.values {
            if names.contains(name), case .string(let text) = value {
                result[name] = .secret(Secret(text))
            } else {
                result[name] = known.sealingKnownSecrets(value, nearby: nearby)
            }
        }
        return result
    }

    private func describe(_ error: Error, _ session: RunSession) -> String {
        if let localized = error as? LocalizedError, let text = localized.errorDescription {
            return session.redact(text)
        }
        return session.redact(String(describing: error))
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}

/// A step ran longer than its `timeout`.
struct StepTimeout: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "timed out after \(limit.shortText)" }
}

/// Runs `operation`, cancelling it and throwing `StepTimeout` if it outlasts `limit`.
func withTimeout<T: Sendable>(_ limit: Duration?, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let limit else { return try await operation() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw StepTimeout(limit: limit)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw StepTimeout(limit: limit) }
        return first
    }
}
