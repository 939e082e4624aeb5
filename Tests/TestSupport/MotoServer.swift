import Foundation

/// A real IAM/STS endpoint for tests: `moto_server` on 127.0.0.1 and a free port, with AWS
/// managed policies loaded and signature checking on.
///
/// moto's `INITIAL_NO_AUTH_ACTION_COUNT` lets the first N calls through unsigned; `start`
/// spends exactly those on bootstrapping an administrator (user, AdministratorAccess,
/// access key), so every later request must be signed with a key that exists in moto —
/// the admin's or one the test creates. A wrong secret then gets `SignatureDoesNotMatch`
/// and an unknown key `InvalidClientTokenId`, as from AWS.
///
/// Usage:
///
///     let moto = try await MotoServer.start()
///     defer { moto.stop() }
///     // moto.endpointURL, moto.adminAccessKeyID, moto.adminSecretAccessKey,
///     // or moto.awsEnvironment for a child process (the runbook binary, `aws`).
///
/// The server runs in a Python process started as `python3 -c` around moto's own server
/// entry point (`moto.server.main`, what the `moto_server` script runs), plus a watchdog
/// thread that exits when this process goes away — so a crashed or killed test run
/// never leaves a server behind. `stop()` (or deinit) terminates it and waits for it
/// (briefly blocking the calling thread).
/// Set `MOTO_PYTHON` to use another interpreter than `python3` from `PATH`.
///
/// moto is looser than IAM in places (it accepts invalid names, deletes users that still
/// have keys): tests should use valid names and clean up in IAM's order.
public final class MotoServer: @unchecked Sendable {
    public struct Options: Sendable {
        /// Create the admin user and key with the unauthenticated calls (else none are allowed
        /// unsigned and the caller has no credentials; useful only for auth-failure tests).
        public var bootstrapAdmin: Bool
        public var adminUserName: String
        /// Extra environment for moto (e.g. `MOTO_ALLOW_NONEXISTENT_REGION`).
        public var extraEnvironment: [String: String]
        public var startupTimeout: Duration

        public init(bootstrapAdmin: Bool = true, adminUserName: String = "moto-admin",
                    extraEnvironment: [String: String] = [:], startupTimeout: Duration = .seconds(90)) {
            self.bootstrapAdmin = bootstrapAdmin
            self.adminUserName = adminUserName
            self.extraEnvironment = extraEnvironment
            self.startupTimeout = startupTimeout
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case didNotStart(String)
        case bootstrapFailed(String)

        public var description: String {
            switch self {
            case let .didNotStart(reason): "moto_server did not start: \(reason)"
            case let .bootstrapFailed(reason): "could not bootstrap the moto admin: \(reason)"
            }
        }
    }

    /// moto's fixed account.
    public let accountID = "123456789012"
    public let port: UInt16
    /// `http://127.0.0.1:<port>`
    public let endpointURL: URL
    public let adminUserName: String
    public let adminAccessKeyID: String
    public let adminSecretAccessKey: String
    /// moto's own output, for diagnosing a failing test.
    public let logFile: URL

    private let process: Process
    private let directory: TemporaryDirectory
    private let lock = NSLock()
    private var stopped = false

    /// Environment for a child process that should talk to this server as the admin.
    public var awsEnvironment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": adminAccessKeyID,
            "AWS_SECRET_ACCESS_KEY": adminSecretAccessKey,
            "AWS_ENDPOINT_URL": endpointURL.absoluteString,
            "AWS_REGION": "us-east-1",
        ]
    }

    private init(port: UInt16, process: Process, directory: TemporaryDirectory, logFile: URL,
                 adminUserName: String, adminAccessKeyID: String, adminSecretAccessKey: String) {
        self.port = port
        self.endpointURL = URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/")
        self.process = process
        self.directory = directory
        self.logFile = logFile
        self.adminUserName = adminUserName
        self.adminAccessKeyID = adminAccessKeyID
        self.adminSecretAccessKey = adminSecretAccessKey
    }

    /// Starts a server and waits until it answers; retries on another port if the chosen
    /// one was taken in the meantime.
    public static func start(options: Options = Options()) async throws -> MotoServer {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try startBlocking(options: options) })
            }.start()
        }
    }

    /// Terminates the server (SIGTERM, then SIGKILL after three seconds) and reaps it.
    /// Safe to call more than once.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        Self.terminate(process)
    }

    deinit {
        stop()
    }

    // MARK: - Start-up

    private static let bootstrapCalls = 3

    private static func startBlocking(options: Options) throws -> MotoServer {
        var lastFailure = "no attempt made"
        for _ in 0..<3 {
            let port = try FreePort.next()
            let directory = try TemporaryDirectory(prefix: "moto")
            let logFile = directory.appending("moto.log")
            let process = try launch(port: port, logFile: logFile, options: options)
            do {
                try waitUntilAnswering(port: port, process: process, timeout: options.startupTimeout)
            } catch let failure as Failure {
                terminate(process)
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                lastFailure = "\(failure.description)\n\(log.suffix(2000))"
                // A port taken between FreePort.next() and moto's bind is worth another try.
                if log.contains("Address already in use") { continue }
                throw Failure.didNotStart(lastFailure)
            }
            do {
                let admin = options.bootstrapAdmin
                    ? try bootstrap(port: port, userName: options.adminUserName)
                    : (accessKeyID: "", secretAccessKey: "")
                return MotoServer(port: port, process: process, directory: directory, logFile: logFile,
                                  adminUserName: options.adminUserName, adminAccessKeyID: admin.accessKeyID,
                                  adminSecretAccessKey: admin.secretAccessKey)
            } catch {
                terminate(process)
                throw error
            }
        }
        throw Failure.didNotStart(lastFailure)
    }

    private static let launcher = """
        import os, sys, threading, time
        parent = os.getppid()
        def watch():
            while True:
                time.sleep(0.5)
                if os.getppid() != parent:
                    os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        from moto.server import main
        main(sys.argv[1:])
        """

    private static func launch(port: UInt16, logFile: URL, options: Options) throws -> Process {
        var environment = ProcessInfo.processInfo.environment
        environment["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = String(options.bootstrapAdmin ? bootstrapCalls : 0)
        environment["PYTHONUNBUFFERED"] = "1"
        for (name, value) in options.extraEnvironment { environment[name] = value }

        let python = environment["MOTO_PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ProcessRunner.resolve(python, environment: environment))
        process.arguments = ["-c", launcher, "-H", "127.0.0.1", "-p", String(port)]
        process.environment = environment
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try ProcessRunner.launch(process)
        try? log.close()
        return process
    }

    private static func waitUntilAnswering(port: UInt16, process: Process, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw Failure.didNotStart("the process exited with status \(process.terminationStatus)")
            }
            // /moto-api/ is moto's dashboard: it answers once the server is up and does not
            // count against INITIAL_NO_AUTH_ACTION_COUNT.
            if let response = try? http(port: port, method: "GET", path: "/moto-api/", body: ""),
               response.status == 200 {
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Failure.didNotStart("no answer on 127.0.0.1:\(port) within \(timeout)")
    }

    /// The three unauthenticated calls: CreateUser, AttachUserPolicy(AdministratorAccess),
    /// CreateAccessKey.
    private static func bootstrap(port: UInt16, userName: String) throws -> (accessKeyID: String, secretAccessKey: String) {
        func call(_ parameters: String) throws -> String {
            let response = try http(port: port, method: "POST", path: "/",
                                    body: "Version=2010-05-08&" + parameters)
            guard response.status == 200 else {
                throw Failure.bootstrapFailed("HTTP \(response.status): \(response.body.prefix(500))")
            }
            return response.body
        }
        _ = try call("Action=CreateUser&UserName=\(userName)")
        _ = try call("Action=AttachUserPolicy&UserName=\(userName)&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess")
        let created = try call("Action=CreateAccessKey&UserName=\(userName)")
        guard let keyID = element("AccessKeyId", in: created), let secret = element("SecretAccessKey", in: created) else {
            throw Failure.bootstrapFailed("CreateAccessKey answer lacks the key")
        }
        return (keyID, secret)
    }

    private static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    /// One unsigned HTTP/1.1 exchange. moto routes a request by the service in the
    /// credential scope, so bootstrap calls carry a placeholder Authorization header naming
    /// IAM; moto does not check it while unauthenticated calls remain.
    private static func http(port: UInt16, method: String, path: String, body: String) throws -> (status: Int, body: String) {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if method == "POST" {
            request += "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            request += "Authorization: AWS4-HMAC-SHA256 Credential=bootstrap/20200101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n"
        }
        request += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let raw = String(decoding: try LoopbackSocket.exchange(port: port, request: Data(request.utf8)), as: UTF8.self)
        let statusLine = raw.prefix { $0 != "\r" && $0 != "\n" }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw Failure.didNotStart("unexpected answer: \(raw.prefix(200))")
        }
        let responseBody = raw.range(of: "\r\n\r\n").map { String(raw[$0.upperBound...]) } ?? ""
        return (status, responseBody)
    }

    /// SIGTERM, then SIGKILL after 3 s. It does not wait through Foundation's
    /// `waitUntilExit`, which can hang when many processes end at once; the process is
    /// gone when `kill(pid, 0)` says so (Foundation reaps it).
    private static func terminate(_ process: Process) {
        let pid = process.processIdentifier
        guard pid > 0, process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while isAlive(pid), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        if isAlive(pid) { kill(pid, SIGKILL) }
    }

    /// Alive and not a zombie.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}
