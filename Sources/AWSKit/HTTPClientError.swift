/// A request that got no usable HTTP answer. Each case says what an operator can check.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made (refused, unreachable, no route).
    case connectionFailed(host: String, detail: String)
    /// The host name did not resolve.
    case hostNotFound(host: String, detail: String)
    /// The connection broke mid-exchange (reset, closed without an answer).
    case connectionLost(host: String, detail: String)
    /// The connect or total timeout elapsed.
    case timedOut(host: String, detail: String)
    /// The server's certificate did not verify against the trusted CAs; never accepted silently.
    case tlsVerificationFailed(host: String, detail: String)
    /// The TLS handshake failed for another reason (protocol, cipher, reset during handshake).
    case tlsHandshakeFailed(host: String, detail: String)
    /// The CA bundle named by `AWS_CA_BUNDLE` (or `ca_bundle`) could not be used.
    case caBundleUnusable(path: String, detail: String)
    /// The proxy could not be resolved, reached, or refused the tunnel.
    case proxyFailed(detail: String)
    /// The URL cannot be requested (bad syntax or a scheme other than http/https).
    case invalidURL(String)
    /// libcurl or libcrypto would not initialise.
    case libraryInitializationFailed(String)
    /// Any other libcurl failure, with its code for bug reports.
    case transferFailed(curlCode: Int, detail: String)

    /// A short stable name, used as the `code` of an `AWSError` that wraps this failure.
    public var code: String {
        switch self {
        case .connectionFailed: "ConnectionFailed"
        case .hostNotFound: "HostNotFound"
        case .connectionLost: "ConnectionLost"
        case .timedOut: "Timeout"
        case .tlsVerificationFailed: "TLSVerificationFailed"
        case .tlsHandshakeFailed: "TLSHandshakeFailed"
        case .caBundleUnusable: "CABundleUnusable"
        case .proxyFailed: "ProxyFailed"
        case .invalidURL: "InvalidURL"
        case .libraryInitializationFailed: "LibraryInitializationFailed"
        case .transferFailed: "TransferFailed"
        }
    }

    /// Transient failures the SDKs retry: connection errors and timeouts. A certificate that
    /// does not verify, a bad URL or an unusable CA bundle will fail the same way every time.
    public var isRetryable: Bool {
        switch self {
        case .connectionFailed, .hostNotFound, .connectionLost, .timedOut, .tlsHandshakeFailed, .proxyFailed:
            true
        case .tlsVerificationFailed, .caBundleUnusable, .invalidURL, .libraryInitializationFailed, .transferFailed:
            false
        }
    }

    public var description: String {
        switch self {
        case let .connectionFailed(host, detail):
            "could not connect to \(host): \(detail)"
        case let .hostNotFound(host, detail):
            "could not resolve host \(host): \(detail)"
        case let .connectionLost(host, detail):
            "connection to \(host) was lost: \(detail)"
        case let .timedOut(host, detail):
            "request to \(host) timed out: \(detail)"
        case let .tlsVerificationFailed(host, detail):
            "refusing \(host): its TLS certificate did not verify (\(detail)); "
                + "if the endpoint uses a private CA, point AWS_CA_BUNDLE at that CA's certificate"
        case let .tlsHandshakeFailed(host, detail):
            "TLS handshake with \(host) failed: \(detail)"
        case let .caBundleUnusable(path, detail):
            "the CA bundle \(path) could not be used: \(detail)"
        case let .proxyFailed(detail):
            "the proxy failed: \(detail)"
        case let .invalidURL(url):
            "cannot request \(url): only http and https URLs with a host are supported"
        case let .libraryInitializationFailed(detail):
            detail
        case let .transferFailed(code, detail):
            "HTTP transfer failed (curl error \(code)): \(detail)"
        }
    }
}
