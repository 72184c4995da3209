package import Foundation

/// The MACs of a format 3 key header: proof that every field was written by
/// someone who holds the master key.
///
/// The header's `checksum` is unkeyed: it catches accidental damage without
/// a key (`simvault info`), but anyone who can write the file can recompute
/// it. Whoever can write the vault's folder (a synced folder, a shared disk)
/// could then plant a recovery slot sealed to their own public key, which the
/// next `rekey` would seal the new master key to. A MAC under a key derived
/// from the master key cannot be recomputed without the key, so a header
/// that verifies was written by a key holder, field for field.
///
/// In JSON: `"mac": {"current": "blake2b-256:<base64>"}`, plus `"pending"`
/// while a key rotation is recorded. Each MAC is keyed BLAKE2b-256 under
/// `crypto_kdf_derive_from_key(32, 1, "simvhead", key)` (see
/// ``MasterKey/authenticationTag(of:context:)``) over the same body: the
/// label `simvault key header v3`, a NUL byte, then the header encoded
/// compactly with sorted keys, without `mac` and with `checksum` empty (see
/// ``KeyHeader/authenticatedBody()``). Because the body is the header's
/// whole Codable encoding, a field added later (to the cipher settings, a
/// slot, the rotation record) is covered without changing this code.
///
/// While a rotation is pending the database uses either key, depending on
/// where `rekey` stopped, so the header carries a MAC under each: whichever
/// key an unlock finds verifies the whole header, the rotation record
/// included, and a forged rotation cannot steer the repair that finishes or
/// rolls it back.
package struct HeaderMAC: Codable, Sendable, Equatable {
    /// MAC under the current key (the header's `key_id` / `key_check`).
    package var current: String
    /// MAC under the pending key of the recorded rotation; present exactly
    /// when `rotation` is.
    package var pending: String?

    /// The MAC that a key of `generation` verifies.
    func tag(for generation: KeyGeneration) -> String? {
        switch generation {
        case .current: return current
        case .pending: return pending
        }
    }
}

/// The keys that authenticate a header as it is written: its current key,
/// and the pending key while a rotation is recorded.
package struct HeaderKeys: Sendable {
    package let current: MasterKey
    package let pending: MasterKey?

    package init(current: MasterKey, pending: MasterKey? = nil) {
        self.current = current
        self.pending = pending
    }
}

extension KeyHeader {
    /// The first format version whose headers carry a ``HeaderMAC``.
    package static let authenticatedVersion = 3

    /// `crypto_kdf` context of the subkey that keys the header's MACs (its
    /// own 8 bytes: no other use of the master key shares the subkey).
    static let macContext = "simvhead"
    static let macLabel = "simvault key header v3"
    static let macPrefix = "blake2b-256:"

    /// Whether this header's format carries MACs (version 3 and later).
    /// Older headers are only checksummed; see ``KeyUnlocker`` for how they
    /// are still refused once a vault was upgraded.
    package var isAuthenticatedFormat: Bool { version >= Self.authenticatedVersion }

    /// This header as a key holder writes it: the current format version
    /// and a MAC under each key.
    ///
    /// - Throws: ``KeyError/headerWriteFailed(path:detail:)`` when a key is
    ///   not the one the header names (a programming error that would
    ///   otherwise write a header no key verifies), or a rotation is recorded
    ///   without its key.
    package func authenticated(with keys: HeaderKeys) throws(KeyError) -> KeyHeader {
        func refuse(_ detail: String) -> KeyError { .headerWriteFailed(path: "(key header of vault \(vaultID))", detail: detail) }
        guard accepts(keys.current) else { throw refuse("the key given to authenticate it is not the header's current key") }
        if let rotation {
            guard let pending = keys.pending, rotation.accepts(pending, vaultID: vaultID) else {
                throw refuse("a key rotation is recorded but its key was not given to authenticate it")
            }
        }
        var sealed = self
        sealed.version = Self.currentVersion
        sealed.checksum = ""
        sealed.mac = nil
        let body: [UInt8]
        do { body = try sealed.authenticatedBody() } catch { throw refuse("cannot encode the header") }
        sealed.mac = HeaderMAC(
            current: Self.tagText(keys.current.authenticationTag(of: body, context: Self.macContext)),
            pending: rotation == nil ? nil : keys.pending.map { Self.tagText($0.authenticationTag(of: body, context: Self.macContext)) })
        return sealed
    }

    /// Whether the MAC for `generation` verifies under `key`: false for a
    /// header without MACs and for any change to any field since a key
    /// holder wrote it. Constant time in where the MACs differ.
    package func macVerifies(under key: MasterKey, as generation: KeyGeneration) -> Bool {
        guard isAuthenticatedFormat, let stored = mac?.tag(for: generation),
              let body = try? authenticatedBody() else { return false }
        let expected = Self.tagText(key.authenticationTag(of: body, context: Self.macContext))
        return Sodium.constantTimeEquals(Array(expected.utf8), Array(stored.utf8))
    }

    /// The bytes each MAC covers: the label, a NUL byte, then every field
    /// but `mac` (with `checksum` empty), compact JSON with sorted keys.
    /// Only integers, strings, booleans and arrays of them appear, so the
    /// encoding of a value is deterministic.
    func authenticatedBody() throws -> [UInt8] {
        Array((Self.macLabel + "\u{0}").utf8) + Array(try canonicalBody())
    }

    /// The header without `mac` and with `checksum` empty, compact JSON with
    /// sorted keys: what the MACs cover, and what simvault keeps inside the
    /// encrypted database as the last header it wrote (so a forged header
    /// can be compared with it field by field).
    package func canonicalBody() throws -> Data {
        var body = self
        body.checksum = ""
        body.mac = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }

    /// Structural checks of the MAC fields, made without a key when the
    /// header is read.
    func validateMAC() throws(SlotValidationError) {
        guard isAuthenticatedFormat else {
            guard mac == nil else { throw SlotValidationError(detail: "a version \(version) header carries a MAC, which only version \(Self.authenticatedVersion) headers have") }
            return
        }
        guard let mac else { throw SlotValidationError(detail: "the MAC of a version \(version) header is missing") }
        guard Self.isTagText(mac.current) else { throw SlotValidationError(detail: "mac.current is not a BLAKE2b-256 MAC") }
        if rotation == nil {
            guard mac.pending == nil else { throw SlotValidationError(detail: "mac.pending is present but no key rotation is recorded") }
        } else {
            guard let pending = mac.pending, Self.isTagText(pending) else {
                throw SlotValidationError(detail: "a key rotation is recorded without the MAC of its pending key")
            }
        }
    }

    private static func tagText(_ tag: [UInt8]) -> String { macPrefix + Data(tag).base64EncodedString() }

    private static func isTagText(_ text: String) -> Bool {
        guard text.hasPrefix(macPrefix), let bytes = Data(base64Encoded: String(text.dropFirst(macPrefix.count))) else { return false }
        return bytes.count == 32
    }
}
