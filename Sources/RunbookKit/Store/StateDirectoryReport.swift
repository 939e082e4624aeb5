import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `runbook doctor` shows about the state directory: where it is, whether runbook can
/// use it, and whether it keeps the secret key private. Read-only: inspecting never creates
/// the directory, the key or the database.
///
/// A *problem* is something that stops runbook from working there (the engine refuses a key,
/// or a home holding the key, that group or others can read, as ssh does with private keys);
/// a *warning* is worth fixing but stops nothing.
public struct StateDirectoryReport: Sendable, Equatable {
    /// A file in or beside the state directory.
    public struct File: Sendable, Equatable {
        public var path: String
        public var exists: Bool
        /// Permission bits (`0o600`), when it exists.
        public var mode: Int?
    }

    /// `RUNBOOK_HOME`, or its default.
    public var path: String
    public var exists: Bool
    public var isDirectory: Bool
    /// Permission bits (`0o700`), when it exists.
    public var mode: Int?
    /// False when another user owns it; nil when it does not exist.
    public var ownedByCurrentUser: Bool?
    public var secretKey: File
    /// False when `RUNBOOK_SECRET_KEY_FILE` puts the key elsewhere.
    public var secretKeyInHome: Bool
    /// `state.db`.
    public var database: File
    public var problems: [String]
    public var warnings: [String]

    public var isHealthy: Bool { problems.isEmpty }

    /// Looks at `home` and the key file the environment selects.
    public static func inspect(home: String, environment: [String: String]) -> StateDirectoryReport {
        let keyFile = SecretKeyFile.location(home: home, environment: environment)
        let directory = FileStatus(path: home)
        var report = StateDirectoryReport(
            path: home,
            exists: directory.exists,
            isDirectory: directory.isDirectory,
            mode: directory.mode,
            ownedByCurrentUser: directory.exists ? directory.ownerID == geteuid() : nil,
            secretKey: File(path: keyFile.path, exists: false, mode: nil),
            secretKeyInHome: keyFile.home != nil,
            database: File(path: (home as NSString).appendingPathComponent("state.db"), exists: false, mode: nil),
            problems: [],
            warnings: [])
        report.checkDirectory(directory)
        report.checkSecretKey(FileStatus(path: keyFile.path))
        report.checkDatabase(FileStatus(path: report.database.path))
        if report.database.exists, !report.secretKey.exists {
            report.warnings.append("\(report.database.path) exists but the secret key \(report.secretKey.path) does not: "
                + "secrets stored by earlier runs cannot be read (a new key is created when one is next needed)")
        }
        return report
    }

    private mutating func checkDirectory(_ status: FileStatus) {
        guard status.exists else {
            if let ancestor = Self.nearestExistingAncestor(of: path), access(ancestor, W_OK | X_OK) != 0 {
                problems.append("\(path) does not exist and cannot be created: \(ancestor) is not writable by you")
            }
            return
        }
        guard status.isDirectory else {
            problems.append("\(path) is not a directory")
            return
        }
        if access(path, W_OK | X_OK) != 0 {
            problems.append("\(path) is not writable by you: runbook cannot record runs there")
        }
        if ownedByCurrentUser == false, let owner = status.ownerID {
            warnings.append("\(path) belongs to uid \(owner), not to you (uid \(geteuid()))")
        }
        if let mode = status.mode, mode & 0o077 != 0 {
            if secretKeyInHome {
                problems.append("\(path) has mode \(Self.octal(mode)): group or others have access to it, and the secret key "
                    + "lives there, so runbook refuses to use the key: chmod 700 \(path)")
            } else {
                warnings.append("\(path) has mode \(Self.octal(mode)): group or others can read state.db "
                    + "(its secrets are encrypted, with the key elsewhere): chmod 700 \(path)")
            }
        }
    }

    private mutating func checkSecretKey(_ status: FileStatus) {
        secretKey.exists = status.exists
        secretKey.mode = status.mode
        guard status.exists else { return }
        guard status.isRegularFile else {
            problems.append("secret key \(secretKey.path) is not a regular file")
            return
        }
        if let mode = status.mode, mode & 0o077 != 0 {
            problems.append("secret key \(secretKey.path) has mode \(Self.octal(mode)): group or others have access to it, "
                + "so runbook refuses to use it: chmod 600 \(secretKey.path)")
        }
        if access(secretKey.path, R_OK) != 0 {
            problems.append("secret key \(secretKey.path) is not readable by you")
        }
    }

    private mutating func checkDatabase(_ status: FileStatus) {
        database.exists = status.exists
        database.mode = status.mode
        guard status.exists else { return }
        if !status.isRegularFile {
            problems.append("\(database.path) is not a regular file")
        } else if access(database.path, R_OK | W_OK) != 0 {
            problems.append("\(database.path) is not readable and writable by you")
        }
    }

    /// The closest ancestor of a missing path that exists: where `mkdir -p` would start.
    static func nearestExistingAncestor(of path: String) -> String? {
        var current = path
        while true {
            let parent = (current as NSString).deletingLastPathComponent
            let next = parent.isEmpty ? "." : parent
            if next == current { return nil }
            if FileManager.default.fileExists(atPath: next) { return next }
            current = next
        }
    }

    /// `0700`-style, as chmod takes it.
    public static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// `stat(2)` of one path, following symbolic links.
private struct FileStatus {
    var exists = false
    var isDirectory = false
    var isRegularFile = false
    var mode: Int?
    var ownerID: uid_t?

    init(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        exists = true
        isDirectory = info.st_mode & S_IFMT == S_IFDIR
        isRegularFile = info.st_mode & S_IFMT == S_IFREG
        mode = Int(info.st_mode & 0o777)
        ownerID = info.st_uid
    }
}
