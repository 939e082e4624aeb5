/// Regular expressions (params' `pattern`, plugins' input rules) with Swift's own regex
/// engine. Foundation's `NSRegularExpression` would load ICU and its data into every
/// process, several MiB of memory for a few name checks.
public enum TextPattern {
    /// Whether `pattern` is a regular expression this engine accepts.
    public static func isValid(_ pattern: String) -> Bool {
        (try? Regex(pattern)) != nil
    }

    /// Whether `text` contains a match of `pattern` (anchor it with `^…$` for a whole match);
    /// false for an invalid pattern.
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.firstMatch(in: text)) != nil
    }
}
