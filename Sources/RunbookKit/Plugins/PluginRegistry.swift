/// The plugins a runbook may use, by id.
public struct PluginRegistry: Sendable {
    private var plugins: [String: any StepPlugin] = [:]

    public init(_ plugins: [any StepPlugin] = []) {
        for plugin in plugins { register(plugin) }
    }

    public mutating func register(_ plugin: any StepPlugin) {
        plugins[type(of: plugin).id] = plugin
    }

    public func plugin(_ id: String) -> (any StepPlugin)? { plugins[id] }

    public var ids: [String] { plugins.keys.sorted() }

    public var all: [any StepPlugin] { ids.compactMap { plugins[$0] } }
}
