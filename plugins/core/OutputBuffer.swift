/// Collects one stream of a command up to a limit, so a chatty command cannot exhaust the
/// engine's memory. Bytes past the limit are still read (the command must never block on a
/// full pipe) and counted, but not kept.
struct OutputBuffer {
    enum Keep {
        /// Keep the first `limit` bytes: stdout, where the answer starts.
        case head
        /// Keep the last `limit` bytes: stderr, where the error usually is at the end.
        case tail
    }

    let limit: Int
    let keep: Keep
    private var bytes: [UInt8] = []
    private var dropped = 0

    init(limit: Int, keep: Keep) {
        self.limit = max(0, limit)
        self.keep = keep
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        switch keep {
        case .head:
            let room = max(0, limit - bytes.count)
            let taken = min(room, chunk.count)
            bytes.append(contentsOf: chunk.prefix(taken))
            dropped += chunk.count - taken
        case .tail:
            bytes.append(contentsOf: chunk)
            // Trim only when twice over, so appending stays amortised O(n).
            if bytes.count > 2 * limit {
                let excess = bytes.count - limit
                bytes.removeFirst(excess)
                dropped += excess
            }
        }
    }

    var captured: CapturedOutput {
        guard keep == .tail, bytes.count > limit else { return CapturedOutput(bytes: bytes, droppedByteCount: dropped) }
        let excess = bytes.count - limit
        return CapturedOutput(bytes: Array(bytes.dropFirst(excess)), droppedByteCount: dropped + excess)
    }
}
