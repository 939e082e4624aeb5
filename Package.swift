// swift-tools-version:6.0
import PackageDescription

// Layers, from the bottom up:
//   CRunbookCurl, CRunbookOpenSSL     system libcurl and libcrypto, with small inline shims
//   CRunbookSupport                   C for what must run between fork and exec
//   AWSKit                            SigV4, HTTP, IAM/STS Query API; knows nothing of runbooks
//   RunbookKit                        the engine: model, validation, store, executor, plugin protocol
//   CorePlugins, AWSIAMPlugins        step plugins (plugins/<family>)
//   runbook                           the CLI: parsing and rendering only
let package = Package(
    name: "runbook",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "runbook", targets: ["runbook"]),
        .library(name: "RunbookKit", targets: ["RunbookKit"]),
        .library(name: "AWSKit", targets: ["AWSKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CRunbookCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CRunbookOpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CRunbookSupport"),
        .target(
            name: "AWSKit",
            dependencies: ["CRunbookCurl", "CRunbookOpenSSL"]
        ),
        .target(
            name: "RunbookKit",
            dependencies: [
                "CRunbookOpenSSL",
                "CRunbookSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "CorePlugins",
            dependencies: ["RunbookKit", "CRunbookSupport"],
            path: "plugins/core"
        ),
        .target(
            name: "AWSIAMPlugins",
            dependencies: ["RunbookKit", "AWSKit"],
            path: "plugins/aws-iam"
        ),
        .executableTarget(
            name: "runbook",
            dependencies: [
                "RunbookKit",
                "AWSKit",
                "CorePlugins",
                "AWSIAMPlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The AWSKit half of benchmarks/awskit/bench.py; built in release by `make bench`.
        .executableTarget(
            name: "awskit-bench",
            dependencies: ["AWSKit"],
            path: "benchmarks/awskit/Sources"
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "RunbookKitTests",
            // GRDB: the tests open state.db with their own raw connection (tamper, inspect pragmas).
            dependencies: ["RunbookKit", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CorePluginsTests",
            dependencies: ["CorePlugins", "RunbookKit", "TestSupport"]
        ),
        .testTarget(
            name: "AWSKitTests",
            dependencies: ["AWSKit", "TestSupport"]
        ),
        .testTarget(
            name: "AWSIAMPluginsTests",
            dependencies: ["AWSIAMPlugins", "AWSKit", "RunbookKit", "TestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "AWSKit"],
            exclude: ["Support/iam_fault_proxy.py"]
        ),
    ]
)
