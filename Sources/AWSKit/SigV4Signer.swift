import Foundation

/// AWS Signature Version 4 for requests signed in the `Authorization` header.
///
/// Verified case by case against AWS's SigV4 test suite and the IAM ListUsers worked
/// example. The request's path is taken raw (not yet percent-encoded) and encoded once;
/// the path is normalised (`//`, `.`, `..`) as for every service except S3.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Where a session token goes. The AWS services this package calls want it signed;
    /// the test suite also covers adding it after signing.
    public enum SecurityTokenPlacement: Sendable {
        case signedHeader
        case unsignedHeader
    }

    /// What the signer needs of a request. Headers must include `Host`.
    public struct Request: Sendable {
        public var method: String
        /// The path as the resource names it, not percent-encoded (`/example space/`).
        public var path: String
        /// The query string without `?`, raw or percent-encoded (`a=1&b=two%20words`).
        public var query: String
        public var headers: [HTTPHeader]
        public var body: Data

        public init(method: String, path: String = "/", query: String = "", headers: [HTTPHeader], body: Data = Data()) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// The intermediate products of signing and the headers to send.
    ///
    /// Printing it never shows the `Authorization` value or a session token.
    public struct SignedRequest: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        public let authorization: String
        /// The request's headers plus `X-Amz-Date`, `X-Amz-Security-Token` and `Authorization`.
        public let headers: [HTTPHeader]
    }

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public func sign(_ request: Request, date: Date, securityToken placement: SecurityTokenPlacement = .signedHeader) -> SignedRequest {
        let stamp = AMZDate(date)
        var headers = request.headers.filter {
            let name = $0.name.lowercased()
            return name != "x-amz-date" && name != "authorization" && name != "x-amz-security-token"
        }
        headers.append(HTTPHeader("X-Amz-Date", stamp.dateTime))
        if let token = credentials.sessionToken, placement == .signedHeader {
            headers.append(HTTPHeader("X-Amz-Security-Token", token))
        }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let payloadHash = Crypto.hex(Crypto.sha256(request.body))
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalPath(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(stamp.date)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            Self.algorithm,
            stamp.dateTime,
            scope,
            Crypto.hex(Crypto.sha256(Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        let signature = Crypto.hex(Crypto.hmacSHA256(key: signingKey(dateStamp: stamp.date), message: Data(stringToSign.utf8)))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"

        if let token = credentials.sessionToken, placement == .unsignedHeader {
            headers.append(HTTPHeader("X-Amz-Security-Token", token))
        }
        headers.append(HTTPHeader("Authorization", authorization))
        return SignedRequest(canonicalRequest: canonicalRequest, stringToSign: stringToSign,
                             signature: signature, authorization: authorization, headers: headers)
    }

    /// The derived key for one day, region and service (`yyyyMMdd`).
    public func signingKey(dateStamp: String) -> [UInt8] {
        let secret = Data(("AWS4" + credentials.secretAccessKey).utf8)
        let dateKey = Crypto.hmacSHA256(key: secret, message: Data(dateStamp.utf8))
        let regionKey = Crypto.hmacSHA256(key: dateKey, message: Data(region.utf8))
        let serviceKey = Crypto.hmacSHA256(key: regionKey, message: Data(service.utf8))
        return Crypto.hmacSHA256(key: serviceKey, message: Data("aws4_request".utf8))
    }

    // MARK: - Canonical forms

    /// Lower-cased names, sorted; repeated headers joined by commas in the order given;
    /// values trimmed with inner runs of whitespace collapsed to one space.
    static func canonicalHeaders(_ headers: [HTTPHeader]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.trimmingCharacters(in: .whitespaces).lowercased()
            values[name, default: []].append(collapseWhitespace(header.value))
        }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var canonical = ""
        for name in names {
            canonical += name + ":" + (values[name] ?? []).joined(separator: ",") + "\n"
        }
        return (canonical, names.joined(separator: ";"))
    }

    static func collapseWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            .joined(separator: " ")
    }

    /// Removes empty and `.` segments, resolves `..`, keeps a trailing slash, and encodes
    /// each segment once.
    static func canonicalPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".":
                continue
            case "..":
                _ = segments.popLast()
            default:
                segments.append(segment)
            }
        }
        var result = "/" + segments.map { uriEncode(String($0)) }.joined(separator: "/")
        if path.hasSuffix("/"), !segments.isEmpty {
            result += "/"
        }
        return result
    }

    /// Pairs decoded then re-encoded (so raw and encoded input agree), sorted by name then value.
    static func canonicalQuery(_ query: String) -> String {
        let pairs: [(String, String)] = query.split(separator: "&").compactMap { component in
            guard !component.isEmpty else { return nil }
            let parts = component.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = uriEncode(percentDecode(String(parts[0])))
            let value = parts.count > 1 ? uriEncode(percentDecode(String(parts[1]))) : ""
            return (name, value)
        }
        return pairs
            .sorted { lhs, rhs in
                lhs.0 == rhs.0
                    ? Array(lhs.1.utf8).lexicographicallyPrecedes(Array(rhs.1.utf8))
                    : Array(lhs.0.utf8).lexicographicallyPrecedes(Array(rhs.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    private static func percentDecode(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }

    /// RFC 3986 encoding as SigV4 wants it: only `A-Z a-z 0-9 - _ . ~` stay as they are.
    static func uriEncode(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

extension SigV4Signer.SignedRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var redactedHeaders: [String] {
        headers.map { header in
            switch header.name.lowercased() {
            case "authorization", "x-amz-security-token": "\(header.name): <redacted>"
            default: "\(header.name): \(header.value)"
            }
        }
    }

    public var description: String {
        "SignedRequest(headers: \(redactedHeaders))"
    }

    public var debugDescription: String {
        description
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["headers": redactedHeaders])
    }
}

/// The two timestamp forms SigV4 uses, in UTC.
struct AMZDate {
    /// `yyyyMMdd'T'HHmmss'Z'`
    let dateTime: String
    /// `yyyyMMdd`
    let date: String

    init(_ instant: Date) {
        var seconds = time_t(instant.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        date = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
        dateTime = date + "T" + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }
}
