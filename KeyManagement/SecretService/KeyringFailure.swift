/// Why the Secret Service could not give (or take) a vault's key. Each case
/// is a distinct, nameable situation with its own remedy.
public enum KeyringFailure: Error, Sendable, Equatable {
    /// No D-Bus session bus (ssh session, container, cron).
    case noSessionBus(detail: String)
    /// A session bus, but no program provides org.freedesktop.secrets.
    case noProvider(detail: String)
    /// The collection holding the item is locked.
    case locked
    /// No item for this vault in any collection.
    case noItem(vaultID: String)
    /// The Secret Service did not answer within the timeout.
    case timedOut(seconds: Double)
    /// Any other error reported by libsecret / D-Bus.
    case failed(detail: String)

    /// A short reason, for lists such as "keyring: locked".
    public var reason: String {
        switch self {
        case .noSessionBus: return "no D-Bus session bus"
        case .noProvider: return "no Secret Service provider running"
        case .locked: return "keyring is locked"
        case .noItem: return "keyring has no item for this vault"
        case .timedOut(let seconds): return "keyring did not answer within \(Self.format(seconds)) s"
        case .failed: return "keyring error"
        }
    }
}

extension KeyringFailure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .noSessionBus(let detail):
            return "keyring unavailable: no D-Bus session bus (\(detail)). This happens over ssh, in containers and in cron; use a password slot (--password-file) there."
        case .noProvider(let detail):
            return "keyring unavailable: no Secret Service provider (GNOME Keyring, KWallet, KeePassXC) is running on the session bus (\(detail))."
        case .locked:
            return "keyring is locked: the collection holding the vault's key must be unlocked (log in to the desktop session, or unlock it in your keyring manager)."
        case .noItem(let vaultID):
            return "keyring has no item for vault \(vaultID) (application=simvault vault-id=\(vaultID)). If it was deleted, open with the password or recovery code and run `simvault key add --type keyring`."
        case .timedOut(let seconds):
            return "keyring did not answer within \(Self.format(seconds)) seconds; the Secret Service may be hung or waiting for a prompt."
        case .failed(let detail):
            return "keyring error: \(detail)"
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
