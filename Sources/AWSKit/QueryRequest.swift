import Foundation

/// One call of the AWS Query protocol: `Action`, `Version` and parameters, sent as a
/// form-encoded POST body.
///
/// Lists are flattened as `Name.member.1`, `Name.member.2`, ...; tags as
/// `Tags.member.N.Key` / `Tags.member.N.Value`, as botocore does.
public struct QueryRequest: Sendable {
    public let action: String
    public let version: String
    /// In insertion order, which is the order sent.
    public private(set) var parameters: [(name: String, value: String)]

    public init(action: String, version: String) {
        self.action = action
        self.version = version
        self.parameters = []
    }

    public mutating func add(_ name: String, _ value: String) {
        parameters.append((name, value))
    }

    /// Adds the parameter only when there is a value: optional inputs are simply left out.
    public mutating func add(_ name: String, ifPresent value: String?) {
        if let value { add(name, value) }
    }

    /// An empty list is sent as `Name=` (the protocol's encoding of "present but empty").
    public mutating func addList(_ name: String, _ values: [String]) {
        guard !values.isEmpty else {
            add(name, "")
            return
        }
        for (index, value) in values.enumerated() {
            add("\(name).member.\(index + 1)", value)
        }
    }

    public mutating func addTags(_ tags: [Tag], name: String = "Tags") {
        guard !tags.isEmpty else {
            add(name, "")
            return
        }
        for (index, tag) in tags.enumerated() {
            add("\(name).member.\(index + 1).Key", tag.key)
            add("\(name).member.\(index + 1).Value", tag.value)
        }
    }

    /// Replaces (or adds) a parameter; pagination uses it to move the `Marker` on.
    public mutating func set(_ name: String, _ value: String) {
        parameters.removeAll { $0.name == name }
        add(name, value)
    }

    /// `Action=...&Version=...&name=value...`, encoded as `application/x-www-form-urlencoded`.
    public var formEncodedBody: Data {
        var pairs = ["Action=\(Self.formEncode(action))", "Version=\(Self.formEncode(version))"]
        for (name, value) in parameters {
            pairs.append("\(Self.formEncode(name))=\(Self.formEncode(value))")
        }
        return Data(pairs.joined(separator: "&").utf8)
    }

    /// Form encoding: unreserved characters stay, a space becomes `+`, everything else is
    /// `%XX`. The same bytes Python's `urlencode` produces, which matters because moto
    /// re-encodes the parsed form that way when it checks the signature.
    public static func formEncode(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if SigV4Signer.isUnreserved(byte) {
                out.append(byte)
            } else if byte == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "+"))
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
