public import Foundation

/// Plaintext databases as AionUi and LibreOllama leave them, made with
/// Python's own `sqlite3` module (not simvault's engine).
///
/// AionUi: its real schema (`users`, `conversations` with `model` and
/// `extra` JSON, `messages` with JSON `content`, `type`, `position`), in WAL
/// mode, closed cleanly. API keys sit in the conversations' `model` JSON (as
/// AionUi stores them: copied into every conversation), one credential in an
/// `extra` JSON, password hashes and JWT secrets in `users`.
///
/// LibreOllama: the schema of its Phase 2.1 database (`chat_sessions`,
/// `chat_messages`, `agents`, `settings`, `agent_executions`,
/// `schema_version`), TEXT ids, ISO timestamps; an API key in an agent's
/// `parameters` JSON and one in `settings`.
public struct AppDatabaseFixture: Sendable {
    public let path: String
    /// Rows per source table.
    public let counts: [String: Int]
    /// Every credential in the file: none may appear outside `secrets`.
    public let credentials: [String]
    /// Text that appears in messages (it is fine for it to be in the vault).
    public let contentMarker: String
    /// The credentials by a short name (the generators built from the
    /// apps' real schemas).
    public var named: [String: String] = [:]

    public static func aionUi(at path: String) throws -> AppDatabaseFixture {
        try make(aionUiScript, path)
    }

    public static func libreOllama(at path: String) throws -> AppDatabaseFixture {
        try make(libreOllamaScript, path)
    }

    /// AionUi's database built by its real DDL in its real migration order
    /// (see ``AppSchemaFixtures/aionUiScript``): `current` (user_version
    /// 30) or `extended` (other builds' additions, a table no build has).
    public static func aionUiReal(at path: String, build: String = "current") throws -> AppDatabaseFixture {
        try make(AppSchemaFixtures.aionUiScript, path, [build])
    }

    /// LibreOllama's database built by its real migrations: `v14` (with
    /// `llm_settings.json` beside it) or the older `v4` build.
    public static func libreOllamaReal(at path: String, build: String = "v14") throws -> AppDatabaseFixture {
        try make(AppSchemaFixtures.libreOllamaScript, path, [build])
    }

    private static func make(_ script: String, _ path: String, _ arguments: [String] = []) throws -> AppDatabaseFixture {
        let result = try ExternalTools.python(script, [path] + arguments)
        guard let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any],
              let counts = object["counts"] as? [String: Int], let credentials = object["credentials"] as? [String],
              let marker = object["marker"] as? String else { throw TestSupportError("fixture script printed \(result.stdout)") }
        var fixture = AppDatabaseFixture(path: path, counts: counts, credentials: credentials, contentMarker: marker)
        fixture.named = object["named"] as? [String: String] ?? [:]
        return fixture
    }

    static let aionUiScript = #"""
import json, sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
db.executescript("""
CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT UNIQUE, password_hash TEXT NOT NULL,
  avatar_path TEXT, jwt_secret TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_login INTEGER);
CREATE INDEX idx_users_username ON users(username);
CREATE TABLE conversations (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot')), extra TEXT NOT NULL, model TEXT,
  status TEXT CHECK(status IN ('pending', 'running', 'finished')), created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE INDEX idx_conversations_user_id ON conversations(user_id);
CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, msg_id TEXT, type TEXT NOT NULL, content TEXT NOT NULL,
  position TEXT CHECK(position IN ('left', 'right', 'center', 'pop')), status TEXT CHECK(status IN ('finish', 'pending', 'error', 'work')),
  created_at INTEGER NOT NULL, FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE);
CREATE INDEX idx_messages_conversation_id ON messages(conversation_id);
CREATE TABLE api_config (id INTEGER PRIMARY KEY CHECK(id = 1), enabled INTEGER NOT NULL DEFAULT 0, auth_token TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
""")
db.execute("PRAGMA user_version = 17")
keys = {
    "openai-1": "sk-proj-AIONUIKEYONE0123456789abcdefXYZ",
    "openai-2": "sk-proj-AIONUIKEYTWO0123456789abcdefXYZ",
    "gemini": "AIzaAIONUIKEYGEMINI0123456789abcdefgh",
    "extra": "tok-AIONUI-EXTRA-TOKEN-0123456789",
    "hash-1": "$2b$10$AIONUIHASHONEabcdefghijklmnopqrstuvwxyz0123",
    "hash-2": "$2b$10$AIONUIHASHTWOabcdefghijklmnopqrstuvwxyz0123",
    "jwt-1": "AIONUI-JWT-SECRET-ONE-0123456789abcdef",
    "jwt-2": "AIONUI-JWT-SECRET-TWO-0123456789abcdef",
}
t0 = 1732350000000
db.execute("INSERT INTO users VALUES ('system_default_user', 'admin', 'ada@example.org', ?, NULL, ?, ?, ?, ?)", (keys["hash-1"], keys["jwt-1"], t0, t0, t0 + 5))
db.execute("INSERT INTO users VALUES ('user_1738012345678', 'grace', NULL, ?, NULL, ?, ?, ?, NULL)", (keys["hash-2"], keys["jwt-2"], t0, t0))
def model(platform, key, name):
    return json.dumps({"id": "prov-" + platform, "platform": platform, "name": name, "baseUrl": "https://api.example.com/v1",
                       "apiKey": key, "useModel": "gpt-4o", "model": ["gpt-4o", "gpt-4o-mini"], "capabilities": [{"type": "text"}]})
conversations = [
    ("conv-1", "system_default_user", "Night trains", "gemini", json.dumps({"workspace": "/home/ada/trips"}), model("openai", keys["openai-1"], "OpenAI"), "finished"),
    ("conv-2", "system_default_user", "Budget", "gemini", json.dumps({"workspace": "/home/ada/budget"}), model("openai", keys["openai-1"], "OpenAI"), "finished"),
    ("conv-3", "user_1738012345678", "Poems", "gemini", json.dumps({}), model("openai", keys["openai-2"], "OpenAI"), "running"),
    ("conv-4", "user_1738012345678", "Gemini chat", "gemini", json.dumps({"backend": "gemini"}), model("gemini", keys["gemini"], "Gemini"), "pending"),
    ("conv-5", "system_default_user", "Codex fix", "codex", json.dumps({"cliPath": "/usr/bin/codex", "customAgentToken": keys["extra"]}), None, None),
    ("conv-6", "system_default_user", "ACP session", "acp", "not json at all", None, "finished"),
]
for index, (cid, uid, name, kind, extra, mdl, status) in enumerate(conversations):
    db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (cid, uid, name, kind, extra, mdl, status, t0 + index, t0 + 100 + index))
messages = 0
for index, (cid, *_ ) in enumerate(conversations):
    for n in range(3 + index * 2):
        kind, position, content = "text", ("right" if n % 2 == 0 else "left"), json.dumps({"content": f"ZEBRAFINCH message {n} of {cid}: ünïcode \"quoted\"\nline two"})
        if n == 4:
            kind, position, content = "tips", "center", json.dumps({"content": "Model switched", "type": "warning"})
        if n == 5:
            kind, position, content = "tool_call", "left", json.dumps({"callId": f"call-{n}", "name": "read_file", "args": {"path": "/tmp/a"}})
        # two messages share a timestamp: order falls back to rowid
        db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (f"{cid}-m{n}", cid, f"msg-{n}", kind, content, position, "finish", t0 + 1000 + n - (1 if n == 2 else 0)))
        messages += 1
db.commit()
db.close()
print(json.dumps({"counts": {"users": 2, "conversations": len(conversations), "messages": messages},
                  "credentials": list(keys.values()), "marker": "ZEBRAFINCH"}))
"""#

    static let libreOllamaScript = #"""
import json, sqlite3, sys
path = sys.argv[1]
db = sqlite3.connect(path)
db.executescript("""
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, model_name TEXT NOT NULL, system_prompt TEXT,
  capabilities TEXT, parameters TEXT, is_active BOOLEAN NOT NULL DEFAULT 1, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX idx_agents_is_active ON agents(is_active);
CREATE INDEX idx_agents_model_name ON agents(model_name);
CREATE TABLE chat_sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, model_name TEXT, agent_id TEXT REFERENCES agents(id),
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, is_archived BOOLEAN NOT NULL DEFAULT 0);
CREATE INDEX idx_chat_sessions_created_at ON chat_sessions(created_at);
CREATE INDEX idx_chat_sessions_agent_id ON chat_sessions(agent_id);
CREATE TABLE chat_messages (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES chat_sessions(id), role TEXT NOT NULL,
  content TEXT NOT NULL, model_name TEXT, token_count INTEGER, created_at DATETIME NOT NULL);
CREATE INDEX idx_chat_messages_session_id ON chat_messages(session_id);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at DATETIME);
CREATE TABLE agent_executions (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES agents(id), session_id TEXT REFERENCES chat_sessions(id),
  status TEXT NOT NULL, input TEXT, output TEXT, error_message TEXT, started_at DATETIME NOT NULL, completed_at DATETIME, tokens_used INTEGER);
CREATE INDEX idx_agent_executions_status ON agent_executions(status);
""")
keys = {"agent": "sk-LIBREOLLAMA-AGENT-KEY-0123456789abc", "setting": "sk-LIBREOLLAMA-SETTING-KEY-0123456789"}
for v in range(1, 5):
    db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, '2025-06-01 09:00:00')", (v,))
agents = [
    ("a1", "Assistant", "Helpful AI assistant", "llama3", "You are a helpful assistant", '["chat"]', '{"temperature": 0.7}', 1),
    ("a2", "Coder", None, "qwen2.5-coder", "You write code", '["code"]', json.dumps({"temperature": 0.2, "api_key": keys["agent"]}), 1),
    ("a3", "Retired", "old", "llama2", None, None, None, 0),
]
for index, a in enumerate(agents):
    db.execute("INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a + (f"2025-06-01T10:0{index}:00Z", f"2025-06-02 10:0{index}:00"))
sessions = [("s1", "Trip", "llama3", "a1"), ("s2", "Refactor", "qwen2.5-coder", "a2"), ("s3", "Scratch", "llama3", None), ("s4", "Empty", None, None)]
for index, s in enumerate(sessions):
    db.execute("INSERT INTO chat_sessions VALUES (?, ?, ?, ?, ?, ?, ?)", s + (f"2025-06-03T0{index}:00:00.250Z", f"2025-06-03T0{index}:30:00Z", 1 if index == 2 else 0))
messages = 0
for sid, count in [("s1", 12), ("s2", 10), ("s3", 8)]:
    for n in range(count):
        role = ["user", "assistant"][n % 2] if n != 7 else "system"
        db.execute("INSERT INTO chat_messages VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (f"{sid}-{n}", sid, role, f"OSPREYMARK {sid} #{n}: ä\\nb", "llama3" if role == "assistant" else None, 10 + n if role == "assistant" else None, f"2025-06-03 05:{n:02d}:00"))
        messages += 1
executions = [
    ("e1", "a1", "s1", "completed", '{"prompt": "hi"}', '{"answer": "hello"}', None, "2025-06-03T05:00:00Z", "2025-06-03T05:00:02Z", 120),
    ("e2", "a2", "s2", "failed", "fix bug", None, "model not loaded", "2025-06-03T06:00:00Z", "2025-06-03T06:00:01Z", 0),
    ("e3", "a1", None, "running", None, None, None, "2025-06-03T07:00:00Z", None, None),
    ("e4", "a2", "s2", "cancelled", None, None, None, "2025-06-03T08:00:00Z", "2025-06-03T08:00:05Z", 7),
    ("e5", "a1", "s3", "completed", "plain text input", "plain text output, not JSON", None, "2025-06-03T09:00:00Z", None, 33),
]
for e in executions:
    db.execute("INSERT INTO agent_executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e)
settings = [("theme", "dark"), ("default_model", "llama3"), ("openai_api_key", keys["setting"]), ("ollama_url", "http://localhost:11434")]
for k, v in settings:
    db.execute("INSERT INTO settings VALUES (?, ?, '2025-06-01 09:00:00')", (k, v))
db.commit()
db.close()
print(json.dumps({"counts": {"agents": len(agents), "chat_sessions": len(sessions), "chat_messages": messages,
                             "agent_executions": len(executions), "settings": len(settings)},
                  "credentials": list(keys.values()), "marker": "OSPREYMARK"}))
"""#
}
