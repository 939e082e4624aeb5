/// Who the credentials belong to, from STS GetCallerIdentity.
public struct CallerIdentity: Sendable, Hashable, Codable {
    public var account: String
    public var arn: String
    public var userID: String

    public init(account: String, arn: String, userID: String) {
        self.account = account
        self.arn = arn
        self.userID = userID
    }

    init(xml: XMLResponse) throws(XMLDecodingError) {
        account = try xml.required("Account")
        arn = try xml.required("Arn")
        userID = try xml.required("UserId")
    }
}

/// AWS STS over the Query API (version 2011-06-15).
///
/// To check other credentials than the configured ones (a key just created), make a
/// client with `STSClient(configuration: configuration.withCredentials(key.credentials))`.
public final class STSClient: Sendable {
    private let query: QueryClient

    /// `httpClient` lets several clients share connections; by default each has its own.
    public init(configuration: AWSConfiguration, httpClient: HTTPClient? = nil) {
        query = QueryClient(service: .sts, configuration: configuration, http: httpClient)
    }

    /// The account, ARN and user id of the signing credentials. Needs no permission, so it
    /// is the way to prove credentials work.
    public func getCallerIdentity() async throws -> CallerIdentity {
        let response = try await query.send(query.request("GetCallerIdentity"))
        return try query.decode(response, action: "GetCallerIdentity", CallerIdentity.init(xml:))
    }
}
