import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temp dir (mode 0700, from mkdtemp), removed with
/// everything in it when the last reference goes away. Suites hold one per test.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("runbook-unit-XXXXXX")
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: template])
        }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `path/component`.
    func file(_ component: String) -> String {
        (path as NSString).appendingPathComponent(component)
    }
}

/// Permission bits of a file, `0o600`.
func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? -1) & 0o7777
}

func setFileMode(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

/// Whether the raw bytes of `path` contain `needle` (UTF-8); false when the file does not exist.
func fileContains(_ path: String, _ needle: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path) else { return false }
    return data.range(of: Data(needle.utf8)) != nil
}

/// The pid of a process that has exited and been reaped: no process has it now.
func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
