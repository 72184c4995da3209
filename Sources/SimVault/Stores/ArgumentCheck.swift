import Foundation

/// The stores' checks of their callers' arguments, each failing with
/// ``VaultError/invalidArgument(detail:)`` or
/// ``VaultError/recordNotFound(kind:id:)`` that names the argument.
enum ArgumentCheck {
    /// Refuses an empty or blank identifier or name.
    static func requireNonBlank(_ value: String, _ what: String) throws {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw VaultError.invalidArgument(detail: "\(what) must not be empty")
        }
    }

    /// Refuses text that is not JSON (for the columns documented as JSON).
    static func requireJSON(_ text: String?, _ what: String) throws {
        guard let text else { return }
        try requireJSON(Data(text.utf8), what)
    }

    /// Refuses bytes that are not JSON (workflow states, run payloads): the
    /// JSON that simvault's own reader, and so its exports, accept.
    static func requireJSON(_ bytes: Data, _ what: String) throws {
        do { try JSONReader.validate(bytes) } catch {
            throw VaultError.invalidArgument(detail: "\(what) must be JSON: \(error)")
        }
    }

    /// Throws ``VaultError/recordNotFound(kind:id:)`` unless `table` has a
    /// row with `id`, so a missing parent is named instead of failing with a
    /// bare foreign key error. `table` is always a constant of simvault's.
    static func requireExists(_ table: String, _ kind: String, _ id: String, in db: Connection) throws {
        guard try db.scalar("SELECT 1 FROM \(table) WHERE id = ?", [id], as: Int.self) != nil else {
            throw VaultError.recordNotFound(kind: kind, id: id)
        }
    }

    /// A caller's page size clamped to 1...1000 (not an error: a list call
    /// with limit 0 or 10 000 gets the nearest page size allowed).
    static func clampedPageSize(_ limit: Int) -> Int { min(max(limit, 1), 1000) }
}
