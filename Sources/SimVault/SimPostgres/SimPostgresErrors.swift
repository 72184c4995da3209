/// libpq's failures as ``VaultError``s that say what happened and what to
/// do: an unreachable server and refused credentials are failures of the
/// environment (exit 1); a database that is not there, not Sim's, or of a
/// schema simvault does not read is bad input (exit 64).
enum SimPostgresErrors {
    static func connection(_ failure: PostgresConnection.Failure, target: String) -> VaultError {
        switch failure {
        case .unreachable(let message):
            return .io(detail: "cannot reach the PostgreSQL server (\(target)): \(sentence(message)) Check that it is running and that --url-file, or PGHOST and PGPORT, point at it; nothing was imported")
        case .authentication(let message):
            return .io(detail: "the PostgreSQL server refused the login (\(target)): \(sentence(message)) Give the password in ~/.pgpass (or the file PGPASSFILE names) or in the URL of --url-file; nothing was imported")
        case .noDatabase(let message):
            return .invalidArgument(detail: "the PostgreSQL server has no such database (\(target)): \(sentence(message)) Name Sim's database in the URL or PGDATABASE; nothing was imported")
        case .other(let message):
            return .io(detail: "cannot connect to PostgreSQL (\(target)): \(oneLine(message)); nothing was imported")
        case .query(let state, let message):
            return query(state: state, message: message, doing: "connecting", target: target)
        }
    }

    /// Runs `body`, turning a libpq failure into a ``VaultError`` that says
    /// what was being done.
    static func run<T>(_ doing: String, target: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as PostgresConnection.Failure {
            if case .query(let state, let message) = error { throw query(state: state, message: message, doing: doing, target: target) }
            throw connection(error, target: target)
        }
    }

    private static func query(state: String, message: String, doing: String, target: String) -> VaultError {
        if state == "42501" {
            return .io(detail: "the PostgreSQL user may not read Sim's tables (\(target)) while \(doing): \(sentence(message)) Grant it SELECT on them (read access is all simvault needs); nothing was imported")
        }
        return .io(detail: "PostgreSQL failed while \(doing) (\(target)): \(oneLine(message)) (SQLSTATE \(state)); nothing was imported")
    }

    /// `oneLine(message)` ending with a full stop.
    static func sentence(_ message: String) -> String {
        let line = oneLine(message)
        return line.last.map { ".?!".contains($0) } == true ? line : line + "."
    }

    /// libpq's messages span lines ("connection to server ... failed:
    /// FATAL: ..."); one line reads better in an error.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
