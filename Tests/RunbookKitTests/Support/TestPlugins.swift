import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RunbookKit
import Synchronization

/// The "world" the test plugins change, and a log of every call the engine made to them.
/// Tests script failures, hangs and reconcile answers per key before running the engine.
final class Ledger: Sendable {
    enum Answer: Sendable {
        case applied, notApplied, repaired
    }

    enum Hang: Sendable {
        /// Suspend (until cancelled) before making the change.
        case beforeEffect
        /// Make the change, then suspend until cancelled: the change exists, the checkpoint does not.
        case afterEffect
    }

    private struct State {
        /// Keys the test plugins have created and not removed.
        var world: Set<String> = []
        /// How many times each key was applied.
        var applies: [String: Int] = [:]
        /// `apply a`, `rollback b`, `reconcile c`...
        var calls: [String] = []
        var failures: [String: (remaining: Int, message: String)] = [:]
        var answers: [String: Answer] = [:]
        var hangs: [String: Hang] = [:]
        var planned: [String: Inputs] = [:]
        var applied: [String: Inputs] = [:]
        var attempts: [String: [Int]] = [:]
        var stops: [String: StopSignal] = [:]
    }

    private let state = Mutex(State())
    private let hung: AsyncStream<String>
    private let hungContinuation: AsyncStream<String>.Continuation

    init(world: Set<String> = []) {
        (hung, hungContinuation) = AsyncStream.makeStream(of: String.self)
        state.withLock { $0.world = world }
    }

    // MARK: Scripting

    /// The next `times` applies of `key` throw `PluginError(message)`. In `message`, `{secret}`
    /// stands for the revealed value of the `secret` input: an endpoint echoing a request.
    func fail(_ key: String, times: Int = 1, message: String = "simulated failure") {
        state.withLock { $0.failures[key] = (times, message) }
    }

    func answer(_ key: String, _ answer: Answer) {
        state.withLock { $0.answers[key] = answer }
    }

    func hang(_ key: String, _ hang: Hang) {
        state.withLock { $0.hangs[key] = hang }
    }

    /// While `key` is being applied, `signal` receives SIGTERM, as `kill` would send it.
    func stop(during key: String, with signal: StopSignal) {
        state.withLock { $0.stops[key] = signal }
    }

    /// Waits until an apply suspends as scripted by `hang`; returns its key.
    func waitForHang() async -> String? {
        for await key in hung { return key }
        return nil
    }

    // MARK: What happened

    var world: Set<String> { state.withLock { $0.world } }
    var calls: [String] { state.withLock { $0.calls } }
    func applies(_ key: String) -> Int { state.withLock { $0.applies[key] ?? 0 } }
    var totalApplies: Int { state.withLock { $0.applies.values.reduce(0, +) } }
    var rollbacks: [String] { calls.filter { $0.hasPrefix("rollback ") }.map { String($0.dropFirst("rollback ".count)) } }
    func planned(_ key: String) -> Inputs? { state.withLock { $0.planned[key] } }
    func appliedInputs(_ key: String) -> Inputs? { state.withLock { $0.applied[key] } }
    func attempts(_ key: String) -> [Int] { state.withLock { $0.attempts[key] ?? [] } }

    // MARK: Called by the plugins

    fileprivate func log(_ call: String) {
        state.withLock { $0.calls.append(call) }
    }

    fileprivate func plan(_ key: String, _ inputs: Inputs) {
        state.withLock {
            $0.planned[key] = inputs
            $0.calls.append("plan \(key)")
        }
    }

    fileprivate func contains(_ key: String) -> Bool { state.withLock { $0.world.contains(key) } }

    fileprivate func apply(_ key: String, inputs: Inputs, attempt: Int) async throws {
        let (failure, hang, stop) = state.withLock { s -> (String?, Hang?, StopSignal?) in
            s.calls.append("apply \(key)")
            s.attempts[key, default: []].append(attempt)
            let hang = s.hangs.removeValue(forKey: key)
            let stop = s.stops.removeValue(forKey: key)
            if let pending = s.failures[key], pending.remaining > 0 {
                s.failures[key] = (pending.remaining - 1, pending.message)
                return (pending.message, hang, stop)
            }
            return (nil, hang, stop)
        }
        stop?.request(SIGTERM)
        if let failure {
            let secret = inputs["secret"]?.stringValue ?? ""
            throw PluginError(failure.replacingOccurrences(of: "{secret}", with: secret))
        }
        if hang == .beforeEffect { try await suspend(key) }
        state.withLock {
            $0.world.insert(key)
            $0.applies[key, default: 0] += 1
            $0.applied[key] = inputs
        }
        if hang == .afterEffect { try await suspend(key) }
    }

    private func suspend(_ key: String) async throws {
        hungContinuation.yield(key)
        // Only cancellation ends this: the engine's task is cancelled by the test.
        try await Task.sleep(for: .seconds(3600))
    }

    fileprivate func reconcile(_ key: String) -> Answer {
        state.withLock { s in
            s.calls.append("reconcile \(key)")
            if let answer = s.answers.removeValue(forKey: key) {
                if answer == .repaired { s.world.remove(key) }
                return answer
            }
            return s.world.contains(key) ? .applied : .notApplied
        }
    }

    fileprivate func rollback(_ key: String, existedBefore: Bool) {
        state.withLock {
            $0.calls.append("rollback \(key)")
            // Never undo what the run did not do.
            if !existedBefore { $0.world.remove(key) }
        }
    }
}

/// `test.effect`: creates `key` in the ledger's world. Outputs `key`, `value` (the input,
/// echoed) and a declared-secret `token`.
struct EffectPlugin: StepPlugin {
    static let id = "test.effect"
    static let summary = "Create a key in the test ledger"
    static let inputs = Schema([
        .required("key", .string, "what to create"),
        .optional("value", .any, "echoed as the output 'value'"),
        .optional("secret", .string, "a value the plugin may quote in errors"),
        .optional("count", .int, "a number"),
        .optional("flag", .bool, "a flag"),
        .optional("items", .list, "a list"),
        .optional("labels", .map, "a map"),
        .optional("wait", .duration, "a duration"),
    ])
    static let outputs = OutputSchema([
        .init("key", .string, "the key created"),
        .init("value", .any, "the 'value' input"),
        .init("token", .string, secret: true, "a secret the step produced"),
    ])

    let ledger: Ledger

    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let key = try inputs.string("key")
        ledger.plan(key, inputs)
        if inputs.hasDeferred { return Plan(.unchecked, "create \(key)", note: "inputs known at run time", undo: "remove \(key)") }
        return Plan(ledger.contains(key) ? .unchanged : .create, "create \(key)", undo: "remove \(key)")
    }

    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let key = try inputs.string("key")
        ledger.log("observe \(key)")
        return Intent(["existed": .bool(ledger.contains(key))])
    }

    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let key = try inputs.string("key")
        try await ledger.apply(key, inputs: inputs, attempt: context.attempt)
        return Self.outputs(for: inputs)
    }

    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let key = try inputs.string("key")
        switch ledger.reconcile(key) {
        case .applied: return .applied(Self.outputs(for: inputs))
        case .notApplied: return .notApplied
        case .repaired: return .repaired("removed a partial \(key)")
        }
    }

    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        ledger.rollback(try inputs.string("key"), existedBefore: try intent.bool("existed"))
    }

    static func outputs(for inputs: Inputs) -> Outputs {
        let key = (try? inputs.string("key")) ?? ""
        return Outputs(["key": .string(key), "value": inputs["value"] ?? .null, "token": .string("token-of-\(key)")])
    }
}

/// `test.echo`: any inputs, which become its outputs (like `core.set`).
struct EchoPlugin: StepPlugin {
    static let id = "test.echo"
    static let summary = "Outputs its inputs"
    static let inputs = Schema.anyInputs
    static let outputs = OutputSchema.mirroringInputs

    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan { Plan(.create, "echo") }
    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }
    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs { Outputs(inputs.values) }
    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        .applied(Outputs(inputs.values))
    }
    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}
}

/// `test.gate`: its plan says it cannot proceed, or with `mode: fail` throws an error that
/// quotes its `secret` input (as an endpoint echoing a request would). Apply must never be reached.
struct GatePlugin: StepPlugin {
    static let id = "test.gate"
    static let summary = "Blocked in pre-flight"
    static let inputs = Schema([
        .optional("secret", .string, "quoted by the failing plan"),
        .optional("mode", .string, "block (the default) or fail"),
    ])
    static let outputs = OutputSchema([])

    let ledger: Ledger

    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        ledger.log("plan gate")
        if try inputs.optionalString("mode") == "fail" {
            throw PluginError("access denied for credentials \(inputs["secret"]?.stringValue ?? "")")
        }
        return .blocked("open the gate", because: "the gate is locked")
    }
    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }
    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        ledger.log("apply gate")
        return Outputs([:])
    }
    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement { .notApplied }
    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}
}

/// `test.picky`: `validate` rejects a `name` that is not lower case.
struct PickyPlugin: StepPlugin {
    static let id = "test.picky"
    static let summary = "Validates its input's value"
    static let inputs = Schema([.required("name", .string, "lower-case name")])
    static let outputs = OutputSchema([])

    let ledger: Ledger

    func validate(_ inputs: Inputs) -> [InputProblem] {
        guard let name = inputs["name"]?.stringValue, name != name.lowercased() else { return [] }
        return [InputProblem(input: "name", "'\(name)' must be lower case")]
    }
    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan { Plan(.create, "picky") }
    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }
    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        ledger.log("apply picky")
        return Outputs([:])
    }
    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement { .notApplied }
    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}
}

/// `test.slow`: apply sleeps for `for` (a duration; cancellable), then succeeds.
struct SlowPlugin: StepPlugin {
    static let id = "test.slow"
    static let summary = "Takes its time"
    static let inputs = Schema([.required("for", .duration, "how long apply takes")])
    static let outputs = OutputSchema([])

    let ledger: Ledger

    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan { Plan(.create, "wait") }
    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent { Intent([:]) }
    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        ledger.log("apply slow")
        let text = try inputs.string("for")
        guard let duration = Duration(runbookText: text) else { throw PluginError("bad duration \(text)") }
        try await Task.sleep(for: duration)
        ledger.log("slow finished")
        return Outputs([:])
    }
    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement { .notApplied }
    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {}
}

extension PluginRegistry {
    /// Every test plugin, sharing `ledger`.
    static func testPlugins(_ ledger: Ledger = Ledger()) -> PluginRegistry {
        PluginRegistry([EffectPlugin(ledger: ledger), EchoPlugin(), GatePlugin(ledger: ledger), PickyPlugin(ledger: ledger),
                        SlowPlugin(ledger: ledger)])
    }
}
