import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (`flock`) on directories, held until released or deinit.
/// Files in them are replaced by rename, so the directory, not the file, is what stays put
/// and can be locked. Used to open and migrate the state database, and by plugins that
/// read-modify-write an operator's files.
public final class DirectoryLock {
    private var descriptors: [Int32] = []

    public struct Failure: Error, CustomStringConvertible {
        public var directory: String
        public var reason: String
        public var description: String { "cannot lock \(directory): \(reason)" }
    }

    /// Locks each directory (which must exist), in a fixed order so two holders of
    /// overlapping sets cannot deadlock.
    public init(_ directories: [String]) throws(Failure) {
        for directory in Set(directories).sorted() {
            let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                release()
                throw Failure(directory: directory, reason: reason)
            }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    release()
                    throw Failure(directory: directory, reason: reason)
                }
            }
            descriptors.append(fd)
        }
    }

    public func release() {
        for fd in descriptors { close(fd) }
        descriptors = []
    }

    deinit { release() }
}
