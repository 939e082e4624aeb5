import Foundation

/// Content hashes for plugins (file digests in outputs).
public enum ContentDigest {
    public static func sha256Hex(_ data: Data) -> String { SHA256Digest.hex(of: data) }
}
