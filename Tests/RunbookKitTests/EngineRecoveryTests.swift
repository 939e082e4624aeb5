import Foundation
@testable import RunbookKit
import Testing

/// Resume, reconcile and rollback: a run that stopped anywhere either finishes with every
/// effect once, or is undone newest first.
@Suite("Engine: resume, reconcile, rollback")
struct EngineRecoveryTests {
    let harness: EngineHarness
    init() throws { harness = try EngineHarness() }

    static let threeSteps = """
        name: ops
        steps:
          - { id: a, uses: test.effect, with: { key: a } }
          - { id: b, uses: test.effect, with: { key: b } }
          - { id: c, uses: test.effect, with: { key: c } }
        """

    // MARK: Resume

    @Test func resumingAFixedFailureFinishesTheRunWithEachEffectOnce() async throws {
        harness.ledger.fail("each-b", times: 2, message: "LimitExceeded")
        let runbook = try harness.load("""
            name: ops
            steps:
              - id: each
                foreach: [a, b, c]
                uses: test.effect
                with: { key: "each-${item}" }
              - { id: after, uses: test.effect, with: { key: after, value: "${steps.each.key}" } }
            """)
        let first = try await harness.execute(runbook)
        #expect(first.state == .failed)

        let second = try await harness.engine().resume(first.runID)
        #expect(second.state == .failed, "the plugin fails twice")
        #expect(second.error == "step each[b] failed: LimitExceeded")

        let third = try await harness.engine().resume(first.runID)
        #expect(third.state == .succeeded)
        #expect(third.runID == first.runID)
        #expect(try harness.states(first.runID) == ["each[a]: applied", "each[b]: applied", "each[c]: applied", "after: applied"])
        for key in ["each-a", "each-b", "each-c", "after"] {
            #expect(harness.ledger.applies(key) == 1, "\(key) applied \(harness.ledger.applies(key)) times")
        }
        // The failed instance was asked whether its change happened before it was applied again.
        #expect(harness.ledger.calls.filter { $0 == "reconcile each-b" }.count == 2)
        #expect(harness.ledger.attempts("each-b") == [1, 2, 3])
        // Outputs of instances applied before the failure still reach later steps.
        #expect(harness.ledger.appliedInputs("after")?["value"] == ["each-a", "each-b", "each-c"])
    }

    @Test func resumingASucceededRunDoesNothing() async throws {
        let outcome = try await harness.execute(Self.threeSteps)
        let calls = harness.ledger.calls
        let again = try await harness.engine().resume(outcome.runID)
        #expect(again.state == .succeeded)
        #expect(harness.ledger.calls == calls)
        #expect(harness.events.notices.contains("run \(outcome.runID): nothing to do, it already succeeded"))
    }

    @Test func resumingAnUnknownRunIsAnError() async throws {
        do {
            _ = try await harness.engine().resume("20260101-000000-0000")
            Issue.record("resumed a run that does not exist")
        } catch {
            guard case .store(.unknownRun("20260101-000000-0000")) = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func aRunOwnedByALiveProcessCannotBeResumed() async throws {
        harness.ledger.fail("b")
        let failed = try await harness.execute(Self.threeSteps)
        // Another live process (this one, with another lease token) owns it now.
        let other = LeaseOwner.current()
        #expect(try harness.store.acquireLease(failed.runID, owner: other) == .acquired)
        do {
            _ = try await harness.engine().resume(failed.runID)
            Issue.record("resumed a run another live process owns")
        } catch {
            guard case .store(.leaseHeld(_, let owner, _)) = error else { Issue.record("\(error)"); return }
            #expect(owner.token == other.token)
        }
        #expect(harness.ledger.applies("b") == 0)
    }

    @Test func resumeUsesTheDefinitionStoredWithTheRunAndSaysWhenTheFileChanged() async throws {
        let path = harness.directory.file("ops.yaml")
        try Self.threeSteps.write(toFile: path, atomically: true, encoding: .utf8)
        let runbook = try RunbookLoader(registry: harness.registry).load(RunbookLocator(environment: [:], workingDirectory: harness.directory.path).locate("ops.yaml"))
        harness.ledger.fail("b")
        let failed = try await harness.execute(runbook)
        try Self.threeSteps.replacingOccurrences(of: "key: c", with: "key: changed").write(toFile: path, atomically: true, encoding: .utf8)

        let resumed = try await harness.engine().resume(failed.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.world == ["a", "b", "c"])
        #expect(harness.events.notices.contains("ops.yaml has changed since this run started; using the copy stored with the run"))
    }

    // MARK: In doubt: `started` without `applied`

    /// Runs `runbook` until the plugin suspends as scripted, then cancels the engine's task as
    /// a second Ctrl-C would: the instance stays `started`, in doubt.
    func interrupt(_ runbook: Runbook) async throws -> RunOutcome {
        let harness = self.harness
        let params = try harness.params(for: runbook)
        let task = Task { try await harness.engine().execute(runbook, params: params, onFailure: .pause) }
        _ = await harness.ledger.waitForHang()
        task.cancel()
        return try await task.value
    }

    @Test func anInDoubtInstanceWhoseChangeHappenedIsNotAppliedAgain() async throws {
        harness.ledger.hang("b", .afterEffect)
        let interrupted = try await interrupt(try harness.load(Self.threeSteps))
        #expect(interrupted.state == .interrupted)
        #expect(try harness.states(interrupted.runID) == ["a: applied", "b: started"])
        #expect(harness.ledger.world == ["a", "b"])

        let resumed = try await harness.engine().resume(interrupted.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.applies("b") == 1)
        #expect(harness.ledger.calls.contains("reconcile b"))
        #expect(try harness.states(interrupted.runID) == ["a: applied", "b: applied", "c: applied"])
        // Outputs were recovered by reconcile.
        #expect(try harness.snapshot(interrupted.runID).instances[1].outputs?["key"] == "b")
        #expect(try harness.journal(interrupted.runID).contains { $0.kind == .settled && $0.message == "settled: the change was in place" })
    }

    @Test func anInDoubtInstanceWhoseChangeDidNotHappenIsAppliedAgain() async throws {
        harness.ledger.hang("b", .beforeEffect)
        let interrupted = try await interrupt(try harness.load(Self.threeSteps))
        #expect(try harness.states(interrupted.runID) == ["a: applied", "b: started"])
        #expect(harness.ledger.world == ["a"])

        let resumed = try await harness.engine().resume(interrupted.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.applies("b") == 1)
        #expect(harness.ledger.attempts("b") == [1, 2])
        #expect(harness.ledger.world == ["a", "b", "c"])
    }

    @Test func anInDoubtInstanceThatNeededRepairIsAppliedAgain() async throws {
        harness.ledger.hang("b", .afterEffect)
        let interrupted = try await interrupt(try harness.load(Self.threeSteps))
        harness.ledger.answer("b", .repaired)

        let resumed = try await harness.engine().resume(interrupted.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.applies("b") == 2, "applied once before the repair, once after")
        #expect(harness.ledger.world == ["a", "b", "c"])
        #expect(try harness.journal(interrupted.runID).contains {
            $0.kind == .settled && $0.message == "settled: repaired (removed a partial b); applying again"
        })
    }

    @Test func aRunLeftStartedByADeadProcessIsTakenOverAndSettled() async throws {
        // The dead process had made its change before it died: `a` exists.
        let harness = try EngineHarness(world: ["a"])
        let runbook = try harness.load(Self.threeSteps)
        let dead = try deadOwner()
        let runID = "20261129-000000-dead"
        try harness.store.createRun(NewRun(id: runID, runbook: runbook, params: [:], onFailure: .pause), owner: dead)
        try harness.store.expand(runID, instances: [InstanceRecord(runID: runID, position: 0, stepID: "a", stepIndex: 0, name: "a", item: nil)],
                                 owner: dead)
        try harness.store.record(.started(attempt: 1, inputs: ["key": "a"], intent: ["existed": false]), instance: "a", runID: runID,
                                 owner: dead)
        #expect(try harness.store.run(runID)?.effectiveState() == .interrupted)

        let resumed = try await harness.engine().resume(runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.events.notices.contains { $0.hasPrefix("took over run \(runID) from pid \(dead.pid)") }, "\(harness.events.notices)")
        #expect(harness.ledger.calls.filter { $0.hasSuffix(" a") } == ["reconcile a"])
        #expect(harness.ledger.applies("a") == 0)
        #expect(try harness.states(runID) == ["a: applied", "b: applied", "c: applied"])
    }

    // MARK: Rollback

    @Test func onFailureRollbackUndoesWhatTheRunDidNewestFirst() async throws {
        harness.ledger.fail("c", message: "AccessDenied")
        let outcome = try await harness.execute(try harness.load(Self.threeSteps), onFailure: .rollback)
        #expect(outcome.state == .rolledBack)
        #expect(outcome.error == "step c failed: AccessDenied")
        #expect(harness.ledger.rollbacks == ["b", "a"])
        #expect(harness.ledger.world.isEmpty)
        #expect(try harness.states(outcome.runID) == ["a: rolled-back", "b: rolled-back", "c: rolled-back"])
        let run = try #require(try harness.store.run(outcome.runID))
        #expect(run.state == .rolledBack)
        #expect(run.error == "step c failed: AccessDenied")
    }

    @Test func rollingBackASucceededRunUndoesNewestFirstOnce() async throws {
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - { id: a, uses: test.effect, with: { key: a } }
              - { id: each, uses: test.effect, foreach: [x, y], with: { key: "${item}" } }
              - { id: skipped, uses: test.effect, when: false, with: { key: s } }
              - { id: c, uses: test.effect, with: { key: c } }
            """)
        #expect(outcome.state == .succeeded)

        let undone = try await harness.engine().rollback(outcome.runID)
        #expect(undone.state == .rolledBack)
        #expect(harness.ledger.rollbacks == ["c", "y", "x", "a"])
        #expect(harness.ledger.world.isEmpty)
        #expect(try harness.states(outcome.runID) == [
            "a: rolled-back", "each[x]: rolled-back", "each[y]: rolled-back", "skipped: skipped", "c: rolled-back",
        ])
        let entries = try harness.journal(outcome.runID).filter { $0.kind == .rollingBack || $0.kind == .rolledBack }
        #expect(entries.map { "\($0.kind.rawValue) \($0.instance ?? "")" } == [
            "rolling-back c", "rolled-back c", "rolling-back each[y]", "rolled-back each[y]",
            "rolling-back each[x]", "rolled-back each[x]", "rolling-back a", "rolled-back a",
        ])

        let again = try await harness.engine().rollback(outcome.runID)
        #expect(again.state == .rolledBack)
        #expect(harness.ledger.rollbacks.count == 4)
        #expect(harness.events.notices.contains("run \(outcome.runID): nothing to do, it is already rolled back"))
    }

    @Test func rollbackLeavesWhatExistedBeforeTheRun() async throws {
        let harness = try EngineHarness(world: ["pre-existing"])
        let outcome = try await harness.execute("""
            name: ops
            steps:
              - { id: a, uses: test.effect, with: { key: pre-existing } }
              - { id: b, uses: test.effect, with: { key: new } }
            """)
        _ = try await harness.engine().rollback(outcome.runID)
        #expect(harness.ledger.rollbacks == ["new", "pre-existing"])
        #expect(harness.ledger.world == ["pre-existing"], "the intent checkpointed before apply reached rollback")
    }

    @Test func rollingBackAFailedRunSettlesTheFailedInstanceFirst() async throws {
        harness.ledger.fail("b")
        let failed = try await harness.execute(Self.threeSteps)
        let undone = try await harness.engine().rollback(failed.runID)
        #expect(undone.state == .rolledBack)
        #expect(harness.ledger.calls.filter { !$0.hasPrefix("plan") && !$0.hasPrefix("observe") } == [
            "apply a", "apply b", "reconcile b", "rollback a",
        ])
        #expect(try harness.journal(failed.runID).contains { $0.instance == "b" && $0.message == "nothing to undo: it was not applied" })
    }

    @Test func aRunBeingRolledBackCannotBeResumed() async throws {
        let outcome = try await harness.execute(Self.threeSteps)
        _ = try await harness.engine().rollback(outcome.runID)
        do {
            _ = try await harness.engine().resume(outcome.runID)
            Issue.record("resumed a rolled-back run")
        } catch {
            guard case .wrongState(_, .rolledBack, let hint) = error else { Issue.record("\(error)"); return }
            #expect(hint == "it is being undone; finish with `runbook rollback \(outcome.runID)`")
        }
    }

    // MARK: Secrets in messages

    @Test func aPluginErrorQuotingASecretIsStoredAndReportedRedacted() async throws {
        let token = "ghp-4e1f7a9c3b2d8e6f"
        harness.ledger.fail("call", times: 5, message: "401 Unauthorized for request with Authorization: {secret}")
        var runbook = try harness.load("""
            name: ops
            params:
              token: { type: string }
            steps:
              - { id: call, uses: test.effect, with: { key: call, secret: "Bearer ${params.token}" } }
            """)
        runbook.steps[0].retry = RetrySpec(maxAttempts: 2, backoff: .milliseconds(1))
        let outcome = try await harness.execute(runbook, params: ["token": .secret(Secret(token))])

        #expect(outcome.state == .failed)
        let error = try #require(outcome.error)
        #expect(!error.contains(token), "\(error)")
        #expect(error.hasPrefix("step call failed: 401 Unauthorized for request with Authorization: [secret"), "\(error)")
        #expect(try harness.snapshot(outcome.runID).instances[0].error?.contains(token) == false)
        #expect(try harness.store.run(outcome.runID)?.error?.contains(token) == false)
        for entry in try harness.journal(outcome.runID) {
            #expect(!entry.message.contains(token), "journal: \(entry.message)")
        }
        for event in harness.events.all {
            #expect(!"\(event)".contains(token), "event: \(event)")
        }
        #expect(try harness.filesContaining(token).isEmpty)
        #expect(harness.ledger.attempts("call") == [1, 2])
    }

    /// `foreach` items are values like any other: a secret item must survive a resume.
    @Test func aSecretForeachItemSurvivesAResume() async throws {
        harness.ledger.fail("use-first-secret-1111")
        let runbook = try harness.load("""
            name: ops
            params:
              first: { type: string }
              second: { type: string }
            steps:
              - { id: keys, uses: test.echo, with: { items: ["${params.first}", "${params.second}"] } }
              - id: use
                foreach: "${steps.keys.items}"
                uses: test.effect
                with: { key: "use-${item}" }
            """)
        let failed = try await harness.execute(runbook, params: [
            "first": .secret(Secret("first-secret-1111")), "second": .secret(Secret("second-secret-2222")),
        ])
        #expect(failed.state == .failed)
        #expect(try harness.states(failed.runID) == ["keys: applied", "use[0]: failed", "use[1]: pending"])

        let resumed = try await harness.engine().resume(failed.runID)
        #expect(resumed.state == .succeeded)
        #expect(harness.ledger.world == ["use-first-secret-1111", "use-second-secret-2222"])
    }

    /// A plugin may hand back a secret's value as plain text (a command's stdout that echoes a
    /// token, an API response quoting a request). The engine knows every secret of the run and
    /// must not store or show it in the clear.
    @Test func anOutputCarryingASecretValueIsNotStoredInTheClear() async throws {
        let token = "tok-a1b2c3d4e5f6"
        let outcome = try await harness.execute(try harness.load("""
            name: ops
            params:
              token: { type: string }
            steps:
              - { id: a, uses: test.effect, with: { key: "${params.token}" } }
            """), params: ["token": .secret(Secret(token))])
        #expect(outcome.state == .succeeded)
        #expect(try harness.filesContaining(token).isEmpty)
        #expect(try harness.snapshot(outcome.runID).instances[0].outputs?["key"]?.displayText.contains(token) == false)
    }
}
