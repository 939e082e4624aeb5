// AWSKit: SigV4, HTTP over libcurl, the IAM and STS Query API. Knows nothing of runbooks.
