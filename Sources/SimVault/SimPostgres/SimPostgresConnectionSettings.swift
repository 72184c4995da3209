import Foundation

/// How to reach a Sim deployment's PostgreSQL database, by libpq's own
/// conventions (https://www.postgresql.org/docs/current/libpq-envars.html,
/// libpq-pgpass.html): a file holding a `postgres://` URL (its password
/// included, if any), or the `PG*` environment variables with the password
/// in `~/.pgpass` (or the file `PGPASSFILE` names). A password is never
/// taken from the command line.
public enum SimPostgresConnection: Sendable, Equatable {
    /// A file holding one `postgres://` or `postgresql://` URL (Sim's
    /// `DATABASE_URL`).
    case urlFile(String)
    /// `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSFILE`... and libpq's defaults.
    case environment
}

/// The resolved settings: the connection string read from a URL file (kept
/// out of every message), a description for messages, and warnings.
struct SimPostgresConnectionSettings {
    /// Largest URL file read.
    static let maximumFileBytes = 64 << 10

    let conninfo: String?
    let description: String
    let notes: [String]
    /// The URL's password as written and percent-decoded, to take out of
    /// libpq's messages (some quote a token of the URL they could not parse).
    private let secrets: [String]

    /// - Throws: ``VaultError/io(detail:)`` when the URL file cannot be
    ///   read; ``VaultError/invalidArgument(detail:)`` when it does not
    ///   hold a connection URL.
    init(_ connection: SimPostgresConnection, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var notes: [String] = []
        switch connection {
        case .urlFile(let path):
            guard let size = VaultLocation.size(of: path) else { throw VaultError.io(detail: "cannot read the URL file \(path): no such file") }
            guard size <= Self.maximumFileBytes else {
                throw VaultError.invalidArgument(detail: "\(path) is \(ByteCount.format(size)); a URL file holds one line (postgres://user:password@host:port/database)")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw VaultError.io(detail: "cannot read the URL file \(path): \(String(cString: strerror(errno)))")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // The file's content (which may hold a password) never goes into
            // a message: only what kind of text it is.
            guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
                throw VaultError.invalidArgument(detail: "\(path) does not hold a PostgreSQL URL (postgres://user:password@host:port/database, as in Sim's DATABASE_URL)")
            }
            guard !text.contains("\n") else {
                throw VaultError.invalidArgument(detail: "\(path) holds more than one line; it must hold one PostgreSQL URL")
            }
            var status = stat()
            if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
                notes.append("\(path) is readable by other users (mode \(String(status.st_mode & 0o777, radix: 8))) and may hold a password: chmod 600 it")
            }
            conninfo = text
            secrets = Self.password(in: text)
            description = "the database of \(path)"
        case .environment:
            conninfo = nil
            secrets = []
            let user = environment["PGUSER"] ?? environment["USER"] ?? "the current user"
            let host = environment["PGHOST"] ?? environment["PGHOSTADDR"] ?? "the local socket"
            description = "\(user)@\(host):\(environment["PGPORT"] ?? "5432")/\(environment["PGDATABASE"] ?? user)"
        }
        if environment["PGPASSWORD"] != nil {
            notes.append("PGPASSWORD is set: libpq read the password from the environment, where other processes of this user can see it; ~/.pgpass or --url-file keep it out")
        }
        self.notes = notes
    }

    /// `message` with the URL's password taken out.
    func redacted(_ message: String) -> String {
        secrets.reduce(message) { $0.replacingOccurrences(of: $1, with: "<password>") }
    }

    /// The password of `postgres://user:password@host/...`, raw and
    /// decoded; empty when there is none.
    static func password(in url: String) -> [String] {
        guard let scheme = url.range(of: "://") else { return [] }
        let rest = url[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return [] }
        let userinfo = rest[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return [] }
        let raw = String(userinfo[userinfo.index(after: colon)...])
        guard !raw.isEmpty else { return [] }
        return [raw, raw.removingPercentEncoding].compactMap { $0 }.filter { !$0.isEmpty }
    }
}
