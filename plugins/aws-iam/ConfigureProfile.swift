import Foundation
import RunbookKit

/// `aws.cli.configure-profile`: writes an access key into the operator's AWS CLI files, as
/// `aws configure --profile NAME` would, so `aws ... --profile NAME` uses it:
///
/// - `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`), section `[NAME]`:
///   `aws_access_key_id`, `aws_secret_access_key`;
/// - `AWS_CONFIG_FILE` (default `~/.aws/config`), section `[profile NAME]` (`[default]`):
///   `region`, and `output` when given.
///
/// Everything else in both files stays byte for byte (`AWSCLIConfigFile`). Both are written
/// atomically with mode 0600, credentials first, under an exclusive lock on their directories
/// (`ProfileLock`), and each write edits the file as it is then: runs configuring different
/// profiles in the same files at once all keep their profiles. The intent records both files'
/// exact previous bytes and modes and which directories were missing.
///
/// Rollback (by digest: what the step wrote contains the new secret, which the engine purges
/// once the run succeeds): a file that still holds exactly what the step wrote gets its
/// previous bytes back, byte for byte; a file where only the profile's section is still as
/// written (another run added its own profile since) gets that section restored (or removed);
/// anything else is someone's change, and rollback refuses to overwrite it.
///
/// Reconcile: the step is applied when editing each file again would change nothing. When
/// only the credentials file holds the edit, the crash fell between the two writes: reconcile
/// finishes the config (the same edit) and answers `.applied`, so resume keeps the access key
/// whose secret only the run's store holds; a rollback restores both. When neither does, the
/// answer is `.notApplied` (`.repaired` if an empty directory the step had created is removed).
public struct ConfigureProfile: StepPlugin {
    public static let id = "aws.cli.configure-profile"
    public static let summary = "Write an access key into an AWS CLI profile (credentials and config files, other profiles untouched)"
    public static let inputs = Schema([
        .required("profile", .string, "The AWS CLI profile name (`default` for the default profile)"),
        .required("access_key_id", .string, "The access key id"),
        .required("secret_access_key", .string, "The secret access key"),
        .optional("region", .string, default: "us-east-1", "The profile's region, in the config file"),
        .optional("output", .string, "The profile's output format (json, text, table, yaml...); left as it is when not given"),
    ])
    public static let outputs = OutputSchema([
        .init("profile", .string, "The profile written"),
        .init("credentials_file", .string, "The credentials file written, absolute"),
        .init("config_file", .string, "The config file written, absolute"),
        .init("credentials_sha256", .string, "SHA-256 of the credentials file as written, hex"),
        .init("config_sha256", .string, "SHA-256 of the config file as written, hex"),
        .init("credentials_section_sha256", .string, "SHA-256 of the profile's section as written in the credentials file"),
        .init("config_section_sha256", .string, "SHA-256 of the profile's section as written in the config file"),
        .init("credentials_edited_as_observed", .bool, "Whether the credentials file was as observed when edited (rollback may restore it whole)"),
        .init("config_edited_as_observed", .bool, "Whether the config file was as observed when edited (rollback may restore it whole)"),
    ])

    /// Keys that must not survive in the profile's credentials section: a session token left
    /// from temporary credentials would be sent with the new long-term key and make every
    /// call fail (`InvalidClientTokenId`). `aws_security_token` is its legacy spelling.
    static let staleCredentialKeys: Set<String> = ["aws_session_token", "aws_security_token"]

    public init() {}

    // MARK: - validate

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        if let profile = inputs["profile"]?.stringValue, let problem = Self.profileProblem(profile) {
            problems.append(InputProblem(input: "profile", problem))
        }
        if let keyID = inputs["access_key_id"]?.stringValue, !Self.looksLikeAccessKeyID(keyID) {
            problems.append(InputProblem(input: "access_key_id",
                                         "must look like an access key id: 16 to 128 capital letters and digits (AKIA...)"))
        }
        // A purged secret has no value to check; it was checked when it had one. The message
        // never quotes the value.
        if let secret = inputs["secret_access_key"]?.stringValue,
           secret.isEmpty || secret.unicodeScalars.contains(where: Self.isSpaceOrControl) {
            problems.append(InputProblem(input: "secret_access_key", "must be non-empty, without whitespace or line breaks"))
        }
        if let region = inputs["region"]?.stringValue,
           region.isEmpty || region.unicodeScalars.contains(where: Self.isSpaceOrControl) {
            problems.append(InputProblem(input: "region", "must be a region name such as us-east-1, without whitespace or line breaks"))
        }
        if let output = inputs["output"]?.stringValue, output.unicodeScalars.contains(where: Self.isSpaceOrControl) {
            problems.append(InputProblem(input: "output", "must be an output format such as json, without whitespace or line breaks"))
        }
        return problems
    }

    static func profileProblem(_ profile: String) -> String? {
        if profile.isEmpty { return "must not be empty" }
        if profile.count > 64 { return "must be at most 64 characters, not \(profile.count)" }
        if profile.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            return "must not contain line breaks or control characters"
        }
        if profile.contains("[") || profile.contains("]") { return "must not contain '[' or ']' (it becomes a [section] header)" }
        // configparser treats a section named DEFAULT as defaults for every other section.
        if profile == "DEFAULT" { return "must not be DEFAULT: the AWS CLI's parser reads that section as defaults for all profiles" }
        return nil
    }

    /// `^[A-Z0-9]{16,128}$`.
    static func looksLikeAccessKeyID(_ text: String) -> Bool {
        (16...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    static func isSpaceOrControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
    }

    // MARK: - plan

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        let paths = ProfilePaths(context)
        let both = "\(paths.credentials) and \(paths.config)"
        guard !inputs.isDeferred("profile"), let profile = inputs["profile"]?.stringValue else {
            return Plan(.unchecked, "write an AWS CLI profile named at run time to \(both)",
                        undo: "restore \(both) as they were")
        }
        let writing = "write profile \(profile) to \(both)"
        let credentials: AtomicFile.Contents?
        let config: AtomicFile.Contents?
        let missingDirectories: [String]
        do {
            try paths.checkDistinct()
            // Directories first: a parent that is a file explains a failed read best.
            missingDirectories = try ProfileDirectories.missing(above: [paths.credentials, paths.config])
            credentials = try ProfileFile.read(paths.credentials)
            config = try ProfileFile.read(paths.config)
            try Self.checkWritable([paths.credentials, paths.config], missing: missingDirectories)
        } catch {
            return .blocked(writing, because: "\(error)")
        }

        let files = [(paths.credentials, AWSCLIConfigFile.Kind.credentials, credentials),
                     (paths.config, AWSCLIConfigFile.Kind.config, config)]
        let hasProfile = files.map { _, kind, contents in
            contents.map { AWSCLIConfigFile($0.data, kind: kind).containsProfile(profile) } ?? false
        }
        let exists = hasProfile.contains(true)
        var undo = zip(files, hasProfile).map { file, hasProfile -> String in
            let (path, _, contents) = file
            if contents == nil { return "remove \(path)" }
            return hasProfile ? "restore \(path)" : "remove profile \(profile) from \(path)"
        }
        var notes: [String] = []
        if !missingDirectories.isEmpty {
            notes.append("creates \(missingDirectories.joined(separator: ", ")) (mode 0700)")
            undo += missingDirectories.reversed().map { "remove \($0) if empty" }
        }
        let mark: Plan.Mark = exists ? .change : .create
        let summary = exists ? "replace profile \(profile) in \(both)" : writing
        // In ha-iam the key comes from the step before: plan from the name and the files.
        let deferred = ["access_key_id", "secret_access_key", "region", "output"].filter(inputs.isDeferred)
        guard deferred.isEmpty else {
            notes.append("known only at run time: \(deferred.joined(separator: ", "))")
            return Plan(mark, summary, note: notes.joined(separator: "; "), undo: undo.joined(separator: "; "))
        }
        let settings = try ProfileSettings(inputs)
        let unchanged = files.allSatisfy { _, kind, contents in
            guard let contents else { return false }
            return ProfileFile.isWritten(contents, expected: settings.edited(contents.data, kind: kind))
        }
        if unchanged {
            return Plan(.unchanged, "profile \(profile) in \(both) already has this key")
        }
        return Plan(mark, summary, note: notes.isEmpty ? nil : notes.joined(separator: "; "), undo: undo.joined(separator: "; "))
    }

    /// Pre-flight: the nearest existing directory of each file must be writable.
    private static func checkWritable(_ files: [String], missing: [String]) throws(PluginError) {
        for file in files {
            var directory = (file as NSString).deletingLastPathComponent
            while missing.contains(directory) { directory = (directory as NSString).deletingLastPathComponent }
            if access(directory, W_OK | X_OK) != 0 {
                throw PluginError("cannot write \(file): \(directory) is not writable (\(String(cString: strerror(errno))))")
            }
        }
    }

    // MARK: - observe

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let paths = ProfilePaths(context)
        try paths.checkDistinct()
        let profile = try ProfileSettings.string(inputs, "profile")
        // Directories first: a parent that is a file explains a failed read best. (Computed on
        // the configured paths: a symbolic link that exists has an existing parent either way.)
        let missing = try ProfileDirectories.missing(above: [paths.credentials, paths.config])
        let credentials = try ProfileFile.observe(ProfileFile.credentialsRole, kind: .credentials, path: paths.credentials)
        let config = try ProfileFile.observe(ProfileFile.configRole, kind: .config, path: paths.config)
        var fields: [String: Value] = ["profile": .string(profile), "missing_directories": .list(missing.map { .string($0) })]
        fields.merge(credentials.intentFields) { _, new in new }
        fields.merge(config.intentFields) { _, new in new }
        return Intent(fields)
    }

    // MARK: - apply

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let settings = try ProfileSettings(inputs)
        let recorded = try Recorded(intent)
        let created = try ProfileDirectories.create(recorded.missingDirectories)
        let lock = try ProfileLock.acquire(files: [recorded.credentials.path, recorded.config.path])
        defer { lock.release() }
        var credentials: ProfileFile.Written?
        do {
            let written = try recorded.credentials.apply(settings)
            credentials = written
            let config = try recorded.config.apply(settings)
            return Self.outputs(settings.profile, recorded, credentials: written, config: config)
        } catch {
            // Leave nothing half-done behind a failed apply: put the credentials file back and
            // remove the directories this call made (best effort; reconcile covers a crash).
            if let credentials {
                _ = try? recorded.credentials.restore(writtenDigest: credentials.digest, writtenSectionDigest: credentials.sectionDigest,
                                                      profile: settings.profile)
            }
            _ = try? ProfileDirectories.removeIfEmpty(created)
            throw error
        }
    }

    // MARK: - reconcile

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let settings = try ProfileSettings(inputs)
        let recorded = try Recorded(intent)
        let existing = [recorded.credentials.path, recorded.config.path].filter {
            FileManager.default.fileExists(atPath: ($0 as NSString).deletingLastPathComponent)
        }
        let lock = try ProfileLock.acquire(files: existing)
        defer { lock.release() }
        let credentials = try recorded.credentials.holdsEdit(settings)
        let config = try recorded.config.holdsEdit(settings)
        switch (credentials, config) {
        case (let credentials?, let config?):
            return .applied(Self.outputs(settings.profile, recorded, credentials: credentials, config: config))
        case (nil, nil):
            // Nothing of the edit is in place.
            let leftovers = recorded.missingDirectories.filter(ProfileDirectories.isEmptyDirectory)
            guard !leftovers.isEmpty else { return .notApplied }
            try ProfileDirectories.removeIfEmpty(leftovers)
            return .repaired("removed the empty directory \(leftovers.joined(separator: ", ")) it had created")
        default:
            // Interrupted between the two writes: finish the edit, so the key (whose secret
            // only the run's store holds) is delivered; a rollback still restores both files.
            let credentials = try credentials ?? recorded.credentials.apply(settings)
            let config = try config ?? recorded.config.apply(settings)
            return .applied(Self.outputs(settings.profile, recorded, credentials: credentials, config: config))
        }
    }

    // MARK: - rollback

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        let recorded = try Recorded(intent)
        let existing = [recorded.credentials.path, recorded.config.path].filter {
            FileManager.default.fileExists(atPath: ($0 as NSString).deletingLastPathComponent)
        }
        let lock = try ProfileLock.acquire(files: existing)
        defer { lock.release() }
        // Reverse order of apply. Both files are tried, so one refusal does not block the other.
        var refusals: [String] = []
        for file in [recorded.config, recorded.credentials] {
            guard let digest = outputs["\(file.role)_sha256"]?.stringValue else {
                throw PluginError("the outputs of this step lack \(file.role)_sha256; cannot tell whether \(file.path) "
                                  + "still holds what it wrote")
            }
            if let refusal = try file.restore(writtenDigest: digest, writtenSectionDigest: outputs["\(file.role)_section_sha256"]?.stringValue,
                                              editedAsObserved: outputs["\(file.role)_edited_as_observed"]?.boolValue ?? true,
                                              profile: recorded.profile) {
                refusals.append(refusal)
            }
        }
        lock.release()
        let kept = try ProfileDirectories.removeIfEmpty(recorded.missingDirectories)
        if !kept.isEmpty, refusals.isEmpty {
            context.note("left \(kept.joined(separator: ", ")) in place: created by this run, but something else is in it now")
        }
        if !refusals.isEmpty {
            throw PluginError(refusals.joined(separator: "; "))
        }
    }

    static func outputs(_ profile: String, _ recorded: Recorded, credentials: ProfileFile.Written, config: ProfileFile.Written) -> Outputs {
        [
            "profile": .string(profile),
            "credentials_file": .string(recorded.credentials.path),
            "config_file": .string(recorded.config.path),
            "credentials_sha256": .string(credentials.digest),
            "config_sha256": .string(config.digest),
            "credentials_section_sha256": .string(credentials.sectionDigest),
            "config_section_sha256": .string(config.sectionDigest),
            "credentials_edited_as_observed": .bool(credentials.editedAsObserved),
            "config_edited_as_observed": .bool(config.editedAsObserved),
        ]
    }

    /// The intent, read back.
    struct Recorded {
        let profile: String
        let credentials: ProfileFile
        let config: ProfileFile
        let missingDirectories: [String]

        init(_ intent: Intent) throws(PluginError) {
            guard let profile = intent["profile"]?.stringValue else {
                throw PluginError("the step's recorded intent is incomplete: no profile")
            }
            self.profile = profile
            credentials = try ProfileFile(ProfileFile.credentialsRole, kind: .credentials, intent: intent)
            config = try ProfileFile(ProfileFile.configRole, kind: .config, intent: intent)
            missingDirectories = (intent["missing_directories"]?.listValue ?? []).compactMap(\.stringValue)
        }
    }
}

/// Where the two files are, from the step's environment (as the AWS CLI finds them).
struct ProfilePaths {
    let credentials: String
    let config: String

    init(_ context: StepContext) {
        func path(_ variable: String, default fallback: String) -> String {
            let configured = context.environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
            // Lexically normalised (`..`, `.`), so directories found missing are named once.
            return URL(fileURLWithPath: context.absolutePath(configured)).standardized.path
        }
        credentials = path("AWS_SHARED_CREDENTIALS_FILE", default: "~/.aws/credentials")
        config = path("AWS_CONFIG_FILE", default: "~/.aws/config")
    }

    /// One file for both would be written twice, the second edit refusing the first's bytes
    /// as someone else's change; say what is wrong instead.
    func checkDistinct() throws(PluginError) {
        guard credentials != config else {
            throw PluginError("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are the same file (\(credentials)); "
                              + "the AWS CLI reads profiles differently from each, so they must be two files")
        }
    }
}

/// The profile the inputs describe, and the edit it makes to each file.
struct ProfileSettings {
    let profile: String
    let accessKeyID: String
    let secretAccessKey: String
    let region: String
    let output: String?

    init(_ inputs: Inputs) throws(PluginError) {
        profile = try Self.string(inputs, "profile")
        accessKeyID = try Self.string(inputs, "access_key_id")
        if case .secret(let secret)? = inputs["secret_access_key"], !secret.isAvailable {
            throw PluginError("input 'secret_access_key' is no longer available (purged after the run delivered it); "
                              + "the profile cannot be written again from this run")
        }
        secretAccessKey = try Self.string(inputs, "secret_access_key")
        region = try Self.optionalString(inputs, "region") ?? "us-east-1"
        output = try Self.optionalString(inputs, "output")
    }

    /// `data` with this profile set in it.
    func edited(_ data: Data, kind: AWSCLIConfigFile.Kind) -> Data {
        let file = AWSCLIConfigFile(data, kind: kind)
        switch kind {
        case .credentials:
            return file.setting([("aws_access_key_id", accessKeyID), ("aws_secret_access_key", secretAccessKey)],
                                removing: ConfigureProfile.staleCredentialKeys, inProfile: profile).data
        case .config:
            var values = [(key: "region", value: region)]
            if let output { values.append((key: "output", value: output)) }
            return file.setting(values, inProfile: profile).data
        }
    }

    static func string(_ inputs: Inputs, _ name: String) throws(PluginError) -> String {
        guard let value = try optionalString(inputs, name) else { throw PluginError("input '\(name)' is missing") }
        return value
    }

    static func optionalString(_ inputs: Inputs, _ name: String) throws(PluginError) -> String? {
        do {
            return try inputs.optionalString(name)
        } catch {
            throw PluginError("input \(error)")
        }
    }
}
