import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free TCP ports on the loopback interface, for servers a test starts (moto, fixtures).
public enum FreePort {
    public enum Failure: Error, CustomStringConvertible {
        case socket(String)

        public var description: String {
            switch self {
            case let .socket(reason): "could not find a free port: \(reason)"
            }
        }
    }

    /// A port on 127.0.0.1 that was free a moment ago: the kernel picks one for a socket
    /// bound to port 0, which is then closed. Another process could take it before the
    /// caller binds it, so callers that start a server should retry with a new port if the
    /// server fails to bind.
    public static func next() throws -> UInt16 {
        let descriptor = socket(AF_INET, LoopbackSocket.streamType, 0)
        guard descriptor >= 0 else { throw Failure.socket(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var address = LoopbackSocket.address(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw Failure.socket(String(cString: strerror(errno))) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure.socket(String(cString: strerror(errno))) }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Minimal blocking client sockets to 127.0.0.1, enough to talk plain HTTP to a local test
/// server without bringing in URLSession.
enum LoopbackSocket {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif

    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Sends `request` and reads until the server closes the connection.
    static func exchange(port: UInt16, request: Data, timeoutSeconds: Int = 30) throws -> Data {
        let descriptor = socket(AF_INET, streamType, 0)
        guard descriptor >= 0 else { throw FreePort.Failure.socket(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw FreePort.Failure.socket(String(cString: strerror(errno))) }
        try request.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { return }
                let sent = send(descriptor, base + offset, bytes.count - offset, 0)
                guard sent > 0 else { throw FreePort.Failure.socket(String(cString: strerror(errno))) }
                offset += sent
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let received = recv(descriptor, &buffer, buffer.count, 0)
            if received > 0 {
                response.append(buffer, count: received)
            } else if received == 0 {
                return response
            } else {
                throw FreePort.Failure.socket(String(cString: strerror(errno)))
            }
        }
    }
}
