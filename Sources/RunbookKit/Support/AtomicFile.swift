import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files written the only crash-safe way: a temp file in the same directory, fsync, rename
/// over the target, fsync the directory. A reader (or a crash) sees the old bytes or the
/// new ones, never a mix. For plugins that write files for the operator.
public enum AtomicFile {
    /// A file's bytes and permission bits.
    public struct Contents: Sendable, Hashable {
        public var data: Data
        public var mode: Int

        public init(data: Data, mode: Int) {
            self.data = data
            self.mode = mode
        }
    }

    /// Reads `path`; nil if it does not exist.
    public static func read(_ path: String) throws(AtomicFileError) -> Contents? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotRead(path: path, reason: "not a regular file") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return Contents(data: data, mode: Int(info.st_mode & 0o7777))
    }

    /// Replaces `path` with `data` and `mode`, atomically and durably.
    public static func write(_ data: Data, to path: String, mode: Int) throws(AtomicFileError) {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw .cannotWrite(path: path, reason: "directory \(directory) does not exist")
        }
        let name = (path as NSString).lastPathComponent
        let temp = (directory as NSString).appendingPathComponent(".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode & 0o777))
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        var committed = false
        defer {
            if !committed { unlink(temp) }
        }
        let failure = writeAll(data, to: fd, mode: mode)
        close(fd)
        if let failure { throw .cannotWrite(path: path, reason: failure) }
        guard rename(temp, path) == 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        committed = true
        syncDirectory(directory)
    }

    /// Removes `path` durably; succeeds if it is already gone.
    public static func remove(_ path: String) throws(AtomicFileError) {
        if unlink(path) != 0, errno != ENOENT {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Sets the mode, writes every byte and fsyncs; returns why it failed, or nil.
    private static func writeAll(_ data: Data, to fd: Int32, mode: Int) -> String? {
        // The umask may have narrowed the mode at creation; set it exactly.
        guard fchmod(fd, mode_t(mode & 0o7777)) == 0 else { return String(cString: strerror(errno)) }
        let failure: String? = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
        if let failure { return failure }
        return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
    }

    /// A rename, link or unlink is durable only once its directory is synced.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

public enum AtomicFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
