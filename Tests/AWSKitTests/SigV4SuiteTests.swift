import AWSKit
import Foundation
import Testing

/// One case of AWS's SigV4 test suite: a raw request and the expected canonical request,
/// string to sign and Authorization header.
struct SigV4Case: CustomStringConvertible, Sendable {
    let name: String
    let directory: URL

    var description: String { name }

    func file(_ suffix: String) throws -> String {
        let url = directory.appendingPathComponent("\(directory.lastPathComponent).\(suffix)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Every directory of the suite holding `<name>/<name>.req`, relative names for display.
    static func all() -> [SigV4Case] {
        let root = SharedVectors.sigV4Suite
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var cases: [SigV4Case] = []
        for case let url as URL in walker where url.pathExtension == "req" {
            let directory = url.deletingLastPathComponent()
            guard url.deletingPathExtension().lastPathComponent == directory.lastPathComponent else { continue }
            let name = String(directory.path.dropFirst(root.path.count + 1))
            cases.append(SigV4Case(name: name, directory: directory))
        }
        return cases.sorted { $0.name < $1.name }
    }
}

/// Parses the suite's `.req` format: request line, headers (an indented line continues the
/// previous header as another value), blank line, body.
struct RawRequest {
    var method = ""
    var path = ""
    var query = ""
    var headers: [HTTPHeader] = []
    var body = Data()

    init(parsing text: String) throws {
        let lines = text.components(separatedBy: "\n")
        guard let requestLine = lines.first,
              let firstSpace = requestLine.firstIndex(of: " "),
              let lastSpace = requestLine.lastIndex(of: " "), firstSpace < lastSpace
        else { throw VectorError.malformed("request line") }
        method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = target
        }
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t", let previous = headers.last {
                headers.append(HTTPHeader(previous.name, line.trimmingCharacters(in: .whitespaces)))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append(HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
            } else {
                throw VectorError.malformed("header line \(line)")
            }
            index += 1
        }
        if index < lines.count {
            body = Data(lines[(index + 1)...].joined(separator: "\n").utf8)
        }
    }
}

enum VectorError: Error {
    case malformed(String)
}

@Suite("SigV4 test suite (../shared/vectors)")
struct SigV4SuiteTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let sessionToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    /// 2015-08-30T12:36:00Z
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    @Test func theSuiteIsPresentAndComplete() {
        // 26 top-level directories, of which normalize-path holds 7 cases and post-sts-token 2.
        #expect(SigV4Case.all().count == 31)
    }

    @Test(arguments: SigV4Case.all())
    func signsLikeTheSuite(_ vector: SigV4Case) throws {
        let raw = try RawRequest(parsing: vector.file("req"))
        let isTokenCase = vector.name.hasPrefix("post-sts-token/")
        let credentials = isTokenCase
            ? AWSCredentials(accessKeyID: Self.credentials.accessKeyID,
                             secretAccessKey: Self.credentials.secretAccessKey,
                             sessionToken: Self.sessionToken)
            : Self.credentials
        let placement: SigV4Signer.SecurityTokenPlacement =
            vector.name.hasSuffix("header-after") ? .unsignedHeader : .signedHeader

        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let request = SigV4Signer.Request(method: raw.method, path: raw.path, query: raw.query,
                                          headers: raw.headers, body: raw.body)
        let signed = signer.sign(request, date: Self.date, securityToken: placement)

        #expect(signed.canonicalRequest == (try vector.file("creq")))
        #expect(signed.stringToSign == (try vector.file("sts")))
        #expect(signed.authorization == (try vector.file("authz")))
        if isTokenCase {
            #expect(signed.headers.value(named: "X-Amz-Security-Token") == Self.sessionToken)
        }
    }

    @Test func signsTheIAMListUsersWorkedExample() throws {
        let text = try String(contentsOf: SharedVectors.iamListUsersExample, encoding: .utf8)
        func section(_ title: String) throws -> String {
            guard let start = text.range(of: "---- \(title) ----\n") else { throw VectorError.malformed(title) }
            let rest = text[start.upperBound...]
            let end = rest.range(of: "\n---- ")?.lowerBound ?? rest.endIndex
            return String(rest[..<end]).trimmingCharacters(in: .newlines)
        }
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "iam")
        let request = SigV4Signer.Request(
            method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08",
            headers: [
                HTTPHeader("Host", "iam.amazonaws.com"),
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ])
        let signed = signer.sign(request, date: Self.date)

        #expect(signed.canonicalRequest == (try section("canonical request (LF line endings, no trailing newline)")))
        #expect(signed.stringToSign == (try section("string to sign")))
        #expect(hex(signer.signingKey(dateStamp: "20150830")) == (try section("signing key (hex)")))
        #expect(signed.signature == (try section("signature")))
        #expect(signed.authorization == (try section("Authorization header")))
    }

    @Test func printingASignedRequestHidesAuthorizationAndToken() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.credentials.secretAccessKey,
                                         sessionToken: Self.sessionToken)
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sts")
        let signed = signer.sign(.init(method: "POST", headers: [HTTPHeader("Host", "sts.amazonaws.com")]), date: Self.date)
        var dumped = ""
        dump(signed, to: &dumped)
        for text in [signed.description, String(reflecting: signed), dumped, "\(signed)"] {
            #expect(!text.contains(signed.signature))
            #expect(!text.contains(Self.sessionToken))
            #expect(!text.contains(Self.credentials.secretAccessKey))
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
