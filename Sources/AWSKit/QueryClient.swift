import Foundation

/// A decoded success: the `<Action>Result` element (the root when the action returns
/// nothing) and what is needed to report a decoding failure.
struct QueryResponse: Sendable {
    let result: XMLResponse
    let requestID: String?
    let attempts: Int
}

/// Sends Query API requests to one service: signs each attempt, retries per the policy,
/// and turns every failure into an `AWSError` whose text has been scrubbed of secrets.
final class QueryClient: Sendable {
    let service: AWSService
    let endpoint: ServiceEndpoint
    let credentials: AWSCredentials
    let retryPolicy: RetryPolicy
    let http: HTTPClient

    static let maxPages = 10_000

    init(service: AWSService, configuration: AWSConfiguration, http: HTTPClient?) {
        self.service = service
        self.endpoint = configuration.endpoint(for: service)
        self.credentials = configuration.credentials
        self.retryPolicy = configuration.retryPolicy
        self.http = http ?? HTTPClient(configuration: configuration.http)
    }

    func request(_ action: String) -> QueryRequest {
        QueryRequest(action: action, version: service.apiVersion)
    }

    func send(_ request: QueryRequest) async throws -> QueryResponse {
        let operation = "\(service.rawValue):\(request.action)"
        let redactor = Redactor(credentials: credentials)
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let failure: AWSError
            do {
                let response = try await http.send(signedRequest(for: request))
                if (200..<300).contains(response.status) {
                    return try decodeSuccess(response, action: request.action, operation: operation,
                                             attempts: attempt, redactor: redactor)
                }
                failure = Self.serviceError(from: response, operation: operation, attempts: attempt, redactor: redactor)
            } catch let error as HTTPClientError {
                failure = AWSError(kind: .transport, code: error.code, message: redactor.redact(error.description),
                                   attempts: attempt, operation: operation, transportError: error)
            }
            guard failure.isRetryable, attempt < retryPolicy.maxAttempts else { throw failure }
            try await retryPolicy.sleep(retryPolicy.delay(afterAttempt: attempt))
        }
    }

    /// Sends a list call page by page, following `Marker` while `IsTruncated` is true, and
    /// returns every page's result element in order.
    func sendPaginated(_ request: QueryRequest, pageSize: Int?) async throws -> [QueryResponse] {
        var request = request
        if let pageSize { request.set("MaxItems", String(pageSize)) }
        var pages: [QueryResponse] = []
        var seenMarkers: Set<String> = []
        while true {
            let page = try await send(request)
            pages.append(page)
            guard page.result.bool("IsTruncated") == true, let marker = page.result.string("Marker"), !marker.isEmpty else {
                return pages
            }
            // A server that hands back a marker twice would loop forever.
            guard seenMarkers.insert(marker).inserted, pages.count < Self.maxPages else {
                throw AWSError(kind: .malformedResponse, code: "MalformedResponse",
                               message: "the service repeated a pagination marker", requestID: page.requestID,
                               attempts: page.attempts, operation: "\(service.rawValue):\(request.action)")
            }
            request.set("Marker", marker)
        }
    }

    /// Runs a decoder over a response, reporting a missing element as a malformed answer.
    func decode<Value>(_ response: QueryResponse, action: String,
                       _ decoder: (XMLResponse) throws(XMLDecodingError) -> Value) throws(AWSError) -> Value {
        do {
            return try decoder(response.result)
        } catch {
            throw AWSError(kind: .malformedResponse, code: "MalformedResponse",
                           message: "\(action): \(error.description)", requestID: response.requestID,
                           attempts: response.attempts, operation: "\(service.rawValue):\(action)")
        }
    }

    // MARK: - Request

    private func signedRequest(for request: QueryRequest) -> HTTPRequest {
        let url = endpoint.url
        let body = request.formEncodedBody
        let signer = SigV4Signer(credentials: credentials, region: endpoint.signingRegion, service: service.signingName)
        let path = url.path.isEmpty ? "/" : url.path
        let unsigned = SigV4Signer.Request(
            method: "POST", path: path, query: url.query ?? "",
            headers: [
                HTTPHeader("Host", Self.hostHeader(for: url)),
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ],
            body: body)
        let signed = signer.sign(unsigned, date: Date())
        return HTTPRequest(method: "POST", url: url, headers: signed.headers, body: body)
    }

    /// `host[:port]`, the port only when it is not the scheme's default, as curl would send it.
    static func hostHeader(for url: URL) -> String {
        var host = url.host ?? ""
        if host.contains(":") { host = "[\(host)]" }
        guard let port = url.port else { return host }
        let scheme = url.scheme?.lowercased()
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    // MARK: - Response

    private func decodeSuccess(_ response: HTTPResponse, action: String, operation: String, attempts: Int,
                               redactor: Redactor) throws(AWSError) -> QueryResponse {
        let headerRequestID = Self.requestID(in: response.headers)
        let root: XMLResponse
        do {
            root = try XMLResponse.parse(response.body)
        } catch {
            throw AWSError(kind: .malformedResponse, code: "MalformedResponse",
                           message: "\(action) answered HTTP \(response.status) but \(error.description)",
                           httpStatus: response.status, requestID: headerRequestID.map(redactor.redact),
                           attempts: attempts, operation: operation)
        }
        guard root.name == "\(action)Response" else {
            throw AWSError(kind: .malformedResponse, code: "MalformedResponse",
                           message: redactor.redact(XMLDecodingError.unexpectedRoot(expected: "\(action)Response", found: root.name).description),
                           httpStatus: response.status, requestID: headerRequestID.map(redactor.redact),
                           attempts: attempts, operation: operation)
        }
        let requestID = root.descend(["ResponseMetadata", "RequestId"])?.text ?? headerRequestID
        return QueryResponse(result: root.child("\(action)Result") ?? root, requestID: requestID, attempts: attempts)
    }

    /// Reads either error shape AWS-compatible endpoints send —
    /// `ErrorResponse/Error/Code` (IAM, STS) and `…/Errors/Error/Code` (EC2 style, moto's
    /// authentication errors) — or, without a document, names the bare HTTP status.
    static func serviceError(from response: HTTPResponse, operation: String, attempts: Int, redactor: Redactor) -> AWSError {
        let document = try? XMLResponse.parse(response.body)
        let error = document.flatMap { $0.name == "Error" ? $0 : $0.firstDescendant("Error") }
        let requestID = document?.firstDescendant("RequestId")?.text
            ?? document?.firstDescendant("RequestID")?.text
            ?? requestID(in: response.headers)
        if let error, let code = error.string("Code"), !code.isEmpty {
            let message = error.string("Message") ?? error.string("message") ?? ""
            return AWSError(kind: .service, code: redactor.redact(code), message: redactor.redact(message),
                            httpStatus: response.status, requestID: requestID.map(redactor.redact),
                            attempts: attempts, operation: operation)
        }
        return AWSError(kind: .service, code: String(response.status),
                        message: "the service answered HTTP \(response.status) without an AWS error document",
                        httpStatus: response.status, requestID: requestID.map(redactor.redact),
                        attempts: attempts, operation: operation)
    }

    static func requestID(in headers: [HTTPHeader]) -> String? {
        headers.value(named: "x-amzn-RequestId") ?? headers.value(named: "x-amz-request-id")
    }
}
