import CRunbookOpenSSL
import Foundation

/// SHA-256 through OpenSSL's EVP interface.
enum SHA256Digest {
    static func bytes(of data: Data) -> [UInt8] {
        CryptoLibrary.ensure()
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest with SHA-256 only fails on allocation failure.
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return digest
    }

    static func hex(of data: Data) -> String {
        Hex.string(bytes(of: data))
    }
}
