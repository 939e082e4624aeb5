import CRunbookCurl
import Foundation

/// An HTTP/1.1 client on libcurl, shaped for AWS APIs.
///
/// - Keeps a small pool of curl easy handles; each handle keeps its connections alive, so
///   sequential calls to one endpoint reuse one TCP/TLS connection.
/// - Each transfer blocks a thread of its own (curl's easy interface blocks), never one of
///   Swift's cooperative pool, and is bridged back with a continuation. The threads come from
///   a concurrent dispatch queue: libdispatch's overcommitting pool starts a thread whenever
///   none is idle, so concurrent transfers never wait for each other, and reuses idle ones,
///   so sequential calls do not pay a thread's creation and teardown each.
/// - Task cancellation aborts the transfer from curl's progress callback (within about a
///   second, the interval at which curl calls it on an idle connection).
/// - TLS is always verified, against the system store or `caBundlePath`.
/// - Proxies come only from `configuration.proxy`; the process environment is not consulted,
///   so callers that resolve configuration from an explicit environment get what they passed.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Time allowed to establish the connection (TCP and TLS).
        public var connectTimeout: Duration
        /// Time allowed for the whole exchange, connection included.
        public var requestTimeout: Duration
        /// A PEM file of CA certificates to trust instead of the system store (`AWS_CA_BUNDLE`).
        public var caBundlePath: String?
        public var proxy: ProxyConfiguration
        /// Idle curl handles (each with its open connections) kept for reuse.
        public var maxIdleHandles: Int
        public var userAgent: String
        /// Answers larger than this are refused rather than buffered without bound.
        public var maxResponseBytes: Int

        public init(
            connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(60),
            caBundlePath: String? = nil,
            proxy: ProxyConfiguration = ProxyConfiguration(),
            maxIdleHandles: Int = 4,
            userAgent: String = "runbook-awskit/1.0",
            maxResponseBytes: Int = 16 << 20
        ) {
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.caBundlePath = caBundlePath
            self.proxy = proxy
            self.maxIdleHandles = maxIdleHandles
            self.userAgent = userAgent
            self.maxResponseBytes = maxResponseBytes
        }
    }

    public let configuration: Configuration
    private let pool: CurlHandlePool

    /// Where transfers block: a thread each, off the cooperative pool (see above).
    private static let transfers = DispatchQueue(label: "AWSKit.HTTPClient.transfers", attributes: .concurrent)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.pool = CurlHandlePool(maxIdle: configuration.maxIdleHandles)
    }

    /// Sends one request and returns whatever status the server answered; only a missing
    /// answer (connection, TLS, timeout) throws `HTTPClientError`. Cancellation throws
    /// `CancellationError`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try LibraryInitialization.ensure()
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = request.url.host, !host.isEmpty
        else {
            throw HTTPClientError.invalidURL(Redactor().redact(request.url.absoluteString))
        }
        try Task.checkCancellation()
        let transfer = CurlTransfer(request: request, isHTTPS: scheme == "https",
                                    configuration: configuration, pool: pool)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Self.transfers.async {
                    continuation.resume(with: transfer.run())
                }
            }
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// Which proxy, if any, each request goes through; resolved from `HTTPS_PROXY`,
/// `HTTP_PROXY` and `NO_PROXY` (either case) by `AWSConfigurationResolver`.
public struct ProxyConfiguration: Sendable, Equatable {
    /// Proxy for https URLs, e.g. `http://proxy.internal:3128`.
    public var httpsProxy: String?
    /// Proxy for plain http URLs.
    public var httpProxy: String?
    /// Comma-separated hosts, domains or CIDRs reached directly (curl's `NO_PROXY` syntax).
    public var noProxy: String?

    public init(httpsProxy: String? = nil, httpProxy: String? = nil, noProxy: String? = nil) {
        self.httpsProxy = httpsProxy
        self.httpProxy = httpProxy
        self.noProxy = noProxy
    }

    /// Reads the conventional variables from an explicit environment; upper case wins, as in
    /// the AWS CLI (Python's `urllib`) and most tools.
    public init(environment: [String: String]) {
        func lookup(_ name: String) -> String? {
            let value = environment[name.uppercased()] ?? environment[name.lowercased()]
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        self.init(httpsProxy: lookup("https_proxy"), httpProxy: lookup("http_proxy"), noProxy: lookup("no_proxy"))
    }
}

/// Idle curl easy handles. A handle keeps its connection cache across `curl_easy_reset`,
/// which is what makes keep-alive work with the easy interface.
final class CurlHandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let maxIdle: Int

    init(maxIdle: Int) {
        self.maxIdle = max(0, maxIdle)
    }

    func checkOut() -> UnsafeMutableRawPointer? {
        let reused: UnsafeMutableRawPointer? = lock.withLock { idle.popLast() }
        return reused ?? curl_easy_init()
    }

    func checkIn(_ handle: UnsafeMutableRawPointer) {
        let kept = lock.withLock {
            guard idle.count < maxIdle else { return false }
            idle.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }

    deinit {
        for handle in idle { curl_easy_cleanup(handle) }
    }
}

/// The state of one transfer. Everything but the cancellation flag is touched only by the
/// transfer's own thread (through curl's callbacks), hence `@unchecked Sendable`.
final class CurlTransfer: @unchecked Sendable {
    private let request: HTTPRequest
    private let isHTTPS: Bool
    private let configuration: HTTPClient.Configuration
    private let pool: CurlHandlePool

    private let cancelLock = NSLock()
    private var cancelled = false

    fileprivate var responseHeaders: [HTTPHeader] = []
    fileprivate var responseBody = Data()
    fileprivate var bodyTooLarge = false

    init(request: HTTPRequest, isHTTPS: Bool, configuration: HTTPClient.Configuration, pool: CurlHandlePool) {
        self.request = request
        self.isHTTPS = isHTTPS
        self.configuration = configuration
        self.pool = pool
    }

    func cancel() {
        cancelLock.withLock { cancelled = true }
    }

    fileprivate var isCancelled: Bool {
        cancelLock.withLock { cancelled }
    }

    private var hostDescription: String {
        let host = request.url.host ?? "?"
        if let port = request.url.port { return "\(host):\(port)" }
        return host
    }

    /// Runs the transfer to completion on the calling thread.
    func run() -> Result<HTTPResponse, any Error> {
        if isCancelled { return .failure(CancellationError()) }
        guard let handle = pool.checkOut() else {
            return .failure(HTTPClientError.libraryInitializationFailed("curl_easy_init failed"))
        }
        defer { pool.checkIn(handle) }
        curl_easy_reset(handle)

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // curl would otherwise send `Expect: 100-continue` for larger bodies and wait a round trip.
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }

        let code: CURLcode = request.body.withUnsafeBytes { body in
            configure(handle, headers: headerList, body: body, errorBuffer: errorBuffer)
            let result = curl_easy_perform(handle)
            // The buffer dies with this transfer; the pooled handle must not keep pointing at it.
            _ = crunbook_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return result
        }

        if code == CURLE_OK {
            var status = 0
            var newConnections = 0
            _ = crunbook_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            _ = crunbook_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &newConnections)
            return .success(HTTPResponse(status: status, headers: responseHeaders, body: responseBody,
                                         reusedConnection: newConnections == 0))
        }
        if code == CURLE_ABORTED_BY_CALLBACK, isCancelled {
            return .failure(CancellationError())
        }
        let detail = errorBuffer.pointee != 0
            ? String(cString: errorBuffer)
            : String(cString: curl_easy_strerror(code))
        return .failure(error(for: code, detail: Redactor().redact(detail)))
    }

    private func configure(_ handle: UnsafeMutableRawPointer, headers: UnsafeMutablePointer<curl_slist>?,
                           body: UnsafeRawBufferPointer, errorBuffer: UnsafeMutablePointer<CChar>) {
        _ = crunbook_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = crunbook_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString)
        _ = crunbook_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = crunbook_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        // Required with threads: curl must not use signals (SIGALRM) for DNS timeouts.
        _ = crunbook_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = crunbook_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        _ = crunbook_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.requestTimeout))
        _ = crunbook_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        _ = crunbook_curl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
        _ = crunbook_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)

        // TLS: verify the chain and the host name, always.
        _ = crunbook_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = crunbook_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let bundle = configuration.caBundlePath {
            _ = crunbook_curl_setopt_string(handle, CURLOPT_CAINFO, bundle)
        }

        // An empty string turns off curl's own reading of proxy variables.
        let proxy = (isHTTPS ? configuration.proxy.httpsProxy : configuration.proxy.httpProxy) ?? ""
        _ = crunbook_curl_setopt_string(handle, CURLOPT_PROXY, proxy)
        _ = crunbook_curl_setopt_string(handle, CURLOPT_NOPROXY, configuration.proxy.noProxy ?? "")

        switch request.method.uppercased() {
        case "GET":
            _ = crunbook_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "POST":
            _ = crunbook_curl_setopt_long(handle, CURLOPT_POST, 1)
        default:
            _ = crunbook_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if !body.isEmpty || request.method.uppercased() == "POST" {
            _ = crunbook_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            // curl reads the body from this pointer during curl_easy_perform, inside withUnsafeBytes.
            _ = crunbook_curl_setopt_const_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(errorBuffer))
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = crunbook_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = crunbook_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            guard transfer.responseBody.count + length <= transfer.configuration.maxResponseBytes else {
                transfer.bodyTooLarge = true
                return 0
            }
            if let buffer, length > 0 {
                transfer.responseBody.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: length)
            }
            return length
        }
        _ = crunbook_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = crunbook_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            guard let buffer, length > 0 else { return length }
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }
        _ = crunbook_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        _ = crunbook_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        _ = crunbook_curl_setopt_xferinfo_callback(handle) { userdata, _, _, _, _ in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            // Non-zero aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
            return transfer.isCancelled ? 1 : 0
        }
    }

    /// One raw header line as curl hands it over (`Name: value\r\n`), parsed on its bytes:
    /// HTTP's separators are ASCII, and Foundation's trimming of every line cost more than
    /// the rest of the transfer's client-side work.
    fileprivate func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        let trimmed = Self.trimmingHTTPWhitespace(line[...])
        if trimmed.starts(with: "HTTP/".utf8) {
            // A new status line (after 100 Continue or a proxy's CONNECT answer): start over.
            responseHeaders.removeAll()
            return
        }
        guard let colon = trimmed.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = Self.trimmingHTTPWhitespace(trimmed[..<colon])
        let value = Self.trimmingHTTPWhitespace(trimmed[(colon + 1)...])
        responseHeaders.append(HTTPHeader(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Without leading and trailing spaces, tabs, CR and LF.
    static func trimmingHTTPWhitespace(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        func isWhitespace(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }),
              let last = bytes.lastIndex(where: { !isWhitespace($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }

    private func error(for code: CURLcode, detail: String) -> HTTPClientError {
        let host = hostDescription
        switch code {
        case CURLE_COULDNT_CONNECT:
            return .connectionFailed(host: host, detail: detail)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .hostNotFound(host: host, detail: detail)
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY:
            return .proxyFailed(detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(host: host, detail: detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .connectionLost(host: host, detail: detail)
        case CURLE_PEER_FAILED_VERIFICATION:
            return .tlsVerificationFailed(host: host, detail: detail)
        case CURLE_SSL_CACERT_BADFILE:
            return .caBundleUnusable(path: configuration.caBundlePath ?? "(system store)", detail: detail)
        case CURLE_SSL_CONNECT_ERROR:
            return .tlsHandshakeFailed(host: host, detail: detail)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL(Redactor().redact(request.url.absoluteString))
        case CURLE_WRITE_ERROR where bodyTooLarge:
            return .transferFailed(curlCode: Int(code.rawValue),
                                   detail: "the answer exceeded \(configuration.maxResponseBytes) bytes")
        default:
            return .transferFailed(curlCode: Int(code.rawValue), detail: detail)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        // curl treats 0 as "no timeout"; a positive duration below 1 ms must still time out.
        return Int(max(1, total))
    }
}
