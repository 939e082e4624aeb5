@testable import RunbookKit
import Testing

/// Binding a run's params from `--param KEY=VALUE`, `--params-file` and defaults.
@Suite("Params")
struct ParamBinderTests {
    /// Declarations use only string-valued YAML so that they load whatever the scalar typing does.
    let runbook: Runbook

    init() throws {
        runbook = try loadRunbook("""
            name: ha-iam
            params:
              user_name: { type: string, default: automate-ha, pattern: '^[a-z-]+$', description: the IAM user }
              policies: { type: list, default: [arn:a] }
              tags: { type: map, default: {} }
              attach_via: { type: enum, values: [user, group], default: user }
              count: { type: int }
              verbose: { type: bool }
              region: { type: string }
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
            """, file: "runbooks/ha-iam.yaml")
    }

    /// `profile` defaults to the user name.
    func chainedRunbook() throws -> Runbook {
        try loadRunbook("""
            name: ops
            params:
              user_name: { type: string, default: automate-ha }
              profile: { type: string, default: "${params.user_name}" }
            steps:
              - { id: a, uses: test.effect, with: { key: "${params.profile}" } }
            """)
    }

    func bind(_ assignments: [String], file: ParamBinder.ParamsFile? = nil, runbook: Runbook? = nil) throws(ValidationFailure)
        -> [String: Value]
    {
        try ParamBinder(runbook: runbook ?? self.runbook).bind(assignments: assignments, file: file)
    }

    func problems(_ assignments: [String], file: ParamBinder.ParamsFile? = nil, runbook: Runbook? = nil,
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            let bound = try bind(assignments, file: file, runbook: runbook)
            Issue.record("expected the params to be refused, got \(bound)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func defaultsApply() throws {
        let params = try bind([])
        #expect(params["user_name"] == "automate-ha")
        #expect(params["policies"] == ["arn:a"])
        #expect(params["tags"] == .map([:]))
        #expect(params["attach_via"] == "user")
        #expect(params["region"] == .null)
    }

    @Test func aDefaultMayReferToAnotherParam() throws {
        #expect(try bind([], runbook: chainedRunbook())["profile"] == "automate-ha")
        #expect(try bind(["user_name=ops-admin"], runbook: chainedRunbook())["profile"] == "ops-admin")
        #expect(try bind(["user_name=ops-admin", "profile=other"], runbook: chainedRunbook())["profile"] == "other")
    }

    @Test func commandLineValuesAreReadAsYAML() throws {
        let params = try bind(["policies=[arn:x, arn:y]", "tags={team: ops, env: prod}", "region=eu-west-1"])
        #expect(params["policies"] == ["arn:x", "arn:y"])
        #expect(params["tags"] == ["team": "ops", "env": "prod"])
        #expect(params["region"] == "eu-west-1")
    }

    @Test func intAndBoolValuesAreReadAsYAML() throws {
        let params = try bind(["count=3", "verbose=true"])
        #expect(params["count"] == .int(3))
        #expect(params["verbose"] == .bool(true))
    }

    @Test func aValueMayContainEqualsSigns() throws {
        #expect(try bind(["region=a=b"])["region"] == "a=b")
    }

    @Test func anAssignmentWithoutEqualsIsRefused() {
        #expect(problems(["user_name"]) == ["--param 'user_name': expected KEY=VALUE"])
    }

    @Test func anUnknownParamIsRefusedNamingTheKnownOnes() {
        #expect(problems(["colour=red"]) == [
            "--param colour: unknown param 'colour': runbook 'ha-iam' takes user_name, policies, tags, attach_via, count, verbose, region",
        ])
    }

    @Test func typeMismatchesAreReported() {
        #expect(problems(["count=many", "verbose=maybe", "policies={a: b}", "tags=[a]", "attach_via=role", "user_name=[a]"]) == [
            "--param user_name: must be text, not a list",
            "--param policies: must be a list, not a mapping",
            "--param tags: must be a mapping, not a list",
            "--param attach_via: 'role' is not one of: user, group",
            "--param count: must be a whole number, not string many",
            "--param verbose: must be true or false, not string maybe",
        ])
    }

    @Test func aPatternViolationIsReported() {
        #expect(problems(["user_name=Bad Name"]) == ["--param user_name: 'Bad Name' does not match the pattern ^[a-z-]+$"])
    }

    /// Required params are marked so here rather than with `required: true` so these tests
    /// exercise the binder alone (the loader tests cover the key).
    @Test func aRequiredParamMustBeGiven() throws {
        var required = try loadRunbook("""
            name: ops
            params:
              owner: { type: string, description: who owns it }
            steps:
              - { id: a, uses: test.effect, with: { key: "${params.owner}" } }
            """)
        required.params[0].isRequired = true
        #expect(problems([], runbook: required) == [
            "ops.yaml:3:3: missing required param 'owner' (who owns it); pass --param owner=VALUE",
        ])
    }

    /// A default that refers to a required param that is missing is not a cycle: the
    /// operator must be told only what is actually wrong.
    @Test func aMissingRequiredParamIsNotReportedAsACycle() throws {
        var required = try chainedRunbook()
        required.params[0].defaultValue = nil
        required.params[0].isRequired = true
        #expect(problems([], runbook: required) == [
            "ops.yaml:3:3: missing required param 'user_name'; pass --param user_name=VALUE",
        ])
    }

    @Test func anIllTypedValueForAReferencedParamIsNotReportedAsACycle() throws {
        let reported = problems(["user_name=[a, b]"], runbook: try chainedRunbook())
        #expect(reported == ["--param user_name: must be text, not a list"])
    }

    @Test func defaultsThatReferToEachOtherAreACycle() throws {
        let cyclic = try loadRunbook("""
            name: ops
            params:
              a: { default: "${params.b}" }
              b: { default: "x-${params.a}" }
              c: { default: "fine" }
            steps:
              - { id: s, uses: test.effect, with: { key: "${params.a}" } }
            """)
        #expect(problems([], runbook: cyclic) == [
            "ops.yaml:3:3: param 'a': its default refers to params in a cycle",
            "ops.yaml:4:3: param 'b': its default refers to params in a cycle",
        ])
        // Giving one of them breaks the cycle.
        let bound = try bind(["a=given"], runbook: cyclic)
        #expect(bound["b"] == "x-given")
    }

    @Test func aResolvedDefaultIsCheckedAgainstItsDeclaration() throws {
        let checked = try loadRunbook("""
            name: ops
            params:
              user_name: { type: string, default: ok }
              profile: { type: string, pattern: '^[a-z]+$', default: "${params.user_name}-profile" }
            steps:
              - { id: s, uses: test.effect, with: { key: "${params.profile}" } }
            """)
        #expect(problems([], runbook: checked) == [
            "ops.yaml:4:3: param 'profile': default 'ok-profile' does not match the pattern ^[a-z]+$",
        ])
    }

    // MARK: Params files

    @Test func aParamsFileIsReadWithLocations() throws {
        let file = ParamBinder.ParamsFile(displayPath: "prod.yaml", text: """
            user_name: prod-admin
            policies: [arn:p]
            """)
        let params = try bind([], file: file)
        #expect(params["user_name"] == "prod-admin")
        #expect(params["policies"] == ["arn:p"])

        let bad = ParamBinder.ParamsFile(displayPath: "prod.yaml", text: """
            user_name: Prod Admin
            colour: red
            tags: [a]
            """)
        #expect(problems([], file: bad) == [
            "prod.yaml:2:1: unknown param 'colour': runbook 'ha-iam' takes user_name, policies, tags, attach_via, count, verbose, region",
            "prod.yaml:1:12: param 'user_name': 'Prod Admin' does not match the pattern ^[a-z-]+$",
            "prod.yaml:3:7: param 'tags': must be a mapping, not a list",
        ])
    }

    @Test func aParamsFileThatIsNotAMappingOrNotYAMLIsReported() {
        #expect(problems([], file: .init(displayPath: "p.yaml", text: "- a\n- b\n")) == [
            "p.yaml:1:1: the params file must be a mapping, not a list",
        ])
        let broken = problems([], file: .init(displayPath: "p.yaml", text: "user_name: {a\n"))
        #expect(broken.count == 1)
        #expect(broken.first?.hasPrefix("p.yaml:2:1: invalid YAML:") == true, "\(broken)")
    }

    @Test func theCommandLineWinsOverTheParamsFile() throws {
        let file = ParamBinder.ParamsFile(displayPath: "p.yaml", text: "user_name: from-file\nregion: eu-west-1\n")
        let params = try bind(["user_name=from-command-line"], file: file)
        #expect(params["user_name"] == "from-command-line")
        #expect(params["region"] == "eu-west-1")
    }

    // MARK: Secret params

    /// `token` is a secret param. It is marked secret here rather than with `secret: true`
    /// in the YAML so these tests exercise the binder alone (the loader tests cover the key).
    func secretRunbook() throws -> Runbook {
        var runbook = try loadRunbook("""
            name: ops
            params:
              token: { type: string, pattern: '^tok-[0-9]+$' }
              header: { type: string, default: "Bearer ${params.token}" }
              copy: { type: string, default: "${params.token}" }
            steps:
              - { id: s, uses: test.effect, with: { key: s, secret: "${params.token}" } }
            """)
        runbook.params[0].isSecret = true
        return runbook
    }

    @Test func aSecretParamBecomesASecretValue() throws {
        let params = try bind(["token=tok-12345"], runbook: try secretRunbook())
        #expect(params["token"] == .secret(Secret("tok-12345")))
        #expect(params["token"]?.displayText.contains("12345") == false)
    }

    @Test func aSecretParamsValueIsNeverQuotedInAProblem() throws {
        let reported = problems(["token=hunter2-wrong-shape"], runbook: try secretRunbook())
        #expect(reported.first == "--param token: the value does not match the pattern ^tok-[0-9]+$")
        #expect(!reported.joined().contains("hunter2"))
    }

    /// Anything derived from a secret by substitution is secret too, params included.
    @Test func aParamWhoseDefaultIsBuiltFromASecretIsSecret() throws {
        let params = try bind(["token=tok-999"], runbook: try secretRunbook())
        #expect(params["header"]?.containsSecret == true, "header is \(String(describing: params["header"]?.kind))")
        #expect(params["copy"]?.containsSecret == true, "copy is \(String(describing: params["copy"]?.kind))")
        #expect(params["header"]?.stringValue == "Bearer tok-999")
    }
}
