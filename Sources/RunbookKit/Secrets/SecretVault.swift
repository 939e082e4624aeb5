import Foundation
import Synchronization

/// Seals and opens secret values for the store, loading the key only when a secret is
/// first met: runs without secrets never need the key file. Each sealed value records the
/// id of the key that sealed it, so a wrong key is named as such, and a key rotation cut
/// short by a crash (`runbook rekey`) is completed on next use.
public final class SecretVault: Sendable {
    public let keyFile: SecretKeyFile
    private let current = Mutex<SecretCipher?>(nil)

    public init(keyFile: SecretKeyFile) {
        self.keyFile = keyFile
    }

    /// `run\0instance\0field`: what a ciphertext is bound to.
    static func binding(runID: String, instance: String, field: String) -> String {
        "\(runID)\u{0}\(instance)\u{0}\(field)"
    }

    struct Sealing {
        var sealed: SecretCipher.Sealed
        var fingerprint: String
        var keyID: String
    }

    func seal(_ plaintext: String, runID: String, instance: String, field: String) throws(SecretError) -> Sealing {
        let cipher = try cipher(create: true)
        let sealed = try cipher.seal(plaintext, binding: Self.binding(runID: runID, instance: instance, field: field))
        return Sealing(sealed: sealed, fingerprint: try cipher.fingerprint(of: plaintext), keyID: cipher.keyID)
    }

    func open(_ sealed: SecretCipher.Sealed, keyID: String?, runID: String, instance: String, field: String) throws(SecretError) -> String {
        try cipher(keyID: keyID).open(sealed, binding: Self.binding(runID: runID, instance: instance, field: field))
    }

    func cipher(create: Bool) throws(SecretError) -> SecretCipher {
        if let cached = current.withLock({ $0 }) { return cached }
        let loaded = try SecretCipher(masterKey: keyFile.load(create: create))
        current.withLock { $0 = loaded }
        return loaded
    }

    /// The cipher for values sealed under `keyID`: the current key, or the replacement key
    /// of a rotation that committed but did not finish renaming its file.
    func cipher(keyID: String?) throws(SecretError) -> SecretCipher {
        let cipher = try cipher(create: false)
        guard let keyID, !keyID.isEmpty, keyID != cipher.keyID else { return cipher }
        if let replacement = try keyFile.loadReplacement().map({ (key) throws(SecretError) in try SecretCipher(masterKey: key) }),
           replacement.keyID == keyID {
            try keyFile.promoteReplacement()
            current.withLock { $0 = replacement }
            return replacement
        }
        throw .wrongKey(path: keyFile.path, sealedWith: keyID, found: cipher.keyID)
    }

    // MARK: - Rotation

    /// Writes a new key beside the current one (`secret.key.new`) and returns its cipher.
    func beginRotation() throws(SecretError) -> SecretCipher {
        try SecretCipher(masterKey: keyFile.createReplacement())
    }

    /// Makes the new key the current one, once every secret is sealed under it.
    func finishRotation(_ replacement: SecretCipher) throws(SecretError) {
        try keyFile.promoteReplacement()
        current.withLock { $0 = replacement }
    }

    /// Drops a replacement key that no stored secret uses (a rotation that did not commit).
    func abandonRotation() {
        keyFile.removeReplacement()
    }
}
