import ArgumentParser
import AWSKit
import Foundation
import RunbookKit

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check AWS credentials, region, endpoints and identity, and the state directory.",
        discussion: """
            Resolves AWS settings as the SDKs do, asks sts:GetCallerIdentity who the caller is, and \
            checks that the state directory is usable and private. Never shows a secret: the access \
            key id is masked to its last four characters. Exit 0 when all is well, 1 otherwise, with \
            the reasons on stderr.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        let context = CommandContext(options: global)
        let resolver = AWSConfigurationResolver(environment: context.environment,
                                                homeDirectory: context.environment["HOME"] ?? NSHomeDirectory())
        let state = StateDirectoryReport.inspect(home: context.home, environment: context.environment)
        let view = DoctorView(aws: await AWSDiagnostics.run(resolver: resolver), state: state)
        if format.output == .json {
            JSONOutput.print(view.json)
        } else {
            view.text(style: Style(color: Terminal.usesColor(environment: context.environment))).forEach(Terminal.out)
        }
        guard view.isHealthy else {
            let reasons = view.reasons
            if reasons.count == 1 {
                Terminal.error(reasons.map { $0.replacingOccurrences(of: "\n", with: "\n  ") })
            } else {
                Terminal.error(["\(reasons.count) problems:"] + reasons.map { "- " + $0.replacingOccurrences(of: "\n", with: "\n    ") })
            }
            throw CommandExit.runFailed
        }
    }
}
