/// Names of step instances. A plain step's instance is named by its id; a `foreach` step's
/// instances by item: `attach-policy[AdministratorAccess]` for the item
/// `arn:aws:iam::aws:policy/AdministratorAccess` (its last path segment), or by index,
/// `step[0]`, when items have no short unique label.
enum InstanceNaming {
    static func names(step: String, items: [Value]) -> [String] {
        let labels = items.map(label)
        var counts: [String: Int] = [:]
        for case let label? in labels { counts[label, default: 0] += 1 }
        return labels.enumerated().map { index, label in
            if let label, counts[label] == 1 { return "\(step)[\(label)]" }
            return "\(step)[\(index)]"
        }
    }

    private static func label(_ item: Value) -> String? {
        guard case .string(let text) = item else { return nil }
        let last = text.split(separator: "/").last.map(String.init) ?? text
        guard !last.isEmpty, last.count <= 64,
              last.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._+=@,-".contains($0)) }),
              Int(last) == nil else { return nil }
        return last
    }
}
