public import Foundation
public import SimVault

/// Edits a vault's key header the way someone who can write the vault's
/// folder but holds no key would: outside simvault, with Python's `json`
/// and `hashlib`. The edit is Python code over the parsed header `h` (and
/// `extra`, the JSON given as `extra`); the unkeyed checksum is then
/// recomputed, BLAKE2b-256 over the compact sorted JSON with an empty
/// checksum, as anyone can, and the file rewritten in place. The MAC, which
/// needs the key, is left as it was (or removed, if the edit removes it).
public enum HeaderForger {
    public static func forge(_ headerPath: String, extra: String = "null", _ edit: String) throws {
        let script = """
            import hashlib, json, sys
            path, edit, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
            with open(path) as f:
                h = json.load(f)
            exec(edit)
            h["checksum"] = ""
            body = json.dumps(h, sort_keys=True, separators=(",", ":"))
            h["checksum"] = "blake2b-256:" + hashlib.blake2b(body.encode(), digest_size=32).hexdigest()
            with open(path, "w") as f:
                f.write(json.dumps(h, sort_keys=True, indent=2) + "\\n")
            """
        try ExternalTools.python(script, [headerPath, edit, extra])
    }

    /// The header as an older simvault wrote it (format 1, no MAC), which is
    /// also what an attacker puts back to dodge the MAC.
    public static func downgrade(_ headerPath: String) throws {
        try forge(headerPath, "h['version'] = 1\nh.pop('mac', None)")
    }

    /// A slot as JSON, for `extra`.
    public static func json(_ slot: KeySlot) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(slot), as: UTF8.self)
    }

    /// A recovery slot sealing a random key to a recovery code the attacker
    /// keeps: what `rekey` would seal the next master key to.
    public static func attackerRecoverySlot(id: Int) -> (slot: KeySlot, code: RecoveryCode) {
        let code = RecoveryCode.generate()
        return (KeySlot(id: id, material: .recovery(RecoverySlot.seal(MasterKey.generate(), for: code))), code)
    }
}
