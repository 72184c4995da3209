/// The ordered list of simvault's migrations. Append only: add a file in
/// `Migrations/` and its value here; never edit or reorder released ones.
public enum SchemaHistory {
    public static let all: [Migration] = [
        M0001_CreateVaultMeta.migration,
        M0002_CreateAccessLog.migration,
        M0003_CreateUsers.migration,
        M0004_CreateAgents.migration,
        M0005_CreateConversations.migration,
        M0006_CreateMessages.migration,
        M0007_CreateAttachments.migration,
        M0008_CreateWorkflows.migration,
        M0009_CreateRuns.migration,
        M0010_CreateSettings.migration,
        M0011_CreateSecrets.migration,
        M0012_AddWorkflowSource.migration,
        M0013_AddStreamingReplies.migration,
    ]
}
