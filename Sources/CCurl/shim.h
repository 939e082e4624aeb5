#ifndef CRUNBOOK_CURL_SHIM_H
#define CRUNBOOK_CURL_SHIM_H
#include <curl/curl.h>

/* Swift cannot call C variadic functions nor expand function-like macros, so every
   curl_easy_setopt / curl_easy_getinfo use AWSKit needs gets a typed wrapper here. */

typedef size_t (*crunbook_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*crunbook_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                               curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode crunbook_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

static inline CURLcode crunbook_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_const_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode crunbook_curl_setopt_data_callback(CURL *handle, CURLoption option,
                                                          crunbook_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode crunbook_curl_setopt_xferinfo_callback(CURL *handle,
                                                              crunbook_curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode crunbook_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
