import Foundation
import RunbookKit

/// An exclusive lock on the directories of the AWS CLI files while a step reads and edits
/// them: ten runs configuring ten profiles in one `~/.aws/credentials` at once must not lose
/// each other's edits (each is a read-modify-rename). It serialises runbook processes; the
/// AWS CLI itself takes no lock, as it never did.
enum ProfileLock {
    /// Locks the parent directory of each file (which must exist).
    static func acquire(files: [String]) throws(PluginError) -> DirectoryLock {
        do {
            return try DirectoryLock(files.map { ($0 as NSString).deletingLastPathComponent })
        } catch {
            throw PluginError(error.description)
        }
    }
}
