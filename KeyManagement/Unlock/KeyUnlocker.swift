/// Turns a key header plus the available sources into the master key.
///
/// Each candidate key is verified against the header's key check value before
/// it is returned, so a key that reaches SQLCipher is known to be right: a
/// database that then fails to decrypt is corrupt, not a wrong key.
///
/// As in cryptsetup's `_open_and_verify`, "wrong password" is kept apart from
/// "slot unusable", and a wrong password is the error reported when both
/// happen.
///
/// While a key rotation is pending (``KeyHeader/rotation``) the database uses
/// the current or the pending key, depending on where `rekey` stopped, so
/// every source is asked for both: the unlock goes on until it has found
/// both keys or run out of sources, and returns all it found.
///
/// It is also where the header is authenticated, right after the key check
/// and before the caller derives anything from the header: every unlock
/// (opening a vault, every key change, `health`, `restore`, the check of a
/// backup) passes through ``unlock(_:)``, and a key it returns comes with a
/// header a key holder wrote. A format 3 header must verify its MAC under
/// each key found (``HeaderMAC``); an older header is accepted only while
/// the database, asked through ``record``, does not record an upgrade. A
/// header that fails is ``KeyError/headerForged(_:)``.
package struct KeyUnlocker: Sendable {
    package let header: KeyHeader
    package let headerPath: String
    /// What the database records about the header. Without it an old-format
    /// header is accepted unchecked (there is nothing to check it against)
    /// and a refused header is not compared with anything; SimVault always
    /// gives one.
    package let record: (any KeyHeaderRecord)?

    package init(header: KeyHeader, headerPath: String, record: (any KeyHeaderRecord)? = nil) {
        self.header = header
        self.headerPath = headerPath
        self.record = record
    }

    /// Tries the sources of `request` in order, then authenticates the
    /// header with the keys found.
    ///
    /// - Throws: ``KeyError/wrongKey``, ``KeyError/wrongPassword``,
    ///   ``KeyError/wrongRecoveryCode``, ``KeyError/recoveryCodeMistyped``,
    ///   ``KeyError/keyringKeyMismatch(vaultID:)``,
    ///   ``KeyError/keyCheckMismatch(path:)``, ``KeyError/noKeySource(reasons:)``,
    ///   ``KeyError/passwordSlotBelowMinimum(slotID:opsLimit:memLimit:)``,
    ///   ``KeyError/headerForged(_:)``.
    package func unlock(_ request: UnlockRequest) throws(KeyError) -> UnlockResult {
        let result = try findKeys(request)
        try authenticate(result)
        return result
    }

    // MARK: - Finding the keys

    /// The search, one function per step; each later step runs only while
    /// a wanted key (the current one, and the pending one during a
    /// rotation) is missing:
    /// 1. an explicit key (the app's) is only checked against the header;
    /// 2. the keyring slot's items;
    /// 3. the password slots, with the password (its supplier is told why
    ///    the keyring gave no key);
    /// 4. the recovery slots, with the recovery code;
    /// 5. no key at all: the most telling error (a wrong secret before a
    ///    mismatched keyring item before "no key source").
    private func findKeys(_ request: UnlockRequest) throws(KeyError) -> UnlockResult {
        if let key = request.masterKey { return try checkExplicitKey(key) }
        var search = KeySearch(found: FoundKeys(wanted: header.rotation == nil ? [.current] : [.current, .pending]))
        try searchKeyring(request, &search)
        if search.found.isComplete { return search.result }
        let fallbackReason = search.skipped.map(\.reason).joined(separator: "; ")
        try searchPasswordSlots(request, fallbackReason: fallbackReason, &search)
        if search.found.isComplete { return search.result }
        try searchRecoverySlots(request, fallbackReason: fallbackReason, &search)
        if !search.found.isEmpty { return search.result }
        throw noKeyError(search)
    }

    /// What the search has found and why sources gave nothing.
    private struct KeySearch {
        var found: FoundKeys
        var skipped: [SkippedKeySource] = []
        /// The keyring held only keys of no generation of this header.
        var keyringMismatch = false
        /// The wrong-secret error to report if no key is found.
        var secretError: KeyError?

        var result: UnlockResult { found.result(skipped: skipped) }
    }

    /// Step 1.
    private func checkExplicitKey(_ key: MasterKey) throws(KeyError) -> UnlockResult {
        guard let generation = header.generation(of: key) else {
            if let forgery = replacedKeyCheck(exposedBy: key, source: .explicitKey) { throw .headerForged(forgery) }
            throw .wrongKey
        }
        return UnlockResult(keys: [UnlockedKey(masterKey: key, source: .explicitKey, generation: generation)], skipped: [])
    }

    /// Step 2.
    private func searchKeyring(_ request: UnlockRequest, _ search: inout KeySearch) throws(KeyError) {
        guard let slotID = (header.slots(ofKind: .keyring).first ?? header.rotation?.slots(ofKind: .keyring).first)?.id else { return }
        guard request.usesKeyring else {
            search.skipped.append(SkippedKeySource(kind: .keyring, reason: "keyring not used (--no-keyring)"))
            return
        }
        switch tryKeyring(keyring: request.keyring) {
        case .success(let keys):
            for (generation, key) in keys {
                search.found.add(UnlockedKey(masterKey: key, source: .keyring(slotID: slotID), generation: generation))
            }
        case .failure(let failure):
            search.skipped.append(SkippedKeySource(kind: .keyring, reason: failure.reason, keyringFailure: failure))
        case .mismatch(let rejected):
            // A stale item (a key rotated away) does not open the
            // database; one that does exposes a replaced key check.
            for key in rejected {
                if let forgery = replacedKeyCheck(exposedBy: key, source: .keyring(slotID: slotID)) { throw .headerForged(forgery) }
            }
            search.keyringMismatch = true
            search.skipped.append(SkippedKeySource(kind: .keyring, reason: "keyring item holds a key that does not match this vault"))
        }
    }

    /// Step 3.
    private func searchPasswordSlots(_ request: UnlockRequest, fallbackReason: String, _ search: inout KeySearch) throws(KeyError) {
        let passwordSlots = slots(ofKind: .password)
        guard !passwordSlots.isEmpty else { return }
        guard let supplier = request.password, let password = try supplier(fallbackReason) else {
            search.skipped.append(SkippedKeySource(kind: .password, reason: "no password given"))
            return
        }
        var belowMinimum: KeyError?
        for (generation, slot) in passwordSlots where !search.found.has(generation) {
            guard case .password(let material) = slot.material else { continue }
            do {
                let key = try material.unwrap(password: password, vaultID: header.vaultID, slotID: slot.id)
                try verify(key, is: generation, source: .password(slotID: slot.id))
                search.found.add(UnlockedKey(masterKey: key, source: .password(slotID: slot.id), generation: generation))
            } catch .wrongPassword {
                continue
            } catch .passwordSlotBelowMinimum(let slotID, let opsLimit, let memLimit) {
                // Not used, never derived from; other slots still may.
                belowMinimum = belowMinimum ?? .passwordSlotBelowMinimum(slotID: slotID, opsLimit: opsLimit, memLimit: memLimit)
            }
        }
        // A refused slot may be the one this password was for: say why it
        // was not tried rather than "wrong password".
        if search.found.isEmpty { search.secretError = belowMinimum ?? .wrongPassword }
    }

    /// Step 4.
    private func searchRecoverySlots(_ request: UnlockRequest, fallbackReason: String, _ search: inout KeySearch) throws(KeyError) {
        let recoverySlots = slots(ofKind: .recovery)
        guard !recoverySlots.isEmpty, let supplier = request.recoveryCode, let text = try supplier(fallbackReason) else { return }
        var codeError: KeyError?
        do {
            let code = try RecoveryCode(text: text)
            for (generation, slot) in recoverySlots where !search.found.has(generation) {
                guard case .recovery(let material) = slot.material else { continue }
                do {
                    let key = try material.open(with: code)
                    try verify(key, is: generation, source: .recoveryCode(slotID: slot.id))
                    search.found.add(UnlockedKey(masterKey: key, source: .recoveryCode(slotID: slot.id), generation: generation))
                } catch .wrongRecoveryCode {
                    codeError = codeError ?? .wrongRecoveryCode
                }
            }
        } catch .recoveryCodeMistyped {
            codeError = .recoveryCodeMistyped
        }
        if search.found.isEmpty, let codeError { search.secretError = search.secretError ?? codeError }
    }

    /// Step 5.
    private func noKeyError(_ search: KeySearch) -> KeyError {
        if let secretError = search.secretError { return secretError }
        if search.keyringMismatch { return .keyringKeyMismatch(vaultID: header.vaultID) }
        if header.slots.isEmpty { return .noKeySource(reasons: ["the key header has no key slots"]) }
        return .noKeySource(reasons: search.skipped.map(\.description))
    }

    /// The slots of `kind` for every key the header knows, current first.
    private func slots(ofKind kind: KeySlot.Kind) -> [(KeyGeneration, KeySlot)] {
        header.slots(ofKind: kind).map { (.current, $0) }
            + (header.rotation?.slots(ofKind: kind) ?? []).map { (.pending, $0) }
    }

    private enum KeyringOutcome {
        case success([(KeyGeneration, MasterKey)])
        case failure(KeyringFailure)
        /// Readable items whose keys all fail the key check.
        case mismatch(rejected: [MasterKey])
    }

    private func tryKeyring(keyring: SecretServiceKeyring) -> KeyringOutcome {
        let items: [SecretServiceKeyring.Item]
        do { items = try keyring.items(forVault: header.vaultID) } catch { return .failure(error) }
        if items.isEmpty { return .failure(.noItem(vaultID: header.vaultID)) }
        let readable = items.filter { !$0.isLocked }
        if readable.isEmpty { return .failure(.locked) }
        var keys: [(KeyGeneration, MasterKey)] = []
        var rejected: [MasterKey] = []
        // Every readable item is checked, whatever its key-id attribute says:
        // the key check value is what decides.
        for item in readable {
            guard let key = item.key else { continue }
            guard let generation = header.generation(of: key) else {
                rejected.append(key)
                continue
            }
            guard !keys.contains(where: { $0.0 == generation }) else { continue }
            keys.append((generation, key))
        }
        return keys.isEmpty ? .mismatch(rejected: rejected) : .success(keys.sorted { $0.0 == .current && $1.0 == .pending })
    }

    /// A slot that opened must hold the key its place in the header says.
    private func verify(_ key: MasterKey, is generation: KeyGeneration, source: KeySource) throws(KeyError) {
        guard header.generation(of: key) == generation else {
            if let forgery = replacedKeyCheck(exposedBy: key, source: source) { throw .headerForged(forgery) }
            throw .keyCheckMismatch(path: headerPath)
        }
    }

    // MARK: - Authenticating the header

    /// Refuses a header that the keys found show was not written by a key
    /// holder: a format 3 header whose MAC does not verify under every key
    /// found, or an older header where the database records an upgrade.
    private func authenticate(_ result: UnlockResult) throws(KeyError) {
        if header.isAuthenticatedFormat {
            for key in result.keys where !header.macVerifies(under: key.masterKey, as: key.generation) {
                throw .headerForged(HeaderForgery(
                    path: headerPath, evidence: .macMismatch, keySource: key.source,
                    differences: recordedHeader(openingWith: key.masterKey).map(header.differences(from:)) ?? []))
            }
            return
        }
        guard let record else { return }
        // During a rotation only one of the keys opens the database.
        for key in result.keys {
            switch record.lookUp(openingWith: key.masterKey, cipher: header.cipher(for: key.generation)) {
            case .notOpened:
                continue
            case .opened(recorded: nil):
                return
            case .opened(recorded: let recorded?):
                throw .headerForged(HeaderForgery(
                    path: headerPath, evidence: .downgrade(version: header.version), keySource: key.source,
                    differences: header.differences(from: recorded)))
            }
        }
    }

    /// The forgery a key exposes when it fails the key check yet opens the
    /// database: the header's `key_id` / `key_check` were replaced (a
    /// stale or foreign key does not open it). Nil otherwise.
    private func replacedKeyCheck(exposedBy key: MasterKey, source: KeySource) -> HeaderForgery? {
        guard let record, case .opened(let recorded) = record.lookUp(openingWith: key, cipher: header.cipher(for: header.generation(of: key) ?? .current)) else { return nil }
        return HeaderForgery(
            path: headerPath, evidence: .keyCheckReplaced, keySource: source,
            differences: recorded.map(header.differences(from:)) ?? [])
    }

    /// The header the database records, read with `key`.
    private func recordedHeader(openingWith key: MasterKey) -> KeyHeader? {
        guard let record, case .opened(let recorded?) = record.lookUp(openingWith: key, cipher: header.cipher(for: header.generation(of: key) ?? .current)) else { return nil }
        return recorded
    }
}

/// The keys an unlock has found so far, at most one per generation.
private struct FoundKeys {
    let wanted: [KeyGeneration]
    private var keys: [UnlockedKey] = []

    init(wanted: [KeyGeneration]) { self.wanted = wanted }

    var isEmpty: Bool { keys.isEmpty }
    var isComplete: Bool { wanted.allSatisfy(has) }
    func has(_ generation: KeyGeneration) -> Bool { keys.contains { $0.generation == generation } }

    mutating func add(_ key: UnlockedKey) {
        guard !has(key.generation) else { return }
        keys.append(key)
    }

    func result(skipped: [SkippedKeySource]) -> UnlockResult {
        let ordered = keys.filter { $0.generation == .current } + keys.filter { $0.generation == .pending }
        return UnlockResult(keys: ordered, skipped: skipped)
    }
}
