import ArgumentParser

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("State directory (default: $RUNBOOK_HOME, else $XDG_STATE_HOME/runbook, else ~/.local/state/runbook).",
                                            valueName: "dir"))
    var home: String?
}

/// `--output text|json`, for commands with machine-readable output.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
