internal import CSodium
public import Foundation

extension KeyHeader {
    /// Serialises the header as it is, with a fresh checksum, pretty-printed
    /// for people. Its MACs are not touched: a header a key holder writes is
    /// first ``authenticated(with:)`` (``KeyHeaderFile`` does both).
    public func encoded() throws -> Data {
        var sealed = self
        sealed.checksum = try sealed.computeChecksum()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(sealed)
        data.append(0x0A)
        return data
    }

    /// Parses and validates a header: format, version, checksum and the
    /// invariants every later step relies on. Needs no key, so it cannot
    /// tell a forged header from a genuine one: ``KeyUnlocker`` verifies the
    /// MAC once it has a key.
    public static func decode(_ data: Data, path: String) throws(KeyError) -> KeyHeader {
        let header: KeyHeader
        do {
            header = try JSONDecoder().decode(KeyHeader.self, from: data)
        } catch {
            // A header from a newer simvault may have new required fields:
            // report the version rather than "damaged" when it can be read.
            if let probe = try? JSONDecoder().decode(VersionProbe.self, from: data),
               probe.format == formatName, probe.version > currentVersion {
                throw .headerUnsupported(path: path, version: probe.version, supported: currentVersion)
            }
            throw .headerDamaged(path: path, detail: "not a valid key header: \(Self.describe(error))")
        }
        guard header.format == formatName else {
            throw .headerDamaged(path: path, detail: "format is \"\(header.format)\", expected \"\(formatName)\"")
        }
        guard header.version <= currentVersion else {
            throw .headerUnsupported(path: path, version: header.version, supported: currentVersion)
        }
        let expected: String
        do { expected = try header.computeChecksum() } catch {
            throw .headerDamaged(path: path, detail: "cannot re-encode header")
        }
        guard header.checksum == expected else {
            throw .headerDamaged(path: path, detail: "checksum mismatch")
        }
        try header.validate(path: path)
        return header
    }

    /// BLAKE2b-256 over the canonical (sorted keys, compact) encoding of every
    /// field but the checksum, the MACs included. Only integers, strings and
    /// booleans appear in the header, so the encoding is deterministic. An
    /// absent `rotation` or `mac` is not encoded at all, so version 1 and 2
    /// headers keep their checksums.
    func computeChecksum() throws -> String {
        var body = self
        body.checksum = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(body))
        _ = Sodium.ready
        var digest = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&digest, 32, bytes, UInt64(bytes.count), nil, 0)
        return "blake2b-256:" + digest.map { String(format: "%02x", $0) }.joined()
    }

    private func validate(path: String) throws(KeyError) {
        func damaged(_ detail: String) -> KeyError { .headerDamaged(path: path, detail: detail) }
        guard version >= 1 else { throw damaged("version \(version) is not a header version") }
        guard UUID(uuidString: vaultID) != nil else { throw damaged("vault_id is not a UUID") }
        if let problem = cipherProblem() { throw damaged(problem) }
        guard Set(slots.map(\.id)).count == slots.count else { throw damaged("duplicate slot ids") }
        for slot in slots {
            do { try slot.validate() } catch { throw damaged("slot \(slot.id): \(error.detail)") }
        }
        do { try validateMAC() } catch { throw damaged(error.detail) }
        if let rotation {
            guard version >= 2 else { throw damaged("a key rotation is recorded in a version \(version) header") }
            guard rotation.keyID.count == 16, rotation.keyID.allSatisfy(\.isHexDigit), rotation.keyID != keyID else {
                throw damaged("the rotation's key_id is malformed or equals the current key_id")
            }
            guard !rotation.slots.isEmpty else { throw damaged("the rotation has no slots") }
            guard Set(rotation.slots.map(\.id)).count == rotation.slots.count else { throw damaged("duplicate rotation slot ids") }
            for slot in rotation.slots {
                guard let current = self.slot(id: slot.id), current.kind == slot.kind else {
                    throw damaged("rotation slot \(slot.id) has no matching current slot")
                }
                do { try slot.validate() } catch { throw damaged("rotation slot \(slot.id): \(error.detail)") }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "unreadable"
        }
    }

    private struct VersionProbe: Decodable {
        var format: String
        var version: Int
    }
}
