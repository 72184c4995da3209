/// A key header that a key proves was not written by a key holder: what
/// gave it away, and what it changed when that can be known.
///
/// Reported by ``KeyUnlocker`` (as ``KeyError/headerForged(_:)``, exit 12)
/// before anything is derived from the header: no slot is re-wrapped or
/// re-sealed, no header or keyring item written.
public struct HeaderForgery: Sendable, Equatable {
    /// How the forgery showed.
    public enum Evidence: Sendable, Equatable {
        /// The header's MAC does not verify under a key that passed its key
        /// check.
        case macMismatch
        /// A key that opens the database fails the header's key check: the
        /// `key_id` / `key_check` were replaced.
        case keyCheckReplaced
        /// An unauthenticated header (format 1 or 2) where the database
        /// records that the vault's header was upgraded to the authenticated
        /// format: an old-format header was put in place to dodge the MAC.
        case downgrade(version: Int)
    }

    /// The header file.
    public let path: String
    public let evidence: Evidence
    /// The source of the key that exposed it.
    public let keySource: KeySource?
    /// What differs from the header simvault last recorded inside the
    /// database (slots and field names, never values); empty when there is
    /// no record to compare with.
    public let differences: [String]

    public init(path: String, evidence: Evidence, keySource: KeySource?, differences: [String]) {
        self.path = path
        self.evidence = evidence
        self.keySource = keySource
        self.differences = differences
    }

    /// Whether the key that exposed it passed the header's key check.
    public var keyCheckPassed: Bool {
        if case .keyCheckReplaced = evidence { return false }
        return true
    }
}

extension HeaderForgery: CustomStringConvertible {
    public var description: String {
        let how: String
        switch evidence {
        case .macMismatch:
            how = "its MAC does not verify under the vault's key"
        case .keyCheckReplaced:
            how = "the key from \(keySource?.description ?? "the key source") opens the database but fails the header's key check"
        case .downgrade(let version):
            how = "it is an unauthenticated format \(version) header, but the database records that this vault's header was upgraded to the authenticated format \(KeyHeader.authenticatedVersion)"
        }
        let what = differences.isEmpty
            ? ""
            : "; compared with the header simvault last recorded inside the database: \(differences.joined(separator: "; "))"
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return "the key header \(path) was changed by someone without the key (\(how)\(what)). Nothing was written and the keyring was not touched. Put back the key header of a backup taken with this key (every backup carries one as <backup>.keys) or restore a backup, and check who else can write \(directory.isEmpty ? "." : directory)."
    }
}
