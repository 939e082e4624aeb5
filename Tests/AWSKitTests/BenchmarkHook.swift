import AWSKit
import Foundation
import Testing

/// The AWSKit half of `benchmarks/awskit/bench.py`, runnable before the CLI has a bench
/// command. Skipped unless `AWSKIT_BENCH_OUTPUT` is set; then it makes
/// `AWSKIT_BENCH_WARMUP` untimed and `AWSKIT_BENCH_CALLS` timed sequential GetUser calls
/// with one client, configured from the environment as the CLI would be, and writes
/// `{"client": "awskit", "latencies_ms": [...]}` to that file.
///
/// Note that `swift test` builds in debug; figures for the record come from a release
/// build of the CLI hook (see docs/awskit.md).
@Suite("Benchmark hook")
struct BenchmarkHook {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["AWSKIT_BENCH_OUTPUT"] != nil))
    func sequentialGetUser() async throws {
        let environment = Self.environment
        let calls = Int(environment["AWSKIT_BENCH_CALLS"] ?? "") ?? 300
        let warmup = Int(environment["AWSKIT_BENCH_WARMUP"] ?? "") ?? 20
        let user = environment["AWSKIT_BENCH_USER"] ?? "bench-subject"
        let output = try #require(environment["AWSKIT_BENCH_OUTPUT"])

        let iam = IAMClient(configuration: try AWSConfiguration.resolveFromProcess())
        for _ in 0..<warmup {
            _ = try await iam.getUser(userName: user)
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(calls)
        let clock = ContinuousClock()
        for _ in 0..<calls {
            let elapsed = try await clock.measure { _ = try await iam.getUser(userName: user) }
            let (seconds, attoseconds) = elapsed.components
            latencies.append(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
        }
        let json = try JSONSerialization.data(withJSONObject: ["client": "awskit", "latencies_ms": latencies])
        try json.write(to: URL(fileURLWithPath: output))
    }
}
