import Foundation

/// Finds runbooks by name in `./runbooks`, then in each directory of `RUNBOOK_PATH`, or
/// takes a path to a file.
public struct RunbookLocator: Sendable {
    public var searchDirectories: [String]
    public var workingDirectory: String

    public init(environment: [String: String], workingDirectory: String) {
        self.workingDirectory = workingDirectory
        var directories = [(workingDirectory as NSString).appendingPathComponent("runbooks")]
        if let path = environment["RUNBOOK_PATH"] {
            directories += path.split(separator: ":").map { dir in
                dir.hasPrefix("/") ? String(dir) : (workingDirectory as NSString).appendingPathComponent(String(dir))
            }
        }
        self.searchDirectories = directories
    }

    static let extensions = ["yaml", "yml"]

    /// Loads the text of the runbook called `nameOrPath`.
    public func locate(_ nameOrPath: String) throws(LocatorError) -> RunbookSource {
        let looksLikePath = nameOrPath.contains("/") || Self.extensions.contains((nameOrPath as NSString).pathExtension)
        if looksLikePath {
            let path = nameOrPath.hasPrefix("/") ? nameOrPath : (workingDirectory as NSString).appendingPathComponent(nameOrPath)
            return try read(path: (path as NSString).standardizingPath, displayPath: nameOrPath)
        }
        for directory in searchDirectories {
            for ext in Self.extensions {
                let path = (directory as NSString).appendingPathComponent("\(nameOrPath).\(ext)")
                if FileManager.default.fileExists(atPath: path) {
                    return try read(path: path, displayPath: display(path))
                }
            }
        }
        throw .notFound(name: nameOrPath, searched: searchDirectories)
    }

    /// Every runbook file in the search directories; earlier directories hide later ones.
    public func all() -> [(name: String, path: String)] {
        var seen = Set<String>()
        var result: [(String, String)] = []
        for directory in searchDirectories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files.sorted() where Self.extensions.contains((file as NSString).pathExtension) {
                let name = (file as NSString).deletingPathExtension
                if seen.insert(name).inserted {
                    result.append((name, display((directory as NSString).appendingPathComponent(file))))
                }
            }
        }
        return result
    }

    private func display(_ path: String) -> String {
        let prefix = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    private func read(path: String, displayPath: String) throws(LocatorError) -> RunbookSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileMissing(displayPath)
        }
        guard !isDirectory.boolValue else { throw .unreadable(displayPath, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(displayPath, reason: "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(displayPath, reason: "it is not UTF-8 text")
        }
        return RunbookSource(displayPath: displayPath, path: path, text: text)
    }
}

public enum LocatorError: Error, Sendable, CustomStringConvertible {
    case notFound(name: String, searched: [String])
    case fileMissing(String)
    case unreadable(String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let name, let searched):
            return "no runbook named '\(name)' (looked for \(name).yaml in \(searched.joined(separator: ", "))); see `runbook list`"
        case .fileMissing(let path): return "\(path): no such file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        }
    }
}
