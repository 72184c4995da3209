import ArgumentParser
import Foundation
import SimVault

/// The stable exit codes of the CLI contract (docs/DESIGN.md §4), in one table.
///
/// ``table`` is the one list of codes and meanings: the root command's help
/// prints it, and a test checks that the tables in docs/cli.md and
/// docs/DESIGN.md say exactly the same.
enum ExitCodes {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let healthFailed: Int32 = 2
    static let usage: Int32 = 64
    static let wrongKey: Int32 = 10
    static let noKeySource: Int32 = 11
    static let corrupt: Int32 = 12
    static let busy: Int32 = 13
    static let newerThanBinary: Int32 = 14
    static let notFound: Int32 = 15

    /// Every code and what it means, in the order the docs list them.
    static let table: [(code: Int32, meaning: String)] = [
        (success, "ok"),
        (failure, "failure not listed here (and `health`: warnings)"),
        (healthFailed, "`health` only: a check failed"),
        (usage, "usage error"),
        (wrongKey, "wrong key or password (also: the keyring item holds a key for another vault)"),
        (noKeySource, "no key source available (keyring missing or locked and no password given)"),
        (corrupt, "vault or key header corrupt or tampered with; a file from elsewhere (another app's database, an import) malformed or hostile"),
        (busy, "vault busy (another process holds it)"),
        (newerThanBinary, "vault (schema, header format or cipher settings) newer than this simvault or the SQLCipher it runs on"),
        (notFound, "vault or key header not found"),
    ]

    /// The table as one paragraph, for `simvault --help`.
    static var summary: String {
        "Exit codes: " + table.map { "\($0.code) \($0.meaning)" }.joined(separator: "; ") + "."
    }

    /// `health`: 0 healthy, 1 warnings, 2 failed.
    static func code(for verdict: HealthReport.Verdict) -> Int32 {
        switch verdict {
        case .healthy: return success
        case .warnings: return failure
        case .failed: return healthFailed
        }
    }

    /// The exit code for a simvault error; nil for argument-parser's own
    /// errors (help, usage, `ExitCode`), which it handles itself.
    static func code(for error: any Error) -> Int32? {
        switch error {
        case let error as VaultError: return vaultCode(error)
        case let error as KeyError: return vaultCode(VaultError(error))
        case is SQLiteError: return failure
        case let error as CLIError: return error.exitCode
        default: return nil
        }
    }

    static func vaultCode(_ error: VaultError) -> Int32 {
        switch error {
        case .notFound, .headerMissing: return notFound
        case .wrongKey: return wrongKey
        case .noKeySource: return noKeySource
        case .corrupt, .headerForged, .backupUnusable, .notAVault, .untrustedFile, .malformedInput: return corrupt
        case .busy: return busy
        case .schemaNewer, .appSchemaNewer, .headerNewer, .cipherNewerThanEngine: return newerThanBinary
        case .invalidArgument: return usage
        case .alreadyExists, .engineNotSQLCipher, .engineUnsupported, .diskFull, .io, .keyManagement, .closed: return failure
        case .schemaOutdated, .migrationFailed, .recordNotFound: return failure
        }
    }
}

/// Errors raised by the CLI itself (bad files given as options and the like).
struct CLIError: Error, LocalizedError {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = ExitCodes.failure) {
        self.message = message
        self.exitCode = exitCode
    }
    var errorDescription: String? { message }
}
