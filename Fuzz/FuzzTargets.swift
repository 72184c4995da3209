import Foundation
import SQLiteReaderProtocol
import SimVault
import VaultKeys

/// The inputs simvault parses from files a person or another program may
/// have written: each target feeds arbitrary bytes to one parser. The
/// property is always the same: no crash, no hang, and either a value or a
/// typed error with a message; values that parse must survive a round trip.
///
/// Select a target with `SIMVAULT_FUZZ_TARGET` (default: all targets).
enum FuzzTargets {
    static let all: [String: @Sendable (Data) -> Void] = [
        "header": fuzzKeyHeader,
        "recovery-code": fuzzRecoveryCode,
        "sim-workflow": fuzzSimWorkflow,
        "conversations": fuzzConversationImport,
        "zip": fuzzZipArchive,
        "reader-frames": fuzzReaderFrames,
    ]

    static func selected() -> [@Sendable (Data) -> Void] {
        guard let name = ProcessInfo.processInfo.environment["SIMVAULT_FUZZ_TARGET"] else { return Array(all.values) }
        guard let target = all[name] else {
            fatalError("unknown SIMVAULT_FUZZ_TARGET \(name); known: \(all.keys.sorted().joined(separator: ", "))")
        }
        return [target]
    }

    /// Key header JSON: decoding either throws a header error or yields a
    /// header whose encoding decodes to the same header.
    static func fuzzKeyHeader(_ data: Data) {
        do {
            let header = try KeyHeader.decode(data, path: "fuzz.keys")
            let again = try KeyHeader.decode(try header.encoded(), path: "fuzz.keys")
            precondition(again == header, "a decoded header does not survive encode/decode")
        } catch let error as KeyError {
            switch error {
            case .headerDamaged, .headerUnsupported: precondition(!error.description.isEmpty)
            default: preconditionFailure("unexpected key error from the header parser: \(error)")
            }
        } catch {
            preconditionFailure("header round trip failed: \(error)")
        }
    }

    /// Recovery code text: parses to a code whose formatting parses back to
    /// the same code, or is reported as a typo.
    static func fuzzRecoveryCode(_ data: Data) {
        var bytes = [UInt8](data)
        let text = SecretBytes(consuming: &bytes)
        do {
            let code = try RecoveryCode(text: text)
            let again = try RecoveryCode(text: code.formatted())
            precondition(again.formatted().constantTimeEquals(code.formatted()))
        } catch {
            precondition(error == .recoveryCodeMistyped, "unexpected error \(error)")
        }
    }

    /// A Sim workflow export: parses to a file whose serialization parses
    /// back to the same document, or is refused with a message.
    static func fuzzSimWorkflow(_ data: Data) {
        do {
            let file = try SimWorkflowFile(data: data, source: "fuzz.json")
            let again = try SimWorkflowFile(data: file.serialized(), source: "fuzz.json")
            precondition(again == file, "a parsed workflow does not survive serialize/parse")
        } catch VaultError.invalidArgument(let detail) {
            precondition(!detail.isEmpty)
        } catch {
            preconditionFailure("unexpected error from the workflow parser: \(error)")
        }
    }

    /// A ZIP archive (a `.simworkflow` bundle from elsewhere): the reader
    /// refuses it with a message, or every entry reads back within the
    /// size limits; then the same bytes are imported as a bundle into a real
    /// vault, which either imports or refuses without changing the vault.
    static func fuzzZipArchive(_ data: Data) {
        let vault = FuzzVault.shared
        let path = vault.inputPath + ".simworkflow"
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            preconditionFailure("cannot write the input file: \(error)")
        }
        do {
            let archive = try ZipArchiveReader(path: path)
            var total: Int64 = 0
            for entry in archive.entries where !entry.isDirectory {
                let bytes = try archive.read(entry)
                precondition(Int64(bytes.count) == entry.size, "an entry read back with another size than declared")
                total += Int64(bytes.count)
            }
            precondition(total <= ZipArchiveReader.Limits().maximumTotalBytes)
        } catch VaultError.invalidArgument(let detail) {
            precondition(!detail.isEmpty)
        } catch {
            preconditionFailure("unexpected error from the ZIP reader: \(error)")
        }
        let before = vault.workflowCount()
        do {
            _ = try vault.vault.importWorkflowBundle(path: path)
        } catch VaultError.invalidArgument(let detail) {
            precondition(!detail.isEmpty)
            precondition(vault.workflowCount() == before, "a refused bundle changed the vault")
        } catch {
            preconditionFailure("unexpected error from the bundle importer: \(error)")
        }
    }

    /// What `simvault-sqlite-reader` might send (a compromised reader):
    /// every kind of frame payload decodes to values within the payload,
    /// or is refused as garbage.
    static func fuzzReaderFrames(_ data: Data) {
        let payload = [UInt8](data)
        for step in 0..<5 {
            var decoder = FrameDecoder(payload)
            do {
                switch step {
                case 0: _ = try decoder.values()
                case 1: _ = try decoder.strings()
                case 2: _ = (try decoder.u16(), try decoder.string())
                case 3: _ = (try decoder.i32(), try decoder.u32(), try decoder.string())
                default:
                    while decoder.remaining > 0 { _ = try decoder.value() }
                }
                precondition(decoder.remaining >= 0)
            } catch {
                precondition(error is FrameDecodingError, "unexpected error \(error)")
            }
        }
    }

    /// A conversation export imported into a real vault: either it imports,
    /// or it is refused with a message and the vault is unchanged.
    static func fuzzConversationImport(_ data: Data) {
        let vault = FuzzVault.shared
        do {
            try data.write(to: URL(fileURLWithPath: vault.inputPath))
        } catch {
            preconditionFailure("cannot write the input file: \(error)")
        }
        let before = vault.counts()
        do {
            _ = try vault.vault.importConversations(path: vault.inputPath)
        } catch VaultError.invalidArgument(let detail) {
            precondition(!detail.isEmpty)
            precondition(vault.counts() == before, "a refused import changed the vault")
        } catch {
            preconditionFailure("unexpected error from the conversation importer: \(error)")
        }
    }
}
