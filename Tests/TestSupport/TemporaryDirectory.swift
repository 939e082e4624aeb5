import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()` or when
/// the last reference goes away.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public var path: String { url.path }

    public struct CreationFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Makes `<tmp>/<prefix>.XXXXXX` with mode 0700.
    public init(prefix: String = "runbook-test") throws {
        let template = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix).XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let created = mkdtemp(&bytes) else {
            throw CreationFailed(description: "mkdtemp \(template): \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: created), isDirectory: true)
    }

    /// The path of `component` inside the directory (nothing is created).
    public func file(_ component: String) -> String {
        appending(component).path
    }

    /// The URL of a path inside the directory (nothing is created).
    public func appending(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath)
    }

    /// Writes a UTF-8 file, creating intermediate directories, optionally with a POSIX mode.
    @discardableResult
    public func write(_ contents: String, to relativePath: String, permissions: Int? = nil) throws -> URL {
        let file = appending(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        if let permissions {
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: file.path)
        }
        return file
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        remove()
    }
}
