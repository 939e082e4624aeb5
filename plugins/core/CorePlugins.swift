import RunbookKit

/// The general-purpose plugins every runbook can use.
public enum CorePlugins {
    public static var all: [any StepPlugin] {
        [CoreFile(), CoreSet(), CoreShell(), CoreWait()]
    }
}
