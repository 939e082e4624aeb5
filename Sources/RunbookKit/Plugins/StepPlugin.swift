/// A kind of step: what `uses:` names in a runbook.
///
/// The engine owns state; a plugin observes the world and changes it, and returns values.
/// It never touches the store. The engine calls it in this order, checkpointing between:
///
///     observe  -> commit `started` with the intent -> apply -> commit `applied` (outputs)
///
/// and after a crash between the two commits, `reconcile`; to undo, `rollback`.
///
/// Rules every plugin keeps:
/// - Never undo what the run did not do: whatever existed before is recorded in the intent
///   and left as it was found.
/// - `apply` is idempotent or reconcilable: called again after a failure with the same intent,
///   it does not duplicate its effect.
/// - `rollback` is idempotent: undoing what is already undone succeeds.
/// - Secret values are `Value.secret`; outputs named secret in `outputs` are made so by the engine.
public protocol StepPlugin: Sendable {
    /// The name runbooks use, `family.name` (`core.file`, `aws.iam.create-user`).
    static var id: String { get }
    /// One line for `runbook plugins`.
    static var summary: String { get }
    /// Inputs, checked before the run starts.
    static var inputs: Schema { get }
    /// Outputs, which later steps may reference.
    static var outputs: OutputSchema { get }

    /// Checks on resolved input values beyond their types (an IAM user name's characters, a
    /// tag count). Called before any step of the run is applied; return one message per problem.
    func validate(_ inputs: Inputs) -> [InputProblem]

    /// Read-only: the dry-run line, with a look at live state where the plugin can.
    /// Inputs that are only known at run time are listed in `inputs.deferred`.
    func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan

    /// Read-only: how the world is just before apply. Stored with the `started` checkpoint,
    /// it is the record of what existed before the run touched it.
    func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent

    /// Makes the change. Returns the outputs.
    func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs

    /// After a crash or failure left the instance in doubt: looks at the world against the
    /// intent and says whether the change happened. May repair a partial effect (an access
    /// key whose secret was lost: delete it) and answer `.repaired`, after which the engine
    /// applies again. Must not conclude "not applied" on weak evidence.
    func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement

    /// Undoes an applied change, restoring what the intent recorded. Idempotent.
    func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws
}

extension StepPlugin {
    public func validate(_ inputs: Inputs) -> [InputProblem] { [] }
}

/// A problem with one input's value.
public struct InputProblem: Sendable, Hashable, CustomStringConvertible {
    public var input: String
    public var message: String

    public init(input: String, _ message: String) {
        self.input = input
        self.message = message
    }

    public var description: String { "input '\(input)': \(message)" }
}

/// How an in-doubt instance stands, as its plugin found it.
public enum Settlement: Sendable {
    /// The change is in place; these are its outputs.
    case applied(Outputs)
    /// Nothing happened; apply again.
    case notApplied
    /// A partial effect was found and undone (the note says what); apply again.
    case repaired(String)
}

/// An error a plugin throws with a message meant for the operator.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
