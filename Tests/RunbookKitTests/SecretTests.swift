import Foundation
@testable import RunbookKit
import Testing
import TestSupport

/// Secret values: never shown, redacted from text, sealed with AES-256-GCM under a key file
/// that must be private.
@Suite("Secrets")
struct SecretTests {
    static let plaintext = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    // MARK: Secret and Value never show the value

    @Test func aSecretPrintsAsRedactedText() {
        let secret = Secret(Self.plaintext)
        #expect(secret.description == "[secret]")
        #expect(secret.debugDescription == "[secret]")
        #expect("\(secret)" == "[secret]")
        #expect(String(reflecting: secret) == "[secret]")
        #expect(Secret(Self.plaintext, fingerprint: "0a1b2c3d").description == "[secret 0a1b2c3d]")
        #expect(Secret.unavailable(fingerprint: "0a1b2c3d").description == "[secret 0a1b2c3d]")
        #expect(secret.revealed == Self.plaintext)
    }

    @Test func dumpingOrReflectingASecretDoesNotReachTheValue() {
        let secret = Secret(Self.plaintext, fingerprint: "0a1b2c3d")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(Self.plaintext), "\(dumped)")
        #expect(Mirror(reflecting: secret).children.isEmpty)

        // Wrapped in values, fields and records, as the engine holds them.
        let value: Value = ["user": "u", "keys": [.secret(secret)]]
        var record = InstanceRecord(runID: "r", position: 0, stepID: "s", stepIndex: 0, name: "s", item: .secret(secret))
        record.outputs = Outputs(["secret_access_key": .secret(secret)])
        var all = ""
        dump(value, to: &all)
        dump(record, to: &all)
        print(Fields(["k": .secret(secret)]), to: &all)
        debugPrint([Value.secret(secret)], to: &all)
        all += String(reflecting: value) + String(describing: record)
        #expect(!all.contains(Self.plaintext), "\(all)")
        #expect(all.contains("[secret 0a1b2c3d]"))
    }

    @Test func encodingASecretAsJSONWritesTheRedactedText() throws {
        let value: Value = ["id": "AKIA", "secret": .secret(Secret(Self.plaintext, fingerprint: "0a1b2c3d"))]
        let json = value.jsonString()
        #expect(json == #"{"id":"AKIA","secret":"[secret 0a1b2c3d]"}"#)
        let encoded = String(decoding: try JSONEncoder().encode(Value.secret(Secret(Self.plaintext))), as: UTF8.self)
        #expect(encoded == #""[secret]""#)
    }

    @Test func aSecretIsAStringForChecksButDisplaysRedacted() {
        let value = Value.secret(Secret(Self.plaintext))
        #expect(value.kind == .string)
        #expect(value.containsSecret)
        #expect(value.stringValue == Self.plaintext)
        #expect(value.displayText == "[secret]")
        #expect(FieldType.string.accepts(value))
        #expect(Value.list([["a": value]]).secrets().map(\.path) == ["0.a"])
    }

    // MARK: Redactor

    @Test func theRedactorScrubsEveryKnownSecretLongestFirst() {
        let short = Secret("abcd1234", fingerprint: "11111111")
        let long = Secret("abcd1234-and-more", fingerprint: "22222222")
        let redactor = Redactor(collecting: [.secret(short), ["nested": [.secret(long)]]])
        #expect(redactor.redact("got abcd1234-and-more, then abcd1234 twice: abcd1234")
            == "got [secret 22222222], then [secret 11111111] twice: [secret 11111111]")
        #expect(redactor.redact("nothing secret here") == "nothing secret here")
    }

    @Test func theRedactorLearnsFromFields() {
        var redactor = Redactor()
        redactor.add(Fields(["token": .secret(Secret("ghp_0123456789"))]))
        redactor.add(nil as Fields?)
        #expect(redactor.redact("401 for token ghp_0123456789") == "401 for token [secret]")
    }

    @Test func plainValuesAreNotRedacted() {
        let redactor = Redactor(collecting: ["not-a-secret", ["k": "also-plain"]])
        #expect(redactor.redact("not-a-secret also-plain") == "not-a-secret also-plain")
    }

    // MARK: SecretCipher (AES-256-GCM)

    static let key: [UInt8] = (0..<32).map { UInt8($0) }
    static let binding = SecretVault.binding(runID: "20261129-120000-abcd", instance: "access-key", field: "outputs.secret_access_key")

    @Test(arguments: ["", "x", plaintext, "ünïcødé ✓ 🔑", String(repeating: "long ", count: 2000)])
    func sealingThenOpeningGivesTheValueBack(_ text: String) throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        let sealed = try cipher.seal(text, binding: Self.binding)
        #expect(sealed.nonce.count == 12)
        #expect(sealed.ciphertext.count == text.utf8.count + 16)
        #expect(try cipher.open(sealed, binding: Self.binding) == text)
    }

    @Test func sealedBytesDoNotContainThePlaintextAndUseAFreshNonce() throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        let a = try cipher.seal(Self.plaintext, binding: Self.binding)
        let b = try cipher.seal(Self.plaintext, binding: Self.binding)
        #expect(a.nonce != b.nonce)
        #expect(a.ciphertext != b.ciphertext)
        #expect(a.ciphertext.range(of: Data(Self.plaintext.utf8)) == nil)
    }

    @Test(arguments: [0, 5, 39, 40, 55])
    func aFlippedCiphertextByteIsDetected(_ offset: Int) throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        var sealed = try cipher.seal(Self.plaintext, binding: Self.binding)
        #expect(sealed.ciphertext.count == 56)
        sealed.ciphertext[sealed.ciphertext.startIndex + offset] ^= 0x01
        #expect(throws: SecretError.tampered) { try cipher.open(sealed, binding: Self.binding) }
    }

    @Test func aChangedNonceOrTruncatedCiphertextIsDetected() throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        let sealed = try cipher.seal(Self.plaintext, binding: Self.binding)
        var nonce = sealed
        nonce.nonce[nonce.nonce.startIndex] ^= 0x80
        #expect(throws: SecretError.tampered) { try cipher.open(nonce, binding: Self.binding) }
        let truncated = SecretCipher.Sealed(nonce: sealed.nonce, ciphertext: sealed.ciphertext.prefix(10))
        #expect(throws: SecretError.tampered) { try cipher.open(truncated, binding: Self.binding) }
        let shortNonce = SecretCipher.Sealed(nonce: sealed.nonce.prefix(8), ciphertext: sealed.ciphertext)
        #expect(throws: SecretError.tampered) { try cipher.open(shortNonce, binding: Self.binding) }
    }

    @Test(arguments: [
        SecretVault.binding(runID: "20261129-120000-ffff", instance: "access-key", field: "outputs.secret_access_key"),
        SecretVault.binding(runID: "20261129-120000-abcd", instance: "profile", field: "outputs.secret_access_key"),
        SecretVault.binding(runID: "20261129-120000-abcd", instance: "access-key", field: "outputs.access_key_id"),
    ])
    func aCiphertextMovedToAnotherRowDoesNotOpen(_ otherBinding: String) throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        let sealed = try cipher.seal(Self.plaintext, binding: Self.binding)
        #expect(throws: SecretError.tampered) { try cipher.open(sealed, binding: otherBinding) }
    }

    @Test func anotherKeyDoesNotOpenIt() throws {
        let sealed = try SecretCipher(masterKey: Self.key).seal(Self.plaintext, binding: Self.binding)
        var other = Self.key
        other[31] ^= 0x01
        #expect(throws: SecretError.tampered) { try SecretCipher(masterKey: other).open(sealed, binding: Self.binding) }
    }

    @Test func aKeyMustBe32Bytes() {
        #expect(throws: SecretError.badKeyLength(16)) { try SecretCipher(masterKey: Array(repeating: 1, count: 16)) }
    }

    @Test func fingerprintsAreShortStableAndKeyed() throws {
        let cipher = try SecretCipher(masterKey: Self.key)
        let fingerprint = try cipher.fingerprint(of: Self.plaintext)
        #expect(fingerprint.count == 8)
        #expect(fingerprint.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(try cipher.fingerprint(of: Self.plaintext) == fingerprint)
        #expect(try cipher.fingerprint(of: Self.plaintext + "x") != fingerprint)
        var other = Self.key
        other[0] ^= 0xff
        #expect(try SecretCipher(masterKey: other).fingerprint(of: Self.plaintext) != fingerprint)
    }
}

/// The key file: created once, private, and refused when others could read it.
@Suite("Secret key file")
struct SecretKeyFileTests {
    let directory: TemporaryDirectory
    let home: String

    init() throws {
        directory = try TemporaryDirectory()
        home = directory.file("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
    }

    var keyFile: SecretKeyFile { SecretKeyFile.location(home: home, environment: [:]) }

    @Test func theKeyIsCreatedOnFirstUseWithMode0600() throws {
        let key = try keyFile.load(create: true)
        #expect(key.count == 32)
        #expect(keyFile.path == (home as NSString).appendingPathComponent("secret.key"))
        #expect(try fileMode(keyFile.path) == 0o600)
        #expect(FileManager.default.contents(atPath: keyFile.path) == Data(key))
        // Written through a temp file that is gone afterwards.
        #expect(try FileManager.default.contentsOfDirectory(atPath: home) == ["secret.key"])
        // The same key on every later use.
        #expect(try keyFile.load(create: true) == key)
        #expect(try keyFile.load(create: false) == key)
    }

    @Test func twoHomesGetDifferentKeys() throws {
        let other = directory.file("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(try keyFile.load(create: true) != SecretKeyFile.location(home: other, environment: [:]).load(create: true))
    }

    @Test func aMissingKeyIsReportedWhenItMayNotBeCreated() throws {
        #expect(throws: SecretError.keyFileMissing(path: keyFile.path)) { try keyFile.load(create: false) }
        #expect(!FileManager.default.fileExists(atPath: keyFile.path))
        #expect(SecretError.keyFileMissing(path: keyFile.path).description.contains("does not exist"))
    }

    @Test func aKeyFileReadableByOthersIsRefusedWithTheFix() throws {
        _ = try keyFile.load(create: true)
        try setFileMode(keyFile.path, 0o644)
        do {
            _ = try keyFile.load(create: false)
            Issue.record("a 0644 key file was accepted")
        } catch {
            #expect(error == .keyFileTooOpen(path: keyFile.path, mode: 0o644))
            #expect(error.description.contains("has mode 644"))
            #expect(error.description.contains("chmod 600 \(keyFile.path)"))
        }
        // Group-readable is as bad.
        try setFileMode(keyFile.path, 0o640)
        #expect(throws: SecretError.keyFileTooOpen(path: keyFile.path, mode: 0o640)) { try keyFile.load(create: true) }
    }

    @Test func aHomeReadableByOthersIsRefusedWithTheFix() throws {
        try setFileMode(home, 0o755)
        do {
            _ = try keyFile.load(create: true)
            Issue.record("a 0755 home was accepted")
        } catch {
            #expect(error == .homeTooOpen(path: home, mode: 0o755))
            #expect(error.description.contains("chmod 700 \(home)"))
        }
        // Nothing was created in it.
        #expect(!FileManager.default.fileExists(atPath: keyFile.path))
    }

    @Test func aKeyFileOfTheWrongLengthIsRefused() throws {
        #expect(FileManager.default.createFile(atPath: keyFile.path, contents: Data(repeating: 7, count: 16),
                                       attributes: [.posixPermissions: 0o600]))
        #expect(throws: SecretError.badKeyLength(16)) { try keyFile.load(create: true) }
    }

    @Test func anExplicitKeyFileIsUsedAndItsDirectoryIsNotChecked() throws {
        let mounted = directory.file("mounted.key")
        #expect(FileManager.default.createFile(atPath: mounted, contents: Data(repeating: 9, count: 32),
                                       attributes: [.posixPermissions: 0o400]))
        try setFileMode(home, 0o755)
        let explicit = SecretKeyFile.location(home: home, environment: ["RUNBOOK_SECRET_KEY_FILE": mounted])
        #expect(explicit.path == mounted)
        #expect(explicit.home == nil)
        #expect(try explicit.load(create: false) == Array(repeating: 9, count: 32))
    }
}
