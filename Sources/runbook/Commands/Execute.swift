import ArgumentParser
import Foundation
import RunbookKit

struct Execute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Execute a runbook, or preview it with --dry-run.",
        discussion: """
            Params are given as --param KEY=VALUE, where VALUE is read as YAML (--param policies='[a, b]',
            --param tags='{team: ops}'), or in a YAML file with --params-file; --param wins.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "A runbook name (looked up in ./runbooks, then RUNBOOK_PATH) or a path to a runbook file.")
    var runbook: String

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a param; VALUE is YAML.", valueName: "key=value"))
    var params: [String] = []

    @Option(name: .customLong("params-file"), help: ArgumentHelp("Read params from a YAML file.", valueName: "file"))
    var paramsFile: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would happen, checking live state read-only; change nothing.")
    var dryRun = false

    @Option(name: .customLong("on-failure"), help: "When a step fails: pause (default; resume or roll back later) or rollback (undo at once).")
    var onFailure: FailurePolicy?

    @Flag(name: .customLong("keep-secrets"), help: "Keep delivered secrets in the store after success (default: purge them).")
    var keepSecrets = false

    func run() async throws {
        let context = CommandContext(options: global)
        let runbook = try context.loadRunbook(self.runbook)
        let bound = try ParamBinder(runbook: runbook).bind(assignments: params, file: try readParamsFile(context))

        if dryRun, keepSecrets { throw UsageError("--keep-secrets has no effect with --dry-run, which stores nothing") }
        if dryRun {
            let planner = Planner(registry: context.registry, environment: context.environment,
                                  workingDirectory: context.workingDirectory)
            let plan = try await planner.plan(runbook, params: bound)
            PlanRenderer(style: Style(color: Terminal.usesColor(environment: context.environment))).render(plan, format: format.output)
            if !plan.blocked.isEmpty { throw CommandExit.runFailed }
            return
        }
        let policy = onFailure ?? runbook.onFailure ?? .pause
        try await RunDriver(context: context, output: format.output).drive { engine throws(EngineError) in
            try await engine.execute(runbook, params: bound, onFailure: policy, keepSecrets: keepSecrets)
        }
    }

    private func readParamsFile(_ context: CommandContext) throws -> ParamBinder.ParamsFile? {
        guard let paramsFile else { return nil }
        let path = paramsFile.hasPrefix("/") ? paramsFile : (context.workingDirectory as NSString).appendingPathComponent(paramsFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--params-file \(paramsFile): \(FileManager.default.fileExists(atPath: path) ? "cannot read it" : "no such file")")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UsageError("--params-file \(paramsFile): not UTF-8 text")
        }
        return ParamBinder.ParamsFile(displayPath: paramsFile, text: text)
    }
}

extension FailurePolicy: ExpressibleByArgument {}
