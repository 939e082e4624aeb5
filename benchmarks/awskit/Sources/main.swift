// awskit-bench: the AWSKit half of benchmarks/awskit/bench.py (its docstring is the contract).
//
// Configured from the environment as the CLI is (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_ENDPOINT_URL, AWS_REGION, ...), it makes AWSKIT_BENCH_WARMUP untimed, then
// AWSKIT_BENCH_CALLS timed, sequential IAMClient.getUser(userName: AWSKIT_BENCH_USER) calls
// on one client, and writes {"client": "awskit", "latencies_ms": [...]} to
// AWSKIT_BENCH_OUTPUT. Built in release by `make bench` (`swift build -c release`).
import AWSKit
import Foundation

let environment = ProcessInfo.processInfo.environment

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("awskit-bench: \(message)\n".utf8))
    exit(1)
}

func count(_ name: String, default value: Int) -> Int {
    guard let text = environment[name], !text.isEmpty else { return value }
    guard let number = Int(text), number >= 0 else { fail("\(name) must be a whole number, not \"\(text)\"") }
    return number
}

let calls = count("AWSKIT_BENCH_CALLS", default: 300)
let warmup = count("AWSKIT_BENCH_WARMUP", default: 20)
let user = environment["AWSKIT_BENCH_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "bench-subject"
guard let output = environment["AWSKIT_BENCH_OUTPUT"], !output.isEmpty else {
    fail("set AWSKIT_BENCH_OUTPUT to the file the latencies go to (see benchmarks/awskit/bench.py)")
}

let configuration: AWSConfiguration
do {
    configuration = try AWSConfiguration.resolveFromProcess()
} catch {
    fail(error.description)
}

let iam = IAMClient(configuration: configuration)
var latencies: [Double] = []
latencies.reserveCapacity(calls)
do {
    for _ in 0..<warmup {
        _ = try await iam.getUser(userName: user)
    }
    let clock = ContinuousClock()
    for _ in 0..<calls {
        let start = clock.now
        _ = try await iam.getUser(userName: user)
        let (seconds, attoseconds) = (clock.now - start).components
        latencies.append(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
} catch {
    fail("GetUser failed: \(error)")
}

do {
    let json = try JSONSerialization.data(withJSONObject: ["client": "awskit", "latencies_ms": latencies])
    try json.write(to: URL(fileURLWithPath: output))
} catch {
    fail("cannot write \(output): \(error.localizedDescription)")
}
