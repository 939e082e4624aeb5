import Foundation
import Testing

/// `execute --dry-run` prints the plan and the rollback plan and writes nothing.
@Suite("Dry run")
struct DryRunTests {
    @Test func writesNothingAnywhere() async throws {
        let sandbox = try Sandbox()
        try sandbox.write("existing.txt", "old\n")
        try sandbox.writeRunbook("plan", """
            name: plan
            params:
              names: { type: list, default: [a, b] }
            steps:
              - id: values
                uses: core.set
                with: { v: 1 }
              - id: files
                foreach: ${params.names}
                uses: core.file
                with: { path: "${item}.txt", content: "${steps.values.v}\\n" }
              - id: replace
                uses: core.file
                with: { path: existing.txt, content: "new\\n" }
              - id: same
                uses: core.file
                with: { path: existing.txt, content: "old\\n" }
            """)
        let before = sandbox.snapshot("")
        let plan = try await sandbox.run("execute", "plan", "--dry-run")
        #expect(plan.status == 0, "\(plan)")
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  + values") && $0.contains("set v") }, "\(plan)")
        #expect(lines.contains { $0.hasPrefix("  + files[a]") && $0.contains("create \(sandbox.root.path)/a.txt") }, "\(plan)")
        #expect(lines.contains { $0.hasPrefix("  ~ replace") }, "\(plan)")
        #expect(lines.contains { $0.hasPrefix("  = same") && $0.contains("already has this content") }, "\(plan)")
        let rollbackStart = try #require(lines.firstIndex(of: "rollback plan (newest first):"))
        #expect(lines[(rollbackStart + 1)...].first?.contains("same") == true)
        #expect(lines.last?.contains("files[a]") == true && lines.last?.contains("remove") == true)

        #expect(sandbox.snapshot("").filter { !$0.key.hasPrefix(".out-") } == before, "a dry run changes no file")
        #expect(!sandbox.exists("home"), "a dry run creates no state directory, no database, no run")
    }

    @Test func jsonPlan() async throws {
        let sandbox = try Sandbox()
        try sandbox.writeRunbook("plan", """
            name: plan
            steps:
              - id: f
                uses: core.file
                with: { path: f.txt, content: x }
            """)
        let result = try await sandbox.run("execute", "plan", "--dry-run", "--output", "json")
        let plan = try #require(try result.json() as? [String: Any])
        #expect(plan["dry_run"] as? Bool == true)
        let steps = try #require(plan["steps"] as? [[String: Any]])
        #expect(steps.first?["mark"] as? String == "create" && steps.first?["instance"] as? String == "f")
        #expect((plan["rollback"] as? [[String: Any]])?.first?["undo"] as? String == "remove \(sandbox.root.path)/f.txt")
        #expect(!sandbox.exists("home"))
    }
}
