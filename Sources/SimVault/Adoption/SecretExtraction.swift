import Foundation

/// Finds API keys and other credentials inside JSON that apps stored in
/// ordinary columns (AionUi copies the provider's API key into every
/// conversation's `model` JSON; Sim keeps them in workflow sub-blocks), so
/// an import can move them into sealed secrets and keep only a reference in
/// the stored JSON, and an export can leave them out.
///
/// The rules, applied to every string value at any depth:
/// 1. **By name**: the member's name, lowercased without `_`, `-` and
///    spaces, is one of `apikey`, `apikeys`, `secret`, `secretkey`,
///    `clientsecret`, `password`, `passwd`, `privatekey`, `authorization`,
///    `accesstoken`, `refreshtoken`, `authtoken`, `bearertoken`, `token`,
///    `apitoken`, `xapikey`, or ends with `apikey`, `secret`, `token` or
///    `password`;
/// 2. **Named by its object**: the `value` member of an object whose `id`,
///    `key` or `name` member, or whose own member name, is such a name
///    (Sim's `"apiKey": {"id": "apiKey", "type": "short-input", "value": …}`,
///    header lists `{"key": "Authorization", "value": …}`);
/// 3. **By shape**, whatever the name: a string of 20 or more characters
///    without spaces that starts like a known provider key (`sk-`,
///    `sk-ant-`, `sk-proj-`, `AIza`, `gsk_`, `xai-`, `hf_`, `ghp_`,
///    `github_pat_`, `glpat-`, `r8_`, `pplx-`, `AKIA`).
///
/// Never credentials: empty strings, references to a sealed secret
/// (`secret:<scope>/<name>`, what an import leaves), Sim's references to its
/// environment variables (`{{OPENAI_API_KEY}}`), and ``redactionMarker``.
/// A found value is replaced by what the caller's `store` returns: the text
/// `secret:<scope>/<name>` naming the secret that now holds it, or the
/// marker.
enum SecretExtraction {
    private static let secretNames: Set<String> = [
        "apikey", "apikeys", "secret", "secretkey", "clientsecret", "password", "passwd", "privatekey", "authorization",
        "accesstoken", "refreshtoken", "authtoken", "bearertoken", "token", "apitoken", "xapikey",
    ]
    private static let secretSuffixes = ["apikey", "secret", "token", "password"]
    private static let keyPrefixes = ["sk-", "AIza", "gsk_", "xai-", "hf_", "ghp_", "github_pat_", "glpat-", "r8_", "pplx-", "AKIA"]
    /// What an export writes in place of a credential.
    static let redactionMarker = "[redacted by simvault]"

    /// Whether a member called `name` holds a credential.
    static func isSecretName(_ name: String) -> Bool {
        let normalized = name.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " }
        return secretNames.contains(normalized) || secretSuffixes.contains { normalized.hasSuffix($0) }
    }

    /// Whether `value` looks like a provider API key.
    static func looksLikeKey(_ value: String) -> Bool {
        value.count >= 20 && !value.contains(where: \.isWhitespace) && keyPrefixes.contains { value.hasPrefix($0) }
    }

    /// Whether `text` only points at a credential kept elsewhere: a sealed
    /// secret (`secret:<scope>/<name>`), an environment variable of Sim's
    /// (`{{NAME}}`), or a redacted value.
    static func isReference(_ text: String) -> Bool {
        if text == redactionMarker { return true }
        if text.hasPrefix("secret:"), text.contains("/"), !text.contains(where: \.isWhitespace) { return true }
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count > 4 else { return false }
        return text.dropFirst(2).dropLast(2).allSatisfy { $0.isLetter || $0.isNumber || "_.-".contains($0) }
    }

    /// Whether `text`, held by a member called `name`, is a credential.
    static func isCredential(_ text: String, name: String?) -> Bool {
        guard !text.isEmpty, !isReference(text) else { return false }
        return (name.map(isSecretName) ?? false) || looksLikeKey(text)
    }

    /// `value` with every credential replaced by what `store` returns for
    /// it. `store` gets the secret's suggested name (from the member path,
    /// `apiKey` → `API_KEY`, `auth.token` → `AUTH_TOKEN`; a sub-block's
    /// `value` is named after the sub-block) and its value.
    static func extract(_ value: JSONValue, path: [String] = [], store: (String, String) throws -> String) rethrows -> JSONValue {
        switch value {
        case .string(let text) where isCredential(text, name: path.last):
            return .string(try store(secretName(path), text))
        case .object(let object):
            let label = [object["id"]?.string, object["key"]?.string, object["name"]?.string, path.last].compactMap { $0 }.first(where: isSecretName)
            var result = JSONObject()
            for member in object.members {
                if member.key == "value", let label, case .string(let text) = member.value, isCredential(text, name: label) {
                    result[member.key] = .string(try store(secretName([label]), text))
                } else {
                    result[member.key] = try extract(member.value, path: path + [member.key], store: store)
                }
            }
            return .object(result)
        case .array(let items):
            return .array(try items.map { try extract($0, path: path, store: store) })
        default:
            return value
        }
    }

    /// `value` with every credential replaced by ``redactionMarker``, and
    /// how many were.
    static func redact(_ value: JSONValue) -> (value: JSONValue, count: Int) {
        var count = 0
        let result = extract(value) { _, _ in
            count += 1
            return redactionMarker
        }
        return (result, count)
    }

    /// JSON text with every credential redacted; the text unchanged (byte
    /// for byte) when it holds none or is not JSON.
    static func redact(jsonText text: String) -> String {
        guard let value = try? JSONReader(data: Data(text.utf8)).readDocument() else {
            return looksLikeKey(text) ? redactionMarker : text
        }
        let (redacted, count) = redact(value)
        return count == 0 ? text : JSONWriter.serialize(redacted, style: .compact)
    }

    /// `["auth", "apiKey"]` → `AUTH_API_KEY`.
    static func secretName(_ path: [String]) -> String {
        let words = path.isEmpty ? ["value"] : path
        let name = words.map { word -> String in
            var out = ""
            var previous: Character?
            for character in word {
                if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { out.append("_") }
                out.append(character.isLetter || character.isNumber ? Character(character.uppercased()) : "_")
                previous = character
            }
            return out
        }.joined(separator: "_")
        return name.isEmpty ? "VALUE" : name
    }

    /// A scope-safe form of a provider name: `OpenAI Compatible` → `openai-compatible`.
    static func scopeName(_ text: String) -> String {
        let cleaned = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let joined = String(cleaned).split(separator: "-").joined(separator: "-")
        return joined.isEmpty ? "unknown" : String(joined.prefix(64))
    }
}

/// Timestamps as other apps store them, turned into unix milliseconds:
/// integers (seconds before 1e11, else milliseconds), numeric text, and
/// ISO 8601 or SQL `YYYY-MM-DD HH:MM:SS[.SSS]` text (UTC unless an offset
/// is given).
enum SourceTime {
    static func milliseconds(_ value: DatabaseValue) -> Int64? {
        switch value {
        case .integer(let number): return number < 100_000_000_000 ? number * 1000 : number
        case .real(let number): return Int64((number < 1e11 ? number * 1000 : number).rounded())
        case .text(let text): return parse(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    private static func parse(_ text: String) -> Int64? {
        if let number = Int64(text) { return milliseconds(.integer(number)) }
        let iso = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            iso.formatOptions = options
            if let date = iso.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        let formatter = UTCFormat.formatter("")
        // LibreOllama's chat timestamps carry microseconds: `2025-07-20 00:22:40.862055`.
        for format in ["yyyy-MM-dd HH:mm:ss.SSSSSS", "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }
}
