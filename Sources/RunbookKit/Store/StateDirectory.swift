import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `RUNBOOK_HOME`: where the state database and the secret key live.
public enum StateDirectory {
    /// `RUNBOOK_HOME`, else `${XDG_STATE_HOME:-$HOME/.local/state}/runbook`.
    public static func path(environment: [String: String]) -> String {
        if let home = environment["RUNBOOK_HOME"], !home.isEmpty { return home }
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty {
            return (state as NSString).appendingPathComponent("runbook")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/state/runbook")
    }

    /// Creates the directory (mode 0700: it will hold the secret key) and its parents.
    static func create(_ path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .unwritable(path: path, reason: "it is not a directory") }
            guard access(path, W_OK | X_OK) == 0 else { throw .unwritable(path: path, reason: "permission denied") }
            return
        }
        // Parents first, like `mkdir -p`; the state directory itself is 0700.
        var prefix = path.hasPrefix("/") ? "" : "."
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            let mode: mode_t = index == components.count - 1 ? 0o700 : 0o755
            if mkdir(prefix, mode) != 0, errno != EEXIST {
                throw .unwritable(path: path, reason: String(cString: strerror(errno)))
            }
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw .unwritable(path: path, reason: "not a directory")
        }
    }
}
