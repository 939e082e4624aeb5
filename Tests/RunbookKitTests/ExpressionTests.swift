@testable import RunbookKit
import Testing

/// `${...}` expressions: parsing templates, and resolving them against a run's values.
@Suite("Expressions")
struct ExpressionTests {
    // MARK: Template parsing

    @Test func textWithoutReferencesIsOneLiteral() throws {
        #expect(try Template(parsing: "plain text").parts == [.literal("plain text")])
        #expect(try Template(parsing: "").parts == [.literal("")])
        #expect(try Template(parsing: "costs $5 {not a ref}").parts == [.literal("costs $5 {not a ref}")])
    }

    @Test func referencesAreSplitFromLiterals() throws {
        let template = try Template(parsing: "user-${params.name}/${steps.key.id}:${item.arn}@${run.id}")
        #expect(template.parts == [
            .literal("user-"), .reference(.param("name")), .literal("/"),
            .reference(.stepOutput(step: "key", output: "id")), .literal(":"),
            .reference(.item(path: ["arn"])), .literal("@"), .reference(.runID),
        ])
        #expect(template.soleReference == nil)
        #expect(template.references.count == 4)
    }

    @Test func aTemplateThatIsExactlyOneReferenceKeepsItsType() throws {
        #expect(try Template(parsing: "${params.tags}").soleReference == .param("tags"))
        #expect(try Template(parsing: "${ item }").soleReference == .item(path: []))
        #expect(try Template(parsing: " ${params.tags}").soleReference == nil)
    }

    @Test func doubleDollarWritesALiteralReference() throws {
        #expect(try Template(parsing: "$${params.x}").parts == [.literal("${params.x}")])
        #expect(try Template(parsing: "echo $${HOME} ${params.x}").parts == [
            .literal("echo ${HOME} "), .reference(.param("x")),
        ])
        // An escaped, unterminated `${` is just text.
        #expect(try Template(parsing: "$${").parts == [.literal("${")])
    }

    @Test func anUnterminatedReferenceIsAnError() {
        #expect(throws: TemplateError.malformed("unterminated '${' in \"user-${params.name\"")) {
            try Template(parsing: "user-${params.name")
        }
    }

    @Test(arguments: ["${}", "${params}", "${params.a.b}", "${steps.x}", "${steps..y}", "${env.HOME}", "${run.name}", "${.item}"])
    func malformedReferencesAreErrors(_ text: String) {
        #expect(throws: TemplateError.self) { try Template(parsing: text) }
    }

    @Test func valuesListTheirReferencesAtAnyDepth() throws {
        let value: Value = ["a": ["${params.x}", "lit"], "b": ["c": "pre-${steps.s.o}"], "d": 3]
        #expect(try value.references() == [.param("x"), .stepOutput(step: "s", output: "o")])
    }

    // MARK: Resolution

    let scope = Scope(
        params: [
            "name": "automate-ha",
            "count": 3,
            "flag": true,
            "ratio": .double(1.5),
            "nothing": .null,
            "policies": ["arn:a", "arn:b"],
            "tags": ["team": "ops"],
            "token": .secret(Secret("tok-1234-secret")),
        ],
        steps: [
            "key": .single(["id": "AKIA1", "secret": .secret(Secret("sk-abcdef-999"))]),
            "attach": .each([["arn": "arn:a"], ["arn": "arn:b"]]),
            "skipped": .skipped,
        ],
        item: ["arn": "arn:aws:iam::aws:policy/ReadOnly", "n": 7],
        runID: "20261129-120000-abcd")

    @Test func aWholeValueReferenceKeepsItsType() throws {
        #expect(try scope.resolve("${params.policies}").value == ["arn:a", "arn:b"])
        #expect(try scope.resolve("${params.tags}").value == ["team": "ops"])
        #expect(try scope.resolve("${params.count}").value == 3)
        #expect(try scope.resolve("${params.flag}").value == true)
        #expect(try scope.resolve("${item}").value == ["arn": "arn:aws:iam::aws:policy/ReadOnly", "n": 7])
        #expect(try scope.resolve("${item.n}").value == 7)
        #expect(try scope.resolve("${run.id}").value == "20261129-120000-abcd")
    }

    @Test func interpolationStringifiesScalars() throws {
        let resolved = try scope.resolve("${params.name}: ${params.count} ${params.flag} ${params.ratio} [${params.nothing}]")
        #expect(resolved.value == .string("automate-ha: 3 true 1.5 []"))
        #expect(!resolved.isDeferred)
    }

    @Test func referencesInsideListsAndMapsAreResolved() throws {
        let value: Value = ["user": "${params.name}", "all": ["${params.count}", "x-${item.n}"]]
        #expect(try scope.resolve(value).value == ["user": "automate-ha", "all": [3, "x-7"]])
    }

    @Test func aListOrMapCannotBeInterpolated() {
        #expect(throws: ResolutionError.notInterpolable(.param("policies"), .list)) {
            try scope.resolve("policies: ${params.policies}")
        }
        #expect(throws: ResolutionError.notInterpolable(.param("tags"), .map)) {
            try scope.resolve("tags: ${params.tags}")
        }
        #expect(ResolutionError.notInterpolable(.param("tags"), .map).description
            == "${params.tags} is a map and cannot be part of a string; use it as the whole value")
    }

    @Test func aSecretStaysSecretWhenReferencedWhole() throws {
        let resolved = try scope.resolve("${params.token}").value
        #expect(resolved == .secret(Secret("tok-1234-secret")))
        #expect(try scope.resolve("${steps.key.secret}").value.containsSecret)
    }

    @Test func anythingInterpolatedFromASecretIsASecret() throws {
        let resolved = try scope.resolve("Bearer ${params.token} for ${params.name}").value
        guard case .secret(let secret) = resolved else {
            Issue.record("expected a secret, got \(resolved.kind)")
            return
        }
        #expect(secret.revealed == "Bearer tok-1234-secret for automate-ha")
        #expect(!resolved.displayText.contains("tok-1234"))
        // Nested in a map, too.
        let map = try scope.resolve(["env": ["AUTH": "key=${steps.key.secret}"], "user": "${params.name}"]).value
        #expect(map.containsSecret)
        #expect(map.mapValue?["user"] == "automate-ha")
    }

    @Test func aForeachStepReadsAsTheListOfItsOutputs() throws {
        #expect(try scope.resolve("${steps.attach.arn}").value == ["arn:a", "arn:b"])
        #expect(try scope.resolve("${steps.attach.missing}").value == [.null, .null])
    }

    @Test func aSkippedStepsOutputsAreNull() throws {
        #expect(try scope.resolve("${steps.skipped.anything}").value == .null)
        #expect(try scope.resolve("was: ${steps.skipped.anything}").value == "was: ")
    }

    @Test func referencesThatCannotResolveAreErrors() {
        #expect(throws: ResolutionError.unknown(.param("nope"))) { try scope.resolve("${params.nope}") }
        #expect(throws: ResolutionError.missingOutput(step: "key", output: "arn")) { try scope.resolve("${steps.key.arn}") }
        #expect(throws: ResolutionError.notYetRun(step: "later")) { try scope.resolve("${steps.later.x}") }
        #expect(throws: ResolutionError.unknown(.item(path: ["zzz"]))) { try scope.resolve("${item.zzz}") }
        #expect(throws: ResolutionError.noItem) { try Scope(params: [:]).resolve("${item}") }
        #expect(throws: ResolutionError.unknown(.runID)) { try Scope(params: [:]).resolve("${run.id}") }
        #expect(throws: ResolutionError.template(.malformed("unterminated '${' in \"${params.name\""))) {
            try scope.resolve("${params.name")
        }
    }

    @Test func dryRunDefersOutputsOfStepsThatHaveNotRun() throws {
        let dry = Scope(params: ["name": "u"], defersUnknownOutputs: true)
        let whole = try dry.resolve("${steps.key.id}")
        #expect(whole.isDeferred)
        #expect(whole.value == "(key.id)")
        let text = try dry.resolve("user ${params.name} key ${steps.key.id}")
        #expect(text.isDeferred)
        #expect(text.value == "user u key (key.id)")
        #expect(try dry.resolve(["a": ["${run.id}"]]).isDeferred)
        #expect(try !dry.resolve("${params.name}").isDeferred)
    }

    /// A secret that is no longer available (purged after delivery) cannot be interpolated;
    /// the message must say so, not call it a non-string.
    @Test func interpolatingAnUnavailableSecretSaysItIsUnavailable() {
        let purged = Scope(params: ["token": .secret(.unavailable(fingerprint: "1a2b3c4d"))])
        do {
            let value = try purged.resolve("Bearer ${params.token}").value
            Issue.record("resolved to \(value)")
        } catch {
            #expect(!error.description.contains("is a string and cannot be part of a string"), "\(error)")
            #expect(error.description.contains("params.token"), "\(error)")
        }
    }
}
