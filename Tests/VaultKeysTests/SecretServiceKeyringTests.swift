import Foundation
import Testing
import VaultKeys

/// Whether this test process runs inside the project's private keyring
/// session (`make test` runs `swift test` under scripts/with-keyring). Outside
/// it these tests must not run: they would touch the developer's keyring.
private let insidePrivateSession = ProcessInfo.processInfo.environment["SIMVAULT_KEYRING_MODE"] == "unlocked"

@Suite("Secret Service (real gnome-keyring)", .enabled(if: insidePrivateSession, "run through `make test` (scripts/with-keyring)"))
struct SecretServiceKeyringTests {
    @Test("store, find, tell items of other vaults apart, remove")
    func storeLookupRemove() throws {
        let keyring = SecretServiceKeyring(timeout: 10)
        let vault = UUID().uuidString.lowercased(), other = UUID().uuidString.lowercased()
        let key = MasterKey.generate()
        try keyring.store(key, vaultID: vault, keyID: "0011223344556677", label: "simvault test \(vault)")
        try keyring.store(MasterKey.generate(), vaultID: other, keyID: "8899aabbccddeeff", label: "simvault test \(other)")

        let items = try keyring.items(forVault: vault)
        #expect(items.count == 1)
        #expect(items.first?.keyID == "0011223344556677")
        #expect(items.first?.isLocked == false)
        #expect(items.first?.key?.isSameKey(as: key) == true)

        #expect(try keyring.remove(vaultID: vault))
        #expect(try keyring.items(forVault: vault).isEmpty)
        #expect(try keyring.remove(vaultID: vault) == false)
        #expect(try keyring.items(forVault: other).count == 1)
        try keyring.remove(vaultID: other)
    }

    @Test("storing again with the same attributes replaces the item")
    func storeReplaces() throws {
        let keyring = SecretServiceKeyring(timeout: 10)
        let vault = UUID().uuidString.lowercased()
        try keyring.store(MasterKey.generate(), vaultID: vault, keyID: "0000000000000001", label: "a")
        let second = MasterKey.generate()
        try keyring.store(second, vaultID: vault, keyID: "0000000000000001", label: "b")
        let items = try keyring.items(forVault: vault)
        #expect(items.count == 1)
        #expect(items.first?.key?.isSameKey(as: second) == true)
        try keyring.remove(vaultID: vault)
    }
}

@Test("the keyring tests ran when make test asked for them")
func keyringTestsWereEnabled() {
    // `make test` sets SIMVAULT_REQUIRE_KEYRING_TESTS: there, skipping the
    // real-keyring suite silently would hide a broken test setup.
    if ProcessInfo.processInfo.environment["SIMVAULT_REQUIRE_KEYRING_TESTS"] == "1" {
        #expect(insidePrivateSession, "make test must run the tests inside scripts/with-keyring")
    }
}
