import Foundation

/// The services AWSKit speaks, with what the Query protocol and endpoint resolution need.
public enum AWSService: String, Sendable, CaseIterable, Codable {
    case iam
    case sts

    /// The service name in the SigV4 credential scope.
    public var signingName: String { rawValue }

    public var apiVersion: String {
        switch self {
        case .iam: "2010-05-08"
        case .sts: "2011-06-15"
        }
    }

    /// `AWS_ENDPOINT_URL_<ID>`: the service id upper-cased, spaces as underscores.
    public var endpointEnvironmentVariable: String {
        "AWS_ENDPOINT_URL_\(rawValue.uppercased())"
    }

    /// The public endpoint and the region requests to it are signed for.
    ///
    /// IAM is global: one endpoint per partition, signed for that partition's home region.
    /// STS uses the regional endpoint, the SDKs' default today.
    public func publicEndpoint(region: String) -> (url: URL, signingRegion: String) {
        let partition = Partition(region: region)
        let host: String
        let signingRegion: String
        switch self {
        case .iam:
            switch partition {
            case .aws: host = "iam.amazonaws.com"
            case .china: host = "iam.cn-north-1.amazonaws.com.cn"
            case .govCloud: host = "iam.us-gov.amazonaws.com"
            }
            signingRegion = partition.globalRegion
        case .sts:
            host = "sts.\(region).\(partition.dnsSuffix)"
            signingRegion = region
        }
        // The host is built from a validated region, so this URL always parses.
        return (URL(string: "https://\(host)") ?? URL(fileURLWithPath: "/"), signingRegion)
    }

    /// The region requests are signed for when the endpoint is configured explicitly.
    public func signingRegion(forConfiguredRegion region: String) -> String {
        switch self {
        case .iam: Partition(region: region).globalRegion
        case .sts: region
        }
    }
}

/// AWS partitions by region name; enough to place the global IAM endpoint.
enum Partition {
    case aws, china, govCloud

    init(region: String) {
        if region.hasPrefix("cn-") {
            self = .china
        } else if region.hasPrefix("us-gov-") {
            self = .govCloud
        } else {
            self = .aws
        }
    }

    var dnsSuffix: String {
        self == .china ? "amazonaws.com.cn" : "amazonaws.com"
    }

    /// Where global services such as IAM live, and the region they are signed for.
    var globalRegion: String {
        switch self {
        case .aws: "us-east-1"
        case .china: "cn-north-1"
        case .govCloud: "us-gov-west-1"
        }
    }
}

/// Where a setting's value came from, for `runbook doctor` and error messages.
public enum SettingSource: Sendable, Equatable, Codable, CustomStringConvertible {
    case environment(variable: String)
    case profile(name: String, file: String)
    case defaultValue
    /// Set by the caller in code (`AWSConfiguration.withEndpointURL(_:)`).
    case explicit

    public var description: String {
        switch self {
        case let .environment(variable): "environment variable \(variable)"
        case let .profile(name, file): "config file \(file) [profile \(name)]"
        case .defaultValue: "default"
        case .explicit: "explicit"
        }
    }
}

/// Where requests for one service go and how they are signed.
public struct ServiceEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let service: AWSService
    public let url: URL
    public let signingRegion: String
    public let source: SettingSource

    public init(service: AWSService, url: URL, signingRegion: String, source: SettingSource) {
        self.service = service
        self.url = url
        self.signingRegion = signingRegion
        self.source = source
    }

    /// The public endpoint for a region.
    public static func publicEndpoint(for service: AWSService, region: String) -> ServiceEndpoint {
        let (url, signingRegion) = service.publicEndpoint(region: region)
        return ServiceEndpoint(service: service, url: url, signingRegion: signingRegion, source: .defaultValue)
    }

    public var description: String {
        "\(service.rawValue): \(url.absoluteString) (signed for \(signingRegion); \(source))"
    }
}
