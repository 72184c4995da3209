import ArgumentParser
import Foundation
import SimVault

/// The stable exit codes of the CLI contract (DESIGN.md §4), in one table.
enum ExitCodes {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let wrongKey: Int32 = 10
    static let noKeySource: Int32 = 11
    static let corrupt: Int32 = 12
    static let busy: Int32 = 13
    static let newerThanBinary: Int32 = 14
    static let notFound: Int32 = 15

    /// `health`: 0 healthy, 1 warnings, 2 failed.
    static func code(for verdict: HealthReport.Verdict) -> Int32 {
        switch verdict {
        case .healthy: return 0
        case .warnings: return 1
        case .failed: return 2
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
        case .corrupt, .backupUnusable, .notAVault, .malformedInput: return corrupt
        case .busy: return busy
        case .schemaNewer, .headerNewer: return newerThanBinary
        case .invalidArgument: return usage
        case .alreadyExists, .engineNotSQLCipher, .diskFull, .io, .keyManagement, .closed: return failure
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
