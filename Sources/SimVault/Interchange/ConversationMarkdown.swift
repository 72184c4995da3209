import Foundation

/// A conversation as Markdown, for reading or pasting elsewhere:
///
/// ```markdown
/// # Trip planning
///
/// - Conversation: 5b0c…
/// - Created: 2025-11-23 10:00 UTC
/// - Agent: Helper (openai gpt-4o)
///
/// ## user · 2025-11-23 10:00 UTC
///
/// Find me a night train to Vienna
///
/// ## assistant (gpt-4o) · 2025-11-23 10:00 UTC · failed: the provider closed the connection
///
/// The Nightjet leaves at
/// ```
///
/// Message text is written as it is (it usually is Markdown already);
/// attachments are listed by name, type and size.
enum ConversationMarkdown {
    static func render(_ conversation: JSONObject, in db: Connection) throws -> String {
        var lines: [String] = []
        let title = conversation["title"]?.string ?? ""
        lines.append("# \(title.isEmpty ? "Untitled conversation" : title)")
        lines.append("")
        lines.append("- Conversation: `\(conversation["id"]?.string ?? "")`")
        lines.append("- Created: \(time(conversation["created_at"]))")
        if let kind = conversation["kind"]?.string, kind != "chat" { lines.append("- Kind: \(kind)") }
        if let agentID = conversation["agent_id"]?.string,
           let agent = try db.fetchOne("SELECT name, provider, model FROM agents WHERE id = ?", [agentID]) {
            let details = [try agent.get("provider", as: String?.self), try agent.get("model", as: String?.self)].compactMap { $0 }
            lines.append("- Agent: \(try agent.get("name", as: String.self))\(details.isEmpty ? "" : " (\(details.joined(separator: " ")))")")
        }
        if let model = conversation["model"]?.string, !model.hasPrefix("{") { lines.append("- Model: \(model)") }
        for message in conversation["messages"]?.array ?? [] {
            guard let message = message.object else { continue }
            var heading = message["role"]?.string ?? "message"
            if let model = message["model"]?.string { heading += " (\(model))" }
            heading += " · \(time(message["created_at"]))"
            // Only a reply that did not complete says so.
            if let status = message["status"]?.string, status != Message.Status.complete.rawValue {
                heading += " · \(status)"
                if let reason = message["error_message"]?.string { heading += ": \(reason)" }
            }
            lines.append("")
            lines.append("## \(heading)")
            lines.append("")
            lines.append(message["content"]?.string ?? "")
            for attachment in message["attachments"]?.array ?? [] {
                guard let attachment = attachment.object else { continue }
                let size = ByteCount.format(attachment["byte_count"]?.int64 ?? 0)
                lines.append("")
                lines.append("Attachment: \(attachment["file_name"]?.string ?? "") (\(attachment["media_type"]?.string ?? ""), \(size))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func time(_ value: JSONValue?) -> String {
        guard let milliseconds = value?.int64 else { return "unknown time" }
        return UTCFormat.string(Date(timeIntervalSince1970: Double(milliseconds) / 1000), "yyyy-MM-dd HH:mm 'UTC'")
    }
}
