import Foundation
import SimVault
import Testing
import VaultTestSupport

extension SettingKey where Value == Double {
    fileprivate static var zoom: SettingKey<Double> { SettingKey("ui.zoom", default: 1.0) }
}

@Suite("settings")
struct SettingsStoreTests {
    @Test("typed get returns the default until set; set, reset and app-defined keys work")
    func typedSettings() throws {
        let test = try TestVault()
        let vault = test.vault
        #expect(try vault.settings.get(.theme) == "system")
        #expect(try vault.settings.get(.executionTimeoutSeconds) == 300)
        #expect(try vault.settings.get(.telemetryEnabled) == false)
        #expect(try vault.count("settings") == 0, "defaults live in code, not in the table")

        try vault.settings.set(.theme, "dark")
        try vault.settings.set(.executionTimeoutSeconds, 600)
        try vault.settings.set(.telemetryEnabled, true)
        try vault.settings.set(.zoom, 1.25)
        try vault.settings.set(.theme, "light")
        #expect(try vault.settings.get(.theme) == "light")
        #expect(try vault.settings.get(.executionTimeoutSeconds) == 600)
        #expect(try vault.settings.get(.telemetryEnabled))
        #expect(try vault.settings.get(.zoom) == 1.25)
        #expect(try vault.rawScalar("SELECT value_type FROM settings WHERE key = 'execution_timeout'", as: String.self) == "integer")

        #expect(try vault.settings.reset(.theme))
        #expect(try vault.settings.get(.theme) == "system")
        #expect(try vault.settings.reset(.theme) == false)
    }

    @Test("by name: built-in types are enforced, values normalized, unknown names typed on request")
    func byName() throws {
        let test = try TestVault()
        let vault = test.vault
        #expect(try vault.settings.set(named: "enable_telemetry", text: "yes").value == "true")
        #expect(throws: VaultError.self) { try vault.settings.set(named: "execution_timeout", text: "soon") }
        #expect(throws: VaultError.self) { try vault.settings.set(named: "theme", text: "dark", type: .integer) }
        #expect(try vault.settings.set(named: "app.layout", text: #"{"panes":2}"#, type: .json).type == .json)
        #expect(throws: VaultError.self) { try vault.settings.set(named: "app.bad", text: "{", type: .json) }
        let entries = try vault.settings.list()
        #expect(entries.map(\.name) == entries.map(\.name).sorted())
        #expect(entries.first { $0.name == "app.layout" }?.isDefault == false)
        #expect(entries.first { $0.name == "theme" }?.isDefault == true)
        #expect(try vault.settings.entry(named: "nope") == nil)

        try vault.settings.set(named: "theme", text: "42")
        #expect(try vault.settings.get(.theme) == "42")
        try vault.rawWrite("UPDATE settings SET value = 'x', value_type = 'string' WHERE key = 'enable_telemetry'")
        #expect(throws: VaultError.self) { try vault.settings.get(.telemetryEnabled) }
    }
}
