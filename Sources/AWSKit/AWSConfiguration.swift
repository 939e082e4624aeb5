import Foundation

/// Everything an AWS client needs: credentials, region, endpoints, retry and HTTP settings.
///
/// Usually made by `AWSConfigurationResolver` from the environment and the shared files;
/// `withCredentials(_:)` derives one that signs with another key (the runbook proves a
/// freshly created key with STS GetCallerIdentity this way).
public struct AWSConfiguration: Sendable {
    public var credentials: AWSCredentials
    public var credentialSource: CredentialSource
    public var region: String
    public var regionSource: SettingSource
    public var iamEndpoint: ServiceEndpoint
    public var stsEndpoint: ServiceEndpoint
    public var retryPolicy: RetryPolicy
    public var http: HTTPClient.Configuration
    public var profileName: String

    public init(
        credentials: AWSCredentials,
        credentialSource: CredentialSource = .explicit,
        region: String = "us-east-1",
        regionSource: SettingSource = .defaultValue,
        iamEndpoint: ServiceEndpoint? = nil,
        stsEndpoint: ServiceEndpoint? = nil,
        retryPolicy: RetryPolicy = RetryPolicy(),
        http: HTTPClient.Configuration = HTTPClient.Configuration(),
        profileName: String = "default"
    ) {
        self.credentials = credentials
        self.credentialSource = credentialSource
        self.region = region
        self.regionSource = regionSource
        self.iamEndpoint = iamEndpoint ?? .publicEndpoint(for: .iam, region: region)
        self.stsEndpoint = stsEndpoint ?? .publicEndpoint(for: .sts, region: region)
        self.retryPolicy = retryPolicy
        self.http = http
        self.profileName = profileName
    }

    /// Resolves from an explicit environment and home directory (see `AWSConfigurationResolver`).
    public static func resolve(environment: [String: String], homeDirectory: String) throws(AWSConfigurationError) -> AWSConfiguration {
        try AWSConfigurationResolver(environment: environment, homeDirectory: homeDirectory).resolve()
    }

    /// Resolves from this process's environment and home directory.
    public static func resolveFromProcess() throws(AWSConfigurationError) -> AWSConfiguration {
        try AWSConfigurationResolver.fromProcess().resolve()
    }

    /// The same configuration signing with other credentials.
    public func withCredentials(_ credentials: AWSCredentials) -> AWSConfiguration {
        var copy = self
        copy.credentials = credentials
        copy.credentialSource = .explicit
        return copy
    }

    /// Both endpoints pointed at one URL (a local moto server, a VPC endpoint proxy),
    /// keeping each service's signing region.
    public func withEndpointURL(_ url: URL) -> AWSConfiguration {
        var copy = self
        copy.iamEndpoint = ServiceEndpoint(service: .iam, url: url,
                                           signingRegion: AWSService.iam.signingRegion(forConfiguredRegion: region),
                                           source: .explicit)
        copy.stsEndpoint = ServiceEndpoint(service: .sts, url: url,
                                           signingRegion: AWSService.sts.signingRegion(forConfiguredRegion: region),
                                           source: .explicit)
        return copy
    }

    public func endpoint(for service: AWSService) -> ServiceEndpoint {
        switch service {
        case .iam: iamEndpoint
        case .sts: stsEndpoint
        }
    }
}
