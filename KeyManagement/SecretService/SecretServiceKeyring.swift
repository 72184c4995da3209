internal import CSecret
import Foundation

/// The freedesktop Secret Service (GNOME Keyring, KWallet, KeePassXC) through
/// libsecret, following simvault's interop contract:
///
/// - schema `org.simvault.Vault`, stored with `SECRET_SCHEMA_DONT_MATCH_NAME`
///   so that `secret-tool` (which searches without a schema) finds the item;
/// - attributes `application = simvault`, `vault-id = <UUID>`, `key-id = <id>`;
/// - the secret is the master key as 64 lowercase hex characters.
///
/// Every call runs on a worker thread with a `GCancellable`, and the caller
/// waits at most ``timeout``: a hung provider or an unlock prompt waiting for
/// a person never hangs simvault.
///
/// ```swift
/// let keyring = SecretServiceKeyring(timeout: 5)
/// let items = try keyring.items(forVault: header.vaultID)
/// ```
///
/// libsecret: https://gnome.pages.gitlab.gnome.org/libsecret/
public struct SecretServiceKeyring: Sendable {
    /// Schema name of simvault's items.
    public static let schemaName = "org.simvault.Vault"
    /// Value of the `application` attribute.
    public static let application = "simvault"

    /// Longest time any single call may take, in seconds.
    public var timeout: Double
    /// Whether a locked collection may be unlocked, which can show a prompt
    /// that waits for a person (only sensible on a desktop with a display).
    public var allowsUnlockPrompt: Bool

    public init(timeout: Double = 5, allowsUnlockPrompt: Bool = false) {
        self.timeout = timeout
        self.allowsUnlockPrompt = allowsUnlockPrompt
    }

    /// One keyring item that belongs to a vault.
    public struct Item: Sendable {
        /// The item's `key-id` attribute (nil for items stored by hand).
        public var keyID: String?
        /// The key, or nil when its collection is locked.
        public var key: MasterKey?
        /// Whether the item's collection is locked.
        public var isLocked: Bool
    }

    // MARK: - Public operations

    /// Stores `key` for `vaultID` in the default collection, replacing an item
    /// with the same attributes.
    public func store(_ key: MasterKey, vaultID: String, keyID: String, label: String) throws(KeyringFailure) {
        try runWithTimeout { (cancellable) throws(KeyringFailure) in
            try Self.ensureBusAndService(cancellable)
            let schema = Self.makeSchema()
            defer { secret_schema_unref(schema) }
            let attributes = Self.attributes(vaultID: vaultID, keyID: keyID)
            defer { g_hash_table_unref(attributes) }
            var error: UnsafeMutablePointer<GError>?
            let stored = key.withHexCString { hex in
                // > The password is a null-terminated string [...] copied into
                // > non-pageable memory. (secret_password_storev_sync)
                secret_password_storev_sync(schema, attributes, SECRET_COLLECTION_DEFAULT, label, hex, cancellable, &error)
            }
            if stored == 0 { throw Self.failure(from: error, cancellable: cancellable) }
        }
    }

    /// All items for `vaultID`, with their keys when unlocked.
    ///
    /// An empty result means the keyring answered and holds no item. When the
    /// collection is locked, the items are returned with `isLocked` set (after
    /// an unlock attempt if ``allowsUnlockPrompt``), so that "locked" and "no
    /// item" are told apart: a plain lookup returns NULL for both.
    public func items(forVault vaultID: String) throws(KeyringFailure) -> [Item] {
        try runWithTimeout { (cancellable) throws(KeyringFailure) in
            try Self.ensureBusAndService(cancellable)
            var found = try Self.search(vaultID: vaultID, cancellable: cancellable)
            if allowsUnlockPrompt, found.contains(where: \.isLocked) {
                try Self.unlock(vaultID: vaultID, cancellable: cancellable)
                found = try Self.search(vaultID: vaultID, cancellable: cancellable)
            }
            return found
        }
    }

    /// Removes the items for `vaultID` (only the one with `keyID` if given).
    /// Returns whether anything was removed.
    @discardableResult
    public func remove(vaultID: String, keyID: String? = nil) throws(KeyringFailure) -> Bool {
        try runWithTimeout { (cancellable) throws(KeyringFailure) in
            try Self.ensureBusAndService(cancellable)
            let schema = Self.makeSchema()
            defer { secret_schema_unref(schema) }
            let attributes = Self.attributes(vaultID: vaultID, keyID: keyID)
            defer { g_hash_table_unref(attributes) }
            var error: UnsafeMutablePointer<GError>?
            let removed = secret_password_clearv_sync(schema, attributes, cancellable, &error)
            if let error { throw Self.failure(from: error, cancellable: cancellable) }
            return removed != 0
        }
    }

    /// Checks that the Secret Service answers (bus, provider), without
    /// touching any item.
    public func checkAvailable() throws(KeyringFailure) {
        try runWithTimeout { (cancellable) throws(KeyringFailure) in try Self.ensureBusAndService(cancellable) }
    }

    // MARK: - Timeout and cancellation

    /// Runs `body` on its own thread and waits at most `timeout` seconds.
    ///
    /// libsecret's `_sync` calls spin their own main context, so they may run
    /// on any thread. On timeout the cancellable is cancelled; if the worker
    /// still does not return within a short grace period it is abandoned (it
    /// owns its references) and the caller gets `.timedOut` regardless.
    private func runWithTimeout<T: Sendable>(
        _ body: @escaping @Sendable (UnsafeMutablePointer<GCancellable>) throws(KeyringFailure) -> T
    ) throws(KeyringFailure) -> T {
        let cancellable = CancellableHandle()
        let outcome = OutcomeBox<T>()
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            let result = Result<T, KeyringFailure> { () throws(KeyringFailure) in try body(cancellable.pointer) }
            outcome.set(result)
            done.signal()
        }
        worker.name = "simvault.secret-service"
        worker.start()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            cancellable.cancel()
            _ = done.wait(timeout: .now() + 0.5)
            if let result = outcome.get(), case .success(let value) = result { return value }
            throw .timedOut(seconds: timeout)
        }
        switch outcome.get()! {
        case .success(let value): return value
        case .failure(let failure): throw failure
        }
    }

    // MARK: - libsecret calls (run on the worker thread)

    /// Separates "no session bus" from "no provider": libsecret reports both
    /// as generic errors from one call, so the bus is checked on its own first.
    private static func ensureBusAndService(_ cancellable: UnsafeMutablePointer<GCancellable>) throws(KeyringFailure) {
        var error: UnsafeMutablePointer<GError>?
        guard let bus = g_bus_get_sync(G_BUS_TYPE_SESSION, cancellable, &error) else {
            if g_cancellable_is_cancelled(cancellable) != 0 { throw .failed(detail: "cancelled") }
            throw .noSessionBus(detail: consumeMessage(error))
        }
        simvault_object_unref(UnsafeMutableRawPointer(bus))
        guard let service = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable, &error) else {
            throw classify(error, cancellable: cancellable, default: { .noProvider(detail: $0) })
        }
        simvault_object_unref(service)
    }

    private static func search(vaultID: String, cancellable: UnsafeMutablePointer<GCancellable>) throws(KeyringFailure) -> [Item] {
        let schema = makeSchema()
        defer { secret_schema_unref(schema) }
        let attributes = attributes(vaultID: vaultID, keyID: nil)
        defer { g_hash_table_unref(attributes) }
        var error: UnsafeMutablePointer<GError>?
        let flags = SecretSearchFlags(rawValue: SECRET_SEARCH_ALL.rawValue | SECRET_SEARCH_LOAD_SECRETS.rawValue)
        let list = secret_service_search_sync(nil, schema, attributes, flags, cancellable, &error)
        if let error { throw failure(from: error, cancellable: cancellable) }
        defer { simvault_object_list_free(list) }

        var items: [Item] = []
        var node = list
        while let current = node {
            let item = current.pointee.data.assumingMemoryBound(to: SecretItem.self)
            items.append(readItem(item))
            node = current.pointee.next
        }
        return items
    }

    private static func readItem(_ item: UnsafeMutablePointer<SecretItem>) -> Item {
        let keyID: String? = {
            guard let table = secret_item_get_attributes(item) else { return nil }
            defer { g_hash_table_unref(table) }
            guard let raw = g_hash_table_lookup(table, "key-id") else { return nil }
            return String(cString: raw.assumingMemoryBound(to: CChar.self))
        }()
        if secret_item_get_locked(item) != 0 {
            return Item(keyID: keyID, key: nil, isLocked: true)
        }
        guard let value = secret_item_get_secret(item) else {
            // Unlocked but the secret was not loaded: treat as unreadable.
            return Item(keyID: keyID, key: nil, isLocked: true)
        }
        defer { secret_value_unref(UnsafeMutableRawPointer(value)) }
        var length = 0
        guard let bytes = secret_value_get(value, &length) else { return Item(keyID: keyID, key: nil, isLocked: false) }
        // The value stays in libsecret's secure memory; only the decoded key
        // is copied, straight into SecretBytes.
        let key = try? MasterKey(hexCharacters: UnsafeRawBufferPointer(start: bytes, count: length))
        return Item(keyID: keyID, key: key, isLocked: false)
    }

    private static func unlock(vaultID: String, cancellable: UnsafeMutablePointer<GCancellable>) throws(KeyringFailure) {
        var error: UnsafeMutablePointer<GError>?
        guard let service = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable, &error) else {
            throw failure(from: error, cancellable: cancellable)
        }
        defer { simvault_object_unref(service) }
        let schema = makeSchema()
        defer { secret_schema_unref(schema) }
        let attributes = attributes(vaultID: vaultID, keyID: nil)
        defer { g_hash_table_unref(attributes) }
        let flags = SecretSearchFlags(rawValue: SECRET_SEARCH_ALL.rawValue | SECRET_SEARCH_UNLOCK.rawValue)
        let list = secret_service_search_sync(service, schema, attributes, flags, cancellable, &error)
        simvault_object_list_free(list)
        // A refused or failed prompt is not an error here: the following
        // search reports the items as still locked.
        if let error { g_error_free(error) }
    }

    private static func makeSchema() -> UnsafeMutablePointer<SecretSchema> {
        let types = simvault_schema_table_new()
        defer { g_hash_table_unref(types) }
        for name in ["application", "vault-id", "key-id"] { simvault_schema_table_insert_string(types, name) }
        return secret_schema_newv(schemaName, SECRET_SCHEMA_DONT_MATCH_NAME, types)
    }

    private static func attributes(vaultID: String, keyID: String?) -> OpaquePointer {
        let table = simvault_string_table_new()!
        simvault_string_table_insert(table, "application", application)
        simvault_string_table_insert(table, "vault-id", vaultID)
        if let keyID { simvault_string_table_insert(table, "key-id", keyID) }
        return table
    }

    // MARK: - Errors

    private static func failure(from error: UnsafeMutablePointer<GError>?, cancellable: UnsafeMutablePointer<GCancellable>) -> KeyringFailure {
        classify(error, cancellable: cancellable, default: { .failed(detail: $0) })
    }

    private static func classify(
        _ error: UnsafeMutablePointer<GError>?, cancellable: UnsafeMutablePointer<GCancellable>,
        default makeDefault: (String) -> KeyringFailure
    ) -> KeyringFailure {
        if g_cancellable_is_cancelled(cancellable) != 0 {
            if let error { g_error_free(error) }
            return .failed(detail: "cancelled")
        }
        guard let error else { return makeDefault("no error detail") }
        let domain = error.pointee.domain, code = error.pointee.code
        let isLocked = domain == secret_error_get_quark() && code == SECRET_ERROR_IS_LOCKED.rawValue
        let noOwner = domain == g_dbus_error_quark()
            && (code == G_DBUS_ERROR_SERVICE_UNKNOWN.rawValue || code == G_DBUS_ERROR_NAME_HAS_NO_OWNER.rawValue)
        let message = consumeMessage(error)
        if isLocked { return .locked }
        if noOwner { return .noProvider(detail: message) }
        return makeDefault(message)
    }

    /// Returns the GError's message and frees it.
    private static func consumeMessage(_ error: UnsafeMutablePointer<GError>?) -> String {
        guard let error else { return "no error detail" }
        defer { g_error_free(error) }
        guard let message = error.pointee.message else { return "no error detail" }
        return String(cString: message)
    }
}

// MARK: - Thread hand-off helpers

/// Owns one GCancellable reference. @unchecked Sendable: GObject reference
/// counting and `g_cancellable_cancel` are thread-safe by GLib's contract
/// (> "GCancellable is thread-safe").
private final class CancellableHandle: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<GCancellable>
    init() { pointer = g_cancellable_new() }
    func cancel() { g_cancellable_cancel(pointer) }
    deinit { simvault_object_unref(pointer) }
}

/// The worker's result. @unchecked Sendable: every access holds `lock`.
private final class OutcomeBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, KeyringFailure>?
    func set(_ result: Result<T, KeyringFailure>) { lock.withLock { value = result } }
    func get() -> Result<T, KeyringFailure>? { lock.withLock { value } }
}
