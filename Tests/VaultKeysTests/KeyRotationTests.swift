import Foundation
import Testing
@testable import VaultKeys

private func secret(_ text: String) -> SecretBytes {
    SecretBytes(count: text.utf8.count) { $0.copyBytes(from: Array(text.utf8)) }
}

/// The header's rotation record, the scrub-on-replace header write, the key
/// lock, and the unlocker's two-key mode.
@Suite("key rotation (header, lock, unlock)")
struct KeyRotationTests {
    /// A header written by the foundation build (before rotations existed),
    /// password "pw": it must stay valid and re-encode byte for byte.
    static let versionOneHeader = #"""
{
  "checksum" : "blake2b-256:5e54a09496b135e757ea262ed78106e26666bf1e83bf755c8bac1376505ef0a5",
  "cipher" : {
    "compatibility" : 3,
    "page_size" : 4096,
    "raw_key" : true
  },
  "created_at" : 1795432638861,
  "format" : "simvault-key-header",
  "key_check" : "blake2b-256:Min/fvGL+GStjJFWXf0d+o9QoPRqGVCXfFgEesHkH0M=",
  "key_id" : "09952359fe8b8172",
  "slots" : [
    {
      "cipher" : "xchacha20poly1305-ietf",
      "created_at" : 1795432639029,
      "id" : 1,
      "kdf" : {
        "algorithm" : "argon2id13",
        "memlimit" : 67108864,
        "opslimit" : 3,
        "salt" : "T+E+MTCQwvtjAuPPmZGq9g=="
      },
      "nonce" : "BDeYS5DtKaUoCKFlPrQH4UjIoTq0WCl4",
      "type" : "password",
      "wrapped_key" : "gBrvbXnJWWFsCKdE0mG6hhpOctk7luqC92wCvXWaGyhhRhRA4x9Y8VAOGJNUe5mq"
    },
    {
      "created_at" : 1795432639029,
      "id" : 2,
      "public_key" : "pn9HJXTgYRnGQjZwS5m5CucGwEEovIV5WG2IoY49JVY=",
      "seal" : "x25519-sealed-box",
      "sealed_key" : "aqg8Ijs31/UtHDm5qeouhi6mBafdDlBNKc+wBJ+cDzbyhWND04nZopc69nwBCGQxw2+V0epy71EsZ1W+zzLz+gSCl6/kmFWLR6JpRjm2jqI=",
      "type" : "recovery"
    }
  ],
  "vault_id" : "c7813666-fc79-4d45-a50e-f1a7c7506351",
  "version" : 1
}
"""#

    /// The sample header with a pending rotation to `newKey`, its slots
    /// re-wrapped (password "pw", minimum KDF), authenticated with both keys.
    static func rotatingHeader(oldKey: MasterKey, newKey: MasterKey) throws -> KeyHeader {
        var header = try KeyHeaderTests.sampleHeader(key: oldKey)
        let slots = try header.slots.map { slot -> KeySlot in
            var rewrapped = slot
            switch slot.material {
            case .keyring: rewrapped.material = .keyring(KeyringSlot(keyID: KeyCheck(masterKey: newKey, vaultID: header.vaultID).keyID))
            case .password: rewrapped.material = .password(try PasswordSlot.wrap(newKey, password: secret("pw"), vaultID: header.vaultID, slotID: slot.id, kdf: PasswordKDF.minimum()))
            case .recovery(let material): rewrapped.material = .recovery(try material.resealed(newKey))
            }
            return rewrapped
        }
        header.rotation = KeyRotation(newKey: newKey, vaultID: header.vaultID, slots: slots)
        return try header.authenticated(with: HeaderKeys(current: oldKey, pending: newKey))
    }

    @Test("a version 1 header from before rotations decodes and re-encodes byte for byte")
    func versionOneStaysValid() throws {
        let data = Data((Self.versionOneHeader + "\n").utf8)
        let header = try KeyHeader.decode(data, path: "h")
        #expect(header.version == 1 && header.rotation == nil && header.mac == nil && !header.isAuthenticatedFormat)
        #expect(try header.encoded() == data)
    }

    @Test("a pending rotation is written as version 3 with a MAC under each key, survives a round trip, and is dropped or promoted as a whole")
    func rotationRoundTrip() throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let header = try Self.rotatingHeader(oldKey: oldKey, newKey: newKey)
        let data = try header.encoded()
        let decoded = try KeyHeader.decode(data, path: "h")
        #expect(decoded.version == 3)
        #expect(decoded.macVerifies(under: oldKey, as: .current) && decoded.macVerifies(under: newKey, as: .pending))
        #expect(!decoded.macVerifies(under: newKey, as: .current) && !decoded.macVerifies(under: oldKey, as: .pending))
        #expect(decoded.rotation == header.rotation)
        #expect(decoded.generation(of: oldKey) == .current)
        #expect(decoded.generation(of: newKey) == .pending)
        #expect(decoded.generation(of: MasterKey.generate()) == nil)

        let promoted = decoded.promotingRotation()
        #expect(promoted.accepts(newKey) && !promoted.accepts(oldKey))
        #expect(promoted.slots == header.rotation?.slots && promoted.rotation == nil)
        let promotedAgain = try KeyHeader.decode(try promoted.authenticated(with: HeaderKeys(current: newKey)).encoded(), path: "h")
        #expect(promotedAgain.version == 3 && promotedAgain.mac?.pending == nil && promotedAgain.macVerifies(under: newKey, as: .current))
        // A rotation cannot be written without its key.
        #expect(throws: KeyError.self) { _ = try decoded.authenticated(with: HeaderKeys(current: oldKey)) }
        let dropped = decoded.droppingRotation()
        #expect(dropped.accepts(oldKey) && dropped.rotation == nil && dropped.slots == header.slots)
    }

    @Test("inconsistent rotation records are damage: in a version 1 header, with a slot the header lacks, with the current key id")
    func inconsistentRotation() throws {
        let oldKey = MasterKey.generate()
        let good = try Self.rotatingHeader(oldKey: oldKey, newKey: MasterKey.generate())
        // Version 1 with a rotation (an edited file): the checksum is valid,
        // the combination is not.
        var versionOne = try KeyHeader.decode(try good.encoded(), path: "h")
        versionOne.version = 1
        versionOne.mac = nil
        versionOne.checksum = try versionOne.computeChecksum()
        let edited = try JSONEncoder().encode(versionOne)
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(edited, path: "h") }

        var extraSlot = good
        extraSlot.rotation?.slots.append(KeySlot(id: 9, material: .recovery(RecoverySlot.seal(oldKey, for: RecoveryCode.generate()))))
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try extraSlot.encoded(), path: "h") }

        var sameID = good
        sameID.rotation?.keyID = good.keyID
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try sameID.encoded(), path: "h") }

        // Every bit flip of a rotating header is still caught.
        let data = try good.encoded()
        let original = try KeyHeader.decode(data, path: "h")
        for offset in stride(from: 0, to: data.count, by: 7) {
            var damaged = data
            damaged[offset] ^= 0x04
            if let decoded = try? KeyHeader.decode(damaged, path: "h") { #expect(decoded == original, "flip at \(offset)") }
        }
    }

    @Test("during a rotation the password gives both keys, current first; an explicit key of either generation is accepted")
    func unlockFindsBothKeys() throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let header = try Self.rotatingHeader(oldKey: oldKey, newKey: newKey)
        let unlocker = KeyUnlocker(header: header, headerPath: "h")
        let result = try unlocker.unlock(.password(secret("pw")))
        #expect(result.keys.map(\.generation) == [.current, .pending])
        #expect(result.keys[0].masterKey.isSameKey(as: oldKey) && result.keys[1].masterKey.isSameKey(as: newKey))
        #expect(result.keys.allSatisfy { $0.source == .password(slotID: 2) })
        #expect(try unlocker.unlock(UnlockRequest(masterKey: newKey)).keys.map(\.generation) == [.pending])
        #expect(throws: KeyError.wrongKey) { _ = try unlocker.unlock(UnlockRequest(masterKey: MasterKey.generate())) }
        #expect(throws: KeyError.wrongPassword) { _ = try unlocker.unlock(.password(secret("nope"))) }

        // Only the new key's slot left (the old one dropped): the new key alone.
        var onlyNew = header
        onlyNew.slots.removeAll { $0.kind == .password }
        onlyNew.rotation?.slots.removeAll { $0.kind != .password }
        onlyNew = try onlyNew.authenticated(with: HeaderKeys(current: oldKey, pending: newKey))
        let partial = try KeyUnlocker(header: onlyNew, headerPath: "h").unlock(.password(secret("pw")))
        #expect(partial.keys.map(\.generation) == [.pending])
    }

    @Test("replacing a header overwrites the old file on disk; leftovers are scrubbed, but a second name of the live header is only unlinked")
    func replaceScrubsTheOldHeader() throws {
        let directory = NSTemporaryDirectory() + "/simvault-replace-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = KeyHeaderFile(vaultPath: directory + "/v.db")
        let key = MasterKey.generate()
        let first = try KeyHeaderTests.sampleHeader(key: key)
        try file.write(first, authenticatedWith: HeaderKeys(current: key), creating: true)
        // A hard link the code does not know about shows what happens to the
        // old inode's bytes.
        let observer = directory + "/observer"
        #expect(link(file.path, observer) == 0)
        let size = try Data(contentsOf: URL(fileURLWithPath: observer)).count

        var second = first
        second.slots.removeLast()
        let written = try file.replace(with: second, authenticatedWith: HeaderKeys(current: key))
        #expect(try file.load() == written && written.slots == second.slots && written.macVerifies(under: key, as: .current))
        let old = try Data(contentsOf: URL(fileURLWithPath: observer))
        #expect(old.count == size && old.allSatisfy { $0 == 0 }, "the superseded header was not overwritten")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["observer", "v.db.keys"])

        // What a crash leaves: a retired copy of an older header, a temp
        // file, and a retired name that still points at the live header.
        let stale = directory + "/.v.db.keys.retired-1-1"
        try Data("old slots".utf8).write(to: URL(fileURLWithPath: stale))
        try Data("half written".utf8).write(to: URL(fileURLWithPath: directory + "/.v.db.keys.tmp-1-2"))
        #expect(link(file.path, directory + "/.v.db.keys.retired-1-3") == 0)
        #expect(link(stale, observer + "2") == 0)
        #expect(file.scrubLeftovers() == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["observer", "observer2", "v.db.keys"])
        #expect(try file.load().slots == second.slots, "the live header was damaged")
        #expect(try Data(contentsOf: URL(fileURLWithPath: observer + "2")).allSatisfy { $0 == 0 })
    }

    @Test("the key lock is exclusive across descriptors, waits when asked, and is free again once released")
    func keyLock() throws {
        let directory = NSTemporaryDirectory() + "/simvault-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vault = directory + "/v.db"
        var held: KeyLock? = try KeyLock.acquire(vaultPath: vault)
        #expect(throws: KeyLock.Failure.held(path: vault + ".keys.lock")) { _ = try KeyLock.acquire(vaultPath: vault) }
        var announced = false
        #expect(throws: KeyLock.Failure.self) { _ = try KeyLock.acquire(vaultPath: vault, wait: 0.1) { announced = true } }
        #expect(announced)
        #expect(held != nil)
        held = nil
        #expect(try KeyLock.acquire(vaultPath: vault).path == vault + ".keys.lock")
        var info = stat()
        stat(vault + ".keys.lock", &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }
}
