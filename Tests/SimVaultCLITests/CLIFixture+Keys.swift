import Foundation
import Testing
import VaultTestSupport

/// What the key-change tests look at from outside: the header's bytes and
/// fields, and the keyring items as `secret-tool` sees them.
extension CLIFixture {
    /// The key header's bytes, to prove a refused command changed nothing.
    func headerBytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: headerPath)) }

    /// The first value of a string field (`"name" : "value"`) in a
    /// pretty-printed header: wrapped keys, salts, nonces.
    static func field(_ name: String, in header: String) -> String? {
        header.components(separatedBy: "\"\(name)\" : \"").dropFirst().first?.components(separatedBy: "\"").first
    }

    /// The vault's keyring items, as `secret-tool search --all` lists them
    /// (it prints attributes on stderr): their count and the whole listing.
    func keyringItems(in session: KeyringSession) throws -> (count: Int, listing: String) {
        let result = try session.run("secret-tool", ["search", "--all", "application", "simvault", "vault-id", vaultID])
        let listing = result.stdout + result.stderr
        return (listing.components(separatedBy: "\n").filter { $0.hasPrefix("[/") }.count, listing)
    }
}
