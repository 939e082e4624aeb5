import AWSKit
import Foundation
import Testing
import TestSupport

/// Credentials, region and endpoints resolved as the AWS SDKs do, from an explicit
/// environment and files the tests write into a fresh home directory.
@Suite("Credential, region and endpoint resolution")
struct ConfigurationResolutionTests {
    let home: TemporaryDirectory
    init() throws { home = try TemporaryDirectory(prefix: "aws-home") }

    func resolver(_ environment: [String: String]) -> AWSConfigurationResolver {
        AWSConfigurationResolver(environment: environment, homeDirectory: home.path)
    }

    func writeCredentials(_ text: String) throws {
        try home.write(text, to: ".aws/credentials", permissions: 0o600)
    }

    func writeConfig(_ text: String) throws {
        try home.write(text, to: ".aws/config")
    }

    // MARK: - Credentials

    @Test func environmentCredentialsComeFirst() throws {
        try writeCredentials("[default]\naws_access_key_id = AKIAFROMFILE00000000\naws_secret_access_key = file-secret\n")
        let resolved = try resolver([
            "AWS_ACCESS_KEY_ID": "AKIAFROMENV000000000", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ]).resolveCredentials()
        #expect(resolved.source == .environment)
        #expect(resolved.credentials.accessKeyID == "AKIAFROMENV000000000")
        #expect(resolved.credentials.isTemporary)
        #expect(resolved.source.description == "environment (AWS_ACCESS_KEY_ID)")
    }

    @Test func halfAKeyPairInTheEnvironmentIsAnError() throws {
        #expect(throws: AWSConfigurationError.incompleteCredentials(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")) {
            try resolver(["AWS_ACCESS_KEY_ID": "AKIAONLYKEY000000000"]).resolveCredentials()
        }
    }

    @Test func theDefaultProfileOfTheSharedCredentialsFile() throws {
        try writeCredentials("""
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT000000000
            AWS_SECRET_ACCESS_KEY = default-secret
            [other]
            aws_access_key_id=AKIAOTHER00000000000
            aws_secret_access_key=other-secret
            aws_session_token=other-token
            """)
        let resolved = try resolver([:]).resolveCredentials()
        #expect(resolved.credentials.accessKeyID == "AKIADEFAULT000000000")
        #expect(resolved.credentials.sessionToken == nil)
        let path = home.appending(".aws/credentials").path
        #expect(resolved.source == .sharedCredentialsFile(path: path, profile: "default"))
        #expect(resolved.source.description == "shared credentials file \(path) [profile default]")

        let other = try resolver(["AWS_PROFILE": "other"]).resolveCredentials()
        #expect(other.credentials.accessKeyID == "AKIAOTHER00000000000")
        #expect(other.credentials.sessionToken == "other-token")
    }

    @Test func aNamedProfileInTheConfigFileAndFileLocationsFromTheEnvironment() throws {
        let config = try home.write("""
            [default]
            region = eu-west-1
            [profile ops]
            aws_access_key_id = AKIAOPSCONFIG0000000
            aws_secret_access_key = ops-secret
            region = eu-north-1
            s3 =
              max_concurrent_requests = 10
            """, to: "elsewhere/config")
        let environment = ["AWS_PROFILE": "ops", "AWS_CONFIG_FILE": config.path,
                           "AWS_SHARED_CREDENTIALS_FILE": "~/nowhere/credentials"]
        let resolved = try resolver(environment).resolveCredentials()
        #expect(resolved.source == .configFile(path: config.path, profile: "ops"))
        #expect(resolved.credentials.accessKeyID == "AKIAOPSCONFIG0000000")
        #expect(try resolver(environment).resolveRegion() == ResolvedRegion(name: "eu-north-1", source: .profile(name: "ops", file: config.path)))
        #expect(resolver(environment).credentialsFilePath == home.path + "/nowhere/credentials")
    }

    @Test func theCredentialsFileWinsOverTheConfigFile() throws {
        try writeCredentials("[default]\naws_access_key_id = AKIACREDENTIALSFILE0\naws_secret_access_key = a\n")
        try writeConfig("[default]\naws_access_key_id = AKIACONFIGFILE000000\naws_secret_access_key = b\n")
        #expect(try resolver([:]).resolveCredentials().credentials.accessKeyID == "AKIACREDENTIALSFILE0")
    }

    @Test func nothingFoundNamesEveryPlaceLooked() throws {
        try writeConfig("[profile someone-else]\nregion = us-west-2\n")
        let error = try #require(throws: AWSConfigurationError.self) {
            try resolver(["AWS_PROFILE": "ci"]).resolveCredentials()
        }
        let credentials = home.appending(".aws/credentials").path
        let config = home.appending(".aws/config").path
        #expect(error == .credentialsNotFound(profile: "ci", searched: [
            "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            "shared credentials file \(credentials): no such file",
            "config file \(config): no [profile ci] section",
        ]))
        #expect(error.description.contains("no AWS credentials found for profile \"ci\""))
        #expect(error.description.contains(credentials))
        #expect(error.description.contains(config))
    }

    @Test func anUnreadableCredentialsFileIsReportedNotSkipped() throws {
        // A directory where the file should be: unreadable even for root.
        try FileManager.default.createDirectory(at: home.appending(".aws/credentials"), withIntermediateDirectories: true)
        let error = try #require(throws: AWSConfigurationError.self) { try resolver([:]).resolveCredentials() }
        #expect(error == .unreadableFile(path: home.appending(".aws/credentials").path, reason: "it is a directory"))
        // Environment credentials never need the file.
        #expect(throws: Never.self) {
            try resolver(["AWS_ACCESS_KEY_ID": "AKIAENVONLY000000000", "AWS_SECRET_ACCESS_KEY": "s"]).resolveCredentials()
        }
    }

    @Test func aProfileWithHalfAKeyPairIsAnError() throws {
        try writeCredentials("[default]\naws_access_key_id = AKIAHALF000000000000\n")
        let error = try #require(throws: AWSConfigurationError.self) { try resolver([:]).resolveCredentials() }
        guard case let .incompleteCredentials(_, missing) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(missing == "aws_secret_access_key")
    }

    @Test func roleAndSSOProfilesAreNamedAsUnsupported() throws {
        try writeConfig("[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = default\n")
        let error = try #require(throws: AWSConfigurationError.self) {
            try resolver(["AWS_PROFILE": "admin"]).resolveCredentials()
        }
        #expect(error == .unsupportedCredentialSource(profile: "admin", file: home.appending(".aws/config").path, setting: "role_arn"))
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = Fixtures.credentials
        var dumped = ""
        dump(credentials, to: &dumped)
        let texts = [credentials.description, credentials.debugDescription, "\(credentials)", dumped,
                     String(describing: AWSConfiguration(credentials: credentials))]
        expectNoSecrets(texts, secrets: [credentials.secretAccessKey, credentials.sessionToken ?? ""])
        for text in texts { #expect(!text.contains(credentials.accessKeyID)) }
        #expect(credentials.maskedAccessKeyID == "****0KEY")
        #expect(credentials.description.contains("****0KEY"))
        #expect(AWSCredentials.mask("short") == "****")
    }

    // MARK: - Region

    @Test func regionPrecedence() throws {
        try writeConfig("[default]\nregion = ap-southeast-2\n")
        #expect(try resolver(["AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-2"]).resolveRegion()
            == ResolvedRegion(name: "eu-west-3", source: .environment(variable: "AWS_REGION")))
        #expect(try resolver(["AWS_DEFAULT_REGION": "eu-west-2"]).resolveRegion()
            == ResolvedRegion(name: "eu-west-2", source: .environment(variable: "AWS_DEFAULT_REGION")))
        #expect(try resolver([:]).resolveRegion().name == "ap-southeast-2")
        try FileManager.default.removeItem(at: home.appending(".aws/config"))
        #expect(try resolver([:]).resolveRegion() == ResolvedRegion(name: "us-east-1", source: .defaultValue))
    }

    @Test func aMalformedRegionIsRefused() {
        #expect(throws: AWSConfigurationError.self) { try resolver(["AWS_REGION": "evil.example.com/"]).resolveRegion() }
    }

    // MARK: - Endpoints

    @Test func publicEndpointsPerPartition() throws {
        let cases: [(region: String, iam: String, iamSigning: String, sts: String)] = [
            ("us-east-1", "https://iam.amazonaws.com", "us-east-1", "https://sts.us-east-1.amazonaws.com"),
            ("eu-central-1", "https://iam.amazonaws.com", "us-east-1", "https://sts.eu-central-1.amazonaws.com"),
            ("cn-northwest-1", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1", "https://sts.cn-northwest-1.amazonaws.com.cn"),
            ("us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1", "https://sts.us-gov-east-1.amazonaws.com"),
        ]
        for expected in cases {
            let iam = try resolver([:]).resolveEndpoint(for: .iam, region: expected.region)
            let sts = try resolver([:]).resolveEndpoint(for: .sts, region: expected.region)
            #expect(iam.url.absoluteString == expected.iam)
            #expect(iam.signingRegion == expected.iamSigning)
            #expect(sts.url.absoluteString == expected.sts)
            #expect(sts.signingRegion == expected.region)
            #expect(iam.source == .defaultValue)
        }
    }

    @Test func endpointPrecedence() throws {
        try writeConfig("[default]\nendpoint_url = http://profile.example:1\n")
        let all = ["AWS_ENDPOINT_URL_IAM": "http://iam.local:4566", "AWS_ENDPOINT_URL_STS": "http://sts.local:4566",
                   "AWS_ENDPOINT_URL": "http://global.local:4566"]
        let iam = try resolver(all).resolveEndpoint(for: .iam, region: "eu-west-1")
        #expect(iam == ServiceEndpoint(service: .iam, url: try #require(URL(string: "http://iam.local:4566")),
                                       signingRegion: "us-east-1", source: .environment(variable: "AWS_ENDPOINT_URL_IAM")))
        let sts = try resolver(all).resolveEndpoint(for: .sts, region: "eu-west-1")
        #expect(sts.url.absoluteString == "http://sts.local:4566")
        #expect(sts.signingRegion == "eu-west-1")

        let global = try resolver(["AWS_ENDPOINT_URL": "http://global.local:4566"]).resolveEndpoint(for: .sts, region: "us-east-1")
        #expect(global.url.absoluteString == "http://global.local:4566")
        #expect(global.source == .environment(variable: "AWS_ENDPOINT_URL"))

        let profile = try resolver([:]).resolveEndpoint(for: .iam, region: "us-east-1")
        #expect(profile.url.absoluteString == "http://profile.example:1")
        #expect(profile.source == .profile(name: "default", file: home.appending(".aws/config").path))

        let ignored = try resolver(["AWS_ENDPOINT_URL": "http://global.local:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
            .resolveEndpoint(for: .iam, region: "us-east-1")
        #expect(ignored.url.absoluteString == "https://iam.amazonaws.com")
    }

    @Test func anEndpointMustBeAnHTTPURL() {
        for value in ["ftp://x", "not a url", "http://"] {
            #expect(throws: AWSConfigurationError.self) {
                try resolver(["AWS_ENDPOINT_URL": value]).resolveEndpoint(for: .sts, region: "us-east-1")
            }
        }
    }

    @Test func aWholeConfigurationFromEnvironmentAndFiles() throws {
        try writeCredentials("[ha]\naws_access_key_id = AKIAHAPROFILE0000000\naws_secret_access_key = ha-secret\n")
        try writeConfig("[profile ha]\nregion = eu-west-1\nmax_attempts = 7\n")
        let configuration = try AWSConfiguration.resolve(
            environment: ["AWS_PROFILE": "ha", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/"], homeDirectory: home.path)
        #expect(configuration.profileName == "ha")
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.retryPolicy.maxAttempts == 7)
        #expect(configuration.iamEndpoint.url.absoluteString == "https://iam.amazonaws.com")
        #expect(configuration.stsEndpoint.url.absoluteString == "http://127.0.0.1:9/")
        #expect(configuration.stsEndpoint.signingRegion == "eu-west-1")

        let explicit = configuration.withCredentials(AWSCredentials(accessKeyID: "AKIANEWKEY0000000000", secretAccessKey: "new"))
        #expect(explicit.credentialSource == .explicit)
        #expect(explicit.stsEndpoint == configuration.stsEndpoint)
    }

    // MARK: - Retries and HTTP

    @Test func maxAttemptsMustBeAPositiveWholeNumber() throws {
        #expect(try resolver([:]).resolveRetryPolicy().maxAttempts == 3)
        #expect(try resolver(["AWS_MAX_ATTEMPTS": "1"]).resolveRetryPolicy().maxAttempts == 1)
        for bad in ["0", "-2", "three", "2.5"] {
            #expect(throws: AWSConfigurationError.invalidSetting(name: "AWS_MAX_ATTEMPTS", value: bad,
                                                                 reason: "must be a whole number of at least 1")) {
                try resolver(["AWS_MAX_ATTEMPTS": bad]).resolveRetryPolicy()
            }
        }
    }

    @Test func caBundleAndProxiesComeFromTheEnvironment() throws {
        let bundle = try home.write("-----BEGIN CERTIFICATE-----\n", to: "ca.pem")
        let http = try resolver(["AWS_CA_BUNDLE": bundle.path, "https_proxy": "http://proxy.internal:3128",
                                 "HTTP_PROXY": "http://plain.internal:3128", "no_proxy": "169.254.169.254"])
            .resolveHTTPConfiguration()
        #expect(http.caBundlePath == bundle.path)
        #expect(http.proxy == ProxyConfiguration(httpsProxy: "http://proxy.internal:3128", httpProxy: "http://plain.internal:3128",
                                                 noProxy: "169.254.169.254"))
        #expect(throws: AWSConfigurationError.self) {
            try resolver(["AWS_CA_BUNDLE": home.appending("missing.pem").path]).resolveHTTPConfiguration()
        }
        #expect(try resolver([:]).resolveHTTPConfiguration().proxy == ProxyConfiguration())
    }

    @Test func diagnosticsWithoutCredentialsStillReportRegionAndEndpoints() async throws {
        let report = await AWSDiagnostics.run(resolver: resolver(["AWS_REGION": "eu-west-1"]))
        #expect(!report.isHealthy)
        #expect(report.credentialSource == nil)
        #expect(report.region == "eu-west-1")
        #expect(report.endpoints.map(\.url) == ["https://iam.amazonaws.com", "https://sts.eu-west-1.amazonaws.com"])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("no AWS credentials found") == true)
        #expect(report.identity == nil && report.identityError == nil)
    }
}
