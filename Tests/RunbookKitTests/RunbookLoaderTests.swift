import Foundation
@testable import RunbookKit
import Testing

/// Loading a runbook file: every problem is reported, with `file:line:column`, before
/// anything runs.
@Suite("Loading runbooks")
struct RunbookLoaderTests {
    // MARK: A valid runbook

    @Test func aValidRunbookLoadsWithItsDeclarations() throws {
        let runbook = try loadRunbook("""
            name: ha-iam
            description: IAM user
            on_failure: rollback
            params:
              user_name: { type: string, default: automate-ha, pattern: '^[a-z-]+$', description: the user }
              count: { type: int, required: true }
              mode: { type: enum, values: [user, group], default: user }
              token: { type: string, secret: true }
            steps:
              - id: create
                uses: test.effect
                with:
                  key: "${params.user_name}"
                  count: "${params.count}"
              - id: attach
                foreach: [a, b]
                uses: test.effect
                with: { key: "${item}", value: "${steps.create.key}" }
                when: "${params.mode}"
                retry: { max_attempts: 3, backoff: 500ms }
                timeout: 2m
            """, file: "runbooks/ha-iam.yaml")

        #expect(runbook.name == "ha-iam")
        #expect(runbook.description == "IAM user")
        #expect(runbook.onFailure == .rollback)
        #expect(runbook.params.map(\.name) == ["user_name", "count", "mode", "token"])
        let user = try #require(runbook.param("user_name"))
        #expect(user.type == .string)
        #expect(user.defaultValue == "automate-ha")
        #expect(user.pattern == "^[a-z-]+$")
        #expect(user.description == "the user")
        #expect(user.location.description == "runbooks/ha-iam.yaml:5:3")
        #expect(runbook.param("count")?.isRequired == true)
        #expect(runbook.param("mode")?.allowedValues == ["user", "group"])
        #expect(runbook.param("token")?.isSecret == true)

        #expect(runbook.steps.map(\.id) == ["create", "attach"])
        let attach = try #require(runbook.step("attach"))
        #expect(attach.uses == "test.effect")
        #expect(attach.foreach == ["a", "b"])
        #expect(attach.with == ["key": "${item}", "value": "${steps.create.key}"])
        #expect(attach.when == .truthy("${params.mode}"))
        #expect(attach.retry == RetrySpec(maxAttempts: 3, backoff: .milliseconds(500)))
        #expect(attach.timeout == .seconds(120))
        #expect(attach.locations.id.description == "runbooks/ha-iam.yaml:15:9")
        #expect(attach.locations.input("value").description == "runbooks/ha-iam.yaml:18:36")
        #expect(runbook.step("create")?.locations.input("count").description == "runbooks/ha-iam.yaml:14:14")
    }

    /// Plain scalars follow YAML's core schema: `3` is an int, `true` a bool, `~` null; quoted
    /// ones stay text. Typed params, inputs, `required:`, `secret:` and `max_attempts:` rest on it.
    @Test func plainScalarsAreTypedByTheYAMLCoreSchema() throws {
        let runbook = try loadRunbook("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with: { key: "3", count: 3, flag: true, value: ~, items: [1, false, "x"] }
            """)
        let with = try #require(runbook.step("a")).with
        #expect(with["key"] == .string("3"))
        #expect(with["count"] == .int(3))
        #expect(with["flag"] == .bool(true))
        #expect(with["value"] == .null)
        #expect(with["items"] == .list([.int(1), .bool(false), .string("x")]))
    }

    @Test func emptyParamsAndWithBlocksAreAllowed() throws {
        let runbook = try loadRunbook("""
            name: ops
            params:
            steps:
              - id: a
                uses: test.echo
                with:
            """)
        #expect(runbook.params.isEmpty)
        #expect(runbook.step("a")?.with.isEmpty == true)
    }

    // MARK: YAML and structure

    @Test func anUnterminatedFlowMappingIsAYAMLErrorAtItsPosition() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with: {key: a
              - id: b
                uses: test.effect
            """)
        // libyaml gives up at the next simple key, and names where the mapping began.
        #expect(problems == [
            "ops.yaml:6:7: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at line 5, column 11)",
        ])
    }

    @Test func badIndentationIsAYAMLErrorAtTheMisplacedKey() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                 uses: test.effect
            """)
        #expect(problems == ["ops.yaml:4:10: invalid YAML: mapping values are not allowed in this context"])
    }

    @Test func aDuplicateKeyIsReported() {
        let problems = diagnostics("""
            name: ops
            name: other
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("duplicate key 'name'") == true, "\(problems)")
    }

    @Test func aRunbookThatIsNotAMappingIsRefused() {
        #expect(diagnostics("- id: a\n  uses: test.effect\n") == ["ops.yaml:1:1: the runbook must be a mapping, not a list"])
        #expect(diagnostics("just some text\n") == ["ops.yaml:1:1: the runbook must be a mapping, not a scalar"])
        #expect(diagnostics("") == ["ops.yaml:1:1: the runbook is empty"])
    }

    @Test func aSecondYAMLDocumentIsRefused() {
        let problems = diagnostics("""
            name: ops
            steps: [{ id: a, uses: test.effect, with: { key: a } }]
            ---
            name: two
            """)
        #expect(problems == ["ops.yaml:4:1: a runbook is one YAML document; found a second one"])
    }

    @Test func unknownKeysAreReportedWithANearMissSuggestion() {
        let problems = diagnostics("""
            name: ops
            descripton: typo
            params:
              user: { type: string, defualt: x }
            steps:
              - id: a
                usess: test.effect
                uses: test.effect
                with: { key: a }
                retry: { max_attempt: 2 }
                colour: blue
            """)
        #expect(problems == [
            "ops.yaml:2:1: unknown key 'descripton' in the runbook; did you mean 'description'?",
            "ops.yaml:4:25: unknown key 'defualt' in param 'user'; did you mean 'default'?",
            "ops.yaml:7:5: unknown key 'usess' in a step; did you mean 'uses'?",
            "ops.yaml:10:14: unknown key 'max_attempt' in 'retry' of step 'a'; did you mean 'max_attempts'?",
            "ops.yaml:11:5: unknown key 'colour' in a step; expected one of: description, foreach, id, retry, timeout, uses, when, with",
        ])
    }

    @Test func missingNameAndStepsAreReported() {
        #expect(diagnostics("description: nothing else\n") == [
            "ops.yaml:1:1: the runbook has no 'name'",
            "ops.yaml:1:1: the runbook has no 'steps'",
        ])
        #expect(diagnostics("name: ops\nsteps: []\n") == ["ops.yaml:2:8: 'steps' is empty"])
        #expect(diagnostics("name: ops\nsteps: { id: a }\n") == ["ops.yaml:2:8: 'steps' must be a list, not a mapping"])
    }

    @Test func aStepWithoutIdOrUsesIsReportedAtTheStep() {
        let problems = diagnostics("""
            name: ops
            steps:
              - uses: test.effect
                with: { key: a }
              - id: b
                with: { key: b }
            """)
        #expect(problems == [
            "ops.yaml:3:5: a step has no 'id'",
            "ops.yaml:5:5: step 'b' has no 'uses' (the plugin to run)",
        ])
    }

    @Test func duplicateStepIdsAreReportedAtTheSecond() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with: { key: a }
              - id: a
                uses: test.effect
                with: { key: b }
            """)
        #expect(problems == ["ops.yaml:6:9: duplicate step id 'a' (first at line 3)"])
    }

    @Test func badRetryAndTimeoutValuesAreReported() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with: { key: a }
                retry: { max_attempts: 0, backoff: soon }
                timeout: forever
            """)
        #expect(problems == [
            "ops.yaml:6:28: 'max_attempts' must be a whole number from 1 to 100",
            "ops.yaml:6:40: 'backoff' must be a duration such as 2s or 500ms",
            "ops.yaml:7:14: 'timeout' must be a duration such as 30s or 5m",
        ])
    }

    // MARK: Plugins and inputs

    @Test func anUnknownPluginIsReportedWithANearMiss() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.efect
                with: { key: a }
              - id: b
                uses: aws.nothing
            """)
        #expect(problems == [
            "ops.yaml:4:11: step 'a': unknown plugin 'test.efect'; did you mean 'test.effect'?",
            "ops.yaml:7:11: step 'b': unknown plugin 'aws.nothing'; see `runbook plugins`",
        ])
    }

    @Test func unknownAndMissingInputsAreReported() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with:
                  kye: a
                  colour: red
              - id: b
                uses: test.effect
            """)
        // Unknown inputs point at their key; a missing one at the `with:` block.
        #expect(problems == [
            "ops.yaml:6:7: step 'a': unknown input 'kye'; did you mean 'key'?",
            "ops.yaml:6:7: step 'a': missing required input 'key' of test.effect",
            "ops.yaml:7:7: step 'a': unknown input 'colour'; test.effect takes: key, value, secret, count, flag, items, labels, wait",
            "ops.yaml:8:5: step 'b': missing required input 'key' of test.effect",
        ])
    }

    @Test func illTypedLiteralInputsAreReportedAtTheirValue() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with:
                  key: a
                  count: many
                  flag: "yes"
                  items: { not: a list }
                  labels: [not, a, map]
                  wait: soon
            """)
        #expect(problems == [
            "ops.yaml:7:14: step 'a': input 'count' must be int, not string many",
            "ops.yaml:8:13: step 'a': input 'flag' must be bool, not string yes",
            "ops.yaml:9:14: step 'a': input 'items' must be list, not map {not: a list}",
            "ops.yaml:10:15: step 'a': input 'labels' must be map, not list [not, a, map]",
            "ops.yaml:11:13: step 'a': input 'wait' must be duration, not string soon",
        ])
    }

    @Test func aMalformedComparisonIsReported() {
        let problems = diagnostics("""
            name: ops
            steps:
              - { id: a, uses: test.effect, when: { equal: [a, b] }, with: { key: a } }
              - { id: b, uses: test.effect, when: { equals: [a] }, with: { key: b } }
              - { id: c, uses: test.effect, when: { equals: ["${params.nope}", b] }, with: { key: c } }
            """)
        #expect(problems == [
            "ops.yaml:3:39: unknown comparison 'equal' in 'when'; use equals or not_equals",
            "ops.yaml:4:39: 'equals' takes a list of two values: [A, B]",
            "ops.yaml:5:39: step 'c': when: unknown param 'nope' (the runbook declares none)",
        ])
    }

    @Test func aReferenceWhoseTypeDoesNotFitTheInputIsReported() {
        let problems = diagnostics("""
            name: ops
            params:
              names: { type: list, default: [] }
              labels: { type: map, default: {} }
            steps:
              - id: a
                uses: test.effect
                with:
                  key: "${params.names}"
                  count: "${params.labels}"
                  items: "x-${params.names}"
            """)
        #expect(problems == [
            "ops.yaml:9:12: step 'a': input 'key' must be string, but ${params.names} is list",
            "ops.yaml:10:14: step 'a': input 'count' must be int, but ${params.labels} is map",
            "ops.yaml:11:14: step 'a': input 'items': ${params.names} is a list and cannot be part of a string; use it as the whole value",
        ])
    }

    // MARK: References

    @Test func badReferencesAreReportedAtTheInput() {
        let problems = diagnostics("""
            name: ops
            params:
              user: { type: string, default: u }
            steps:
              - id: first
                uses: test.effect
                with:
                  key: "${params.usr}"
                  value: "${steps.nowhere.key}"
              - id: second
                uses: test.effect
                with:
                  key: "${steps.third.key}"
                  value: "${steps.first.colour}"
                  secret: "${item}"
              - id: third
                uses: test.effect
                with: { key: "${steps.third.key}" }
            """)
        #expect(problems == [
            "ops.yaml:8:12: step 'first': input 'key': unknown param 'usr'; declared: user",
            "ops.yaml:9:14: step 'first': input 'value': unknown step 'nowhere'",
            "ops.yaml:13:12: step 'second': input 'key': refers forward to step 'third', which runs later",
            "ops.yaml:14:14: step 'second': input 'value': step 'first' (test.effect) has no output 'colour'; it has: key, value, token",
            "ops.yaml:15:15: step 'second': input 'secret': ${item} is only defined in a step with foreach",
            "ops.yaml:18:18: step 'third': input 'key': step 'third' cannot refer to its own outputs",
        ])
    }

    @Test func referencesNestedInListsAndMapsAreChecked() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with:
                  key: a
                  items: ["${params.missing}"]
                  labels: { owner: "${steps.b.key}" }
              - id: b
                uses: test.effect
                with: { key: b }
            """)
        #expect(problems == [
            "ops.yaml:7:14: step 'a': input 'items': unknown param 'missing' (the runbook declares none)",
            "ops.yaml:8:15: step 'a': input 'labels': refers forward to step 'b', which runs later",
        ])
    }

    @Test func malformedExpressionsAreReported() {
        let problems = diagnostics("""
            name: ops
            steps:
              - id: a
                uses: test.effect
                with:
                  key: "${params.user"
                  value: "${env.HOME}"
            """)
        #expect(problems == [
            "ops.yaml:6:12: step 'a': input 'key': unterminated '${' in \"${params.user\"",
            "ops.yaml:7:14: step 'a': input 'value': '${env.HOME}' is not a reference: use ${params.NAME}, ${steps.ID.OUTPUT}, ${item} or ${run.id}",
        ])
    }

    @Test func echoStepsOutputWhatTheyAreGiven() throws {
        _ = try loadRunbook("""
            name: ops
            steps:
              - { id: set, uses: test.echo, with: { region: eu-west-1 } }
              - { id: use, uses: test.effect, with: { key: "${steps.set.region}" } }
            """)
        let problems = diagnostics("""
            name: ops
            steps:
              - { id: set, uses: test.echo, with: { region: eu-west-1 } }
              - { id: use, uses: test.effect, with: { key: "${steps.set.zone}" } }
            """)
        #expect(problems == ["ops.yaml:4:48: step 'use': input 'key': step 'set' has no output 'zone'; it outputs its inputs: region"])
    }

    @Test func foreachAndWhenAreChecked() {
        let problems = diagnostics("""
            name: ops
            params:
              user: { type: string, default: u }
            steps:
              - id: a
                uses: test.effect
                foreach: "${params.user}"
                with: { key: "${item}" }
              - id: b
                uses: test.effect
                foreach: "${item}"
                with: { key: b }
              - id: c
                uses: test.effect
                when: "${steps.zzz.key}"
                with: { key: c }
            """)
        #expect(problems == [
            "ops.yaml:7:14: step 'a': foreach must be list, but ${params.user} is string",
            "ops.yaml:11:14: step 'b': foreach: foreach cannot refer to its own ${item}",
            "ops.yaml:15:11: step 'c': when: unknown step 'zzz'",
        ])
    }

    // MARK: Params

    @Test func paramDeclarationsAreChecked() {
        let problems = diagnostics("""
            name: ops
            params:
              kind: { type: enum }
              user: { type: string, pattern: '([a-z' }
              count: { type: int, default: many }
              name: { type: string, pattern: '^[a-z]+$', default: Automate }
              ratio: { type: float }
              profile: { default: "${params.nobody}" }
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
            """)
        #expect(problems == [
            "ops.yaml:3:3: param 'kind' of type enum needs a list of 'values'",
            "ops.yaml:4:34: param 'user': 'pattern' is not a valid regular expression",
            "ops.yaml:5:32: param 'count': default must be a whole number, not string many",
            "ops.yaml:6:55: param 'name': default 'Automate' does not match the pattern ^[a-z]+$",
            "ops.yaml:7:18: param 'ratio': unknown type 'float'; expected one of: string, int, bool, list, map, enum",
            "ops.yaml:8:3: param 'profile': default refers to unknown param 'nobody'",
        ])
    }

    @Test func onlyStringParamsCanBeSecret() {
        let problems = diagnostics("""
            name: ops
            params:
              tokens: { type: list, secret: true }
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
            """)
        #expect(problems == ["ops.yaml:3:3: param 'tokens': only string params can be secret"])
    }

    @Test func aSecretDefaultThatViolatesItsPatternIsNotQuoted() {
        let problems = diagnostics("""
            name: ops
            params:
              token: { type: string, secret: true, pattern: '^tok-', default: hunter2-not-a-token }
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
            """)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("does not match the pattern") == true, "\(problems)")
        #expect(problems.first?.contains("hunter2") == false, "\(problems)")
    }

    // MARK: Several problems at once

    @Test func everyProblemIsReportedTogetherInFileOrder() {
        let problems = diagnostics("""
            name: ops
            params:
              user: { type: string, default: u }
            steps:
              - id: b
                uses: test.effect
                with: { key: "${steps.a.key}" }
                foo: bar
              - id: a
                uses: test.nope
              - id: c
                uses: test.effect
                with: { key: c, value: "${params.usr}" }
            stpes: []
            """)
        #expect(problems == [
            "ops.yaml:7:18: step 'b': input 'key': refers forward to step 'a', which runs later",
            "ops.yaml:8:5: unknown key 'foo' in a step; expected one of: description, foreach, id, retry, timeout, uses, when, with",
            "ops.yaml:10:11: step 'a': unknown plugin 'test.nope'; see `runbook plugins`",
            "ops.yaml:13:28: step 'c': input 'value': unknown param 'usr'; declared: user",
            "ops.yaml:14:1: unknown key 'stpes' in the runbook; did you mean 'steps'?",
        ])
    }

    /// A step or param with a problem of its own must not make every reference to it fail
    /// as well: the operator would chase errors that are not there.
    @Test func aBrokenDeclarationDoesNotCascadeIntoUnknownReferences() {
        let problems = diagnostics("""
            name: ops
            params:
              count: { type: int, default: many }
            steps:
              - id: a
                uses: test.effect
                with: { key: a }
                timeout: forever
              - id: b
                uses: test.effect
                with: { key: "${steps.a.key}", count: "${params.count}" }
            """)
        #expect(problems == [
            "ops.yaml:3:32: param 'count': default must be a whole number, not string many",
            "ops.yaml:8:14: 'timeout' must be a duration such as 30s or 5m",
        ])
    }
}
