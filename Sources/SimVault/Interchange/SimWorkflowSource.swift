import Foundation

/// Where a workflow imported from Sim came from, kept in `workflows.source`
/// (JSON) so an export can give back the document it came in:
///
/// ```json
/// {"format": "sim-workflow-export", "form": "api",
///  "envelope": {"version": "1.0", "exportedAt": "…", "workflow": {…}, "state": null},
///  "wrapper": {"data": null, "limits": {…}},
///  "sim": {"workflowId": "…", "workspaceId": "…", "folderId": "…", "userId": "…", "sortOrder": 0}}
/// ```
///
/// `form` is `sim`, `api`, `state` (the file's form) or `postgres` (read
/// from a Sim database); `envelope` and `wrapper` are the file's members
/// around `state` and `data` (see ``SimWorkflowFile``); `sim` is the
/// workflow's row in Sim's database. Rows written before `form` existed have
/// only `format` and `envelope` (a UI export).
struct SimWorkflowSource: Equatable {
    static let format = "sim-workflow-export"
    static let postgresForm = "postgres"

    var form: String
    var envelope: JSONObject?
    var wrapper: JSONObject?
    /// The workflow's record in Sim (`workflowId`, `workspaceId`, `folderId`...).
    var sim: JSONObject?

    init(form: String, envelope: JSONObject? = nil, wrapper: JSONObject? = nil, sim: JSONObject? = nil) {
        self.form = form
        self.envelope = envelope
        self.wrapper = wrapper
        self.sim = sim
    }

    /// The source of a workflow imported from `file`.
    init(file: SimWorkflowFile) {
        self.init(form: file.form.rawValue, envelope: file.envelope, wrapper: file.wrapper)
    }

    /// The stored source, or nil for a workflow made by an app (or a source
    /// of another kind).
    init?(text: String?) {
        guard let text, let object = try? JSONReader(data: Data(text.utf8)).readDocument().object,
              object["format"]?.string == Self.format else { return nil }
        form = object["form"]?.string ?? SimWorkflowFile.Form.uiExport.rawValue
        envelope = object["envelope"]?.object
        wrapper = object["wrapper"]?.object
        sim = object["sim"]?.object
    }

    var text: String {
        var object = JSONObject(["format": .string(Self.format), "form": .string(form)])
        object.append("envelope", envelope.map(JSONValue.object))
        object.append("wrapper", wrapper.map(JSONValue.object))
        object.append("sim", sim.map(JSONValue.object))
        return JSONWriter.serialize(.object(object), style: .compact)
    }

    /// Sim's id of the workflow: from its database row, else from an API
    /// export's `workflow.id`.
    var simWorkflowID: String? { sim?["workflowId"]?.string ?? envelope?["workflow"]?.object?["id"]?.string }
}
