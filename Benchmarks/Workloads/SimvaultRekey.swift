import Foundation
import SimVault
import VaultKeys

/// Where `simvault rekey` (issue 5) plugs into the rekey workload.
///
/// Until the rekey branch is merged, the library has no rekey API and only
/// the raw C `PRAGMA rekey` is measured. Once it is: return a closure that
/// rotates the master key of the closed vault at `location`, e.g.
///
/// ```swift
/// { _ = try VaultKeyManager(location: location).rekey(
///       unlock: .password(password), options: RekeyOptions(passwords: [password])) }
/// ```
enum SimvaultRekey {
    static func operation(location: VaultLocation, password: SecretBytes) -> (() throws -> Void)? {
        nil
    }

    static let pendingNote =
        "simvault rekey: not measured yet (the rekey API of issue 5 is not merged); raw C PRAGMA rekey is, see Benchmarks/Workloads/SimvaultRekey.swift."
}
