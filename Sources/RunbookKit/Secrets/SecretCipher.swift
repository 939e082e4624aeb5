import CRunbookOpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// AES-256-GCM with a random 96-bit nonce per value, through OpenSSL's EVP interface.
/// The additional data binds a ciphertext to its place (run, instance, field), so a
/// ciphertext copied to another row does not decrypt.
struct SecretCipher: Sendable {
    /// AES-256-GCM fetched once: OpenSSL 3's implicit fetch (`EVP_aes_256_gcm()`) looks the
    /// algorithm up in the provider on every initialisation, which dominated sealing a value.
    /// It lives as long as the process.
    nonisolated(unsafe) private static let aesGCM: OpaquePointer? = {
        CryptoLibrary.ensure()
        return EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)
    }()

    static let keyLength = 32
    static let nonceLength = 12
    static let tagLength = 16

    private let encryptionKey: [UInt8]
    private let fingerprintKey: [UInt8]
    /// Names the key without revealing it: which key sealed a stored secret.
    let keyID: String

    /// Fingerprints are HMAC-SHA256 under the store key itself; encryption uses a key
    /// derived from it, so the two uses never share a key.
    init(masterKey: [UInt8]) throws(SecretError) {
        CryptoLibrary.ensure()
        guard masterKey.count == Self.keyLength else { throw .badKeyLength(masterKey.count) }
        encryptionKey = try Self.hmacSHA256(key: masterKey, data: Array("runbook/aes-256-gcm".utf8))
        fingerprintKey = masterKey
        keyID = Hex.string(try Self.hmacSHA256(key: masterKey, data: Array("runbook/key-id".utf8)).prefix(4))
    }

    struct Sealed: Sendable, Hashable {
        var nonce: Data
        /// Ciphertext followed by the 16-byte tag.
        var ciphertext: Data
    }

    func seal(_ plaintext: String, binding: String) throws(SecretError) -> Sealed {
        var nonce = [UInt8](repeating: 0, count: Self.nonceLength)
        guard RAND_bytes(&nonce, Int32(nonce.count)) == 1 else { throw .crypto("RAND_bytes failed") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .crypto("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let input = Array(plaintext.utf8)
        let aad = Array(binding.utf8)
        var output = [UInt8](repeating: 0, count: input.count + Self.tagLength)
        var length: Int32 = 0
        var total = 0
        guard EVP_EncryptInit_ex(ctx, Self.aesGCM ?? EVP_aes_256_gcm(), nil, encryptionKey, nonce) == 1,
              EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else {
            throw .crypto("AES-GCM initialisation failed")
        }
        if !input.isEmpty {
            guard EVP_EncryptUpdate(ctx, &output, &length, input, Int32(input.count)) == 1 else {
                throw .crypto("AES-GCM encryption failed")
            }
            total = Int(length)
        }
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(ctx, buffer.baseAddress.map { $0 + total }, &length)
        }
        guard finished == 1 else { throw .crypto("AES-GCM encryption failed") }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), &tag) == 1 else {
            throw .crypto("AES-GCM tag failed")
        }
        return Sealed(nonce: Data(nonce), ciphertext: Data(output.prefix(total) + tag))
    }

    func open(_ sealed: Sealed, binding: String) throws(SecretError) -> String {
        guard sealed.nonce.count == Self.nonceLength, sealed.ciphertext.count >= Self.tagLength else {
            throw .tampered
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .crypto("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let nonce = Array(sealed.nonce)
        let body = Array(sealed.ciphertext.dropLast(Self.tagLength))
        var tag = Array(sealed.ciphertext.suffix(Self.tagLength))
        let aad = Array(binding.utf8)
        var output = [UInt8](repeating: 0, count: body.count + Self.tagLength)
        var length: Int32 = 0
        var total = 0
        guard EVP_DecryptInit_ex(ctx, Self.aesGCM ?? EVP_aes_256_gcm(), nil, encryptionKey, nonce) == 1,
              EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else {
            throw .crypto("AES-GCM initialisation failed")
        }
        if !body.isEmpty {
            guard EVP_DecryptUpdate(ctx, &output, &length, body, Int32(body.count)) == 1 else { throw .tampered }
            total = Int(length)
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), &tag) == 1 else {
            throw .crypto("AES-GCM tag failed")
        }
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx, buffer.baseAddress.map { $0 + total }, &length)
        }
        // Final fails when the tag does not match: wrong key, moved or altered ciphertext.
        guard finished == 1 else { throw .tampered }
        total += Int(length)
        guard let text = String(bytes: output.prefix(total), encoding: .utf8) else { throw .tampered }
        return text
    }

    /// First 8 hex digits of HMAC-SHA256 under the store key: tells two secrets apart
    /// without revealing either.
    func fingerprint(of plaintext: String) throws(SecretError) -> String {
        let mac = try Self.hmacSHA256(key: fingerprintKey, data: Array(plaintext.utf8))
        return Hex.string(mac.prefix(4))
    }

    /// HMAC fetched once, for the same reason as `aesGCM`; its parameter names as C strings
    /// that live as long as the process.
    nonisolated(unsafe) private static let hmac: OpaquePointer? = {
        CryptoLibrary.ensure()
        return EVP_MAC_fetch(nil, "HMAC", nil)
    }()
    nonisolated(unsafe) private static let digestKey = strdup("digest")
    nonisolated(unsafe) private static let sha256Name = strdup("SHA256")

    static func hmacSHA256(key: [UInt8], data: [UInt8]) throws(SecretError) -> [UInt8] {
        guard let mac = hmac, let ctx = EVP_MAC_CTX_new(mac) else { throw .crypto("HMAC-SHA256 is not available") }
        defer { EVP_MAC_CTX_free(ctx) }
        var params = [OSSL_PARAM_construct_utf8_string(digestKey, sha256Name, 0), OSSL_PARAM_construct_end()]
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        guard EVP_MAC_init(ctx, key, key.count, &params) == 1, EVP_MAC_update(ctx, data, data.count) == 1,
              EVP_MAC_final(ctx, &out, &length, out.count) == 1, length == 32 else {
            throw .crypto("HMAC-SHA256 failed")
        }
        return out
    }
}
