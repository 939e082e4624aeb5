import Foundation

/// Seals and opens secret values for the store, loading the key only when a secret is
/// first met: runs without secrets never need the key file.
public final class SecretVault: Sendable {
    public let keyFile: SecretKeyFile
    private let cipher: LockedLazy<SecretCipher>

    public init(keyFile: SecretKeyFile) {
        self.keyFile = keyFile
        self.cipher = LockedLazy()
    }

    /// `run\0instance\0field`: what a ciphertext is bound to.
    static func binding(runID: String, instance: String, field: String) -> String {
        "\(runID)\u{0}\(instance)\u{0}\(field)"
    }

    func seal(_ plaintext: String, runID: String, instance: String, field: String) throws(SecretError)
        -> (sealed: SecretCipher.Sealed, fingerprint: String)
    {
        let cipher = try cipher(create: true)
        let sealed = try cipher.seal(plaintext, binding: Self.binding(runID: runID, instance: instance, field: field))
        return (sealed, try cipher.fingerprint(of: plaintext))
    }

    func open(_ sealed: SecretCipher.Sealed, runID: String, instance: String, field: String) throws(SecretError) -> String {
        try cipher(create: false).open(sealed, binding: Self.binding(runID: runID, instance: instance, field: field))
    }

    public func fingerprint(of plaintext: String) throws(SecretError) -> String {
        try cipher(create: true).fingerprint(of: plaintext)
    }

    private func cipher(create: Bool) throws(SecretError) -> SecretCipher {
        let keyFile = self.keyFile
        return try cipher.value { () throws(SecretError) -> SecretCipher in
            try SecretCipher(masterKey: keyFile.load(create: create))
        }
    }
}
