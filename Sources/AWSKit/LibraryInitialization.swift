import CRunbookCurl
import CRunbookOpenSSL

/// Process-wide set-up of libcrypto and libcurl, done exactly once.
///
/// Order matters: libcrypto must be initialised with `OPENSSL_INIT_NO_ATEXIT` before libcurl
/// initialises it implicitly, or OpenSSL registers an atexit cleanup that can free state under
/// a thread still inside a curl transfer while the process exits.
enum LibraryInitialization {
    /// The outcome of the one-time set-up; a global `let` is initialised lazily and thread-safely.
    private static let outcome: Result<Void, HTTPClientError> = {
        guard crunbook_openssl_init() == 1 else {
            return .failure(.libraryInitializationFailed("OpenSSL libcrypto could not be initialised"))
        }
        let code = crunbook_curl_global_init()
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            return .failure(.libraryInitializationFailed("libcurl could not be initialised: \(reason)"))
        }
        return .success(())
    }()

    /// Runs the set-up on first use; later calls only report its outcome.
    static func ensure() throws(HTTPClientError) {
        try outcome.get()
    }

    /// libcrypto alone (hashing and HMAC need no libcurl); idempotent and cheap after the first call.
    static let cryptoReady: Bool = crunbook_openssl_init() == 1
}
