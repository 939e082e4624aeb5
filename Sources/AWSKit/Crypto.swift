import CRunbookOpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 on OpenSSL 3's non-deprecated one-shot APIs (`EVP_Digest`, `EVP_Q_mac`).
enum Crypto {
    static let sha256Length = 32

    static func sha256<Bytes: ContiguousBytes>(_ data: Bytes) -> [UInt8] {
        _ = LibraryInitialization.cryptoReady
        var digest = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { output in
                EVP_Digest(input.baseAddress, input.count,
                           output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                           EVP_sha256(), nil)
            }
        }
        // SHA-256 of an in-memory buffer only fails if libcrypto itself is broken; a wrong
        // digest would surface as a signature mismatch, so an empty result is safe to return.
        guard ok == 1, Int(length) == sha256Length else { return [] }
        return digest
    }

    static func hmacSHA256<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, message: Message) -> [UInt8] {
        _ = LibraryInitialization.cryptoReady
        var mac = [UInt8](repeating: 0, count: sha256Length)
        var length = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                mac.withUnsafeMutableBytes { output in
                    EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil,
                              keyBytes.baseAddress, keyBytes.count,
                              messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                              output.baseAddress?.assumingMemoryBound(to: UInt8.self), sha256Length, &length)
                }
            }
        }
        guard result != nil, length == sha256Length else { return [] }
        return mac
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
