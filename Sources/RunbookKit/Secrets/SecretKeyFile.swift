import CRunbookOpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The store key: 32 random bytes in `RUNBOOK_HOME/secret.key` (or `RUNBOOK_SECRET_KEY_FILE`),
/// mode 0600, created on first use. Like ssh with private keys, a key file or home that
/// group or others can read is refused.
public struct SecretKeyFile: Sendable {
    public var path: String
    /// The directory checked for permissions when the key lives in it.
    public var home: String?

    public init(path: String, home: String?) {
        self.path = path
        self.home = home
    }

    /// Where the key is for this environment.
    public static func location(home: String, environment: [String: String]) -> SecretKeyFile {
        if let path = environment["RUNBOOK_SECRET_KEY_FILE"], !path.isEmpty {
            return SecretKeyFile(path: path, home: nil)
        }
        return SecretKeyFile(path: (home as NSString).appendingPathComponent("secret.key"), home: home)
    }

    /// Reads the key, creating it if `create` and it does not exist.
    public func load(create: Bool) throws(SecretError) -> [UInt8] {
        try checkHome()
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { throw .keyFileMissing(path: path) }
            try createKey()
        }
        return try readKey()
    }

    func checkHome() throws(SecretError) {
        guard let home else { return }
        var info = stat()
        guard stat(home, &info) == 0 else { return }
        let mode = Int(info.st_mode & 0o777)
        if mode & 0o077 != 0 { throw .homeTooOpen(path: home, mode: mode) }
    }

    /// `secret.key.new`: the key a rotation is moving to.
    var replacementPath: String { path + ".new" }

    /// The replacement key, if a rotation left one.
    func loadReplacement() throws(SecretError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: replacementPath) else { return nil }
        return try readKey(at: replacementPath)
    }

    /// Writes a new random key to `secret.key.new`, durably.
    func createReplacement() throws(SecretError) -> [UInt8] {
        try checkHome()
        removeReplacement()
        let key = try writeNewKey(to: replacementPath, linkTo: nil)
        return key
    }

    /// Renames `secret.key.new` over `secret.key`.
    func promoteReplacement() throws(SecretError) {
        guard rename(replacementPath, path) == 0 else {
            throw .cannotCreateKey(path: path, reason: String(cString: strerror(errno)))
        }
        AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent)
    }

    func removeReplacement() {
        unlink(replacementPath)
    }

    private func readKey() throws(SecretError) -> [UInt8] {
        try readKey(at: path)
    }

    private func readKey(at path: String) throws(SecretError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .keyFileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .keyFileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        let mode = Int(info.st_mode & 0o777)
        if mode & 0o077 != 0 { throw .keyFileTooOpen(path: path, mode: mode) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        guard count >= 0 else { throw .keyFileUnreadable(path: path, reason: String(cString: strerror(errno))) }
        guard count == SecretCipher.keyLength else { throw .badKeyLength(count) }
        return Array(buffer.prefix(count))
    }

    /// Writes a new key to a temp file and links it into place: two processes racing to
    /// create it end up with the same key, and a crash leaves no partial key file.
    private func createKey() throws(SecretError) {
        _ = try writeNewKey(to: path, linkTo: path)
    }

    /// Writes 32 random bytes to a temp file, fsyncs, and links it to `target` (which must
    /// not exist: the first of two racing processes wins) or renames it when `linkTo` is nil.
    private func writeNewKey(to target: String, linkTo: String?) throws(SecretError) -> [UInt8] {
        CryptoLibrary.ensure()
        var key = [UInt8](repeating: 0, count: SecretCipher.keyLength)
        guard RAND_bytes(&key, Int32(key.count)) == 1 else { throw .cannotCreateKey(path: target, reason: "no randomness") }
        let path = target
        let temp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreateKey(path: path, reason: String(cString: strerror(errno))) }
        defer { unlink(temp) }
        let written = write(fd, key, key.count)
        let synced = fsync(fd)
        close(fd)
        guard written == key.count, synced == 0 else {
            throw .cannotCreateKey(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
        if linkTo != nil {
            if link(temp, path) != 0, errno != EEXIST {
                throw .cannotCreateKey(path: path, reason: String(cString: strerror(errno)))
            }
        } else if rename(temp, path) != 0 {
            throw .cannotCreateKey(path: path, reason: String(cString: strerror(errno)))
        }
        AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent)
        return key
    }
}
