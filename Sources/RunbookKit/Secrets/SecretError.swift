/// Why a secret could not be stored or read. Never carries a secret value.
public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case badKeyLength(Int)
    case keyFileMissing(path: String)
    case keyFileUnreadable(path: String, reason: String)
    case keyFileTooOpen(path: String, mode: Int)
    case homeTooOpen(path: String, mode: Int)
    case cannotCreateKey(path: String, reason: String)
    /// The ciphertext does not open with this key: a wrong key, or altered data.
    case tampered
    /// The value was sealed under another key than the one in the key file.
    case wrongKey(path: String, sealedWith: String, found: String)
    case crypto(String)
    /// A secret this operation needs was purged after the run delivered it.
    case purged(field: String)

    public var description: String {
        switch self {
        case .badKeyLength(let n):
            return "the secret key must be exactly 32 bytes, found \(n)"
        case .keyFileMissing(let path):
            return "secret key \(path) does not exist; secrets of existing runs cannot be read without it"
        case .keyFileUnreadable(let path, let reason):
            return "cannot read secret key \(path): \(reason)"
        case .keyFileTooOpen(let path, let mode):
            return "secret key \(path) has mode \(String(mode, radix: 8)); it must not be readable by group or others: chmod 600 \(path)"
        case .homeTooOpen(let path, let mode):
            return "\(path) has mode \(String(mode, radix: 8)); it holds the secret key and must not be readable by group or others: chmod 700 \(path)"
        case .cannotCreateKey(let path, let reason):
            return "cannot create secret key \(path): \(reason)"
        case .tampered:
            return "a stored secret failed its integrity check: the ciphertext was altered or moved to another row"
        case .wrongKey(let path, let sealedWith, let found):
            return "stored secrets were sealed with key \(sealedWith), but \(path) holds key \(found); restore the key file that was in use (or point RUNBOOK_SECRET_KEY_FILE at it)"
        case .crypto(let what):
            return "encryption error: \(what)"
        case .purged(let field):
            return "secret \(field) was purged after delivery and is no longer available"
        }
    }
}
