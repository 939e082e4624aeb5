import Synchronization

/// A value computed on first successful use, then shared; a failed attempt is retried next time.
final class LockedLazy<T: Sendable>: Sendable {
    private let storage = Mutex<T?>(nil)

    func value(_ make: () throws(SecretError) -> T) throws(SecretError) -> T {
        try storage.withLock { (stored: inout T?) throws(SecretError) -> T in
            if let stored { return stored }
            let made = try make()
            stored = made
            return made
        }
    }
}
