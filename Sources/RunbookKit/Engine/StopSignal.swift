import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM handling. The first signal asks the run to stop starting new steps:
/// the call in flight finishes and is checkpointed. The second abandons the call in flight
/// (its instance stays `started`, to be settled by `resume`).
public final class StopSignal: Sendable {
    private struct State {
        var signal: Int32?
        var count = 0
        var onAbandon: (@Sendable () -> Void)?
        var sources: [SignalSourceBox] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// The first signal received, if any.
    public var received: Int32? { state.withLock { $0.signal } }
    public var isRequested: Bool { received != nil }

    /// Installs handlers for SIGINT and SIGTERM. `onFirst` is told to print a notice;
    /// `onAbandon` cancels the work in flight.
    public func install(onFirst: @escaping @Sendable (Int32) -> Void, onAbandon: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.receive(sig, onFirst: onFirst) }
            source.resume()
            state.withLock {
                $0.sources.append(SignalSourceBox(source: source))
                $0.onAbandon = onAbandon
            }
        }
    }

    /// Requests a stop as if `sig` had arrived (tests, and stop on lease loss).
    public func request(_ sig: Int32) {
        receive(sig, onFirst: { _ in })
    }

    private func receive(_ sig: Int32, onFirst: @Sendable (Int32) -> Void) {
        let (count, abandon) = state.withLock { s -> (Int, (@Sendable () -> Void)?) in
            if s.signal == nil { s.signal = sig }
            s.count += 1
            return (s.count, s.onAbandon)
        }
        if count == 1 {
            onFirst(sig)
        } else {
            abandon?()
        }
    }
}

/// Dispatch sources are thread-safe; the box only keeps them alive for the process's life.
private struct SignalSourceBox: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
