import Foundation
import RunbookKit
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the directories of the AWS CLI files while a step reads and edits
/// them: ten runs configuring ten profiles in one `~/.aws/credentials` at once must not lose
/// each other's edits (each is a read-modify-rename). It serialises runbook processes; the
/// AWS CLI itself takes no lock, as it never did.
final class ProfileLock {
    private var descriptors: [Int32] = []

    /// Locks the parent directory of each file (which must exist), in a fixed order.
    init(files: [String]) throws(PluginError) {
        let directories = Set(files.map { ($0 as NSString).deletingLastPathComponent }).sorted()
        for directory in directories {
            let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                release()
                throw PluginError("cannot lock \(directory): \(String(cString: strerror(errno)))")
            }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    close(fd)
                    release()
                    throw PluginError("cannot lock \(directory): \(String(cString: strerror(errno)))")
                }
            }
            descriptors.append(fd)
        }
    }

    func release() {
        for fd in descriptors { close(fd) }
        descriptors = []
    }

    deinit { release() }
}
