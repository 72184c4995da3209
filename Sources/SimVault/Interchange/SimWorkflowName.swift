import Foundation

/// Names as Sim derives them for files: the workflow name taken from a file
/// name when the content has none, and the path segments of its ZIP
/// exports (`extractWorkflowName` and `sanitizePathSegment` in Sim's
/// apps/sim/lib/workflows/operations/import-export.ts).
public enum SimWorkflowName {
    /// The name Sim gives a workflow from its file name: `.json` dropped, a
    /// trailing `-<uuid>` (the workflow id Sim's ZIP exports append) dropped,
    /// `-` and `_` turned into spaces, each word capitalised;
    /// `Imported Workflow` when nothing is left.
    ///
    /// ```swift
    /// SimWorkflowName.fromFileName("morning-digest-0c1f…-9a2b.json")   // "Morning Digest"
    /// ```
    public static func fromFileName(_ fileName: String) -> String {
        var name = fileName
        if name.lowercased().hasSuffix(".json") { name = String(name.dropLast(5)) }
        if let id = trailingWorkflowID(of: name) { name = String(name.dropLast(id.count + 1)) }
        let spaced = String(name.map { $0 == "-" || $0 == "_" ? " " : $0 })
        let capitalised = spaced.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            guard let first = word.first else { return "" }
            return first.uppercased() + String(word.dropFirst()).lowercased()
        }.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
        return capitalised.isEmpty ? "Imported Workflow" : capitalised
    }

    /// The id at the end of a `<name>-<id>` file name (without `.json`),
    /// when it is a UUID as Sim makes them.
    public static func trailingWorkflowID(of stem: String) -> String? {
        guard stem.count > 37 else { return nil }
        let candidate = String(stem.suffix(36))
        guard stem.dropLast(36).last == "-", isUUID(candidate) else { return nil }
        return candidate
    }

    /// `8-4-4-4-12` hexadecimal digits, any case.
    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    /// A name as one path segment of a Sim ZIP export: every character that
    /// is not a letter, a digit, `-` or `_` becomes `-`, and runs of `-`
    /// collapse into one.
    public static func pathSegment(_ name: String) -> String {
        var output = ""
        for scalar in name.unicodeScalars {
            let kept = scalar == "-" || scalar == "_" || isLetterOrNumber(scalar)
            if kept, scalar != "-" { output.unicodeScalars.append(scalar); continue }
            if !output.hasSuffix("-") { output += "-" }
        }
        return output
    }

    /// JavaScript's `\p{L}` and `\p{N}` (Unicode general categories L* and N*).
    private static func isLetterOrNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
