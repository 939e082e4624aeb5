import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML answer as a small tree of elements, which the typed decoders walk.
///
/// Query API answers are a few kilobytes, so a tree is simpler to decode than a
/// streaming state machine and costs nothing measurable. Namespaces are ignored: AWS puts
/// one default namespace on the root and element names never collide.
struct XMLResponse: Sendable {
    let name: String
    let text: String
    let children: [XMLResponse]

    /// The first child element with this name.
    func child(_ name: String) -> XMLResponse? {
        children.first { $0.name == name }
    }

    /// The text of a child element, if it is present.
    func string(_ name: String) -> String? {
        child(name)?.text
    }

    /// Follows a path of child names, e.g. `["GetUserResult", "User"]`.
    func descend(_ path: [String]) -> XMLResponse? {
        var node: XMLResponse? = self
        for name in path {
            node = node?.child(name)
        }
        return node
    }

    /// The first element with this name anywhere below, depth first.
    func firstDescendant(_ name: String) -> XMLResponse? {
        for child in children {
            if child.name == name { return child }
            if let found = child.firstDescendant(name) { return found }
        }
        return nil
    }

    /// The `member` elements of a Query API list (`<Users><member>…</member></Users>`).
    func members(_ listName: String) -> [XMLResponse] {
        child(listName)?.children.filter { $0.name == "member" } ?? []
    }

    /// A child's text that must be there for the answer to make sense.
    func required(_ name: String) throws(XMLDecodingError) -> String {
        guard let value = string(name) else { throw XMLDecodingError.missingElement(name, in: self.name) }
        return value
    }

    func bool(_ name: String) -> Bool? {
        string(name).map { $0.lowercased() == "true" }
    }

    func int(_ name: String) -> Int? {
        string(name).flatMap { Int($0) }
    }

    func date(_ name: String) -> Date? {
        string(name).flatMap(ISO8601Timestamp.parse)
    }

    static func parse(_ data: Data) throws(XMLDecodingError) -> XMLResponse {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            throw XMLDecodingError.notXML(reason)
        }
        return root
    }
}

enum XMLDecodingError: Error, Sendable, CustomStringConvertible {
    case notXML(String)
    case missingElement(String, in: String)
    case unexpectedRoot(expected: String, found: String)

    var description: String {
        switch self {
        case let .notXML(reason): "the answer is not XML (\(reason))"
        case let .missingElement(name, parent): "the answer lacks <\(name)> in <\(parent)>"
        case let .unexpectedRoot(expected, found): "expected <\(expected)> but the answer is <\(found)>"
        }
    }
}

/// Builds the tree from XMLParser's events. Used by one parse on one thread only.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private struct Open {
        var name: String
        var text = ""
        var children: [XMLResponse] = []
    }

    private var stack: [Open] = []
    private(set) var root: XMLResponse?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        stack.append(Open(name: elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard let open = stack.popLast() else { return }
        // Text of elements with children is only the whitespace between them.
        let text = open.children.isEmpty ? open.text : open.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let element = XMLResponse(name: open.name, text: text, children: open.children)
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }
}

/// ISO 8601 timestamps as AWS writes them: `2015-02-06T18:39:48Z`, with or without a
/// fraction of a second, `Z` or a numeric offset.
enum ISO8601Timestamp {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + length)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19,
              let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
              let day = number(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), bytes[16] == UInt8(ascii: ":"),
              let second = number(17, 2)
        else { return nil }

        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                guard let hours = number(index + 1, 2) else { return nil }
                let minutesStart = index + 3 < bytes.count && bytes[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
                let minutes = number(minutesStart, 2) ?? 0
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                index = bytes.count
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }

        // Days from the civil date (Howard Hinnant's algorithm): no calendar object needed.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
