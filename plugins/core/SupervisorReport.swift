import CRunbookSupport

/// Decodes the supervisor's report pipe: fixed-size `crb_report` records, each written
/// with one atomic write, though a read may still return them split or several at once.
struct ReportDecoder {
    private var pending: [UInt8] = []
    private(set) var records: [crb_report] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        let size = MemoryLayout<crb_report>.size
        var offset = 0
        while pending.count - offset >= size {
            let record = pending.withUnsafeBytes { raw in
                raw.loadUnaligned(fromByteOffset: offset, as: crb_report.self)
            }
            records.append(record)
            offset += size
        }
        pending.removeFirst(offset)
    }
}
