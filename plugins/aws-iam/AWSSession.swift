import AWSKit
import Foundation
import RunbookKit
import Synchronization

/// What the IAM plugins share in one process: the AWS configuration resolved as the SDKs
/// do (from the step's environment, on first use, so a dry run without credentials still
/// plans), one HTTP client (one kept-alive connection), and the entities this process has
/// just created, for IAM's eventual consistency.
public final class AWSSession: Sendable {
    private struct State {
        var resolved: (environment: [String: String], result: Result<AWSConfiguration, AWSConfigurationError>)?
        var recentlyCreated: [String: ContinuousClock.Instant] = [:]
        var knownAbsent: Set<String> = []
    }
    private let state = Mutex(State())
    private let http = HTTPClient()

    public init() {}

    /// The configuration for `context`'s environment: credentials, region, endpoints.
    func configuration(_ context: StepContext) throws(AWSConfigurationError) -> AWSConfiguration {
        let environment = context.environment
        let cached = state.withLock { state -> Result<AWSConfiguration, AWSConfigurationError>? in
            guard let resolved = state.resolved, resolved.environment == environment else { return nil }
            return resolved.result
        }
        if let cached { return try cached.get() }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let result: Result<AWSConfiguration, AWSConfigurationError>
        do {
            result = .success(try AWSConfiguration.resolve(environment: environment, homeDirectory: home))
        } catch {
            result = .failure(error)
        }
        state.withLock { $0.resolved = (environment, result) }
        return try result.get()
    }

    func iam(_ context: StepContext) throws(AWSConfigurationError) -> IAMClient {
        IAMClient(configuration: try configuration(context), httpClient: http)
    }

    /// STS signed with `credentials` (the new access key), at the configured endpoint.
    func sts(_ context: StepContext, credentials: AWSCredentials) throws(AWSConfigurationError) -> STSClient {
        STSClient(configuration: try configuration(context).withCredentials(credentials), httpClient: http)
    }

    // MARK: - Eventual consistency

    /// IAM may answer `NoSuchEntity` for seconds after creating an entity; calls on an
    /// entity this process just created retry that (see `EventualConsistency`).
    static let consistencyWindow: Duration = .seconds(60)

    func noteCreated(_ entity: IAMEntity) {
        state.withLock { $0.recentlyCreated[entity.key] = .now }
    }

    /// A plan found `entity` does not exist: later plans of the same run need not ask about
    /// its policies, tags or keys (it will be created with none).
    func noteAbsent(_ entity: IAMEntity) {
        state.withLock { _ = $0.knownAbsent.insert(entity.key) }
    }

    func isKnownAbsent(_ entity: IAMEntity) -> Bool {
        state.withLock { $0.knownAbsent.contains(entity.key) }
    }

    /// Whether this process created `entity` moments ago: it then has no policies, tags,
    /// keys or memberships but those this run gives it, so an observe need not ask IAM.
    func wasJustCreated(_ entity: IAMEntity) -> Bool {
        state.withLock { state in
            guard let at = state.recentlyCreated[entity.key] else { return false }
            return at.duration(to: .now) < Self.consistencyWindow
        }
    }
}

/// An IAM user or group, by name.
enum IAMEntity: Sendable, Hashable {
    case user(String)
    case group(String)

    var key: String {
        switch self {
        case .user(let name): return "user/\(name)"
        case .group(let name): return "group/\(name)"
        }
    }

    var description: String {
        switch self {
        case .user(let name): return "IAM user \(name)"
        case .group(let name): return "IAM group \(name)"
        }
    }
}
