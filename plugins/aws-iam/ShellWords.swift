/// Python's `shlex.split` and `shlex.quote`, as botocore uses them on config-file section
/// names: it reads `[profile NAME]` by splitting the header with `shlex.split` and taking the
/// second word, so `[profile  x ]`, `[profile "x"]` and `[profile 'my x']` all name profile
/// `x` / `my x`. Matching and writing headers the same way keeps us reading the file exactly
/// as the AWS CLI does.
///
/// Works on UTF-8 bytes: every character with a meaning here is ASCII, and no byte of a
/// multi-byte UTF-8 sequence is ASCII, so other characters pass through untouched.
enum ShellWords {
    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0D, 0x0A]  // shlex's ' \t\r\n'
    private static let backslash = UInt8(ascii: "\\")
    private static let singleQuote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")

    /// `shlex.split(text)` in POSIX mode, without comments; nil where Python raises
    /// `ValueError` (an unclosed quote or a trailing backslash), which botocore treats as
    /// "not a profile".
    static func split(_ text: [UInt8]) -> [[UInt8]]? {
        enum State { case between, word, single, double, escaped(inDouble: Bool) }
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        // A quoted empty string ('') is a word of its own in POSIX mode.
        var quoted = false
        var state = State.between
        for byte in text {
            switch state {
            case .between, .word:
                if whitespace.contains(byte) {
                    if case .word = state {
                        words.append(word)
                        word = []
                        quoted = false
                    }
                    state = .between
                } else if byte == backslash {
                    state = .escaped(inDouble: false)
                } else if byte == singleQuote {
                    quoted = true
                    state = .single
                } else if byte == doubleQuote {
                    quoted = true
                    state = .double
                } else {
                    word.append(byte)
                    state = .word
                }
            case .single:
                if byte == singleQuote { state = .word } else { word.append(byte) }
            case .double:
                if byte == doubleQuote {
                    state = .word
                } else if byte == backslash {
                    state = .escaped(inDouble: true)
                } else {
                    word.append(byte)
                }
            case .escaped(let inDouble):
                // Inside double quotes a backslash only escapes `"` and `\`; elsewhere it is kept.
                if inDouble, byte != doubleQuote, byte != backslash { word.append(backslash) }
                word.append(byte)
                state = inDouble ? .double : .word
            }
        }
        switch state {
        case .single, .double, .escaped: return nil
        case .word: words.append(word)
        case .between: if quoted { words.append(word) }
        }
        return words
    }

    /// `shlex.quote(text)`: unchanged when every byte is in Python's safe set
    /// (`[A-Za-z0-9_@%+=:,./-]`), otherwise single-quoted with `'` written as `'"'"'`.
    static func quote(_ text: [UInt8]) -> [UInt8] {
        if !text.isEmpty, text.allSatisfy(isSafe) { return text }
        var out: [UInt8] = [singleQuote]
        for byte in text {
            if byte == singleQuote {
                out.append(contentsOf: Array("'\"'\"'".utf8))
            } else {
                out.append(byte)
            }
        }
        out.append(singleQuote)
        return out
    }

    private static func isSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("_@%+=:,./-".utf8).contains(byte)
        }
    }
}
