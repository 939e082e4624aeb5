#ifndef CRUNBOOK_OPENSSL_SHIM_H
#define CRUNBOOK_OPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

/* Initialise libcrypto without registering its atexit cleanup. Whoever touches OpenSSL
   first in the process must call this: once OpenSSL has registered OPENSSL_cleanup with
   atexit, a thread still inside libcurl or an EVP context at exit can crash on freed
   state. Safe to call any number of times from any thread; returns 1 on success. */
static inline int crunbook_openssl_init(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

#endif
