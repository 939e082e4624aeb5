import AWSKit
import RunbookKit

/// Creating an IAM entity that carries this run's ownership marker (a user's `runbook:run`
/// tag, a group's `/runbook/RUN-ID/` path), and recognising it afterwards: what
/// `aws.iam.create-user` and `aws.iam.create-group` share.
struct OwnedCreation<Entity: Sendable>: Sendable {
    let entity: IAMEntity
    let session: AWSSession
    let context: StepContext
    let fetch: @Sendable () async throws -> Entity
    let create: @Sendable () async throws -> Entity
    let isOurs: @Sendable (Entity) -> Bool
    let notOursReason: @Sendable (Entity) -> String

    /// Creates it. `EntityAlreadyExists` is accepted for an entity that carries this run's
    /// marker: an earlier attempt created it before its answer was lost.
    func apply() async throws -> Entity {
        do {
            let created = try await create()
            session.noteCreated(entity)
            return created
        } catch let error as AWSError where error.isEntityAlreadyExists {
            let found = try await AWSFailure.wrapping {
                try await EventualConsistency.retryingNoSuchEntity(entity, context: context, fetch)
            }
            guard isOurs(found) else { throw PluginError("\(entity.description) already exists: \(notOursReason(found))") }
            session.noteCreated(entity)
            return found
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    /// Whether a creation left in doubt happened: the entity with this run's marker, or nil
    /// when it is not there. One `NoSuchEntity` may only mean IAM has not caught up, so it
    /// looks again for a while (longer in doubt than after a refused request) first.
    func settle() async throws -> Entity? {
        do {
            let found = try await EventualConsistency.retryingNoSuchEntity(entity, context: context,
                                                                           delays: EventualConsistency.settlingDelays(context), fetch)
            guard isOurs(found) else {
                throw PluginError("\(entity.description) was created by someone else meanwhile: \(notOursReason(found))")
            }
            session.noteCreated(entity)
            return found
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        } catch let error as PluginError {
            throw error
        } catch {
            throw AWSFailure.describe(error)
        }
    }

    /// The entity if it exists and is this run's (for rollback); nil when it is gone.
    /// Throws, naming it, when it exists and is not this run's: never delete what the run
    /// did not make.
    func ownedForDeletion() async throws -> Entity? {
        let found: Entity
        do {
            found = try await fetch()
        } catch let error as AWSError where error.isNoSuchEntity {
            return nil
        } catch {
            throw AWSFailure.describe(error)
        }
        guard isOurs(found) else { throw PluginError("not deleting \(entity.description): \(notOursReason(found))") }
        return found
    }
}
