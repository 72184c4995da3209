/// Turns a key header plus the available sources into the master key.
///
/// Each candidate key is verified against the header's key check value before
/// it is returned, so a key that reaches SQLCipher is known to be right: a
/// database that then fails to decrypt is corrupt, not a wrong key.
///
/// As in cryptsetup's `_open_and_verify`, "wrong password" is kept apart from
/// "slot unusable", and a wrong password is the error reported when both
/// happen.
public struct KeyUnlocker: Sendable {
    public let header: KeyHeader
    public let headerPath: String

    public init(header: KeyHeader, headerPath: String) {
        self.header = header
        self.headerPath = headerPath
    }

    /// Tries the sources of `request` in order.
    ///
    /// - Throws: ``KeyError/wrongKey``, ``KeyError/wrongPassword``,
    ///   ``KeyError/wrongRecoveryCode``, ``KeyError/recoveryCodeMistyped``,
    ///   ``KeyError/keyringKeyMismatch(vaultID:)``,
    ///   ``KeyError/keyCheckMismatch(path:)``, ``KeyError/noKeySource(reasons:)``.
    public func unlock(_ request: UnlockRequest) throws(KeyError) -> UnlockResult {
        if let key = request.masterKey {
            guard header.accepts(key) else { throw .wrongKey }
            return UnlockResult(masterKey: key, source: .explicitKey, skipped: [])
        }

        var skipped: [SkippedKeySource] = []
        var keyringMismatch = false

        if let slot = header.slots(ofKind: .keyring).first {
            if request.usesKeyring {
                switch tryKeyring(slot: slot, keyring: request.keyring) {
                case .success(let key):
                    return UnlockResult(masterKey: key, source: .keyring(slotID: slot.id), skipped: skipped)
                case .failure(let failure):
                    skipped.append(SkippedKeySource(kind: "keyring", reason: failure.reason, keyringFailure: failure))
                case .mismatch:
                    keyringMismatch = true
                    skipped.append(SkippedKeySource(kind: "keyring", reason: "keyring item holds a key that does not match this vault"))
                }
            } else {
                skipped.append(SkippedKeySource(kind: "keyring", reason: "keyring not used (--no-keyring)"))
            }
        }

        var secretError: KeyError?
        let fallbackReason = skipped.map(\.reason).joined(separator: "; ")

        let passwordSlots = header.slots(ofKind: .password)
        if !passwordSlots.isEmpty {
            if let supplier = request.password, let password = try supplier(fallbackReason) {
                for slot in passwordSlots {
                    guard case .password(let material) = slot.material else { continue }
                    do {
                        let key = try material.unwrap(password: password, vaultID: header.vaultID, slotID: slot.id)
                        try verify(key)
                        return UnlockResult(masterKey: key, source: .password(slotID: slot.id), skipped: skipped)
                    } catch .wrongPassword {
                        continue
                    }
                }
                secretError = .wrongPassword
            } else {
                skipped.append(SkippedKeySource(kind: "password", reason: "no password given"))
            }
        }

        if let slot = header.slots(ofKind: .recovery).first, case .recovery(let material) = slot.material,
           let supplier = request.recoveryCode {
            if let text = try supplier(fallbackReason) {
                do {
                    let key = try material.open(with: try RecoveryCode(text: text))
                    try verify(key)
                    return UnlockResult(masterKey: key, source: .recoveryCode(slotID: slot.id), skipped: skipped)
                } catch .wrongRecoveryCode {
                    secretError = secretError ?? .wrongRecoveryCode
                } catch .recoveryCodeMistyped {
                    secretError = secretError ?? .recoveryCodeMistyped
                }
            }
        }

        if let secretError { throw secretError }
        if keyringMismatch { throw .keyringKeyMismatch(vaultID: header.vaultID) }
        if header.slots.isEmpty { throw .noKeySource(reasons: ["the key header has no key slots"]) }
        throw .noKeySource(reasons: skipped.map(\.description))
    }

    private enum KeyringOutcome {
        case success(MasterKey)
        case failure(KeyringFailure)
        case mismatch
    }

    private func tryKeyring(slot: KeySlot, keyring: SecretServiceKeyring) -> KeyringOutcome {
        let items: [SecretServiceKeyring.Item]
        do { items = try keyring.items(forVault: header.vaultID) } catch { return .failure(error) }
        if items.isEmpty { return .failure(.noItem(vaultID: header.vaultID)) }
        let readable = items.filter { !$0.isLocked }
        if readable.isEmpty { return .failure(.locked) }
        // The item tagged with the header's current key id first; during a
        // key rotation an item for the pending key may sit beside it.
        let ordered = readable.sorted { ($0.keyID == header.keyID ? 0 : 1) < ($1.keyID == header.keyID ? 0 : 1) }
        for item in ordered {
            if let key = item.key, header.accepts(key) { return .success(key) }
        }
        return .mismatch
    }

    private func verify(_ key: MasterKey) throws(KeyError) {
        guard header.accepts(key) else { throw .keyCheckMismatch(path: headerPath) }
    }
}
