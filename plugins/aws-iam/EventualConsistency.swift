import AWSKit
import RunbookKit

/// IAM is eventually consistent: right after `CreateUser` (or `CreateGroup`), calls on the
/// new entity can answer `NoSuchEntity` for seconds (terraform-provider-aws #2449, #18458).
/// Those calls are retried with backoff, bounded, and only for an entity this process has
/// just created: elsewhere `NoSuchEntity` means what it says, at once.
enum EventualConsistency {
    /// Delays between attempts: about 30 s in all.
    static let delays: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4),
                                     .seconds(6), .seconds(8), .seconds(8)]

    /// After a failed apply the request was, most often, refused outright (`AccessDenied`);
    /// a few looks over about 2 s still keep one `NoSuchEntity` from deciding.
    static let shortDelays: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1)]

    /// How long a reconcile looks for an entity its intent says was being created.
    static func settlingDelays(_ context: StepContext) -> [Duration] {
        if case .afterFailure = context.settling { return shortDelays }
        return delays
    }

    static func retrying<T: Sendable>(_ entity: IAMEntity, session: AWSSession, context: StepContext,
                                      _ operation: () async throws -> T) async throws -> T {
        guard session.wasJustCreated(entity) else { return try await operation() }
        return try await retryingNoSuchEntity(entity, context: context, operation)
    }

    /// Retries `NoSuchEntity` unconditionally (bounded): for a reconcile that must not
    /// conclude "gone" from one answer about something the intent says was being created.
    static func retryingNoSuchEntity<T: Sendable>(_ entity: IAMEntity, context: StepContext, delays: [Duration] = delays,
                                                  _ operation: () async throws -> T) async throws -> T {
        for delay in delays {
            do {
                return try await operation()
            } catch let error as AWSError where error.isNoSuchEntity {
                context.note("\(entity.description) not visible yet (NoSuchEntity); retrying in \(delay.shortText)")
                try await Task.sleep(for: delay)
            }
        }
        return try await operation()
    }
}
