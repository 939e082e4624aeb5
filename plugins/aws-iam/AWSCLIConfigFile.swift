import Foundation

/// One of the AWS CLI's INI files (`~/.aws/credentials` or `~/.aws/config`), read the way the
/// AWS CLI reads it and edited without disturbing anything else.
///
/// Reading follows botocore, which parses these files with Python's `configparser`
/// (`RawConfigParser`): a full-line `#` or `;` comment, blank lines, a section header is a
/// stripped line `[...]` (up to its last `]`, not trimmed inside: `[ x ]` is the profile
/// " x ", not "x"), an option is `key = value` or `key: value` with a case-insensitive key,
/// and a line indented deeper than the option above it continues that option's value (even
/// when it looks like a header). In the config file, `[default]` is the default profile and
/// a section whose header starts with `profile` and splits (`shlex.split`) into two words is
/// the profile named by the second word (`[profile x]`, `[profile  x ]`, `[profile "x"]`).
/// In the credentials file the header is the profile name itself.
///
/// Editing works on bytes, line by line, and changes only what it must: other sections,
/// comments, blank lines, order, unknown keys, line endings (CRLF stays CRLF) and a missing
/// final newline all come out byte for byte. Bytes rather than `String` because Swift's
/// string comparison is Unicode-canonical, and "equal" must mean "the same bytes" here.
struct AWSCLIConfigFile: Sendable, Equatable {
    enum Kind: Sendable {
        /// `~/.aws/credentials`: `[NAME]`.
        case credentials
        /// `~/.aws/config`: `[default]` or `[profile NAME]`.
        case config
    }

    /// One physical line: its bytes without the line break, and the line break (`\n`, `\r\n`,
    /// or nothing on a last line that has none).
    struct Line: Sendable, Equatable {
        var content: [UInt8]
        var terminator: [UInt8]
    }

    /// What a line is to the parser.
    enum Role: Sendable, Equatable {
        case blank
        case comment
        /// `[header]`: the text between the brackets, as configparser takes it.
        case header([UInt8])
        /// `key = value`: the key lowercased, and where the value starts in the line.
        case option(key: String, valueStart: Int)
        /// Indented under an option: more of that option's value.
        case continuation
        /// Anything else (text before the first section, a line with no `=`): the AWS CLI
        /// would reject the file, but we keep the line as it is.
        case other
    }

    let kind: Kind
    private(set) var lines: [Line]

    init(_ data: Data, kind: Kind) {
        self.kind = kind
        var lines: [Line] = []
        var current: [UInt8] = []
        for byte in data {
            if byte == UInt8(ascii: "\n") {
                if current.last == UInt8(ascii: "\r") {
                    current.removeLast()
                    lines.append(Line(content: current, terminator: Array("\r\n".utf8)))
                } else {
                    lines.append(Line(content: current, terminator: [UInt8(ascii: "\n")]))
                }
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { lines.append(Line(content: current, terminator: [])) }
        self.lines = lines
    }

    /// The file's bytes.
    var data: Data {
        var out = Data()
        for line in lines {
            out.append(contentsOf: line.content)
            out.append(contentsOf: line.terminator)
        }
        return out
    }

    /// The line break new lines get: the file's own (its first), `\n` for a new file.
    var newline: [UInt8] {
        lines.first { !$0.terminator.isEmpty }?.terminator ?? [UInt8(ascii: "\n")]
    }

    // MARK: - Reading

    /// Each line's role, in order, following configparser's reading loop.
    var roles: [Role] {
        var roles: [Role] = []
        roles.reserveCapacity(lines.count)
        var inSection = false
        var optionOpen = false
        var indentLevel = 0
        for line in lines {
            let stripped = Self.trimmed(line.content)
            if stripped.first == UInt8(ascii: "#") || stripped.first == UInt8(ascii: ";") {
                roles.append(.comment)
                continue
            }
            if stripped.isEmpty {
                // RawConfigParser keeps empty lines inside values: a blank line does not end one.
                roles.append(.blank)
                continue
            }
            let indent = line.content.prefix(while: Self.isWhitespace).count
            if inSection, optionOpen, indent > indentLevel {
                roles.append(.continuation)
                continue
            }
            indentLevel = indent
            if let header = Self.header(stripped) {
                roles.append(.header(header))
                inSection = true
                optionOpen = false
            } else if inSection, let option = Self.option(line.content) {
                roles.append(.option(key: option.key, valueStart: option.valueStart))
                optionOpen = true
            } else {
                roles.append(.other)
            }
        }
        return roles
    }

    /// The profile a section header names in this kind of file, nil if it names none.
    func profileName(ofHeader header: [UInt8]) -> [UInt8]? {
        switch kind {
        case .credentials:
            return header
        case .config:
            if header == Array("default".utf8) { return header }
            // botocore: `key.startswith("profile")`, then `shlex.split`, two words.
            guard header.starts(with: Array("profile".utf8)), let words = ShellWords.split(header),
                  words.count == 2 else { return nil }
            return words[1]
        }
    }

    /// Line indices of the sections that are `profile`, in file order.
    func sections(of profile: String) -> [Int] {
        let name = Array(profile.utf8)
        return roles.enumerated().compactMap { index, role in
            guard case .header(let header) = role, profileName(ofHeader: header) == name else { return nil }
            return index
        }
    }

    func containsProfile(_ profile: String) -> Bool { !sections(of: profile).isEmpty }

    /// The header this kind of file gets for `profile` when we add the section: what
    /// `aws configure` writes, quoted only when `shlex.split` would not read the bare name back.
    static func header(for profile: String, kind: Kind) -> [UInt8] {
        let name = Array(profile.utf8)
        var text: [UInt8] = [UInt8(ascii: "[")]
        switch kind {
        case .credentials:
            text += name
        case .config where profile == "default":
            text += name
        case .config:
            let bare = Array("profile ".utf8) + name
            text += ShellWords.split(bare) == [Array("profile".utf8), name] ? bare : Array("profile ".utf8) + ShellWords.quote(name)
        }
        text.append(UInt8(ascii: "]"))
        return text
    }

    // MARK: - Editing

    /// Sets `values` (in this order) in the first section of `profile` and removes the keys in
    /// `removing` from it; adds the section at the end of the file when there is none.
    ///
    /// In the section: an existing key keeps its line, indentation, spelling and `=`/`:` style
    /// and gets the new value (its continuation lines, part of the old value, go); a second
    /// occurrence of a key we set (configparser rejects duplicates) is removed; keys not there
    /// are added after the section's last setting, before the blank lines and comments that
    /// usually separate it from the next. A new section is appended after one blank line.
    /// Applying the same edit twice gives the same bytes.
    func setting(_ values: [(key: String, value: String)], removing: Set<String> = [],
                 inProfile profile: String) -> AWSCLIConfigFile {
        var edited = self
        let roles = self.roles
        guard let start = sections(of: profile).first else {
            edited.appendSection(Self.header(for: profile, kind: kind), values: values)
            return edited
        }
        var end = start + 1
        while end < lines.count {
            if case .header = roles[end] { break }
            end += 1
        }

        var replacement: [Int: Line] = [:]
        var deleted: Set<Int> = []
        var found: Set<String> = []
        let setKeys = Dictionary(values.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        let removedKeys = Set(removing.map { $0.lowercased() })
        // The key whose continuation lines are being dropped along with it.
        var dropping = false
        var lastSetting = start
        for index in (start + 1)..<end {
            switch roles[index] {
            case .option(let key, let valueStart):
                dropping = false
                if let value = setKeys[key], !found.contains(key) {
                    found.insert(key)
                    replacement[index] = Self.replacingValue(of: lines[index], from: valueStart, with: value)
                    dropping = true
                } else if setKeys[key] != nil || removedKeys.contains(key) {
                    deleted.insert(index)
                    dropping = true
                }
                if !deleted.contains(index) { lastSetting = index }
            case .continuation:
                if dropping {
                    deleted.insert(index)
                } else {
                    lastSetting = index
                }
            case .other:
                // configparser keeps the open option across a line it cannot parse.
                lastSetting = index
            case .blank, .comment, .header:
                break
            }
        }

        let missing = values.filter { !found.contains($0.key.lowercased()) }
        var result: [Line] = []
        result.reserveCapacity(lines.count + missing.count)
        for index in lines.indices {
            if !deleted.contains(index) { result.append(replacement[index] ?? lines[index]) }
            if index == lastSetting, !missing.isEmpty {
                Self.insert(missing.map { Self.setting($0.key, $0.value) }, after: &result, newline: newline)
            }
        }
        edited.lines = result
        edited.keepEnding(of: self)
        return edited
    }

    /// `key = value`, as `aws configure` writes a new setting.
    private static func setting(_ key: String, _ value: String) -> [UInt8] {
        Array("\(key) = \(value)".utf8)
    }

    /// Appends new lines after the last line of `lines`, giving that line a line break if it
    /// had none (the end of a file without a final newline).
    private static func insert(_ contents: [[UInt8]], after lines: inout [Line], newline: [UInt8]) {
        if let last = lines.indices.last, lines[last].terminator.isEmpty { lines[last].terminator = newline }
        lines += contents.map { Line(content: $0, terminator: newline) }
    }

    /// A file that ended without a line break still does after the edit (whether we added
    /// lines after its last one or removed that line).
    private mutating func keepEnding(of original: AWSCLIConfigFile) {
        guard original.lines.last?.terminator.isEmpty == true, let last = lines.indices.last else { return }
        lines[last].terminator = []
    }

    private mutating func appendSection(_ header: [UInt8], values: [(key: String, value: String)]) {
        let original = self
        var contents: [[UInt8]] = []
        // One blank line between the file's last text and the new section.
        if let last = lines.last, !Self.trimmed(last.content).isEmpty { contents.append([]) }
        contents.append(header)
        contents += values.map { Self.setting($0.key, $0.value) }
        Self.insert(contents, after: &lines, newline: newline)
        keepEnding(of: original)
    }

    private static func replacingValue(of line: Line, from valueStart: Int, with value: String) -> Line {
        var content = Array(line.content[..<valueStart])
        // `region =` with nothing after: keep the file's `key = value` spacing.
        if valueStart == line.content.count, let last = content.last, last != UInt8(ascii: " "),
           content.count >= 2, content[content.count - 2] == UInt8(ascii: " ") {
            content.append(UInt8(ascii: " "))
        }
        content += Array(value.utf8)
        return Line(content: content, terminator: line.terminator)
    }

    // MARK: - Sections

    /// The line range of the first section of `profile`: its header through its last setting
    /// (the blank lines and comments after it, before the next header, are the file's).
    func sectionRange(of profile: String) -> ClosedRange<Int>? {
        guard let start = sections(of: profile).first else { return nil }
        let roles = self.roles
        var last = start
        var index = start + 1
        while index < lines.count {
            switch roles[index] {
            case .header: return start...last
            case .option, .continuation, .other: last = index
            case .blank, .comment: break
            }
            index += 1
        }
        return start...last
    }

    /// The bytes of the first section of `profile`, nil if it has none.
    func sectionData(of profile: String) -> Data? {
        guard let range = sectionRange(of: profile) else { return nil }
        var out = Data()
        for line in lines[range] {
            out.append(contentsOf: line.content)
            out.append(contentsOf: line.terminator)
        }
        return out
    }

    /// The file with the first section of `profile` replaced by `replacement` (the bytes of a
    /// section, as `sectionData` returns them), or removed when `replacement` is nil — with
    /// the blank line that separated it from the text above when it was the file's last
    /// section, the separator `setting` adds before a new section.
    func replacingSection(of profile: String, with replacement: Data?) -> AWSCLIConfigFile {
        guard let range = sectionRange(of: profile) else {
            guard let replacement else { return self }
            var edited = self
            let added = AWSCLIConfigFile(replacement, kind: kind).lines
            if let last = edited.lines.last, !Self.trimmed(last.content).isEmpty {
                Self.insert([[]], after: &edited.lines, newline: newline)
            }
            Self.insert(added.map(\.content), after: &edited.lines, newline: newline)
            return edited
        }
        var edited = self
        var removeFrom = range.lowerBound
        // Removing a section takes the blank line above it with it: the separator `setting`
        // puts before a section it adds.
        if replacement == nil, removeFrom > 0, Self.trimmed(lines[removeFrom - 1].content).isEmpty {
            removeFrom -= 1
        }
        let replacementLines = replacement.map { AWSCLIConfigFile($0, kind: kind).lines } ?? []
        edited.lines.replaceSubrange(removeFrom...range.upperBound, with: replacementLines)
        return edited
    }

    // MARK: - Lexing, as configparser does

    /// Python's `str.isspace()` for ASCII: space, \t \n \v \f \r, and \x1c-\x1f.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte) || (0x1C...0x1F).contains(byte)
    }

    static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }),
              let last = bytes.lastIndex(where: { !isWhitespace($0) }) else { return [] }
        return bytes[first...last]
    }

    /// configparser's `\[(?P<header>.+)\]` matched at the start of the stripped line: greedy,
    /// so the header runs to the last `]`, and anything after it (a comment) is ignored.
    private static func header(_ stripped: ArraySlice<UInt8>) -> [UInt8]? {
        guard stripped.first == UInt8(ascii: "["),
              let close = stripped.lastIndex(of: UInt8(ascii: "]")),
              close - stripped.startIndex >= 2 else { return nil }
        return Array(stripped[(stripped.startIndex + 1)..<close])
    }

    /// configparser's option pattern: the key runs to the first `=` or `:`; the value starts
    /// after the whitespace that follows. Nil when there is no delimiter or the key is empty.
    private static func option(_ content: [UInt8]) -> (key: String, valueStart: Int)? {
        guard let delimiter = content.firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: ":") }) else {
            return nil
        }
        let key = trimmed(Array(content[..<delimiter]))
        guard !key.isEmpty else { return nil }
        var valueStart = delimiter + 1
        while valueStart < content.count, isWhitespace(content[valueStart]) { valueStart += 1 }
        return (String(decoding: key, as: UTF8.self).lowercased(), valueStart)
    }
}
