#ifndef CRUNBOOK_CURL_SHIM_H
#define CRUNBOOK_CURL_SHIM_H
#include <curl/curl.h>
#endif
