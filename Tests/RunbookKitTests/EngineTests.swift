import Foundation
@testable import RunbookKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Executing runs: the checkpoint protocol, failures, retries, timeouts, `when`, stops.
@Suite("Engine: execute")
struct EngineExecuteTests {
    let harness: EngineHarness
    init() throws { harness = try EngineHarness() }

    @Test func aRunSucceedsWithOutputsFlowingBetweenSteps() async throws {
        let outcome = try await harness.execute("""
            name: ha-iam
            params:
              user: { type: string, default: automate-ha }
              policies:
                type: list
                default: [arn:aws:iam::aws:policy/AdministratorAccess, arn:aws:iam::aws:policy/job-function/ViewOnlyAccess]
            steps:
              - id: user
                uses: test.effect
                with: { key: "user-${params.user}", value: "${params.user}" }
              - id: attach
                foreach: "${params.policies}"
                uses: test.effect
                with: { key: "attach-${item}", value: "${steps.user.key}" }
              - id: summary
                uses: test.echo
                with: { keys: "${steps.attach.key}", owner: "${steps.user.value}", run: "${run.id}" }
            """)
        #expect(outcome.state == .succeeded)
        #expect(outcome.runbook == "ha-iam")
        #expect(outcome.error == nil)

        #expect(try harness.states(outcome.runID) == [
            "user: applied", "attach[AdministratorAccess]: applied", "attach[ViewOnlyAccess]: applied", "summary: applied",
        ])
        let summary = try #require(try harness.snapshot(outcome.runID).instances.last?.outputs)
        #expect(summary["keys"] == ["attach-arn:aws:iam::aws:policy/AdministratorAccess",
                                    "attach-arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"])
        #expect(summary["owner"] == "automate-ha")
        #expect(summary["run"] == .string(outcome.runID))
        #expect(harness.ledger.appliedInputs("attach-arn:aws:iam::aws:policy/AdministratorAccess")?["value"] == "user-automate-ha")
        #expect(harness.ledger.world == ["user-automate-ha", "attach-arn:aws:iam::aws:policy/AdministratorAccess",
                                         "attach-arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"])
        #expect(harness.ledger.totalApplies == 3)

        let run = try #require(try harness.store.run(outcome.runID))
        #expect(run.state == .succeeded)
        #expect(run.lease == nil, "the lease is released when the engine is done")
        let journal = try harness.journal(outcome.runID)
        #expect(journal.first?.kind == .created)
        // The last state entry is the success; only the purge of delivered secrets may follow it.
        #expect(journal.last(where: { $0.kind == .state })?.message == "succeeded")
        #expect(journal.drop(while: { !($0.kind == .state && $0.message == "succeeded") }).dropFirst().allSatisfy { $0.kind == .purged })
        // Each instance: started, then applied, in order.
        #expect(journal.filter { $0.kind == .started || $0.kind == .applied }.map { "\($0.kind.rawValue) \($0.instance ?? "")" } == [
            "started user", "applied user",
            "started attach[AdministratorAccess]", "applied attach[AdministratorAccess]",
            "started attach[ViewOnlyAccess]", "applied attach[ViewOnlyAccess]",
            "started summary", "applied summary",
        ])
    }

    @Test func theIntentIsObservedAndCheckpointedBeforeApply() async throws {
        let harness = try EngineHarness(world: ["existing"])
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - { id: a, uses: test.effect, with: { key: existing } }
              - { id: b, uses: test.effect, with: { key: fresh } }
            """)
        #expect(outcome.state == .succeeded)
        #expect(harness.ledger.calls.filter { !$0.hasPrefix("plan") } == ["observe existing", "apply existing", "observe fresh", "apply fresh"])
        let instances = try harness.snapshot(outcome.runID).instances
        #expect(instances.map { $0.intent?["existed"] } == [true, false])
        #expect(instances.map(\.attempt) == [1, 1])
    }

    @Test func declaredSecretOutputsAreSealedAndStaySecretDownstream() async throws {
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - { id: key, uses: test.effect, with: { key: k1 } }
              - { id: profile, uses: test.effect, with: { key: p1, secret: "${steps.key.token}" } }
            """, keepSecrets: true)
        #expect(outcome.state == .succeeded)
        // The plugin returned a plain string; the engine made it secret because the plugin declares it so.
        let sealed = try harness.snapshot(outcome.runID).instances[0].outputs?["token"]
        #expect(sealed?.displayText.hasPrefix("[secret ") == true)
        #expect(sealed?.stringValue == nil)
        #expect(try harness.snapshot(outcome.runID, reveal: true).instances[0].outputs?["token"]?.stringValue == "token-of-k1")
        // The next step received it as a secret, with its value.
        let received = try #require(harness.ledger.appliedInputs("p1")?["secret"])
        #expect(received.containsSecret)
        #expect(received.stringValue == "token-of-k1")
        #expect(try harness.filesContaining("token-of-k1").isEmpty)
    }

    @Test func aFailingStepStopsTheRunAndLeavesLaterInstancesPending() async throws {
        harness.ledger.fail("b", message: "EntityAlreadyExists: b")
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - id: each
                foreach: [a, b, c]
                uses: test.effect
                with: { key: "${item}" }
              - { id: after, uses: test.effect, with: { key: after } }
            """)
        #expect(outcome.state == .failed)
        #expect(outcome.error == "step each[b] failed: EntityAlreadyExists: b")
        #expect(try harness.states(outcome.runID) == ["each[a]: applied", "each[b]: failed", "each[c]: pending"])
        let b = try harness.snapshot(outcome.runID).instances[1]
        #expect(b.error == "EntityAlreadyExists: b")
        let run = try #require(try harness.store.run(outcome.runID))
        #expect(run.state == .failed)
        #expect(run.error == "step each[b] failed: EntityAlreadyExists: b")
        #expect(harness.ledger.world == ["a"])
        #expect(!harness.ledger.calls.contains("apply c"))
    }

    @Test func aRetriedStepSucceedsWithBackoffAndNotesEachAttempt() async throws {
        var runbook = try harness.load("""
            name: ops
            steps:
              - { id: flaky, uses: test.effect, with: { key: flaky } }
            """)
        // Set here, not as `retry:` in the YAML: the loader tests cover how `max_attempts` is read.
        runbook.steps[0].retry = RetrySpec(maxAttempts: 3, backoff: .milliseconds(20))
        harness.ledger.fail("flaky", times: 2, message: "Throttling")
        let clock = ContinuousClock()
        let began = clock.now
        let outcome = try await harness.execute(runbook)
        let elapsed = began.duration(to: clock.now)

        #expect(outcome.state == .succeeded)
        #expect(harness.ledger.attempts("flaky") == [1, 2, 3])
        #expect(harness.ledger.applies("flaky") == 1)
        #expect(elapsed >= .milliseconds(60), "waits 20ms, then 40ms")
        let notes = try harness.journal(outcome.runID).filter { $0.kind == .note }.map(\.message)
        #expect(notes == ["attempt 1 failed: Throttling; retrying in 20ms", "attempt 2 failed: Throttling; retrying in 40ms"])
        #expect(try harness.snapshot(outcome.runID).instances[0].attempt == 3)
        let retries = harness.events.all.compactMap { event -> Int? in
            if case .retrying(_, let attempt, _, _) = event { attempt } else { nil }
        }
        #expect(retries == [1, 2])
    }

    @Test func aStepThatKeepsFailingFailsAfterItsLastAttempt() async throws {
        var runbook = try harness.load("""
            name: ops
            steps:
              - { id: flaky, uses: test.effect, with: { key: flaky } }
            """)
        runbook.steps[0].retry = RetrySpec(maxAttempts: 2, backoff: .milliseconds(1))
        harness.ledger.fail("flaky", times: 5, message: "Throttling")
        let outcome = try await harness.execute(runbook)
        #expect(outcome.state == .failed)
        #expect(outcome.error == "step flaky failed: Throttling")
        #expect(harness.ledger.attempts("flaky") == [1, 2])
    }

    @Test func aStepThatOutlastsItsTimeoutFails() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - id: slow
                uses: test.slow
                with: { for: 1h }
                timeout: 50ms
              - { id: after, uses: test.effect, with: { key: after } }
            """)
        #expect(outcome.state == .failed)
        #expect(outcome.error == "step slow failed: timed out after 50ms")
        #expect(began.duration(to: clock.now) < .seconds(30))
        #expect(harness.ledger.calls.contains("apply slow"))
        #expect(!harness.ledger.calls.contains("slow finished"))
        #expect(try harness.states(outcome.runID) == ["slow: failed"])
    }

    @Test func aStepWhoseConditionIsFalseIsSkippedAndItsOutputsReadAsNull() async throws {
        let outcome = try await harness.execute("""
            name: ops
            params:
              enabled: { type: string, default: "" }
            steps:
              - { id: never, uses: test.effect, when: false, with: { key: never } }
              - { id: maybe, uses: test.effect, when: "${params.enabled}", with: { key: maybe } }
              - { id: after, uses: test.effect, with: { key: after, value: "${steps.never.key}" } }
            """)
        #expect(outcome.state == .succeeded)
        #expect(try harness.states(outcome.runID) == ["never: skipped", "maybe: skipped", "after: applied"])
        #expect(harness.ledger.world == ["after"])
        #expect(harness.ledger.appliedInputs("after")?["value"] == .null)
        #expect(try harness.journal(outcome.runID).filter { $0.kind == .skipped }.map(\.message) == ["false is false", "${params.enabled} is false"])
    }

    @Test func comparisonsChooseBetweenStepsLikeTheAttachModeOfHAIAM() async throws {
        let yaml = """
            name: ops
            params:
              via: { type: enum, values: [user, group], default: user }
              count: { type: int, default: 2 }
            steps:
              - { id: direct, uses: test.effect, when: { equals: ["${params.via}", user] }, with: { key: direct } }
              - { id: grouped, uses: test.effect, when: { equals: ["${params.via}", group] }, with: { key: grouped } }
              - { id: notone, uses: test.effect, when: { not_equals: ["${params.count}", "1"] }, with: { key: notone } }
            """
        let byUser = try await harness.execute(yaml)
        #expect(try harness.states(byUser.runID) == ["direct: applied", "grouped: skipped", "notone: applied"])
        let runbook = try harness.load(yaml)
        let byGroup = try await harness.execute(runbook, params: try harness.params(for: runbook, ["via=group", "count=1"]))
        #expect(try harness.states(byGroup.runID) == ["direct: skipped", "grouped: applied", "notone: skipped"])
    }

    @Test func aStopRequestLetsTheCurrentStepFinishAndMarksTheRunInterrupted() async throws {
        harness.ledger.stop(during: "a", with: harness.stop)
        let runbook = try harness.load("""
            name: ops
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
              - { id: b, uses: test.effect, with: { key: b } }
            """)
        let outcome = try await harness.execute(runbook)
        #expect(outcome.state == .interrupted)
        #expect(outcome.signal == SIGTERM)
        #expect(outcome.error == "stopped by SIGTERM")
        #expect(try harness.states(outcome.runID) == ["a: applied"])
        #expect(try harness.store.run(outcome.runID)?.state == .interrupted)

        let resumed = try await Engine(store: harness.store, configuration: EngineConfiguration(
            registry: harness.registry, environment: [:], workingDirectory: harness.directory.path)).resume(outcome.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.applies("a") == 1)
        #expect(harness.ledger.applies("b") == 1)
    }

    @Test func foreachInstancesAreNamedByItemOrIndex() {
        #expect(InstanceNaming.names(step: "attach", items: ["arn:aws:iam::aws:policy/AdministratorAccess", "plain"])
            == ["attach[AdministratorAccess]", "attach[plain]"])
        // Labels that are not unique, numbers, non-text or unsafe fall back to the index.
        #expect(InstanceNaming.names(step: "s", items: ["a/x", "b/x", "42", ["k": "v"], "has space", "ok"])
            == ["s[0]", "s[1]", "s[2]", "s[3]", "s[4]", "s[ok]"])
        #expect(InstanceNaming.names(step: "s", items: [.secret(Secret("hunter2-secret"))]) == ["s[0]"])
    }

    @Test func manyRunsExecuteAtOnceOnOneDatabase() async throws {
        let runbook = try harness.load("""
            name: ops
            params:
              name: { type: string }
            steps:
              - { id: a, uses: test.effect, with: { key: "${params.name}-a" } }
              - { id: b, uses: test.effect, with: { key: "${params.name}-b" } }
            """)
        let outcomes = try await withThrowingTaskGroup(of: RunOutcome.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await harness.execute(runbook, params: ["name": .string("run\(index)")])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.map(\.state) == Array(repeating: .succeeded, count: 4))
        #expect(Set(outcomes.map(\.runID)).count == 4)
        #expect(harness.ledger.totalApplies == 8)
        #expect(try harness.store.runs().count == 4)
    }
}

/// Pre-flight and dry-run: what happens before anything is changed.
@Suite("Engine: pre-flight and dry-run")
struct EnginePreflightTests {
    let harness: EngineHarness
    init() throws { harness = try EngineHarness() }

    @Test func aBlockedPlanStopsExecuteBeforeAnyRunExists() async throws {
        let runbook = try harness.load("""
            name: ops
            steps:
              - { id: first, uses: test.effect, with: { key: first } }
              - { id: gate, uses: test.gate }
            """)
        do {
            _ = try await harness.execute(runbook)
            Issue.record("a blocked run was executed")
        } catch let error as EngineError {
            guard case .blocked(let entries) = error else { Issue.record("\(error)"); return }
            #expect(entries.map(\.instance) == ["gate"])
            #expect(entries.first?.plan.note == "the gate is locked")
            #expect(error.description == "the run cannot start; nothing was changed:\n  ! gate: open the gate: the gate is locked")
        }
        #expect(try harness.store.runs().isEmpty)
        #expect(harness.ledger.calls == ["plan first", "plan gate"])
        #expect(harness.ledger.world.isEmpty)
    }

    @Test func aPluginThatRejectsAnInputValueStopsExecuteWithItsLocation() async throws {
        let runbook = try harness.load("""
            name: ops
            steps:
              - { id: first, uses: test.effect, with: { key: first } }
              - id: picky
                uses: test.picky
                with:
                  name: Admin
            """)
        do {
            _ = try await harness.execute(runbook)
            Issue.record("an invalid input value was executed")
        } catch let error as EngineError {
            guard case .invalid(let failure) = error else { Issue.record("\(error)"); return }
            #expect(failure.diagnostics.map(\.description) == ["ops.yaml:7:13: step 'picky': input 'name': 'Admin' must be lower case"])
        }
        #expect(try harness.store.runs().isEmpty)
        #expect(harness.ledger.world.isEmpty)
    }

    /// Secrecy is the engine's job: what a plugin says while planning is redacted like
    /// everything else, since it ends up on the operator's terminal.
    @Test func preflightMessagesDoNotRevealSecrets() async throws {
        let secret = "sk-live-4f9b2c7e1d"
        let failing = try harness.load("""
            name: ops
            params:
              token: { type: string }
            steps:
              - { id: gate, uses: test.gate, with: { mode: fail, secret: "${params.token}" } }
            """)
        do {
            _ = try await harness.execute(failing, params: ["token": .secret(Secret(secret))])
            Issue.record("a failing plan was executed")
        } catch {
            #expect(!"\(error)".contains(secret), "\(error)")
            #expect("\(error)".contains("access denied for credentials [secret"), "\(error)")
        }

        let picky = try harness.load("""
            name: ops
            params:
              token: { type: string }
            steps:
              - { id: picky, uses: test.picky, with: { name: "${params.token}" } }
            """)
        do {
            _ = try await harness.execute(picky, params: ["token": .secret(Secret("SK-LIVE-UPPER-123"))])
            Issue.record("an invalid input value was executed")
        } catch {
            #expect(!"\(error)".contains("SK-LIVE-UPPER-123"), "\(error)")
        }
        #expect(try harness.store.runs().isEmpty)
    }

    @Test func aDryRunPlansEveryInstanceAndDefersWhatIsOnlyKnownAtRunTime() async throws {
        let runbook = try harness.load("""
            name: ops
            params:
              names: { type: list, default: [x, y] }
            steps:
              - { id: user, uses: test.effect, with: { key: user } }
              - id: attach
                foreach: "${params.names}"
                uses: test.effect
                with: { key: "attach-${item}" }
              - { id: profile, uses: test.effect, with: { key: "profile-${steps.user.key}", value: "${steps.user.token}" } }
              - { id: set, uses: test.echo, with: { list: [a, b] } }
              - id: later
                foreach: "${steps.set.list}"
                uses: test.effect
                with: { key: "later-${item}" }
              - { id: off, uses: test.effect, when: false, with: { key: off } }
            """)
        let planner = Planner(registry: harness.registry, environment: [:], workingDirectory: harness.directory.path)
        let plan = try await planner.plan(runbook, params: try harness.params(for: runbook))

        #expect(plan.entries.map(\.instance) == ["user", "attach[x]", "attach[y]", "profile", "set", "later[*]", "off"])
        #expect(plan.entries.map(\.plan.mark) == [.create, .create, .create, .unchecked, .create, .unchecked, .unchanged])
        #expect(plan.entries.last?.isSkipped == true)

        let profile = try #require(harness.ledger.planned("profile-(user.key)"))
        #expect(profile.deferred == ["key", "value"])
        #expect(profile["value"] == "(user.token)")
        #expect(harness.ledger.planned("attach-x")?.hasDeferred == false)
        // The items of `later` come from a step that has not run: inputs built from them are deferred too.
        let later = try #require(plan.entries.first { $0.instance == "later[*]" })
        #expect(later.plan.mark == .unchecked, "planned as \(later.plan.summary)")

        // Newest first; `set` has nothing to undo and `off` will be skipped.
        #expect(plan.rollback.map(\.instance) == ["later[*]", "profile", "attach[y]", "attach[x]", "user"])
        // Planning changes nothing and records nothing.
        #expect(harness.ledger.world.isEmpty)
        #expect(harness.ledger.calls.allSatisfy { $0.hasPrefix("plan ") })
        #expect(try harness.store.runs().isEmpty)
    }
}
