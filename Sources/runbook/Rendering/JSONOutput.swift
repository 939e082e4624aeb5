import Foundation
import RunbookKit

/// Prints values as JSON. `Value`'s encoding shows a secret only as `[secret FINGERPRINT]`.
enum JSONOutput {
    static func print(_ value: Value) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        Terminal.out(String(decoding: data, as: UTF8.self))
    }
}
