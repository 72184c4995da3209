/// A setting as stored or defaulted, for listing.
public struct SettingEntry: Sendable, Equatable, Codable {
    public let name: String
    public let type: SettingType
    /// The effective value: the stored one, else the default.
    public let value: String
    /// The default, for built-in settings.
    public let defaultValue: String?
    /// Whether no value is stored (the default applies).
    public let isDefault: Bool
    public let summary: String?
    /// Unix milliseconds of the last change; nil for a default.
    public let updatedAt: Int64?
}

/// Typed get and set of app settings, with defaults in code.
///
/// ```swift
/// let theme = try vault.settings.get(.theme)                 // "system" until set
/// try vault.settings.set(.theme, "dark")
/// try vault.settings.set(.executionTimeoutSeconds, 600)
/// try vault.settings.reset(.theme)                           // back to the default
/// ```
public struct SettingsStore: Sendable {
    let vault: Vault

    /// The stored value, or the key's default when none is stored.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when the stored value
    ///   is of another type (set by name with a different type).
    public func get<Value: SettingValue>(_ key: SettingKey<Value>) throws -> Value {
        guard let row = try vault.readCheckingSchema({ db in
            try db.fetchOne("SELECT value, value_type FROM settings WHERE key = ?", [key.name])
        }) else { return key.defaultValue }
        let text: String = try row.get("value")
        guard let value = Value(settingText: text) else {
            let type: String = try row.get("value_type")
            throw VaultError.invalidArgument(
                detail: "setting \(key.name) holds a \(type) value, not a \(Value.settingType.rawValue); reset it with `simvault settings reset \(key.name)`")
        }
        return value
    }

    /// Stores `value` for `key`.
    public func set<Value: SettingValue>(_ key: SettingKey<Value>, _ value: Value) throws {
        try store(name: key.name, text: value.settingText, type: Value.settingType)
    }

    /// Removes the stored value of `key`, so its default applies again.
    /// Returns false when nothing was stored.
    @discardableResult
    public func reset<Value: SettingValue>(_ key: SettingKey<Value>) throws -> Bool { try reset(named: key.name) }

    // MARK: - By name (the CLI)

    /// Removes the stored value of the setting named `name`.
    @discardableResult
    public func reset(named name: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM settings WHERE key = ?", [name])
            return db.changes == 1
        }
    }

    /// The setting named `name`: stored, or the default of a built-in one;
    /// nil for an unknown name with nothing stored.
    public func entry(named name: String) throws -> SettingEntry? {
        try list().first { $0.name == name }
    }

    /// Sets the setting named `name` from text. A built-in setting keeps its
    /// type (and `type`, when given, must match it); another name is stored
    /// with `type`, or as a string.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when the text is not
    ///   a valid value of the type, or the type contradicts the built-in one.
    @discardableResult
    public func set(named name: String, text: String, type: SettingType? = nil) throws -> SettingEntry {
        try ArgumentCheck.requireNonBlank(name, "a setting name")
        let builtIn = SettingsCatalog.definition(named: name)
        if let builtIn, let type, type != builtIn.type {
            throw VaultError.invalidArgument(detail: "setting \(name) is a \(builtIn.type.rawValue), not a \(type.rawValue)")
        }
        let effectiveType = builtIn?.type ?? type ?? .string
        guard let normalized = effectiveType.normalize(text) else {
            throw VaultError.invalidArgument(detail: "\"\(text)\" is not a valid \(effectiveType.rawValue) for setting \(name)")
        }
        try store(name: name, text: normalized, type: effectiveType)
        guard let entry = try entry(named: name) else { throw VaultError.recordNotFound(kind: "setting", id: name) }
        return entry
    }

    /// Every built-in setting (stored or default) and every other stored
    /// setting, by name.
    public func list() throws -> [SettingEntry] {
        let rows = try vault.readCheckingSchema { db in try db.fetchAll("SELECT key, value, value_type, updated_at FROM settings") }
        var entries: [String: SettingEntry] = [:]
        for definition in SettingsCatalog.builtIn {
            entries[definition.name] = SettingEntry(
                name: definition.name, type: definition.type, value: definition.defaultValue, defaultValue: definition.defaultValue,
                isDefault: true, summary: definition.summary, updatedAt: nil)
        }
        for row in rows {
            let name: String = try row.get("key"), typeText: String = try row.get("value_type")
            let definition = SettingsCatalog.definition(named: name)
            entries[name] = SettingEntry(
                name: name, type: SettingType(rawValue: typeText) ?? .string, value: try row.get("value"),
                defaultValue: definition?.defaultValue, isDefault: false, summary: definition?.summary,
                updatedAt: try row.get("updated_at"))
        }
        return entries.values.sorted { $0.name < $1.name }
    }

    /// UPDATE, then INSERT when there was no row (no UPSERT in SQLite 3.15).
    private func store(name: String, text: String, type: SettingType) throws {
        try vault.writeCheckingSchema { db in
            let now = Clock.nowMilliseconds()
            try db.execute("UPDATE settings SET value = ?, value_type = ?, updated_at = ? WHERE key = ?", [text, type.rawValue, now, name])
            if db.changes == 0 {
                try db.execute(
                    "INSERT INTO settings (key, value, value_type, updated_at) VALUES (?, ?, ?, ?)", [name, text, type.rawValue, now])
            }
        }
    }
}
