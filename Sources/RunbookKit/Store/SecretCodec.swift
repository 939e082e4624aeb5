import Foundation
import GRDB

/// An encrypted secret, as a row of the `secrets` table.
struct SecretRow: Sendable {
    var runID: String
    var instance: String
    /// Where the secret sits: `outputs.secret_access_key`, `intent.previous.credentials`.
    var field: String
    var fingerprint: String
    var sealed: SecretCipher.Sealed
    var keyID: String
}

/// Turns values into the JSON the store keeps: each secret is sealed into its own row and
/// replaced in the JSON by a reference, `{"$secret": FIELD, "fp": FINGERPRINT}`. No secret
/// value is ever part of the JSON. A key of plain data that starts with `$` is written with
/// one more `$`, so data can never be mistaken for a reference.
struct SecretCodec {
    let vault: SecretVault
    let runID: String
    let instance: String

    static let referenceKey = "$secret"

    func seal(_ value: Value, field: String) throws -> (json: String, rows: [SecretRow]) {
        var rows: [SecretRow] = []
        let replaced = try replace(value, path: field, rows: &rows)
        return (replaced.jsonString(), rows)
    }

    private func replace(_ value: Value, path: String, rows: inout [SecretRow]) throws -> Value {
        switch value {
        case .secret(let secret):
            var fingerprint = secret.fingerprint
            if let plaintext = secret.revealed {
                let sealing = try vault.seal(plaintext, runID: runID, instance: instance, field: path)
                rows.append(SecretRow(runID: runID, instance: instance, field: path, fingerprint: sealing.fingerprint,
                                      sealed: sealing.sealed, keyID: sealing.keyID))
                fingerprint = sealing.fingerprint
            }
            return .map([Self.referenceKey: .string(path), "fp": fingerprint.map(Value.string) ?? .null])
        case .list(let items):
            var result: [Value] = []
            for (index, item) in items.enumerated() { result.append(try replace(item, path: "\(path).\(index)", rows: &rows)) }
            return .list(result)
        case .map(let entries):
            var result: [String: Value] = [:]
            for (key, item) in entries {
                result[key.hasPrefix("$") ? "$" + key : key] = try replace(item, path: "\(path).\(key)", rows: &rows)
            }
            return .map(result)
        default:
            return value
        }
    }
}

/// The `secrets` rows of one run, by instance and field.
struct SecretRows {
    var byKey: [String: (fingerprint: String, sealed: SecretCipher.Sealed?, keyID: String)] = [:]

    static func key(_ instance: String, _ field: String) -> String { "\(instance)\u{0}\(field)" }

    static func fetch(_ db: Database, runID: String) throws -> SecretRows {
        var rows = SecretRows()
        for row in try Row.fetchAll(db, sql: """
            SELECT instance, field, fingerprint, nonce, ciphertext, key_id FROM secrets WHERE run_id = ?
            """, arguments: [runID]) {
            let nonce: Data? = row["nonce"]
            let ciphertext: Data? = row["ciphertext"]
            let sealed = nonce.flatMap { n in ciphertext.map { SecretCipher.Sealed(nonce: n, ciphertext: $0) } }
            rows.byKey[key(row["instance"], row["field"])] = (row["fingerprint"], sealed, row["key_id"])
        }
        return rows
    }
}

/// Reads stored JSON back into values, opening secret references when asked to reveal.
struct SecretOpener {
    let vault: SecretVault?
    let runID: String
    let rows: SecretRows
    let reveal: Bool

    init(vault: SecretVault?, runID: String, rows: SecretRows, reveal: Bool) {
        self.vault = vault
        self.runID = runID
        self.rows = rows
        self.reveal = reveal
    }

    /// Leaves secrets as fingerprints: for listings, which never need their values.
    static let redacting = SecretOpener(vault: nil, runID: "", rows: SecretRows(), reveal: false)

    func open(_ json: String, instance: String) throws -> Value {
        try restore(Value.parseJSON(json), instance: instance)
    }

    private func restore(_ value: Value, instance: String) throws -> Value {
        switch value {
        case .map(let entries):
            if entries.count == 2, entries["fp"] != nil, let field = entries[SecretCodec.referenceKey]?.stringValue {
                let fingerprint = entries["fp"]?.stringValue
                guard let row = rows.byKey[SecretRows.key(instance, field)] else {
                    return .secret(.unavailable(fingerprint: fingerprint))
                }
                guard reveal, let vault, let sealed = row.sealed else {
                    return .secret(.unavailable(fingerprint: row.fingerprint))
                }
                let plaintext = try vault.open(sealed, keyID: row.keyID, runID: runID, instance: instance, field: field)
                return .secret(Secret(plaintext, fingerprint: row.fingerprint))
            }
            var result: [String: Value] = [:]
            for (key, item) in entries {
                result[key.hasPrefix("$$") ? String(key.dropFirst()) : key] = try restore(item, instance: instance)
            }
            return .map(result)
        case .list(let items):
            return .list(try items.map { try restore($0, instance: instance) })
        default:
            return value
        }
    }
}
