import Foundation
import RunbookKit

/// `core.file`: writes a file atomically. Its intent records the exact bytes and mode the
/// file had before (or that it did not exist), so rollback restores them exactly; a file
/// someone changed after the run wrote it is left alone and reported.
public struct CoreFile: StepPlugin {
    public static let id = "core.file"
    public static let summary = "Write a file atomically; rollback restores its previous bytes and mode"
    public static let inputs = Schema([
        .required("path", .string, "The file to write; relative paths are from the working directory, ~ is $HOME"),
        .required("content", .string, "The exact text to write"),
        .optional("mode", .string, default: "0644", "Permission bits in octal, e.g. 0600"),
    ])
    public static let outputs = OutputSchema([
        .init("path", .string, "The absolute path written"),
        .init("bytes", .int, "The size written"),
        .init("sha256", .string, "SHA-256 of the content, hex"),
    ])

    public init() {}

    public func validate(_ inputs: Inputs) -> [InputProblem] {
        var problems: [InputProblem] = []
        if let path = try? inputs.string("path"), path.isEmpty || path.contains("\0") {
            problems.append(InputProblem(input: "path", "must be a non-empty path"))
        }
        if !inputs.isDeferred("mode"), (try? Self.mode(inputs)) == nil {
            problems.append(InputProblem(input: "mode", "must be octal permission bits such as 0600 or 0644"))
        }
        return problems
    }

    public func plan(_ inputs: Inputs, context: StepContext) async throws -> Plan {
        guard !inputs.isDeferred("path") else {
            return Plan(.unchecked, "write a file whose path is known at run time", undo: "restore or remove it")
        }
        let path = context.absolutePath(try inputs.string("path"))
        let existing = try AtomicFile.read(path)
        guard let existing else { return Plan(.create, "create \(path)", undo: "remove \(path)") }
        if !inputs.isDeferred("content"), existing.data == Data(try inputs.string("content").utf8),
           existing.mode == (try Self.mode(inputs)) {
            return Plan(.unchanged, "\(path) already has this content", undo: "restore \(path) as it was")
        }
        return Plan(.change, "replace \(path) (\(existing.data.count) bytes now)", undo: "restore the previous \(path)")
    }

    public func observe(_ inputs: Inputs, context: StepContext) async throws -> Intent {
        let path = context.absolutePath(try inputs.string("path"))
        guard let existing = try AtomicFile.read(path) else { return ["path": .string(path), "existed": false] }
        let previous = existing.data.base64EncodedString()
        // What replaced secret content may be secret too: keep it encrypted at rest.
        let content: Value = inputs["content"]?.containsSecret == true ? .secret(Secret(previous)) : .string(previous)
        return ["path": .string(path), "existed": true, "previous_content": content, "previous_mode": .int(existing.mode)]
    }

    public func apply(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Outputs {
        let path = try intent.string("path")
        let data = Data(try inputs.string("content").utf8)
        try AtomicFile.write(data, to: path, mode: try Self.mode(inputs))
        return Self.outputs(path: path, data: data)
    }

    public func reconcile(_ inputs: Inputs, intent: Intent, context: StepContext) async throws -> Settlement {
        let path = try intent.string("path")
        let data = Data(try inputs.string("content").utf8)
        // The write is a rename: the file holds either the old bytes or all the new ones.
        guard let current = try AtomicFile.read(path), current.data == data, current.mode == (try Self.mode(inputs)) else {
            return .notApplied
        }
        return .applied(Self.outputs(path: path, data: data))
    }

    public func rollback(_ inputs: Inputs, intent: Intent, outputs: Outputs, context: StepContext) async throws {
        let path = try intent.string("path")
        // What this run wrote, by digest: the content itself may be a secret purged after delivery.
        let writtenDigest = try outputs.string("sha256")
        let current = try AtomicFile.read(path)
        let isOurs = current.map { ContentDigest.sha256Hex($0.data) == writtenDigest } ?? true
        if try intent.bool("existed") {
            guard let encoded = try intent.optionalString("previous_content"), let previous = Data(base64Encoded: encoded) else {
                throw PluginError("the previous content of \(path) is not available; cannot restore it")
            }
            let mode = try intent.int("previous_mode")
            if let current, current.data == previous, current.mode == mode { return }
            guard isOurs else {
                throw PluginError("\(path) was changed after this run wrote it; not restoring over those changes")
            }
            try AtomicFile.write(previous, to: path, mode: mode)
        } else {
            guard current != nil else { return }
            guard isOurs else {
                throw PluginError("\(path) was changed after this run created it; not removing it")
            }
            try AtomicFile.remove(path)
        }
    }

    static func outputs(path: String, data: Data) -> Outputs {
        ["path": .string(path), "bytes": .int(data.count), "sha256": .string(ContentDigest.sha256Hex(data))]
    }

    /// `0600`, `"600"`, or YAML's integer reading of `0644` (644): digits are octal.
    static func mode(_ inputs: Inputs) throws -> Int {
        let text: String
        switch inputs["mode"] {
        case .int(let n)?: text = String(n)
        case let value?: text = value.stringValue ?? ""
        case nil: text = "0644"
        }
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.count <= 4, let mode = Int(digits, radix: 8), mode <= 0o7777 else {
            throw PluginError("mode '\(text)' is not octal permission bits such as 0600")
        }
        return mode
    }
}
