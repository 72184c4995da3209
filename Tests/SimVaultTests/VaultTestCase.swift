import Foundation
import SimVault
import VaultTestSupport

/// A vault created through the library with a password slot only (no
/// keyring), in its own temporary directory.
struct LibraryVault {
    let directory: TemporaryDirectory
    let location: VaultLocation
    let vault: Vault
    let password: SecretBytes

    init(configuration: VaultConfiguration = VaultConfiguration()) throws {
        directory = try TemporaryDirectory("lib")
        location = VaultLocation(path: directory.file("vault.db"))
        password = SecretBytes(count: 8) { $0.copyBytes(from: Array("pässword".utf8.prefix(8))) }
        var options = VaultCreationOptions()
        options.usesKeyring = false
        options.password = password
        options.passwordKDF = PasswordKDF(opsLimit: 1, memLimit: 8 << 20)
        options.configuration = configuration
        vault = try Vault.create(at: location, options: options).vault
    }

    /// Opens the same vault again (a second, independent Vault).
    func reopen(configuration: VaultConfiguration = VaultConfiguration()) throws -> Vault {
        try Vault.open(at: location, unlock: .password(password), configuration: configuration)
    }
}
