import Foundation

/// Where the shared test material lives: `../shared` beside the package root, found from
/// this file's own path so the tests do not depend on the working directory.
enum SharedVectors {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // AWSKitTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let directory: URL = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/vectors", isDirectory: true)

    static let sigV4Suite: URL = directory.appendingPathComponent("sigv4", isDirectory: true)

    static let iamListUsersExample: URL = directory.appendingPathComponent("iam-listusers-sigv4-example.txt")
}
