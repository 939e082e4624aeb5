/// What `runbook doctor` shows about AWS: where credentials came from (key id masked),
/// region, endpoints, and who STS says the caller is — or why it could not say.
///
/// It holds no secret, so it can be printed or encoded as JSON as it is.
public struct AWSDiagnosticsReport: Sendable, Equatable, Codable {
    public struct Endpoint: Sendable, Equatable, Codable {
        public var service: String
        public var url: String
        public var signingRegion: String
        public var source: String
    }

    /// A failed identity check, as an operator needs to read it.
    public struct Failure: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        public var httpStatus: Int?
        public var requestID: String?
        public var attempts: Int?
    }

    public var profile: String
    public var credentialSource: String?
    public var maskedAccessKeyID: String?
    public var usesSessionToken: Bool
    public var region: String?
    public var regionSource: String?
    public var endpoints: [Endpoint]
    public var maxAttempts: Int?
    public var caBundle: String?
    public var proxy: String?
    /// Settings that could not be resolved (credentials, region, endpoints, retries, TLS).
    public var problems: [String]
    public var identity: CallerIdentity?
    public var identityError: Failure?
    /// Everything resolved and STS confirmed the identity.
    public var isHealthy: Bool
}

public enum AWSDiagnostics {
    /// Resolves each setting on its own (one failure does not hide the others), then asks
    /// STS who the caller is if the configuration is complete.
    public static func run(resolver: AWSConfigurationResolver, httpClient: HTTPClient? = nil) async -> AWSDiagnosticsReport {
        var report = AWSDiagnosticsReport(profile: resolver.profileName, usesSessionToken: false, endpoints: [],
                                          problems: [], isHealthy: false)
        var credentials: ResolvedCredentials?
        do {
            credentials = try resolver.resolveCredentials()
        } catch {
            report.problems.append(error.description)
        }
        if let credentials {
            report.credentialSource = credentials.source.description
            report.maskedAccessKeyID = credentials.credentials.maskedAccessKeyID
            report.usesSessionToken = credentials.credentials.isTemporary
        }

        var region: ResolvedRegion?
        do {
            region = try resolver.resolveRegion()
        } catch {
            report.problems.append(error.description)
        }
        var endpoints: [ServiceEndpoint] = []
        if let region {
            report.region = region.name
            report.regionSource = region.source.description
            for service in AWSService.allCases {
                do {
                    endpoints.append(try resolver.resolveEndpoint(for: service, region: region.name))
                } catch {
                    report.problems.append(error.description)
                }
            }
        }
        report.endpoints = endpoints.map(Self.describe)

        var retryPolicy: RetryPolicy?
        do {
            retryPolicy = try resolver.resolveRetryPolicy()
            report.maxAttempts = retryPolicy?.maxAttempts
        } catch {
            report.problems.append(error.description)
        }
        var http: HTTPClient.Configuration?
        do {
            http = try resolver.resolveHTTPConfiguration()
            report.caBundle = http?.caBundlePath
            report.proxy = http.flatMap { Redactor().redact([$0.proxy.httpsProxy, $0.proxy.httpProxy].compactMap { $0 }.first ?? "") }
                .flatMap { $0.isEmpty ? nil : $0 }
        } catch {
            report.problems.append(error.description)
        }

        guard report.problems.isEmpty, let credentials, let region, let retryPolicy, let http,
              let iam = endpoints.first(where: { $0.service == .iam }),
              let sts = endpoints.first(where: { $0.service == .sts })
        else {
            return report
        }
        let configuration = AWSConfiguration(
            credentials: credentials.credentials, credentialSource: credentials.source,
            region: region.name, regionSource: region.source, iamEndpoint: iam, stsEndpoint: sts,
            retryPolicy: retryPolicy, http: http, profileName: resolver.profileName)
        await checkIdentity(configuration, httpClient: httpClient, into: &report)
        return report
    }

    /// The same report for a configuration already in hand (no resolution problems possible).
    public static func run(configuration: AWSConfiguration, httpClient: HTTPClient? = nil) async -> AWSDiagnosticsReport {
        var report = AWSDiagnosticsReport(
            profile: configuration.profileName,
            credentialSource: configuration.credentialSource.description,
            maskedAccessKeyID: configuration.credentials.maskedAccessKeyID,
            usesSessionToken: configuration.credentials.isTemporary,
            region: configuration.region,
            regionSource: configuration.regionSource.description,
            endpoints: [configuration.iamEndpoint, configuration.stsEndpoint].map(Self.describe),
            maxAttempts: configuration.retryPolicy.maxAttempts,
            caBundle: configuration.http.caBundlePath,
            problems: [],
            isHealthy: false)
        await checkIdentity(configuration, httpClient: httpClient, into: &report)
        return report
    }

    private static func checkIdentity(_ configuration: AWSConfiguration, httpClient: HTTPClient?,
                                      into report: inout AWSDiagnosticsReport) async {
        do {
            report.identity = try await STSClient(configuration: configuration, httpClient: httpClient).getCallerIdentity()
            report.isHealthy = report.problems.isEmpty
        } catch let error as AWSError {
            report.identityError = .init(code: error.code, message: error.message, httpStatus: error.httpStatus,
                                         requestID: error.requestID, attempts: error.attempts)
        } catch {
            report.identityError = .init(code: "Cancelled", message: "the identity check was cancelled")
        }
    }

    private static func describe(_ endpoint: ServiceEndpoint) -> AWSDiagnosticsReport.Endpoint {
        .init(service: endpoint.service.rawValue, url: Redactor().redact(endpoint.url.absoluteString),
              signingRegion: endpoint.signingRegion, source: endpoint.source.description)
    }
}

extension AWSDiagnosticsReport: CustomStringConvertible {
    /// A plain-text rendering, one fact per line.
    public var description: String {
        var lines = ["profile: \(profile)"]
        lines.append("credentials: " + (credentialSource.map { "\($0), key \(maskedAccessKeyID ?? "?")" + (usesSessionToken ? ", with session token" : "") } ?? "none"))
        lines.append("region: " + (region.map { "\($0) (\(regionSource ?? "?"))" } ?? "unresolved"))
        for endpoint in endpoints {
            lines.append("endpoint \(endpoint.service): \(endpoint.url) (signed for \(endpoint.signingRegion); \(endpoint.source))")
        }
        if let maxAttempts { lines.append("max attempts: \(maxAttempts)") }
        if let caBundle { lines.append("CA bundle: \(caBundle)") }
        if let proxy { lines.append("proxy: \(proxy)") }
        for problem in problems { lines.append("problem: \(problem)") }
        if let identity {
            lines.append("identity: \(identity.arn) (account \(identity.account), user id \(identity.userID))")
        }
        if let identityError {
            let attempts = identityError.attempts.map { $0 == 1 ? ", 1 attempt" : ", \($0) attempts" } ?? ""
            let status = identityError.httpStatus.map { ", HTTP \($0)" } ?? ""
            lines.append("identity check failed: \(identityError.code): \(identityError.message)\(status)\(attempts)")
        }
        return lines.joined(separator: "\n")
    }
}
