import ArgumentParser

/// `runbook`: executes operations documents as safe, resumable runbooks.
struct RunbookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Execute operations runbooks as checkpointed, resumable, undoable runs.",
        discussion: """
            Exit codes: 0 success; 1 the run did not succeed; 2 invalid input (usage, runbook, params,
            unknown run, unusable state directory); 3 the run is owned by another live process;
            130/143 interrupted by SIGINT/SIGTERM.
            """,
        subcommands: [
            List.self, Show.self, Validate.self, Plugins.self,
            Execute.self, Resume.self, Rollback.self,
            Status.self, Runs.self, Log.self, Output.self,
            Prune.self, Rekey.self,
            Doctor.self,
        ]
    )
}
