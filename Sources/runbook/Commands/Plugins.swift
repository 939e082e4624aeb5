import ArgumentParser
import RunbookKit

struct Plugins: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the step plugins, with their inputs and outputs.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        let context = CommandContext(options: global)
        let plugins = context.registry.all.map { type(of: $0) }
        if format.output == .json {
            JSONOutput.print(.list(plugins.map { plugin in
                .map([
                    "id": .string(plugin.id), "summary": .string(plugin.summary),
                    "inputs": .list(plugin.inputs.fields.map { f in
                        .map(["name": .string(f.name), "type": .string(f.type.rawValue), "required": .bool(f.isRequired),
                              "default": f.defaultValue ?? .null, "description": .string(f.description)])
                    }),
                    "any_inputs": .bool(plugin.inputs.acceptsAnyInput),
                    "outputs": .list(plugin.outputs.fields.map { o in
                        .map(["name": .string(o.name), "type": .string(o.type.rawValue), "secret": .bool(o.isSecret),
                              "description": .string(o.description)])
                    }),
                ])
            }))
            return
        }
        for plugin in plugins {
            Terminal.out("\(plugin.id)  \(plugin.summary)")
            for field in plugin.inputs.fields {
                Terminal.out("    in   \(field.name): \(field.type.rawValue)\(field.isRequired ? ", required" : "")  \(field.description)")
            }
            if plugin.inputs.acceptsAnyInput { Terminal.out("    in   (any names)") }
            for output in plugin.outputs.fields {
                Terminal.out("    out  \(output.name): \(output.type.rawValue)\(output.isSecret ? ", secret" : "")  \(output.description)")
            }
            if plugin.outputs.mirrorsInputs { Terminal.out("    out  (its inputs)") }
        }
    }
}
