/// A typed setting: its name in the vault, its type and its default, which
/// lives in code (only values that differ from it are stored).
///
/// Apps declare their own keys the same way as the built-in ones:
///
/// ```swift
/// extension SettingKey where Value == Bool {
///     static var showTokenCounts: SettingKey<Bool> { SettingKey("ui.show_token_counts", default: false) }
/// }
/// let show = try vault.settings.get(.showTokenCounts)
/// ```
public struct SettingKey<Value: SettingValue>: Sendable {
    public let name: String
    public let defaultValue: Value
    /// One line for `simvault settings list`.
    public let summary: String

    public init(_ name: String, default defaultValue: Value, summary: String = "") {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// The untyped description used by the catalog and the CLI.
    public var definition: SettingDefinition {
        SettingDefinition(name: name, type: Value.settingType, defaultValue: defaultValue.settingText, summary: summary)
    }
}

/// A setting's name, type, default and summary, without its Swift type.
public struct SettingDefinition: Sendable, Equatable, Codable {
    public let name: String
    public let type: SettingType
    public let defaultValue: String
    public let summary: String
}

// MARK: - Built-in settings (the Sim desktop app's defaults)

extension SettingKey where Value == String {
    /// UI theme: `system`, `light` or `dark`.
    public static var theme: SettingKey<String> { SettingKey("theme", default: "system", summary: "UI theme: system, light or dark") }
    /// The provider new agents and workflows use.
    public static var defaultAIProvider: SettingKey<String> {
        SettingKey("default_ai_provider", default: "openai", summary: "AI provider used when none is chosen")
    }
}

extension SettingKey where Value == Int {
    /// Seconds between auto-saves of the open workflow.
    public static var autoSaveIntervalSeconds: SettingKey<Int> {
        SettingKey("auto_save_interval", default: 30, summary: "seconds between auto-saves")
    }
    /// Seconds after which a workflow run is stopped.
    public static var executionTimeoutSeconds: SettingKey<Int> {
        SettingKey("execution_timeout", default: 300, summary: "seconds before a workflow run is stopped")
    }
    /// Canvas grid size in pixels.
    public static var canvasGridSize: SettingKey<Int> { SettingKey("canvas_grid_size", default: 20, summary: "canvas grid size in pixels") }
}

extension SettingKey where Value == Bool {
    /// Whether anonymous usage telemetry is sent. Off unless the user opts in.
    public static var telemetryEnabled: SettingKey<Bool> {
        SettingKey("enable_telemetry", default: false, summary: "send anonymous usage telemetry")
    }
}

/// The built-in settings, for listing and for checking values set by name.
public enum SettingsCatalog {
    public static let builtIn: [SettingDefinition] = [
        SettingKey.theme.definition,
        SettingKey.defaultAIProvider.definition,
        SettingKey.autoSaveIntervalSeconds.definition,
        SettingKey.executionTimeoutSeconds.definition,
        SettingKey.canvasGridSize.definition,
        SettingKey.telemetryEnabled.definition,
    ]

    /// The built-in definition named `name`, if any.
    public static func definition(named name: String) -> SettingDefinition? { builtIn.first { $0.name == name } }
}
