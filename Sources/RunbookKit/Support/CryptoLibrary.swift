import CRunbookOpenSSL

/// libcrypto's one-time set-up, without the atexit cleanup that can crash a thread still
/// inside libcurl at exit (see `crunbook_openssl_init`). Every RunbookKit path into OpenSSL
/// goes through `ensure()` first; AWSKit does the same on its side.
enum CryptoLibrary {
    private static let ready: Bool = crunbook_openssl_init() == 1

    static func ensure() {
        // Initialisation fails only when the library cannot allocate; the call that follows reports it.
        _ = ready
    }
}
