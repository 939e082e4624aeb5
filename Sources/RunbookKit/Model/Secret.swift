/// A secret value: an access key's secret, a secret param, old file bytes holding a key.
///
/// Printing, dumping or JSON-encoding a `Secret` never shows its value: only `[secret]` and,
/// once the store has computed it, a short fingerprint that tells two secrets apart.
/// Code that needs the value asks for `revealed` by name.
public struct Secret: Sendable, Hashable {
    /// The value, or nil when it is no longer available (purged after delivery).
    public let revealed: String?
    /// First 8 hex digits of HMAC-SHA256(store key, value); nil until the store sets it.
    public let fingerprint: String?

    public init(_ value: String, fingerprint: String? = nil) {
        self.revealed = value
        self.fingerprint = fingerprint
    }

    private init(revealed: String?, fingerprint: String?) {
        self.revealed = revealed
        self.fingerprint = fingerprint
    }

    /// A secret whose value is gone (purged), known only by its fingerprint.
    public static func unavailable(fingerprint: String?) -> Secret {
        Secret(revealed: nil, fingerprint: fingerprint)
    }

    public func withFingerprint(_ fingerprint: String) -> Secret {
        Secret(revealed: revealed, fingerprint: fingerprint)
    }

    public var isAvailable: Bool { revealed != nil }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        fingerprint.map { "[secret \($0)]" } ?? "[secret]"
    }
    public var debugDescription: String { description }
    // `dump()` and reflection-based printers must not reach `revealed`.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
