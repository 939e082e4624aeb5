import Foundation

/// Resolves credentials, region, endpoints, retry and HTTP settings the way the AWS SDKs
/// and CLI do, from an explicit environment and home directory (so callers and tests
/// control every input; nothing is read from the process environment here).
///
/// The shared files are read once, when the resolver is made; a file is only reported
/// unreadable when a setting actually has to come from it.
public struct AWSConfigurationResolver: Sendable {
    public let environment: [String: String]
    public let homeDirectory: String
    /// `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    public let profileName: String

    let credentialsFile: SharedConfigFile
    let configFile: SharedConfigFile

    public init(environment: [String: String], homeDirectory: String) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        func nonEmpty(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        profileName = nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default"
        let home = URL(fileURLWithPath: homeDirectory, isDirectory: true)
        let credentialsPath = nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map { Self.expandTilde($0, home: homeDirectory) }
            ?? home.appendingPathComponent(".aws/credentials").path
        let configPath = nonEmpty("AWS_CONFIG_FILE").map { Self.expandTilde($0, home: homeDirectory) }
            ?? home.appendingPathComponent(".aws/config").path
        credentialsFile = SharedConfigFile.load(path: credentialsPath, kind: .credentials)
        configFile = SharedConfigFile.load(path: configPath, kind: .config)
    }

    /// The process's own environment and home directory: what `runbook` uses by default.
    public static func fromProcess() -> AWSConfigurationResolver {
        let environment = ProcessInfo.processInfo.environment
        return AWSConfigurationResolver(environment: environment,
                                        homeDirectory: environment["HOME"] ?? NSHomeDirectory())
    }

    public var credentialsFilePath: String { credentialsFile.path }
    public var configFilePath: String { configFile.path }

    /// Everything a client needs, or the first thing that cannot be resolved.
    public func resolve() throws(AWSConfigurationError) -> AWSConfiguration {
        let credentials = try resolveCredentials()
        let region = try resolveRegion()
        return AWSConfiguration(
            credentials: credentials.credentials,
            credentialSource: credentials.source,
            region: region.name,
            regionSource: region.source,
            iamEndpoint: try resolveEndpoint(for: .iam, region: region.name),
            stsEndpoint: try resolveEndpoint(for: .sts, region: region.name),
            retryPolicy: try resolveRetryPolicy(),
            http: try resolveHTTPConfiguration(),
            profileName: profileName
        )
    }

    // MARK: - Region

    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`.
    public func resolveRegion() throws(AWSConfigurationError) -> ResolvedRegion {
        for variable in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = value(of: variable) {
                return ResolvedRegion(name: try Self.validRegion(value, setting: variable), source: .environment(variable: variable))
            }
        }
        if let value = try configSetting("region") {
            return ResolvedRegion(name: try Self.validRegion(value, setting: "region in \(configFile.path)"),
                                  source: .profile(name: profileName, file: configFile.path))
        }
        return ResolvedRegion(name: "us-east-1", source: .defaultValue)
    }

    // MARK: - Endpoints

    /// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the profile's
    /// `endpoint_url`, else the public endpoint; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
    /// (or the profile's `ignore_configured_endpoint_urls`) skips the configured ones.
    public func resolveEndpoint(for service: AWSService, region: String) throws(AWSConfigurationError) -> ServiceEndpoint {
        let ignoreConfigured = try setting(environment: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                                           profileKey: "ignore_configured_endpoint_urls").map { Self.isTrue($0.value) } ?? false
        if !ignoreConfigured {
            for variable in [service.endpointEnvironmentVariable, "AWS_ENDPOINT_URL"] {
                if let value = value(of: variable) {
                    return ServiceEndpoint(service: service, url: try Self.validEndpoint(value, setting: variable),
                                           signingRegion: service.signingRegion(forConfiguredRegion: region),
                                           source: .environment(variable: variable))
                }
            }
            if let value = try configSetting("endpoint_url") {
                return ServiceEndpoint(service: service,
                                       url: try Self.validEndpoint(value, setting: "endpoint_url in \(configFile.path)"),
                                       signingRegion: service.signingRegion(forConfiguredRegion: region),
                                       source: .profile(name: profileName, file: configFile.path))
            }
        }
        return .publicEndpoint(for: service, region: region)
    }

    // MARK: - Retries and HTTP

    /// `AWS_MAX_ATTEMPTS`, else the profile's `max_attempts`, else 3.
    public func resolveRetryPolicy() throws(AWSConfigurationError) -> RetryPolicy {
        guard let setting = try setting(environment: "AWS_MAX_ATTEMPTS", profileKey: "max_attempts") else {
            return RetryPolicy()
        }
        guard let attempts = Int(setting.value.trimmingCharacters(in: .whitespaces)), attempts >= 1 else {
            throw .invalid(setting.name, value: setting.value, reason: "must be a whole number of at least 1")
        }
        return RetryPolicy(maxAttempts: attempts)
    }

    /// The CA bundle (`AWS_CA_BUNDLE`, else the profile's `ca_bundle`) and proxies
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, either case).
    public func resolveHTTPConfiguration() throws(AWSConfigurationError) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(proxy: ProxyConfiguration(environment: environment))
        if let bundle = try setting(environment: "AWS_CA_BUNDLE", profileKey: "ca_bundle") {
            let path = Self.expandTilde(bundle.value, home: homeDirectory)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .invalid(bundle.name, value: path, reason: "no readable CA certificate file there")
            }
            configuration.caBundlePath = path
        }
        return configuration
    }

    // MARK: - Helpers

    /// An environment value; empty counts as unset, as in the SDKs.
    func value(of variable: String) -> String? {
        guard let value = environment[variable], !value.isEmpty else { return nil }
        return value
    }

    /// An environment variable, else a key of the profile in the config file, with the name
    /// to report it by if its value is unusable.
    func setting(environment variable: String, profileKey key: String) throws(AWSConfigurationError) -> (name: String, value: String)? {
        if let value = value(of: variable) { return (variable, value) }
        if let value = try configSetting(key) { return ("\(key) in \(configFile.path)", value) }
        return nil
    }

    /// A setting of the selected profile in the config file.
    func configSetting(_ key: String) throws(AWSConfigurationError) -> String? {
        if case let .unreadable(reason) = configFile.state {
            throw .unreadableFile(path: configFile.path, reason: reason)
        }
        guard let value = configFile.profile(profileName)?[key], !value.isEmpty else { return nil }
        return value
    }

    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }

    static func isTrue(_ value: String) -> Bool {
        value.trimmingCharacters(in: .whitespaces).lowercased() == "true"
    }

    /// Region names go into host names and the credential scope; keep them to what AWS uses.
    static func validRegion(_ value: String, setting: String) throws(AWSConfigurationError) -> String {
        let region = value.trimmingCharacters(in: .whitespaces)
        let allowed = region.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-")
        }
        guard !region.isEmpty, region.count <= 32, allowed else {
            throw .invalid(setting, value: value, reason: "a region is lower-case letters, digits and dashes, e.g. us-east-1")
        }
        return region
    }

    static func validEndpoint(_ value: String, setting: String) throws(AWSConfigurationError) -> URL {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw .invalid(setting, value: value, reason: "an endpoint is an http:// or https:// URL with a host")
        }
        return url
    }
}

/// The region and where it came from.
public struct ResolvedRegion: Sendable, Equatable {
    public let name: String
    public let source: SettingSource

    public init(name: String, source: SettingSource) {
        self.name = name
        self.source = source
    }
}
