import AWSKit
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (a kernel-chosen free port) whose answers a test
/// scripts request by request: a response, a connection reset, a close without answer, or
/// silence. Connections are kept alive between requests unless the script says otherwise,
/// so tests can observe connection reuse. Stopped by `stop()` or deinit.
final class ScriptedHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        let method: String
        /// As sent: `/` for direct requests, an absolute URL when sent to a proxy.
        let target: String
        let headers: [HTTPHeader]
        let body: Data
        /// Which accepted connection carried it (0-based).
        let connection: Int

        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [HTTPHeader] = [], body: String = "")
        /// Abort the connection with a TCP reset after reading the request.
        case reset
        /// Close the connection without answering.
        case close
        /// Read the request and never answer (until the server stops).
        case hang
    }

    /// `index` counts requests from 0 across all connections.
    typealias Script = @Sendable (_ request: Request, _ index: Int) -> Reply

    let port: UInt16
    private let listener: Int32
    private let script: Script
    private let lock = NSLock()
    private var received: [Request] = []
    private var connections: [Int32] = []
    private var acceptedCount = 0
    private var stopped = false

    var url: URL { URL(string: "http://127.0.0.1:\(port)/") ?? URL(fileURLWithPath: "/") }

    var requests: [Request] { lock.withLock { received } }
    var connectionCount: Int { lock.withLock { acceptedCount } }

    init(script: @escaping Script) throws {
        self.script = script
        #if canImport(Glibc)
        let streamType = Int32(SOCK_STREAM.rawValue)
        #else
        let streamType = SOCK_STREAM
        #endif
        let descriptor = socket(AF_INET, streamType, 0)
        guard descriptor >= 0 else { throw ServerError.socket("socket", errno) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw ServerError.socket("bind/listen", errno)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// A server answering every request the same way.
    convenience init(always reply: Reply) throws {
        try self.init { _, _ in reply }
    }

    func stop() {
        let open: [Int32] = lock.withLock {
            guard !stopped else { return [] }
            stopped = true
            return connections
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for descriptor in open { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    deinit {
        stop()
        close(listener)
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let index: Int? = lock.withLock {
                guard !stopped else { return nil }
                connections.append(client)
                acceptedCount += 1
                return acceptedCount - 1
            }
            guard let index else {
                close(client)
                return
            }
            Thread { [self] in serve(client, connection: index) }.start()
        }
    }

    private func serve(_ descriptor: Int32, connection: Int) {
        var buffer = Data()
        defer {
            lock.withLock { connections.removeAll { $0 == descriptor } }
            close(descriptor)
        }
        while !isStopped {
            guard let request = readRequest(descriptor, buffer: &buffer, connection: connection) else { return }
            let index: Int = lock.withLock {
                received.append(request)
                return received.count - 1
            }
            switch script(request, index) {
            case let .respond(status, headers, body):
                var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
                var closeAfter = request.headers.value(named: "Connection")?.lowercased() == "close"
                for header in headers {
                    head += "\(header.name): \(header.value)\r\n"
                    if header.name.lowercased() == "connection", header.value.lowercased() == "close" { closeAfter = true }
                }
                head += "Content-Length: \(body.utf8.count)\r\n\r\n"
                guard write(descriptor, Data((head + body).utf8)), !closeAfter else { return }
            case .reset:
                var hardClose = linger(l_onoff: 1, l_linger: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &hardClose, socklen_t(MemoryLayout<linger>.size))
                return
            case .close:
                return
            case .hang:
                while !isStopped { Thread.sleep(forTimeInterval: 0.05) }
                return
            }
        }
    }

    /// Reads one request (headers, then a Content-Length body); nil at end of stream.
    private func readRequest(_ descriptor: Int32, buffer: inout Data, connection: Int) -> Request? {
        let separator = Data("\r\n\r\n".utf8)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while buffer.range(of: separator) == nil {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer.append(chunk, count: count)
        }
        guard let end = buffer.range(of: separator) else { return nil }
        let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex..<end.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        let headers = lines.compactMap { line -> HTTPHeader? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return HTTPHeader(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = Int(headers.value(named: "Content-Length") ?? "0") ?? 0
        while buffer.count < length {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer.append(chunk, count: count)
        }
        let body = Data(buffer.prefix(length))
        buffer.removeFirst(length)
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
                       body: body, connection: connection)
    }

    private func write(_ descriptor: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return true }
            var offset = 0
            while offset < bytes.count {
                let sent = send(descriptor, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }

    enum ServerError: Error {
        case socket(String, Int32)
    }
}
