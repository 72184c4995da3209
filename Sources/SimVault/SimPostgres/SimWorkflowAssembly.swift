import Foundation

/// Builds, from a Sim database's rows, the workflow state Sim's "Export as
/// JSON" would write for it (`state` of the UI export), so that
/// `simvault export workflow` of an imported workflow gives a file Sim
/// imports.
///
/// Facts from Sim (commit 0b232eb876e2e0a474dbabd1e53b370cd643076a):
/// packages/workflow-persistence/src/load.ts assembles blocks from
/// `workflow_blocks` rows (id, type, name, position from `position_x`/`_y`,
/// enabled, horizontalHandles, advancedMode, errorEnabled, retry,
/// triggerMode, height, subBlocks, outputs, data, locked), edges from
/// `workflow_edges` (`type` "default", `data` {}), and patches loop and
/// parallel container blocks' `data` from `workflow_subflows.config`;
/// apps/sim/lib/workflows/sanitization/json-sanitizer.ts (`sanitizeForExport`)
/// then regenerates `loops` and `parallels` from the container blocks
/// (apps/sim/stores/workflows/workflow/utils.ts); and
/// apps/sim/lib/workflows/operations/import-export.ts (`generateWorkflowJson`)
/// adds `metadata` {name, description, exportedAt} and `variables`
/// {id, name, type, value}. Before Sim's migration 0075 the graph is the
/// `workflow.state` JSON itself.
///
/// Values are kept as stored: unlike Sim's export, nothing is redacted
/// (this is the user's own migration into an encrypted vault, not a file
/// for sharing).
enum SimWorkflowAssembly {
    /// A workflow whose rows cannot make a state Sim would import; `reason`
    /// names the block or column.
    struct Malformed: Error, Equatable {
        let reason: String
    }

    typealias Row = SimRow

    // MARK: - Normalized tables (Sim's migration 0043 on)

    static func state(
        blocks blockRows: [Row], edges edgeRows: [Row], subflows subflowRows: [Row], metadata: JSONObject, variables: JSONValue
    ) throws(Malformed) -> JSONObject {
        var blocks = JSONObject()
        for row in blockRows {
            let block = try self.block(row)
            blocks.appendNew(block["id"]?.string ?? "", .object(block))
        }
        for row in subflowRows {
            guard let id = row["id"], var block = blocks[id]?.object else { continue }
            let config = (try? parse(row["config"]))?.object ?? JSONObject()
            var data = block["data"]?.object ?? JSONObject()
            switch row["type"] {
            case "loop":
                data["collection"] = config["forEachItems"].nonNullish ?? .string("")
                data["whileCondition"] = config["whileCondition"].nonNullish ?? .string("")
                data["doWhileCondition"] = config["doWhileCondition"].nonNullish ?? .string("")
            case "parallel":
                data["count"] = config["count"]?.isNumber == true ? config["count"]! : .number(5)
                data["collection"] = config["distribution"].nonNullish ?? .string("")
                let type = config["parallelType"]?.string
                data["parallelType"] = .string(type == "count" || type == "collection" ? type! : "count")
                data["batchSize"] = .number(Int64(parallelBatchSize(config["batchSize"])))
            default:
                continue
            }
            block["data"] = .object(data)
            blocks[id] = .object(block)
        }
        let edges = edgeRows.map { row -> JSONValue in
            var edge = JSONObject([
                "id": .string(row["id"] ?? ""), "source": .string(row["source_block_id"] ?? ""), "target": .string(row["target_block_id"] ?? ""),
            ])
            edge.append("sourceHandle", row["source_handle"].map(JSONValue.string))
            edge.append("targetHandle", row["target_handle"].map(JSONValue.string))
            edge["type"] = .string("default")
            edge["data"] = .object(JSONObject())
            return .object(edge)
        }
        return JSONObject([
            "blocks": .object(blocks), "edges": .array(edges), "loops": .object(loops(of: blocks)),
            "parallels": .object(parallels(of: blocks)), "metadata": .object(metadata), "variables": variables,
        ])
    }

    /// A block object from its row, members in the order Sim's loader
    /// writes them; columns an older schema lacks are left out.
    private static func block(_ row: Row) throws(Malformed) -> JSONObject {
        let id = row["id"] ?? ""
        let label = "block \(id) (\(JSONWriter.quoted(row["name"] ?? "")))"
        func number(_ column: String) throws(Malformed) -> JSONValue {
            guard let text = row[column], let value = Double(text), value.isFinite else {
                throw Malformed(reason: "\(label): \(column) is \(row[column] ?? "NULL"), not a number")
            }
            return .javaScriptNumber(value)
        }
        func flag(_ column: String) -> JSONValue? { row.has(column) ? row[column].map { .bool($0 == "t") } : nil }
        func object(_ column: String, nullAs empty: Bool) throws(Malformed) -> JSONValue? {
            guard row.has(column) else { return nil }
            let value: JSONValue
            do { value = try parse(row[column]) } catch {
                throw Malformed(reason: "\(label): \(column) is not JSON simvault can read: \(error.reason)")
            }
            if value.isNull, empty { return .object(JSONObject()) }
            guard value.object != nil else { throw Malformed(reason: "\(label): \(column) is \(value.typeName), not an object") }
            return value
        }
        var block = JSONObject([
            "id": .string(id), "type": .string(row["type"] ?? ""), "name": .string(row["name"] ?? ""),
            "position": .object(JSONObject(["x": try number("position_x"), "y": try number("position_y")])),
        ])
        block.append("enabled", flag("enabled"))
        block.append("horizontalHandles", flag("horizontal_handles"))
        block.append("isWide", flag("is_wide"))
        block.append("advancedMode", flag("advanced_mode"))
        block.append("errorEnabled", flag("error_enabled"))
        // NULL: the block never retries (Sim leaves `retry` out).
        if row.has("retry"), row["retry"] != nil, let retry = try object("retry", nullAs: false) { block["retry"] = retry }
        block.append("triggerMode", flag("trigger_mode"))
        if row.has("height") { block["height"] = try number("height") }
        block["subBlocks"] = try object("sub_blocks", nullAs: true) ?? .object(JSONObject())
        block["outputs"] = try object("outputs", nullAs: true) ?? .object(JSONObject())
        var data = try object("data", nullAs: true)?.object ?? JSONObject()
        // Before Sim's migration 0093 a block's container was in columns.
        if let parent = row["parent_id"], data["parentId"] == nil {
            data["parentId"] = .string(parent)
            if let extent = row["extent"] { data["extent"] = .string(extent) }
        }
        block["data"] = .object(data)
        block.append("locked", flag("locked"))
        return block
    }

    // MARK: - The workflow.state column (before Sim's migration 0075)

    static func state(legacy text: String?, metadata: JSONObject, variables: JSONValue?) throws(Malformed) -> JSONObject {
        let value: JSONValue
        do { value = try parse(text) } catch { throw Malformed(reason: "workflow.state is not JSON simvault can read: \(error.reason)") }
        guard let stored = value.object else { throw Malformed(reason: "workflow.state is \(value.typeName), not an object") }
        let problems = SimWorkflowChecks.simProblems(stored)
        guard problems.isEmpty else { throw Malformed(reason: "workflow.state: \(problems.prefix(5).joined(separator: "; "))") }
        let blocks = stored["blocks"]?.object ?? JSONObject()
        // Containers as blocks: Sim's export regenerates loops and
        // parallels from them; older states list loops by their nodes only.
        let hasLoopBlocks = blocks.members.contains { $0.value.object?["type"]?.string == "loop" }
        let hasParallelBlocks = blocks.members.contains { $0.value.object?["type"]?.string == "parallel" }
        return JSONObject([
            "blocks": .object(blocks), "edges": stored["edges"] ?? .array([]),
            "loops": hasLoopBlocks ? .object(loops(of: blocks)) : stored["loops"].nonNullish ?? .object(JSONObject()),
            "parallels": hasParallelBlocks ? .object(parallels(of: blocks)) : stored["parallels"].nonNullish ?? .object(JSONObject()),
            "metadata": .object(metadata),
            "variables": variables ?? exportedVariables(stored["variables"] ?? .null),
        ])
    }

    // MARK: - What Sim's export adds

    /// `metadata` of Sim's UI export: name, description (left out when
    /// NULL, as `JSON.stringify` leaves out undefined), exportedAt.
    static func metadata(name: String, description: String?, exportedAt: Date) -> JSONObject {
        var metadata = JSONObject(["name": .string(name)])
        metadata.append("description", description.map(JSONValue.string))
        metadata["exportedAt"] = .string(SimWorkflowFile.isoTimestamp(exportedAt))
        return metadata
    }

    /// `variables` of Sim's UI export: each variable as {id, name, type,
    /// value} under its id (`generateWorkflowJson`); anything else as stored.
    static func exportedVariables(_ stored: JSONValue) -> JSONValue {
        guard let variables = stored.object else { return stored.isNull ? .object(JSONObject()) : stored }
        guard variables.members.allSatisfy({ $0.value.object != nil }) else { return stored }
        var exported = JSONObject()
        for member in variables.members {
            let variable = member.value.object ?? JSONObject()
            var projected = JSONObject()
            for field in ["id", "name", "type", "value"] { projected.append(field, variable[field]) }
            exported[variable["id"]?.string ?? member.key] = .object(projected)
        }
        return .object(exported)
    }

    /// Sim's `generateLoopBlocks`: a loop per `loop` block, its nodes the
    /// blocks whose `data.parentId` is it.
    static func loops(of blocks: JSONObject) -> JSONObject {
        var loops = JSONObject()
        for member in blocks.members {
            guard let block = member.value.object, block["type"]?.string == "loop" else { continue }
            let data = block["data"]?.object ?? JSONObject()
            var loop = JSONObject([
                "id": .string(member.key), "nodes": .array(children(of: member.key, in: blocks)),
                "iterations": data["count"].truthy ?? .number(5), "loopType": data["loopType"].truthy ?? .string("for"),
            ])
            loop.append("enabled", block["enabled"])
            loop["forEachItems"] = data["collection"].truthy ?? .string("")
            loop["whileCondition"] = data["whileCondition"].truthy ?? .string("")
            loop["doWhileCondition"] = data["doWhileCondition"].truthy ?? .string("")
            loops[member.key] = .object(loop)
        }
        return loops
    }

    /// Sim's `generateParallelBlocks`.
    static func parallels(of blocks: JSONObject) -> JSONObject {
        var parallels = JSONObject()
        for member in blocks.members {
            guard let block = member.value.object, block["type"]?.string == "parallel" else { continue }
            let data = block["data"]?.object ?? JSONObject()
            let requested = data["parallelType"].truthy?.string ?? "count"
            let type = requested == "collection" || requested == "count" ? requested : "collection"
            var parallel = JSONObject(["id": .string(member.key), "nodes": .array(children(of: member.key, in: blocks))])
            if type == "collection" { parallel["distribution"] = data["collection"].truthy ?? .string("") }
            parallel["count"] = data["count"].truthy ?? .number(5)
            parallel["parallelType"] = .string(type)
            parallel["batchSize"] = .number(Int64(parallelBatchSize(data["batchSize"])))
            parallel.append("enabled", block["enabled"])
            parallels[member.key] = .object(parallel)
        }
        return parallels
    }

    private static func children(of container: String, in blocks: JSONObject) -> [JSONValue] {
        blocks.members.compactMap { member in
            member.value.object?["data"]?.object?["parentId"]?.string == container ? member.value.object?["id"] ?? .string(member.key) : nil
        }
    }

    /// Sim's `clampParallelBatchSize`: a number (or text parsed as an
    /// integer) clamped to 1...20; 20 when it is neither.
    static func parallelBatchSize(_ value: JSONValue?) -> Int {
        let parsed: Double?
        switch value {
        case .number(let text)?: parsed = Double(text)
        case .string(let text)?: parsed = Double(String(text.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "-" || $0 == "+" })).map { $0.rounded(.towardZero) }
        default: parsed = nil
        }
        guard let parsed, !parsed.isNaN else { return 20 }
        return Int(max(1, min(20, parsed)))
    }

    // MARK: - Helpers

    /// A JSON text from the database; NULL as null.
    static func parse(_ text: String?) throws(Malformed) -> JSONValue {
        guard let text else { return .null }
        do { return try JSONReader(data: Data(text.utf8)).readDocument() } catch {
            throw Malformed(reason: "\(error)")
        }
    }
}

extension Optional where Wrapped == JSONValue {
    /// The value unless it is missing or null (JavaScript's `??`).
    var nonNullish: JSONValue? { self.flatMap { $0.isNull ? nil : $0 } }
    /// The value if it is truthy (JavaScript's `||`).
    var truthy: JSONValue? { self.flatMap { $0.isTruthy ? $0 : nil } }
}

/// One row of a query, by column name; NULL as nil.
struct SimRow {
    private let values: [String: String?]

    init(columns: [String], values row: [String?]) {
        var values: [String: String?] = [:]
        for (column, value) in zip(columns, row) { values[column] = value }
        self.values = values
    }

    /// Whether the query had `column` (a NULL value still counts).
    func has(_ column: String) -> Bool { values[column] != nil }

    subscript(_ column: String) -> String? { values[column] ?? nil }
}

extension PostgresRows {
    /// The rows by column name.
    var records: [SimRow] { rows.map { SimRow(columns: columns, values: $0) } }
}
