import Dispatch
import Foundation
import RunbookKit
import Synchronization

/// Live progress of a run. On a terminal, the instance in flight shows on a line that
/// updates its elapsed time, replaced by its final line; piped, one plain line per
/// instance when it finishes.
final class ProgressRenderer: RunObserver, Sendable {
    private struct Live {
        var name: String
        var verb: String
        var since: ContinuousClock.Instant
    }
    private let live = Mutex<Live?>(nil)
    private let style: Style
    private let interactive: Bool
    private let quiet: Bool
    private let timer: TimerBox

    /// `quiet` (JSON output) prints nothing.
    init(environment: [String: String], quiet: Bool) {
        interactive = Terminal.isInteractive && !quiet
        style = Style(color: Terminal.usesColor(environment: environment))
        self.quiet = quiet
        timer = TimerBox()
        if interactive {
            timer.start { [weak self] in self?.repaint() }
        }
    }

    deinit { timer.stop() }

    func handle(_ event: RunEvent) {
        guard !quiet else { return }
        switch event {
        case .runStarted(let runID, let runbook, let mode):
            let verb = mode == .execute ? "executing" : mode == .resume ? "resuming" : "rolling back"
            print("\(verb) \(runbook), run \(style.bold(runID))")
        case .notice(let text):
            print(style.dim("note: \(text)"))
        case .instanceStarted(let name, _):
            begin(name, verb: "started")
        case .rollbackStarted(let name):
            begin(name, verb: "rolling-back")
        case .instanceFinished(let name, let state, let elapsed, let detail),
             .rollbackFinished(let name, let state, let elapsed, let detail):
            finish(name, state: state, elapsed: elapsed, detail: detail)
        case .retrying(let name, let attempt, let error, let delay):
            print("  \(style.paint("retrying".padding(toLength: 12, withPad: " ", startingAt: 0), "33"))  \(name)  attempt \(attempt) failed: \(error); next in \(delay.shortText)")
        case .settled(let name, let outcome):
            print("  \(style.paint("settled".padding(toLength: 12, withPad: " ", startingAt: 0), "36"))  \(name)  \(outcome)")
        }
    }

    private func begin(_ name: String, verb: String) {
        live.withLock { $0 = Live(name: name, verb: verb, since: .now) }
        repaint()
    }

    private func finish(_ name: String, state: InstanceState, elapsed: Duration, detail: String?) {
        live.withLock { $0 = nil }
        var line = "  \(style.state(state))  \(name)  \(style.dim(elapsed.shortText))"
        if let detail { line += "  \(detail)" }
        print(line)
    }

    private func repaint() {
        guard interactive, let current = live.withLock({ $0 }) else { return }
        let elapsed = current.since.duration(to: .now)
        let text = "  \(style.paint(current.verb.padding(toLength: 12, withPad: " ", startingAt: 0), "36"))  \(current.name)  \(style.dim(elapsed.shortText))"
        Terminal.outRaw("\r\u{1B}[2K" + text)
    }

    private func print(_ line: String) {
        if interactive { Terminal.outRaw("\r\u{1B}[2K") }
        Terminal.out(line)
    }
}

/// A repeating timer on a background queue, for the live elapsed time.
private final class TimerBox: @unchecked Sendable {
    // Touched only from start/stop on the caller's thread and from the timer's own queue.
    private var source: DispatchSourceTimer?

    func start(_ tick: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "runbook.progress"))
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        timer.setEventHandler(handler: tick)
        timer.resume()
        source = timer
    }

    func stop() {
        source?.cancel()
        source = nil
    }
}
