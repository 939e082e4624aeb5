import Foundation
import RunbookKit
import Testing
import TestSupport
@testable import AWSIAMPlugins

/// `aws.cli.configure-profile` through its protocol methods, in a sandbox whose `HOME`,
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` are temporary: the real `~/.aws` is
/// never touched.
@Suite("aws.cli.configure-profile")
struct ConfigureProfileTests {
    static let keyID = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let oldSecret = "OLDsecretOLDsecretOLDsecretOLDsecret0000"

    let plugin = ConfigureProfile()

    static func inputs(profile: String = "automate-ha", keyID: String = keyID, secret: String = secret,
                       region: String = "eu-west-1", output: String? = nil) -> Inputs {
        var inputs: Inputs = ["profile": .string(profile), "access_key_id": .string(keyID),
                              "secret_access_key": .secret(Secret(secret)), "region": .string(region)]
        if let output { inputs["output"] = .string(output) }
        return inputs
    }

    /// Observe then apply, as the engine does.
    func run(_ inputs: Inputs, in sandbox: ProfileSandbox) async throws -> (Intent, Outputs) {
        let intent = try await plugin.observe(inputs, context: sandbox.context)
        let outputs = try await plugin.apply(inputs, intent: intent, context: sandbox.context)
        return (intent, outputs)
    }

    // MARK: - apply and rollback

    @Test func applyThenRollbackRestoresFilesWithOtherProfilesByteForByte() async throws {
        let sandbox = try ProfileSandbox()
        let credentials = "# keys\r\n[default]\r\naws_access_key_id = AKIADEFAULT000000000\r\naws_secret_access_key = \(Self.oldSecret)\r\n"
        let config = "[default]\nregion = us-west-2\n\n[profile other]\nregion=ap-south-1\noutput = table"
        try sandbox.write(credentials, to: sandbox.credentials, mode: 0o644)
        try sandbox.write(config, to: sandbox.config, mode: 0o640)
        let before = try sandbox.snapshot()

        let (intent, outputs) = try await run(Self.inputs(output: "json"), in: sandbox)

        let writtenCredentials = credentials + "\r\n[automate-ha]\r\naws_access_key_id = \(Self.keyID)\r\naws_secret_access_key = \(Self.secret)\r\n"
        let writtenConfig = config + "\n\n[profile automate-ha]\nregion = eu-west-1\noutput = json"
        #expect(try sandbox.contents(sandbox.credentials) == AtomicFile.Contents(data: Data(writtenCredentials.utf8), mode: 0o600))
        #expect(try sandbox.contents(sandbox.config) == AtomicFile.Contents(data: Data(writtenConfig.utf8), mode: 0o600))
        #expect(outputs == ["profile": "automate-ha", "credentials_file": .string(sandbox.credentials),
                            "config_file": .string(sandbox.config),
                            "credentials_sha256": .string(ContentDigest.sha256Hex(Data(writtenCredentials.utf8))),
                            "config_sha256": .string(ContentDigest.sha256Hex(Data(writtenConfig.utf8))),
                            "credentials_section_sha256": .string(ContentDigest.sha256Hex(Data(
                                "[automate-ha]\r\naws_access_key_id = \(Self.keyID)\r\naws_secret_access_key = \(Self.secret)\r\n".utf8))),
                            "config_section_sha256": .string(ContentDigest.sha256Hex(Data(
                                "[profile automate-ha]\nregion = eu-west-1\noutput = json".utf8))),
                            "credentials_edited_as_observed": true, "config_edited_as_observed": true])
        #expect(!outputs.containsSecret)
        // The old bytes (other profiles' secrets) are kept as secrets in the intent.
        guard case .secret? = intent["credentials_previous"], case .secret? = intent["config_previous"] else {
            Issue.record("previous contents must be secret values")
            return
        }
        #expect(!Value.map(intent.values).displayText.contains(Self.oldSecret))
        #expect(intent["missing_directories"] == [])

        // Rollback, as after a successful run: the secret input purged.
        var purged = Self.inputs(output: "json")
        purged["secret_access_key"] = .secret(.unavailable(fingerprint: "1a2b3c4d"))
        try await plugin.rollback(purged, intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try sandbox.snapshot() == before)
        // Idempotent.
        try await plugin.rollback(purged, intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try sandbox.snapshot() == before)
    }

    @Test func filesThatDidNotExistAreRemovedWithTheAWSDirectoryTheRunCreated() async throws {
        // No AWS_* variables: the defaults under HOME, where ~/.aws does not exist yet.
        let sandbox = try ProfileSandbox(defaultPaths: true)
        let aws = sandbox.home + "/.aws"
        #expect(sandbox.credentials == aws + "/credentials" && sandbox.config == aws + "/config")
        let before = try sandbox.snapshot()

        let (intent, outputs) = try await run(Self.inputs(), in: sandbox)
        #expect(intent["missing_directories"] == [.string(aws)])
        #expect(try sandbox.mode(of: aws) == 0o700)
        #expect(try sandbox.contents(sandbox.credentials)?.mode == 0o600)
        #expect(try sandbox.text(sandbox.config) == "[profile automate-ha]\nregion = eu-west-1\n")

        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        #expect(!FileManager.default.fileExists(atPath: aws))
        #expect(try sandbox.snapshot() == before)
        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)

        // A directory that holds something else by the time of the rollback is left.
        let (again, againOutputs) = try await run(Self.inputs(), in: sandbox)
        try sandbox.write("mine", to: aws + "/notes", mode: 0o600)
        try await plugin.rollback(Self.inputs(), intent: again, outputs: againOutputs, context: sandbox.context)
        #expect(try FileManager.default.contentsOfDirectory(atPath: aws) == ["notes"])
    }

    @Test func aProfileOfTheSameNameIsReplacedAndRestoredByteForByte() async throws {
        let sandbox = try ProfileSandbox()
        let credentials = """
            [automate-ha]
            ; rotated in March
            aws_access_key_id=AKIAOLDKEY0000000000
            aws_secret_access_key=\(Self.oldSecret)
            aws_session_token = FwoGZXIvYXdzEXAMPLETOKEN

            [other]
            aws_access_key_id = AKIAOTHER00000000000

            """
        let config = "[profile automate-ha]\nregion = us-west-2\ncli_pager =\n"
        try sandbox.write(credentials, to: sandbox.credentials, mode: 0o600)
        try sandbox.write(config, to: sandbox.config, mode: 0o600)
        let before = try sandbox.snapshot()

        let plan = try await plugin.plan(Self.inputs(), context: sandbox.context)
        #expect(plan.mark == .change)
        #expect(plan.summary == "replace profile automate-ha in \(sandbox.credentials) and \(sandbox.config)")
        #expect(plan.undo == "restore \(sandbox.credentials); restore \(sandbox.config)")

        let (intent, outputs) = try await run(Self.inputs(), in: sandbox)
        // The stale session token goes with the old key; the comment and the other profile stay.
        #expect(try sandbox.text(sandbox.credentials) == """
            [automate-ha]
            ; rotated in March
            aws_access_key_id=\(Self.keyID)
            aws_secret_access_key=\(Self.secret)

            [other]
            aws_access_key_id = AKIAOTHER00000000000

            """)
        #expect(try sandbox.text(sandbox.config) == "[profile automate-ha]\nregion = eu-west-1\ncli_pager =\n")

        // Applying again (a retry) changes nothing and returns the same outputs.
        #expect(try await plugin.apply(Self.inputs(), intent: intent, context: sandbox.context) == outputs)
        let after = try sandbox.snapshot()
        #expect(try await plugin.plan(Self.inputs(), context: sandbox.context).mark == .unchanged)
        #expect(try sandbox.snapshot() == after)

        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try sandbox.snapshot() == before)
    }

    @Test func aLinkedCredentialsFileIsEditedWhereItLivesAndStaysALink() async throws {
        let sandbox = try ProfileSandbox()
        let target = sandbox.root + "/dotfiles-credentials"
        try sandbox.write("[default]\naws_access_key_id = AKIADEFAULT000000000\n", to: target, mode: 0o600)
        try FileManager.default.createSymbolicLink(atPath: sandbox.credentials, withDestinationPath: target)
        let before = try sandbox.snapshot()

        let (intent, outputs) = try await run(Self.inputs(), in: sandbox)
        #expect(outputs["credentials_file"] == .string(target))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sandbox.credentials) == target)
        #expect(try sandbox.text(target)?.contains("[automate-ha]") == true)

        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sandbox.credentials) == target)
        #expect(try sandbox.snapshot() == before)
    }

    @Test func rollbackKeepsProfilesAddedAfterApplyAndRestoresItsOwn() async throws {
        let sandbox = try ProfileSandbox()
        let original = "[default]\naws_access_key_id = AKIADEFAULT000000000\n"
        try sandbox.write(original, to: sandbox.credentials, mode: 0o600)
        let (intent, outputs) = try await run(Self.inputs(), in: sandbox)
        // The operator (or another run) adds a profile after this run wrote its own.
        let added = "\n[added-later]\naws_access_key_id = AKIALATER00000000000\n"
        let changed = (try sandbox.text(sandbox.credentials) ?? "") + added
        try sandbox.write(changed, to: sandbox.credentials, mode: 0o600)

        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        // Only this run's profile went; the one added later stays.
        #expect(try sandbox.text(sandbox.credentials) == original + added)
        #expect(try sandbox.contents(sandbox.config) == nil)
        // Running rollback again changes nothing.
        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try sandbox.text(sandbox.credentials) == original + added)
    }

    @Test func rollbackRefusesToOverwriteItsProfileChangedAfterApply() async throws {
        let sandbox = try ProfileSandbox()
        try sandbox.write("[default]\naws_access_key_id = AKIADEFAULT000000000\n", to: sandbox.credentials, mode: 0o600)
        let (intent, outputs) = try await run(Self.inputs(), in: sandbox)
        // Someone edits this run's profile by hand after the run.
        let changed = (try sandbox.text(sandbox.credentials) ?? "").replacingOccurrences(of: Self.keyID, with: "AKIAEDITEDBYHAND0000")
        try sandbox.write(changed, to: sandbox.credentials, mode: 0o600)

        let error = await #expect(throws: PluginError.self) {
            try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        }
        let message = error?.message ?? ""
        #expect(message.contains(sandbox.credentials) && message.contains("not restoring"))
        #expect(!message.contains(Self.secret))
        // The changed file is left alone; the config file, untouched by others, is undone.
        #expect(try sandbox.text(sandbox.credentials) == changed)
        #expect(try sandbox.contents(sandbox.config) == nil)
        // Still refuses, still leaves it: rollback does not half-succeed the second time either.
        await #expect(throws: PluginError.self) {
            try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        }
        #expect(try sandbox.text(sandbox.credentials) == changed)
    }

    @Test func applyEditsTheFileAsItIsNowKeepingWhatOthersWroteSinceObserve() async throws {
        let sandbox = try ProfileSandbox()
        let intent = try await plugin.observe(Self.inputs(), context: sandbox.context)
        // Another run writes its profile between this step's observe and apply.
        try sandbox.write("[someone]\nx = 1\n", to: sandbox.credentials, mode: 0o600)
        let outputs = try await plugin.apply(Self.inputs(), intent: intent, context: sandbox.context)
        let text = try #require(try sandbox.text(sandbox.credentials))
        #expect(text.hasPrefix("[someone]\nx = 1\n") && text.contains("[automate-ha]"))
        try await plugin.rollback(Self.inputs(), intent: intent, outputs: outputs, context: sandbox.context)
        #expect(try sandbox.text(sandbox.credentials) == "[someone]\nx = 1\n", "the other run's profile stays")
        #expect(try sandbox.contents(sandbox.config) == nil)
    }

    @Test func aFailedSecondWriteUndoesTheFirst() async throws {
        let sandbox = try ProfileSandbox()
        try sandbox.write("[default]\nx = 1\n", to: sandbox.credentials, mode: 0o644)
        let before = try sandbox.snapshot()
        let intent = try await plugin.observe(Self.inputs(), context: sandbox.context)
        // Something puts a directory where the config file goes.
        try FileManager.default.createDirectory(atPath: sandbox.config, withIntermediateDirectories: false)
        let error = await #expect(throws: PluginError.self) {
            try await plugin.apply(Self.inputs(), intent: intent, context: sandbox.context)
        }
        #expect(error?.message == "cannot use \(sandbox.config): it is not a regular file")
        try FileManager.default.removeItem(atPath: sandbox.config)
        #expect(try sandbox.snapshot() == before)
    }

    // MARK: - reconcile

    @Test func reconcileSettlesEachPointOfACrash() async throws {
        let sandbox = try ProfileSandbox()
        try sandbox.write("[default]\nregion = us-west-2\n", to: sandbox.config, mode: 0o644)
        try sandbox.write("[default]\naws_access_key_id = AKIADEFAULT000000000\n", to: sandbox.credentials, mode: 0o600)
        let inputs = Self.inputs()
        let intent = try await plugin.observe(inputs, context: sandbox.context)
        let before = try sandbox.snapshot()

        // Before apply: nothing written.
        guard case .notApplied = try await plugin.reconcile(inputs, intent: intent, context: sandbox.context) else {
            Issue.record("nothing written must settle as not applied")
            return
        }
        let outputs = try await plugin.apply(inputs, intent: intent, context: sandbox.context)
        let after = try sandbox.snapshot()

        // After apply: both written.
        guard case .applied(let recovered) = try await plugin.reconcile(inputs, intent: intent, context: sandbox.context) else {
            Issue.record("both written must settle as applied")
            return
        }
        #expect(recovered == outputs)

        // Between the two writes: credentials written, config as it was. Reconcile writes the
        // config too (the same edit of the same recorded bytes) and answers applied.
        try sandbox.restore(before, only: sandbox.config)
        guard case .applied(let completed) = try await plugin.reconcile(inputs, intent: intent, context: sandbox.context) else {
            Issue.record("a crash between the writes must be completed and settled as applied")
            return
        }
        #expect(completed == outputs)
        #expect(try sandbox.snapshot() == after)
        // And rollback after that restores both.
        try await plugin.rollback(inputs, intent: intent, outputs: completed, context: sandbox.context)
        #expect(try sandbox.snapshot() == before)
    }

    @Test func reconcileFinishesTheEditKeepingWhatSomeoneElseWroteToTheOtherFile() async throws {
        let sandbox = try ProfileSandbox()
        let intent = try await plugin.observe(Self.inputs(), context: sandbox.context)
        _ = try await plugin.apply(Self.inputs(), intent: intent, context: sandbox.context)
        // The crash came between the writes, and meanwhile someone wrote the config file.
        try sandbox.write("[profile hand-made]\nregion = x\n", to: sandbox.config, mode: 0o600)
        guard case .applied = try await plugin.reconcile(Self.inputs(), intent: intent, context: sandbox.context) else {
            Issue.record("the edit must be completed")
            return
        }
        let config = try #require(try sandbox.text(sandbox.config))
        #expect(config.hasPrefix("[profile hand-made]\nregion = x\n") && config.contains("[profile automate-ha]"))
    }

    @Test func reconcileSaysWhichFileItCannotComplete() async throws {
        // The config file in a directory of its own, which disappears after the crash.
        let sandbox = try ProfileSandbox(configDirectory: "elsewhere")
        let inputs = Self.inputs()
        let intent = try await plugin.observe(inputs, context: sandbox.context)
        _ = try await plugin.apply(inputs, intent: intent, context: sandbox.context)
        try FileManager.default.removeItem(atPath: (sandbox.config as NSString).deletingLastPathComponent)
        let error = await #expect(throws: PluginError.self) {
            try await plugin.reconcile(inputs, intent: intent, context: sandbox.context)
        }
        #expect(error?.message.contains(sandbox.config) == true)
        #expect(error?.message.contains(Self.secret) == false)
    }

    @Test func reconcileRemovesAnEmptyDirectoryTheStepCreatedBeforeItCrashed() async throws {
        let sandbox = try ProfileSandbox(defaultPaths: true)
        let intent = try await plugin.observe(Self.inputs(), context: sandbox.context)
        // The crash came after `mkdir ~/.aws` and before the first write.
        try FileManager.default.createDirectory(atPath: sandbox.home + "/.aws", withIntermediateDirectories: false)
        guard case .repaired = try await plugin.reconcile(Self.inputs(), intent: intent, context: sandbox.context) else {
            Issue.record("the empty directory must be removed and the step applied again")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.home + "/.aws"))
    }

    // MARK: - plan

    @Test func planSaysWhatItWillDoAndNeverShowsTheSecret() async throws {
        let sandbox = try ProfileSandbox()
        let both = "\(sandbox.credentials) and \(sandbox.config)"
        func lines(_ plan: Plan) -> String { [plan.summary, plan.note ?? "", plan.undo ?? ""].joined(separator: "\n") }

        let fresh = try await plugin.plan(Self.inputs(), context: sandbox.context)
        #expect(fresh.mark == .create)
        #expect(fresh.summary == "write profile automate-ha to \(both)")
        #expect(fresh.undo == "remove \(sandbox.credentials); remove \(sandbox.config)")

        try sandbox.write("[other]\nx = 1\n", to: sandbox.credentials, mode: 0o600)
        try sandbox.write("[profile other]\nregion = a\n", to: sandbox.config, mode: 0o600)
        let beside = try await plugin.plan(Self.inputs(), context: sandbox.context)
        #expect(beside.mark == .create)
        #expect(beside.undo == "remove profile automate-ha from \(sandbox.credentials); remove profile automate-ha from \(sandbox.config)")

        // In the runbook the key comes from an earlier step: known only at run time.
        var deferred = Self.inputs()
        deferred["access_key_id"] = "(access-key.access_key_id)"
        deferred["secret_access_key"] = "(access-key.secret_access_key)"
        deferred.deferred = ["access_key_id", "secret_access_key"]
        let later = try await plugin.plan(deferred, context: sandbox.context)
        #expect(later.mark == .create)
        #expect(later.note == "known only at run time: access_key_id, secret_access_key")

        var unnamed = deferred
        unnamed.deferred.insert("profile")
        #expect(try await plugin.plan(unnamed, context: sandbox.context).mark == .unchecked)

        _ = try await run(Self.inputs(), in: sandbox)
        let same = try await plugin.plan(Self.inputs(), context: sandbox.context)
        #expect(same.mark == .unchanged)
        #expect(same.summary == "profile automate-ha in \(both) already has this key")
        let rotated = try await plugin.plan(Self.inputs(secret: "another/secret/key"), context: sandbox.context)
        #expect(rotated.mark == .change)

        for plan in [fresh, beside, later, same, rotated] {
            #expect(!lines(plan).contains(Self.secret) && !lines(plan).contains("another/secret/key"))
        }
    }

    @Test func planIsBlockedWhenAFileCannotBeUsed() async throws {
        let sandbox = try ProfileSandbox()
        try FileManager.default.createDirectory(atPath: sandbox.credentials, withIntermediateDirectories: false)
        let plan = try await plugin.plan(Self.inputs(), context: sandbox.context)
        #expect(plan.mark == .blocked)
        #expect(plan.note == "cannot use \(sandbox.credentials): it is not a regular file")
        await #expect(throws: PluginError.self) { try await plugin.observe(Self.inputs(), context: sandbox.context) }

        let parentIsAFile = try ProfileSandbox()
        try parentIsAFile.write("not a directory", to: parentIsAFile.root + "/file", mode: 0o600)
        var context = parentIsAFile.context
        context.environment["AWS_CONFIG_FILE"] = parentIsAFile.root + "/file/config"
        let blocked = try await plugin.plan(Self.inputs(), context: context)
        #expect(blocked.mark == .blocked)
        #expect(blocked.note == "cannot write \(parentIsAFile.root)/file/config: \(parentIsAFile.root)/file is not a directory")

        context.environment["AWS_CONFIG_FILE"] = context.environment["AWS_SHARED_CREDENTIALS_FILE"]
        #expect(try await plugin.plan(Self.inputs(), context: context).mark == .blocked)
        await #expect(throws: PluginError.self) { try await plugin.observe(Self.inputs(), context: context) }
    }

    // MARK: - validate

    @Test func validateNamesEachBadInputAndNeverQuotesTheSecret() {
        #expect(plugin.validate(Self.inputs()).isEmpty)
        #expect(plugin.validate(Self.inputs(profile: "my profile", region: "us-gov-west-1", output: "json")).isEmpty)

        let badSecret = "has a space\nand a newline"
        let problems = plugin.validate(Self.inputs(profile: "bad\nprofile", keyID: "akia-lowercase", secret: badSecret,
                                                   region: "us-east-1\n[evil]", output: "json\n"))
        #expect(problems.map(\.input) == ["profile", "access_key_id", "secret_access_key", "region", "output"])
        #expect(problems.allSatisfy { !$0.description.contains("has a space") })
        #expect(problems.first { $0.input == "secret_access_key" }?.description
                == "input 'secret_access_key': must be non-empty, without whitespace or line breaks")

        func profileProblem(_ name: String) -> String? {
            plugin.validate(Self.inputs(profile: name)).first { $0.input == "profile" }?.message
        }
        #expect(profileProblem("") == "must not be empty")
        #expect(profileProblem(String(repeating: "p", count: 65)) == "must be at most 64 characters, not 65")
        #expect(profileProblem(String(repeating: "p", count: 64)) == nil)
        #expect(profileProblem("a[b") == "must not contain '[' or ']' (it becomes a [section] header)")
        #expect(profileProblem("tab\there") == "must not contain line breaks or control characters")
        #expect(profileProblem("DEFAULT") != nil)
        #expect(plugin.validate(Self.inputs(keyID: "AKIA123")).map(\.input) == ["access_key_id"])
        #expect(plugin.validate(Self.inputs(secret: "")).map(\.input) == ["secret_access_key"])
    }

    // MARK: - the real AWS CLI

    @Test(.timeLimit(.minutes(1)))
    func theAWSCLIReadsTheProfileWritten() async throws {
        let sandbox = try ProfileSandbox()
        // Files an operator might have: CRLF, comments, another profile, one of the same name.
        try sandbox.write("# mine\r\n[default]\r\naws_access_key_id = AKIADEFAULT000000000\r\naws_secret_access_key = x\r\n\r\n"
                          + "[automate-ha]\r\naws_access_key_id=AKIAOLDKEY0000000000\r\naws_session_token = stale\r\n",
                          to: sandbox.credentials, mode: 0o644)
        try sandbox.write("[default]\nregion = us-west-2\n; comment\n[profile   automate-ha ]\nregion = us-west-1", to: sandbox.config,
                          mode: 0o644)
        _ = try await run(Self.inputs(), in: sandbox)

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        environment["HOME"] = sandbox.home
        environment["AWS_SHARED_CREDENTIALS_FILE"] = sandbox.credentials
        environment["AWS_CONFIG_FILE"] = sandbox.config
        let cliEnvironment = environment
        @Sendable func get(_ name: String, profile: String = "automate-ha") async throws -> ProcessResult {
            try await ProcessRunner.run("aws", ["configure", "get", name, "--profile", profile],
                                        environment: cliEnvironment, timeout: .seconds(30))
        }
        // In parallel: each call starts a Python interpreter.
        async let keyID = get("aws_access_key_id")
        async let secret = get("aws_secret_access_key")
        async let region = get("region")
        async let token = get("aws_session_token")
        async let other = get("region", profile: "default")
        for (result, expected) in try await [(keyID, Self.keyID), (secret, Self.secret), (region, "eu-west-1"), (other, "us-west-2")] {
            #expect(result.succeeded, "aws configure get: \(result.standardError)")
            #expect(result.standardOutput == expected + "\n")
        }
        // The stale session token is gone: `configure get` prints nothing and exits 1.
        let tokenResult = try await token
        #expect(tokenResult.exitStatus == 1 && tokenResult.standardOutput.isEmpty)
    }
}

/// A temporary HOME and AWS CLI files for one test.
struct ProfileSandbox {
    let directory: TemporaryDirectory
    let root: String
    let home: String
    let credentials: String
    let config: String
    let context: StepContext

    /// `defaultPaths`: no `AWS_*` variables, the files under `HOME/.aws` (missing);
    /// otherwise both files at the sandbox root, or the config in `configDirectory` under it.
    init(defaultPaths: Bool = false, configDirectory: String? = nil) throws {
        directory = try TemporaryDirectory(prefix: "configure-profile")
        root = directory.path
        home = root + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        var environment = ["HOME": home]
        if defaultPaths {
            credentials = home + "/.aws/credentials"
            config = home + "/.aws/config"
        } else {
            credentials = root + "/credentials"
            if let configDirectory {
                try FileManager.default.createDirectory(atPath: root + "/" + configDirectory, withIntermediateDirectories: false)
                config = root + "/" + configDirectory + "/config"
            } else {
                config = root + "/config"
            }
            environment["AWS_SHARED_CREDENTIALS_FILE"] = credentials
            environment["AWS_CONFIG_FILE"] = config
        }
        context = StepContext(runID: "run-1", instance: "profile", attempt: 1, environment: environment, workingDirectory: root)
    }

    func write(_ text: String, to path: String, mode: Int) throws {
        try AtomicFile.write(Data(text.utf8), to: path, mode: mode)
    }

    func contents(_ path: String) throws -> AtomicFile.Contents? { try AtomicFile.read(path) }

    func text(_ path: String) throws -> String? { try contents(path).map { String(decoding: $0.data, as: UTF8.self) } }

    func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int) ?? -1
    }

    /// Every file and directory under the root: path → bytes and mode (directories: no bytes).
    func snapshot() throws -> [String: AtomicFile.Contents] {
        var result: [String: AtomicFile.Contents] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        for case let relative as String in walker {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            result[relative] = isDirectory.boolValue
                ? AtomicFile.Contents(data: Data(), mode: try mode(of: path))
                : try AtomicFile.read(path)
        }
        return result
    }

    /// Puts one file back as it was in `snapshot` (or removes it if it was not there).
    func restore(_ snapshot: [String: AtomicFile.Contents], only path: String) throws {
        let relative = String(path.dropFirst(root.count + 1))
        if let contents = snapshot[relative] {
            try AtomicFile.write(contents.data, to: path, mode: contents.mode)
        } else {
            try AtomicFile.remove(path)
        }
    }
}
