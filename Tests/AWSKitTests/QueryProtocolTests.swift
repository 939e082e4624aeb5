import AWSKit
import Foundation
import Testing
import TestSupport

@Suite("Query protocol: requests, both error shapes, pagination")
struct QueryProtocolTests {
    @Test func formEncodingListsAndTags() {
        var request = QueryRequest(action: "CreateUser", version: "2010-05-08")
        request.add("UserName", "automate-ha")
        request.add("Path", ifPresent: nil)
        request.addTags([IAMTag(key: "runbook:run", value: "a b/c"), IAMTag(key: "k2", value: "ü~")])
        request.addList("TagKeys", ["x", "y"])
        request.addList("Empty", [])
        let body = String(decoding: request.formEncodedBody, as: UTF8.self)
        #expect(body == "Action=CreateUser&Version=2010-05-08&UserName=automate-ha"
            + "&Tags.member.1.Key=runbook%3Arun&Tags.member.1.Value=a+b%2Fc"
            + "&Tags.member.2.Key=k2&Tags.member.2.Value=%C3%BC~"
            + "&TagKeys.member.1=x&TagKeys.member.2=y&Empty=")
        #expect(QueryRequest.formEncode("arn:aws:iam::aws:policy/ReadOnlyAccess") == "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")
    }

    @Test func aCallIsASignedFormPOST() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 200, body: Fixtures.callerIdentityXML))
        defer { server.stop() }
        let configuration = Fixtures.configuration(endpoint: server.url)
        _ = try await STSClient(configuration: configuration).getCallerIdentity()
        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.target == "/")
        #expect(request.bodyText == "Action=GetCallerIdentity&Version=2011-06-15")
        #expect(request.headers.value(named: "Content-Type") == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(request.headers.value(named: "Host") == "127.0.0.1:\(server.port)")
        #expect(request.headers.value(named: "X-Amz-Security-Token") == Fixtures.credentials.sessionToken)
        let authorization = try #require(request.headers.value(named: "Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=\(Fixtures.credentials.accessKeyID)/"))
        #expect(authorization.contains("/us-east-1/sts/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"))

        // IAM is global: signed for us-east-1 whatever the configured region.
        var frankfurt = configuration
        frankfurt.region = "eu-central-1"
        let iamServer = try ScriptedHTTPServer(always: .respond(status: 200, body: """
            <GetUserResponse><GetUserResult><User><UserName>u</UserName><UserId>AIDA</UserId>\
            <Arn>arn:aws:iam::123456789012:user/u</Arn><Path>/</Path></User></GetUserResult></GetUserResponse>
            """))
        defer { iamServer.stop() }
        _ = try await IAMClient(configuration: frankfurt.withEndpointURL(iamServer.url)).getUser(userName: "u")
        let iamAuthorization = try #require(iamServer.requests.first?.headers.value(named: "Authorization"))
        #expect(iamAuthorization.contains("/us-east-1/iam/aws4_request"))
    }

    @Test func theErrorResponseErrorShape() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 404, body: """
            <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
              <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name ghost cannot be found.</Message></Error>
              <RequestId>4b9c5f2e-0000-4d5b-a1c4-example</RequestId>
            </ErrorResponse>
            """))
        defer { server.stop() }
        let iam = IAMClient(configuration: Fixtures.configuration(endpoint: server.url))
        let error = try await #require(throws: AWSError.self) { try await iam.getUser(userName: "ghost") }
        #expect(error.kind == .service)
        #expect(error.code == "NoSuchEntity")
        #expect(error.isNoSuchEntity)
        #expect(error.message == "The user with name ghost cannot be found.")
        #expect(error.httpStatus == 404)
        #expect(error.requestID == "4b9c5f2e-0000-4d5b-a1c4-example")
        #expect(error.attempts == 1)
        #expect(error.description == "NoSuchEntity: The user with name ghost cannot be found. "
            + "(iam:GetUser, HTTP 404, request id 4b9c5f2e-0000-4d5b-a1c4-example, 1 attempt)")
    }

    @Test func theErrorsErrorShape() async throws {
        // EC2-style (`Response/Errors/Error`, `RequestID`), and moto's `ErrorResponse/Errors/Error`.
        for body in [
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>
            <RequestID>ec2-style-id</RequestID></Response>
            """,
            """
            <ErrorResponse><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
            <Type>Sender</Type></Error></Errors><RequestId>ec2-style-id</RequestId></ErrorResponse>
            """,
        ] {
            let server = try ScriptedHTTPServer(always: .respond(status: 400, body: body))
            defer { server.stop() }
            let sts = STSClient(configuration: Fixtures.configuration(endpoint: server.url,
                                                                      retryPolicy: Fixtures.instantRetries(maxAttempts: 2)))
            let error = try await #require(throws: AWSError.self) { try await sts.getCallerIdentity() }
            #expect(error.code == "RequestLimitExceeded")
            #expect(error.isThrottling)
            #expect(error.message == "Request limit exceeded.")
            #expect(error.requestID == "ec2-style-id")
            #expect(error.attempts == 2)
        }
    }

    @Test func theRequestIDFallsBackToTheHeader() async throws {
        let server = try ScriptedHTTPServer(always: .respond(
            status: 403, headers: [HTTPHeader("x-amzn-RequestId", "from-header")],
            body: "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>m</Message></Error></Errors></ErrorResponse>"))
        defer { server.stop() }
        let error = try await #require(throws: AWSError.self) {
            try await STSClient(configuration: Fixtures.configuration(endpoint: server.url)).getCallerIdentity()
        }
        #expect(error.requestID == "from-header")
        #expect(error.isAuthenticationFailure)
    }

    @Test func aSuccessThatDoesNotDecodeIsAMalformedResponse() async throws {
        for (body, fragment) in [
            ("not xml at all", "not XML"),
            ("<SomethingElseResponse/>", "expected <GetCallerIdentityResponse>"),
            ("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>", "<Account>"),
        ] {
            let server = try ScriptedHTTPServer(always: .respond(status: 200, body: body))
            defer { server.stop() }
            let error = try await #require(throws: AWSError.self) {
                try await STSClient(configuration: Fixtures.configuration(endpoint: server.url)).getCallerIdentity()
            }
            #expect(error.kind == .malformedResponse)
            #expect(error.code == "MalformedResponse")
            #expect(error.message.contains(fragment))
            #expect(!error.isRetryable)
            #expect(server.requests.count == 1)
        }
    }

    /// Pages served from a script: each list call asks for MaxItems=2 and must send back the
    /// marker of the page before. Covers the lists moto answers in one page.
    @Test func listsFollowMarkersThroughEveryPage() async throws {
        let server = try ScriptedHTTPServer { request, _ in
            let form = Self.form(request.bodyText)
            let marker = form["Marker"] ?? ""
            let page = marker.isEmpty ? 0 : Int(marker.dropFirst("page-".count)) ?? 99
            let truncated = page < 2
            let tail = "<IsTruncated>\(truncated)</IsTruncated>" + (truncated ? "<Marker>page-\(page + 1)</Marker>" : "")
            guard form["MaxItems"] == "2" else { return .respond(status: 400, body: Fixtures.errorXML(code: "ValidationError")) }
            switch form["Action"] {
            case "ListUserTags":
                return .respond(status: 200, body: """
                    <ListUserTagsResponse><ListUserTagsResult><Tags><member><Key>k\(page)</Key><Value>v\(page)</Value></member></Tags>\
                    \(tail)</ListUserTagsResult></ListUserTagsResponse>
                    """)
            case "ListAccessKeys":
                return .respond(status: 200, body: """
                    <ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><member><UserName>u</UserName>\
                    <AccessKeyId>AKIA\(page)</AccessKeyId><Status>Active</Status><CreateDate>2024-01-02T03:04:05Z</CreateDate>\
                    </member></AccessKeyMetadata>\(tail)</ListAccessKeysResult></ListAccessKeysResponse>
                    """)
            case "ListGroupsForUser":
                return .respond(status: 200, body: """
                    <ListGroupsForUserResponse><ListGroupsForUserResult><Groups><member><GroupName>g\(page)</GroupName>\
                    <GroupId>AGPA\(page)</GroupId><Arn>arn:aws:iam::123456789012:group/g\(page)</Arn><Path>/</Path></member>\
                    </Groups>\(tail)</ListGroupsForUserResult></ListGroupsForUserResponse>
                    """)
            case "GetGroup":
                return .respond(status: 200, body: """
                    <GetGroupResponse><GetGroupResult><Group><GroupName>g</GroupName><GroupId>AGPA</GroupId>\
                    <Arn>arn:aws:iam::123456789012:group/g</Arn><Path>/</Path></Group><Users><member><UserName>u\(page)</UserName>\
                    <UserId>AIDA\(page)</UserId><Arn>arn:aws:iam::123456789012:user/u\(page)</Arn><Path>/</Path></member></Users>\
                    \(tail)</GetGroupResult></GetGroupResponse>
                    """)
            default:
                return .respond(status: 400, body: Fixtures.errorXML(code: "InvalidAction"))
            }
        }
        defer { server.stop() }
        let iam = IAMClient(configuration: Fixtures.configuration(endpoint: server.url))

        #expect(try await iam.listUserTags(userName: "u", pageSize: 2).map(\.key) == ["k0", "k1", "k2"])
        let keys = try await iam.listAccessKeys(userName: "u", pageSize: 2)
        #expect(keys.map(\.accessKeyID) == ["AKIA0", "AKIA1", "AKIA2"])
        #expect(keys.first?.createDate == Date(timeIntervalSince1970: 1_704_164_645))
        #expect(try await iam.listGroupsForUser(userName: "u", pageSize: 2).map(\.groupName) == ["g0", "g1", "g2"])
        let members = try await iam.getGroup(groupName: "g", pageSize: 2)
        #expect(members.group.groupName == "g")
        #expect(members.users.map(\.userName) == ["u0", "u1", "u2"])

        // Each list made three calls, the later ones carrying the previous page's marker.
        let markers = server.requests.map { Self.form($0.bodyText)["Marker"] }
        #expect(markers == Array(repeating: [nil, "page-1", "page-2"], count: 4).flatMap { $0 })
    }

    @Test func aRepeatedMarkerIsRefusedInsteadOfLoopingForever() async throws {
        let server = try ScriptedHTTPServer(always: .respond(status: 200, body: """
            <ListUserTagsResponse><ListUserTagsResult><Tags/><IsTruncated>true</IsTruncated><Marker>same</Marker>\
            </ListUserTagsResult></ListUserTagsResponse>
            """))
        defer { server.stop() }
        let error = try await #require(throws: AWSError.self) {
            try await IAMClient(configuration: Fixtures.configuration(endpoint: server.url)).listUserTags(userName: "u")
        }
        #expect(error.kind == .malformedResponse)
        #expect(server.requests.count == 2)
    }

    private static func form(_ body: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            result[name] = value
        }
        return result
    }
}
