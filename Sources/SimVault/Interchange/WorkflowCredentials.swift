import Foundation

/// Credentials inside imported workflow states: Sim keeps a block's API key
/// and token or password sub-blocks in the workflow itself
/// (`"subBlocks": {"apiKey": {"id": "apiKey", "value": "sk-…"}}`). An import
/// seals each one as a secret of scope `workflow:<workflow id>` and stores
/// the state with the reference `secret:workflow:<id>/<NAME>` in its place
/// (the rules are ``SecretExtraction``'s; Sim's `{{ENV_VAR}}` references
/// stay as they are). Exports never carry them: see ``redacted(_:)``.
///
/// A separate step on the state, after ``SimWorkflowFile`` has accepted the
/// file (whatever Sim form it came in, from a file, an archive, a bundle or
/// a Sim database), so the accepted shapes and this rule change apart.
enum WorkflowCredentials {
    /// Whether `state` holds a credential (checked outside the write lock,
    /// so only such states are sealed and compressed again inside it).
    static func holdsCredentials(_ state: JSONObject) -> Bool {
        SecretExtraction.redact(.object(state)).count > 0
    }

    /// The state an import stores: `stateBytes` itself (byte for byte)
    /// when it holds no credential, else the state with each credential
    /// sealed by `importer` and replaced by its reference.
    static func sealing(_ stateBytes: Data, workflowID: String, importer: inout RecordImporter) throws -> Data {
        guard let text = String(data: stateBytes, encoding: .utf8),
              let stripped = try importer.strippingSecrets(text, scope: "workflow:\(workflowID)"), stripped != text else { return stateBytes }
        return Data(stripped.utf8)
    }

    /// `stateBytes` with credentials redacted (``redacted(_:)``); the same
    /// bytes when there are none or they are not JSON.
    static func redacting(_ stateBytes: Data) -> Data {
        guard let state = try? JSONReader(data: stateBytes).readDocument() else { return stateBytes }
        let (redacted, count) = SecretExtraction.redact(state)
        return count == 0 ? stateBytes : Data(JSONWriter.serialize(redacted, style: .compact).utf8)
    }

    /// A stored state as an export writes it: credentials (in a state an
    /// app saved, or one imported before simvault sealed them) replaced by
    /// ``SecretExtraction/redactionMarker``; unchanged when there are none.
    static func redacted(_ state: JSONValue) -> JSONValue {
        SecretExtraction.redact(state).value
    }
}
