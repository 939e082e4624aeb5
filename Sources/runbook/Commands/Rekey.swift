import ArgumentParser
import RunbookKit

struct Rekey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate the secret key: re-seal every stored secret under a new key.",
        discussion: "Safe to interrupt: a rotation cut short is completed (or discarded) by the next command that reads a secret.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = CommandContext(options: global)
        let store = try context.openStore()
        let count = try store.rotateSecretKey()
        Terminal.out("re-sealed \(count) secret(s) under a new key in \(context.vault.keyFile.path)")
    }
}
