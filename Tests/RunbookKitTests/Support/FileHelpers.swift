import Foundation

#if canImport(Glibc)
import Glibc
#endif

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
