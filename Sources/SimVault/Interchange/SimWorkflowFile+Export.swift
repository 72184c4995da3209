import Foundation

extension SimWorkflowFile {
    /// A stored workflow in Sim's `form` (``Form/uiExport`` or
    /// ``Form/apiExport``), around its stored state.
    ///
    /// A workflow imported from a file keeps that file's members: exported
    /// in the form it came in, it gives back the same document with
    /// `exportedAt` renewed (at the top level and in `state.metadata`) and
    /// the name and description following a rename (in `state.metadata` and,
    /// for the API form, in `workflow`). A workflow made by an app gets a
    /// fresh envelope and `state.metadata` with its name and description.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` when the stored state is not
    ///   JSON; ``VaultError/invalidArgument(detail:)`` when it is not an
    ///   object (so not a Sim workflow state).
    static func assemble(
        state stateBytes: Data, source sourceText: String?, id: String, name: String, description: String,
        exportedAt: Date, form: Form
    ) throws -> SimWorkflowFile {
        let timestamp = JSONValue.string(isoTimestamp(exportedAt))
        let parsed: JSONValue
        do { parsed = try JSONReader(data: stateBytes).readDocument() } catch {
            throw VaultError.corrupt(detail: "the stored state of workflow \"\(name)\" is not JSON: \(error)")
        }
        guard var state = parsed.object else {
            throw VaultError.invalidArgument(detail: "the state of workflow \"\(name)\" is \(parsed.typeName), not a JSON object, so it cannot be written in Sim's format")
        }
        let source = SimWorkflowSource(text: sourceText)
        if var metadata = state["metadata"]?.object {
            // A file imported without a metadata name got its name from the
            // file name or from `workflow.name`; that name is not written into it.
            if nonBlank(metadata["name"]).map({ $0 != name }) ?? (source == nil) { metadata["name"] = .string(name) }
            if (nonBlank(metadata["description"]) ?? "") != description { metadata["description"] = .string(description) }
            if metadata["exportedAt"] != nil { metadata["exportedAt"] = timestamp }
            state["metadata"] = .object(metadata)
        } else if source == nil {
            var metadata = JSONObject(["name": .string(name)])
            if !description.isEmpty { metadata["description"] = .string(description) }
            state["metadata"] = .object(metadata)
        }

        var envelope = source?.envelope ?? JSONObject(["version": .string(supportedVersions[0]), "exportedAt": timestamp, "state": .null])
        if envelope["exportedAt"] != nil { envelope["exportedAt"] = timestamp }
        switch form {
        case .apiExport:
            envelope = withWorkflowRecord(envelope, id: source?.simWorkflowID ?? id, name: name, description: description, sim: source?.sim)
            return SimWorkflowFile(state: state, envelope: envelope, wrapper: source?.wrapper ?? JSONObject(["data": .null]))
        case .uiExport, .state:
            // The UI export has no `workflow` record; one read from an API
            // response goes back with the API form.
            if source?.form == Form.apiExport.rawValue { envelope["workflow"] = nil }
            return SimWorkflowFile(state: state, envelope: envelope, wrapper: nil)
        }
    }

    /// `envelope` with its `workflow` record (Sim's API export: `id`, `name`,
    /// `description`, `workspaceId`, `folderId`, before `state`) made or
    /// brought in line with the vault's name and description.
    private static func withWorkflowRecord(_ envelope: JSONObject, id: String, name: String, description: String, sim: JSONObject?) -> JSONObject {
        var envelope = envelope
        if var record = envelope["workflow"]?.object {
            if nonBlank(record["name"]) != name { record["name"] = .string(name) }
            if (nonBlank(record["description"]) ?? "") != description { record["description"] = description.isEmpty ? .null : .string(description) }
            envelope["workflow"] = .object(record)
            return envelope
        }
        let record = JSONObject([
            "id": .string(id), "name": .string(name), "description": description.isEmpty ? .null : .string(description),
            "workspaceId": sim?["workspaceId"] ?? .null, "folderId": sim?["folderId"] ?? .null,
        ])
        var members = envelope.members.filter { $0.key != "workflow" }
        let at = members.firstIndex { $0.key == "state" } ?? members.count
        members.insert(JSONObject.Member("workflow", .object(record)), at: at)
        return JSONObject(members)
    }
}
