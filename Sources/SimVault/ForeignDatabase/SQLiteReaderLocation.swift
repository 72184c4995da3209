import Foundation

/// Where `simvault-sqlite-reader` is (see ``ForeignReaderConfiguration``):
/// the configured path, else beside the running executable, else in
/// `../libexec/simvault/` relative to it.
enum SQLiteReaderLocation {
    static let executableName = "simvault-sqlite-reader"

    /// - Throws: ``VaultError/io(detail:)`` naming every place looked at.
    static func find(_ configuration: ForeignReaderConfiguration) throws -> String {
        if let explicit = configuration.executablePath {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw VaultError.io(detail: "the SQLite reader \(explicit) (configured) is not an executable file; nothing was read")
            }
            return explicit
        }
        let candidates = candidatePaths()
        if let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) { return found }
        throw VaultError.io(detail: "reading another app's database needs the helper \(executableName), which is not installed (looked for \(candidates.joined(separator: ", "))). Install it beside simvault (or set its path in VaultConfiguration.foreignReader, or $SIMVAULT_SQLITE_READER for the CLI); nothing was read")
    }

    /// Beside the running executable (symbolic links resolved), then in
    /// `../libexec/simvault/`.
    static func candidatePaths() -> [String] {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return [] }
        let directory = executable.deletingLastPathComponent()
        return [
            directory.appendingPathComponent(executableName).path,
            directory.deletingLastPathComponent().appendingPathComponent("libexec/simvault/\(executableName)").path,
        ]
    }
}
