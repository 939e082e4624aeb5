import Foundation
import Testing

/// Secrets are encrypted at rest, redacted everywhere, purged once delivered, and revealed
/// only on purpose (docs/security.md).
@Suite("Secrets at rest and in output")
struct SecretTests {
    static let secret = "S3cr3t-VALUE-\(UUID().uuidString.prefix(8))"

    static let runbook = """
        name: vault
        params:
          token: { type: string, secret: true, required: true }
        steps:
          - id: derive
            uses: core.set
            with: { header: "Bearer ${params.token}", plain: visible }
          - id: write
            uses: core.file
            with: { path: token.txt, content: "${steps.derive.header}\\n", mode: "0600" }
          - id: use
            uses: core.shell
            with: { run: "test \\"$TOKEN\\" = \\"${params.token}\\" && echo token-ok", env: { TOKEN: "${params.token}" } }
        """

    func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("vault", Self.runbook)
        return sandbox
    }

    /// Every byte under RUNBOOK_HOME, file by file.
    func homeFiles(_ sandbox: Sandbox) -> [String: Data] {
        var files: [String: Data] = [:]
        for (name, state) in sandbox.snapshot("home") { if let data = state.data { files[name] = data } }
        return files
    }

    func runID(_ result: CommandResult) throws -> String {
        try #require((try result.json() as? [String: Any])?["id"] as? String)
    }

    @Test(arguments: [false, true])
    func neverInTheStoreOrAnyOutput(keepSecrets: Bool) async throws {
        let sandbox = try sandbox()
        var outputs: [CommandResult] = []
        let dry = try await sandbox.run("execute", "vault", "--param", "token=\(Self.secret)", "--dry-run")
        outputs.append(dry)
        var arguments = ["execute", "vault", "--param", "token=\(Self.secret)", "--output", "json"]
        if keepSecrets { arguments.append("--keep-secrets") }
        let run = try await sandbox.run(arguments)
        #expect(run.status == 0, "\(run)")
        outputs.append(run)
        #expect(sandbox.read("token.txt") == "Bearer \(Self.secret)\n", "the step received the real value")
        let id = try runID(run)
        outputs.append(try await sandbox.run("execute", "vault", "--param", "token=\(Self.secret)"))
        for arguments in [["status"], ["status", "--output", "json"], ["runs"], ["runs", "--output", "json"],
                          ["log", id], ["log", id, "--output", "json"], ["output", id, "derive.header"]] {
            let result = try await sandbox.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result)")
            outputs.append(result)
        }
        for result in outputs {
            #expect(!result.output.contains(Self.secret), "secret leaked in:\n\(result)")
        }
        let status = try #require(try await sandbox.run("status", id, "--output", "json").json() as? [String: Any])
        let header = ((status["steps"] as? [[String: Any]])?.first?["outputs"] as? [String: Any])?["header"] as? String
        #expect(header?.range(of: #"^\[secret [0-9a-f]{8}\]$"#, options: .regularExpression) != nil, "\(String(describing: header))")

        let files = homeFiles(sandbox)
        #expect(files.keys.contains("state.db") && files.keys.contains("secret.key"))
        for (name, data) in files {
            #expect(data.range(of: Data(Self.secret.utf8)) == nil, "secret in plain text in \(name)")
        }

        let revealed = try await sandbox.run("output", id, "derive.header", "--reveal")
        if keepSecrets {
            #expect(revealed.status == 0 && revealed.stdout == "Bearer \(Self.secret)\n", "\(revealed)")
        } else {
            #expect(revealed.status == 1 && revealed.stderr.contains("was purged"), "\(revealed)")
            #expect(!revealed.output.contains(Self.secret))
        }
    }

    @Test func aTamperedCiphertextIsAClearErrorForThatRunOnly() async throws {
        let sandbox = try sandbox()
        let crashed = try await sandbox.run(["execute", "vault", "--param", "token=\(Self.secret)"],
                                            environment: ["RUNBOOK_FAILPOINT": "use:before-apply"])
        #expect(crashed.signaled)
        let other = try await sandbox.run("execute", "vault", "--param", "token=other-\(Self.secret)", "--keep-secrets", "--output", "json")
        let otherID = try runID(other)
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        let crashedID = try #require(runs.first?["id"] as? String)

        // Flip one byte of one of the crashed run's ciphertexts.
        let flipped = try await ProcessCheck.run("/usr/bin/env", ["python3", "-c", """
            import sqlite3
            c = sqlite3.connect('\(sandbox.home)/state.db')
            run, inst, field, ct = c.execute("select run_id, instance, field, ciphertext from secrets where run_id = ? and ciphertext is not null", ('\(crashedID)',)).fetchone()
            ct = bytes([ct[0] ^ 1]) + ct[1:]
            c.execute("update secrets set ciphertext = ? where run_id = ? and instance = ? and field = ?", (ct, run, inst, field))
            c.commit()
            """])
        #expect(flipped == 0)
        let resumed = try await sandbox.run("resume", crashedID)
        #expect(resumed.status == 2, "\(resumed)")
        #expect(resumed.stderr.contains("failed its integrity check"), "\(resumed)")
        #expect(!resumed.output.contains("Fatal error"))
        let status = try await sandbox.run("status", crashedID)
        #expect(status.status == 0, "status needs no secret: \(status)")
        let revealed = try await sandbox.run("output", otherID, "derive.header", "--reveal")
        #expect(revealed.stdout == "Bearer other-\(Self.secret)\n", "other runs still work: \(revealed)")
    }

    @Test func aWrongKeyAndAnOpenKeyFileAreRefused() async throws {
        let sandbox = try sandbox()
        let run = try await sandbox.run("execute", "vault", "--param", "token=\(Self.secret)", "--keep-secrets", "--output", "json")
        let id = try runID(run)
        let keyPath = sandbox.path("home/secret.key")

        chmod(keyPath, 0o644)
        let open = try await sandbox.run("output", id, "derive.header", "--reveal")
        #expect(open.status == 2, "\(open)")
        #expect(open.stderr.contains("has mode 644") && open.stderr.contains("chmod 600 \(keyPath)"), "\(open)")
        chmod(keyPath, 0o600)

        chmod(sandbox.home, 0o755)
        let openHome = try await sandbox.run("output", id, "derive.header", "--reveal")
        #expect(openHome.status == 2 && openHome.stderr.contains("chmod 700 \(sandbox.home)"), "\(openHome)")
        chmod(sandbox.home, 0o700)

        let original = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: keyPath))
        let wrong = try await sandbox.run("output", id, "derive.header", "--reveal")
        #expect(wrong.status == 2, "\(wrong)")
        #expect(wrong.stderr.contains("were sealed with key") && wrong.stderr.contains("restore the key file"), "\(wrong)")
        try original.write(to: URL(fileURLWithPath: keyPath))

        let right = try await sandbox.run("output", id, "derive.header", "--reveal")
        #expect(right.stdout == "Bearer \(Self.secret)\n", "\(right)")
    }

    @Test func theKeyMayLiveElsewhereAndBeRotated() async throws {
        let sandbox = try sandbox()
        let keyFile = sandbox.path("mounted/key")
        try FileManager.default.createDirectory(atPath: sandbox.path("mounted"), withIntermediateDirectories: true)
        let env = ["RUNBOOK_SECRET_KEY_FILE": keyFile]
        let run = try await sandbox.run(["execute", "vault", "--param", "token=\(Self.secret)", "--keep-secrets", "--output", "json"],
                                        environment: env)
        let id = try runID(run)
        #expect(FileManager.default.fileExists(atPath: keyFile) && !sandbox.exists("home/secret.key"))
        let before = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        let fingerprint = try await sandbox.run(["output", id, "derive.header"], environment: env).stdout

        let rekey = try await sandbox.run(["rekey"], environment: env)
        #expect(rekey.status == 0 && rekey.stdout.contains("re-sealed"), "\(rekey)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) != before)
        let revealed = try await sandbox.run(["output", id, "derive.header", "--reveal"], environment: env)
        #expect(revealed.stdout == "Bearer \(Self.secret)\n", "\(revealed)")
        let newFingerprint = try await sandbox.run(["output", id, "derive.header"], environment: env).stdout
        #expect(newFingerprint != fingerprint, "fingerprints are under the key, so they change with it")
    }

    @Test func pruneRemovesFinishedRunsAndTheirSecrets() async throws {
        let sandbox = try sandbox()
        _ = try await sandbox.run("execute", "vault", "--param", "token=\(Self.secret)", "--keep-secrets")
        let pruned = try await sandbox.run("prune")
        #expect(pruned.status == 0 && pruned.stdout.contains("1 run(s) deleted"), "\(pruned)")
        let runs = try #require(try await sandbox.run("runs", "--output", "json").json() as? [[String: Any]])
        #expect(runs.isEmpty)
    }
}

/// A `core.shell` command sees a secret only when its step passes it.
@Suite("Secrets and child processes")
struct SecretChildTests {
    @Test func aCommandGetsASecretOnlyThroughItsEnv() async throws {
        let sandbox = try Sandbox()
        let secret = "child-\(UUID().uuidString.prefix(12))"
        try sandbox.writeRunbook("child", """
            name: child
            params:
              token: { type: string, secret: true }
            steps:
              - id: without
                uses: core.shell
                with: { run: "env > without.env; cat /proc/$$/cmdline > without.cmd" }
              - id: with
                uses: core.shell
                with: { run: "env > with.env", env: { TOKEN: "${params.token}" } }
            """)
        try sandbox.write("token.yaml", "token: \(secret)\n", mode: 0o600)
        let run = try await sandbox.run("execute", "child", "--params-file", "token.yaml")
        #expect(run.status == 0, "\(run)")
        #expect(sandbox.read("without.env")?.contains(secret) == false, "not in the environment of a step that did not ask")
        #expect(sandbox.read("without.cmd")?.contains(secret) == false, "not on a command line")
        #expect(sandbox.read("with.env")?.contains("TOKEN=\(secret)") == true, "passed when the step asks")
        #expect(!run.output.contains(secret))
    }
}
