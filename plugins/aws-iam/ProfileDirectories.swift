import Foundation
import RunbookKit
#if canImport(Glibc)
import Glibc
#endif

/// The directories that must be created for the profile files (`~/.aws` on a machine where
/// the AWS CLI was never configured). `observe` records which were missing; `apply` creates
/// them with mode 0700; rollback removes them again if they are empty, so a run that is
/// undone leaves no trace, and never removes a directory holding something else.
enum ProfileDirectories {
    /// The directories missing above `files`, outermost first. Errors if a parent exists and
    /// is not a directory.
    static func missing(above files: [String]) throws(PluginError) -> [String] {
        var missing: [String] = []
        for file in files {
            var directory = parent(of: file)
            while !missing.contains(directory) {
                var info = stat()
                if stat(directory, &info) == 0 {
                    guard (info.st_mode & S_IFMT) == S_IFDIR else {
                        throw PluginError("cannot write \(file): \(directory) is not a directory")
                    }
                    break
                }
                guard errno == ENOENT else {
                    throw PluginError("cannot write \(file): cannot inspect \(directory): \(String(cString: strerror(errno)))")
                }
                missing.append(directory)
                let up = parent(of: directory)
                if up == directory { break }
                directory = up
            }
        }
        // A parent is a prefix of its children: shorter first is outermost first.
        return missing.sorted { $0.count < $1.count }
    }

    /// Creates those of `directories` that do not exist (outermost first), mode 0700: they
    /// will hold secret keys. Returns the ones this call created.
    static func create(_ directories: [String]) throws(PluginError) -> [String] {
        var created: [String] = []
        for directory in directories {
            if mkdir(directory, 0o700) == 0 {
                created.append(directory)
                continue
            }
            let reason = String(cString: strerror(errno))
            var info = stat()
            if errno == EEXIST, stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            throw PluginError("cannot create the directory \(directory): \(reason)")
        }
        return created
    }

    /// Removes those of `directories` that exist and are empty, innermost first. Returns the
    /// ones left because they are not empty (something else was put there).
    @discardableResult
    static func removeIfEmpty(_ directories: [String]) throws(PluginError) -> [String] {
        var kept: [String] = []
        for directory in directories.reversed() {
            if rmdir(directory) == 0 || errno == ENOENT { continue }
            if errno == ENOTEMPTY || errno == EEXIST {
                kept.append(directory)
                continue
            }
            throw PluginError("cannot remove the directory \(directory) this run created: \(String(cString: strerror(errno)))")
        }
        return kept
    }

    /// Whether `directory` exists and holds nothing.
    static func isEmptyDirectory(_ directory: String) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
        return entries.isEmpty
    }

    private static func parent(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }
}
