import Foundation
import RunbookKit
#if canImport(Glibc)
import Glibc
#endif

/// One of the two files `aws.cli.configure-profile` edits, and what it held before the run
/// touched it (from the intent): what the step compares against to know whether its edit is
/// in place, and what rollback puts back.
struct ProfileFile: Sendable {
    enum Previous: Sendable, Equatable {
        /// The file did not exist.
        case absent
        case present(Data, mode: Int)
        /// It existed, but its bytes were purged from the store; only the mode is known.
        case unavailable(mode: Int)
    }

    /// `credentials` or `config`: the prefix of this file's intent and output fields.
    let role: String
    let kind: AWSCLIConfigFile.Kind
    let path: String
    let previous: Previous

    /// The mode both files are written with: they hold secret keys (as `aws configure` does).
    static let mode = 0o600

    static let credentialsRole = "credentials"
    static let configRole = "config"

    // MARK: - Intent

    /// What `observe` found at `path`.
    static func observe(_ role: String, kind: AWSCLIConfigFile.Kind, path: String) throws(PluginError) -> ProfileFile {
        let path = try resolvingSymbolicLink(path)
        guard let contents = try read(path) else { return ProfileFile(role: role, kind: kind, path: path, previous: .absent) }
        return ProfileFile(role: role, kind: kind, path: path, previous: .present(contents.data, mode: contents.mode))
    }

    /// The fields this file adds to the intent. The previous bytes are a secret for both
    /// files: the credentials file holds other profiles' keys, and a config file may too
    /// (`aws_secret_access_key` is read from it as well, and `credential_process` commands
    /// can carry tokens); base64 keeps any bytes, UTF-8 or not, in a string.
    var intentFields: [String: Value] {
        var fields: [String: Value] = ["\(role)_file": .string(path)]
        switch previous {
        case .absent:
            fields["\(role)_existed"] = false
        case .present(let data, let mode):
            fields["\(role)_existed"] = true
            fields["\(role)_previous"] = .secret(Secret(data.base64EncodedString()))
            fields["\(role)_mode"] = .int(mode)
        case .unavailable(let mode):
            fields["\(role)_existed"] = true
            fields["\(role)_mode"] = .int(mode)
        }
        return fields
    }

    /// The record `intentFields` wrote.
    init(_ role: String, kind: AWSCLIConfigFile.Kind, intent: Intent) throws(PluginError) {
        let path = try Self.field { try intent.string("\(role)_file") }
        guard try Self.field({ try intent.bool("\(role)_existed") }) else {
            self.init(role: role, kind: kind, path: path, previous: .absent)
            return
        }
        let mode = try Self.field { try intent.int("\(role)_mode") }
        let data: Data?
        switch intent["\(role)_previous"] {
        case .secret(let secret)?: data = secret.revealed.flatMap { Data(base64Encoded: $0) }
        // An intent written as a plain string (not secret) reads the same way.
        case .string(let text)?: data = Data(base64Encoded: text)
        default: data = nil
        }
        self.init(role: role, kind: kind, path: path, previous: data.map { .present($0, mode: mode) } ?? .unavailable(mode: mode))
    }

    private init(role: String, kind: AWSCLIConfigFile.Kind, path: String, previous: Previous) {
        self.role = role
        self.kind = kind
        self.path = path
        self.previous = previous
    }

    /// What the file was: nil if it did not exist; an error if its bytes are gone.
    func recorded() throws(PluginError) -> AtomicFile.Contents? {
        switch previous {
        case .absent: return nil
        case .present(let data, let mode): return AtomicFile.Contents(data: data, mode: mode)
        case .unavailable:
            throw PluginError("the previous content of \(path) is no longer available in the run's store; cannot compare or restore it")
        }
    }

    /// The previous bytes, "" for a file that did not exist: what apply edits.
    func previousBytes() throws(PluginError) -> Data { try recorded()?.data ?? Data() }

    // MARK: - Comparing

    /// Whether `current` is exactly what the file was before (bytes and mode, or still absent).
    func isUntouched(_ current: AtomicFile.Contents?) throws(PluginError) -> Bool {
        current == (try recorded())
    }

    /// Whether `current` is exactly what this step writes.
    static func isWritten(_ current: AtomicFile.Contents?, expected: Data) -> Bool {
        current == AtomicFile.Contents(data: expected, mode: mode)
    }

    // MARK: - Changing

    /// What this step's edit leaves in the file, and the bytes of its profile's section.
    struct Written: Sendable {
        var data: Data
        var section: Data
        /// Whether the edit was made to the file exactly as observe recorded it; only then
        /// does rollback put the whole file back (else others' edits since would go too).
        var editedAsObserved: Bool

        var digest: String { ContentDigest.sha256Hex(data) }
        var sectionDigest: String { ContentDigest.sha256Hex(section) }
    }

    /// Whether the file holds `settings`' edit: editing it again would change nothing.
    func holdsEdit(_ settings: ProfileSettings) throws(PluginError) -> Written? {
        guard let current = try Self.read(path) else { return nil }
        let edited = settings.edited(current.data, kind: kind)
        guard edited == current.data, current.mode == Self.mode else { return nil }
        let asObserved = (try? previousBytes()).map { settings.edited($0, kind: kind) == edited } ?? false
        return Written(data: edited, section: AWSCLIConfigFile(edited, kind: kind).sectionData(of: settings.profile) ?? Data(),
                       editedAsObserved: asObserved)
    }

    /// Edits the file as it is now (other runs may have added their profiles since observe;
    /// the caller holds `ProfileLock`, so no runbook process edits it meanwhile). Idempotent.
    func apply(_ settings: ProfileSettings) throws(PluginError) -> Written {
        let current = try Self.read(path)
        let edited = settings.edited(current?.data ?? Data(), kind: kind)
        let asObserved = (try? recorded()) == current.map { AtomicFile.Contents(data: $0.data, mode: $0.mode) }
            || (try? previousBytes()).map { settings.edited($0, kind: kind) == edited } == true
        let written = Written(data: edited, section: AWSCLIConfigFile(edited, kind: kind).sectionData(of: settings.profile) ?? Data(),
                              editedAsObserved: asObserved)
        if current == AtomicFile.Contents(data: edited, mode: Self.mode) { return written }
        try Self.atomically { () throws(AtomicFileError) in try AtomicFile.write(edited, to: path, mode: Self.mode) }
        return written
    }

    /// Puts back what the file was. When it still holds exactly what this step wrote (by
    /// digest: the bytes contain a secret the engine may have purged), the whole file goes
    /// back byte for byte. When only the profile's section is still as written (another run
    /// added its own profile since), that section alone goes back to what it was (or goes).
    /// Returns a message for the operator when neither holds: someone changed it since.
    func restore(writtenDigest: String, writtenSectionDigest: String?, editedAsObserved: Bool = true,
                 profile: String) throws(PluginError) -> String? {
        let current = try Self.read(path)
        let before = try recorded()
        if current == before { return nil }
        if editedAsObserved, let current, ContentDigest.sha256Hex(current.data) == writtenDigest {
            if let before {
                try Self.atomically { () throws(AtomicFileError) in try AtomicFile.write(before.data, to: path, mode: before.mode) }
            } else {
                try Self.atomically { () throws(AtomicFileError) in try AtomicFile.remove(path) }
            }
            return nil
        }
        if let current, let writtenSectionDigest {
            let file = AWSCLIConfigFile(current.data, kind: kind)
            let section = file.sectionData(of: profile)
            let previous = before.flatMap { AWSCLIConfigFile($0.data, kind: kind).sectionData(of: profile) }
            // The profile is already as it was (a rollback ran before): nothing to do.
            if section == previous { return nil }
            if let section, ContentDigest.sha256Hex(section) == writtenSectionDigest {
                let restored = file.replacingSection(of: profile, with: previous).data
                try Self.atomically { () throws(AtomicFileError) in try AtomicFile.write(restored, to: path, mode: current.mode) }
                return nil
            }
        }
        // The old bytes with another mode: put back by someone else; leave their mode alone.
        if let current, let before, current.data == before.data { return nil }
        if current == nil {
            return "\(path) was removed after this run wrote profile \(profile) to it; not restoring it"
        }
        return "\(path): profile \(profile) was changed after this run wrote it; not restoring it over those changes"
    }

    // MARK: - Files

    /// The file's bytes and mode; nil if it does not exist. Anything but a regular file is an
    /// error, checked before opening so a FIFO cannot block the read.
    static func read(_ path: String) throws(PluginError) -> AtomicFile.Contents? {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw PluginError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PluginError("cannot use \(path): it is not a regular file")
        }
        return try atomically { () throws(AtomicFileError) in try AtomicFile.read(path) }
    }

    /// The file a symbolic link points to, so an operator's linked `~/.aws/credentials` is
    /// edited where it lives (as the AWS CLI does) instead of being replaced by a plain file.
    static func resolvingSymbolicLink(_ path: String) throws(PluginError) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return path }
            throw PluginError("cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            throw PluginError("\(path) is a symbolic link that cannot be followed (\(String(cString: strerror(errno)))); "
                              + "not writing through it")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// AtomicFile's errors already name the file; they become the plugin's error type.
    static func atomically<T>(_ body: () throws(AtomicFileError) -> T) throws(PluginError) -> T {
        do {
            return try body()
        } catch {
            throw PluginError(error.description)
        }
    }

    private static func field<T>(_ body: () throws -> T) throws(PluginError) -> T {
        do {
            return try body()
        } catch {
            throw PluginError("the step's recorded intent is incomplete: \(error)")
        }
    }
}
