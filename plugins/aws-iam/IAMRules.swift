import RunbookKit

/// IAM's limits on names, ARNs and tags, checked before any call so a bad input fails
/// with the parameter's name and the rule, not with an AWS error halfway through a run.
enum IAMRules {
    /// User and group names: 1–64 (users) or 1–128 (groups) of `A-Za-z0-9+=,.@_-`.
    static func name(_ value: String, input: String, maximum: Int) -> InputProblem? {
        let allowed = value.unicodeScalars.allSatisfy { $0.isASCII && (Character($0).isLetter || Character($0).isNumber || "+=,.@_-".unicodeScalars.contains($0)) }
        guard !value.isEmpty, value.count <= maximum, allowed else {
            return InputProblem(input: input, "'\(value)' is not a valid IAM name: 1-\(maximum) characters of A-Z a-z 0-9 + = , . @ _ -")
        }
        return nil
    }

    static func policyARN(_ value: String, input: String) -> InputProblem? {
        let pattern = #"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\w+=,.@/-]+$"#
        guard TextPattern.matches(value, pattern) else {
            return InputProblem(input: input, "'\(value)' is not a managed policy ARN (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)")
        }
        return nil
    }

    static let maximumTags = 50
    /// The tag marking a user this run created; reserved.
    static let ownershipTag = "runbook:run"

    static func tags(_ tags: [String: String], input: String) -> [InputProblem] {
        var problems: [InputProblem] = []
        // The user also carries the ownership tag when this run creates it.
        if tags.count > maximumTags - 1 {
            problems.append(InputProblem(input: input, "\(tags.count) tags; IAM allows \(maximumTags) per user, one of which is runbook's ownership tag"))
        }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.count > 128 {
                problems.append(InputProblem(input: input, "tag key '\(key.prefix(40))' must be 1-128 characters"))
            }
            if value.count > 256 {
                problems.append(InputProblem(input: input, "the value of tag '\(key.prefix(40))' is \(value.count) characters; IAM allows 256"))
            }
            if key.lowercased().hasPrefix("aws:") {
                problems.append(InputProblem(input: input, "tag key '\(key)' is reserved by AWS (aws: prefix)"))
            }
            if key == ownershipTag {
                problems.append(InputProblem(input: input, "tag key '\(ownershipTag)' is reserved: runbook marks the users it creates with it"))
            }
            let characters = #"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$"#
            if !TextPattern.matches(key, characters) || !TextPattern.matches(value, characters) {
                problems.append(InputProblem(input: input, "tag '\(key.prefix(40))' has characters IAM does not allow (letters, digits, spaces and _ . : / = + - @)"))
            }
        }
        return problems
    }
}
