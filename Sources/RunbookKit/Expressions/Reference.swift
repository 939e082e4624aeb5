/// What a `${...}` expression names. Substitution only: there is no code to evaluate.
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    /// `${params.NAME}`
    case param(String)
    /// `${steps.ID.OUTPUT}`
    case stepOutput(step: String, output: String)
    /// `${item}` or `${item.KEY}` inside a `foreach` step.
    case item(path: [String])
    /// `${run.id}`: the id of the run, e.g. for ownership markers.
    case runID

    public var description: String {
        switch self {
        case .param(let name): return "params.\(name)"
        case .stepOutput(let step, let output): return "steps.\(step).\(output)"
        case .item(let path): return (["item"] + path).joined(separator: ".")
        case .runID: return "run.id"
        }
    }

    /// Parses the text between `${` and `}`.
    static func parse(_ text: String) throws(TemplateError) -> Reference {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let head = parts.first, parts.allSatisfy({ !$0.isEmpty }) else {
            throw TemplateError.malformed("'${\(text)}' is not a reference")
        }
        switch head {
        case "params" where parts.count == 2:
            return .param(parts[1])
        case "steps" where parts.count == 3:
            return .stepOutput(step: parts[1], output: parts[2])
        case "item":
            return .item(path: Array(parts.dropFirst()))
        case "run" where parts == ["run", "id"]:
            return .runID
        default:
            throw TemplateError.malformed(
                "'${\(text)}' is not a reference: use ${params.NAME}, ${steps.ID.OUTPUT}, ${item} or ${run.id}")
        }
    }
}

import Foundation
