/// Generators of AionUi's and LibreOllama's databases as the apps build
/// them: the DDL of AionUi's `schema.ts`/`migrations.ts` and of
/// LibreOllama's `schema.rs`/`schema_v4.rs`/`schema_v13.rs`/`schema_v14.rs`,
/// applied in the apps' own migration order by Python's `sqlite3` (the
/// facts, not the apps' code), with realistic content and every credential
/// shape the apps store. Each prints JSON: counts, credentials (all, and by
/// name), a content marker.
enum AppSchemaFixtures {
    static let aionUiScript = #"""
# AionUi's database as the app builds it: schema.ts's initSchema of a v1-era
# build (users, conversations, messages), then migrations.ts v2..v30 in order
# (user_version 30); with "extended", what other builds add (acp_session,
# users.role, cron_jobs.team_id/target_kind, user_version 32) and a table no
# build simvault knows has. Content: every message type, position
# left/right/center/pop/NULL, hidden, status, unicode, markdown, a 20 KB
# message; every credential shape AionUi stores.
import base64, json, sqlite3, sys
path, build = sys.argv[1], sys.argv[2]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
X = db.executescript
# initSchema (v1 era)
X("""
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT UNIQUE, password_hash TEXT NOT NULL,
  avatar_path TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_login INTEGER);
CREATE INDEX IF NOT EXISTS idx_users_username ON users(username);
CREATE INDEX IF NOT EXISTS idx_users_email ON users(email);
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, extra TEXT NOT NULL,
  model TEXT, status TEXT CHECK(status IN ('pending', 'running', 'finished')), created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS idx_conversations_user_id ON conversations(user_id);
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, msg_id TEXT, type TEXT NOT NULL, content TEXT NOT NULL,
  position TEXT CHECK(position IN ('left', 'right', 'center', 'pop')), status TEXT CHECK(status IN ('finish', 'pending', 'error', 'work')),
  created_at INTEGER NOT NULL, FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS idx_messages_conversation_id ON messages(conversation_id);
CREATE INDEX IF NOT EXISTS idx_messages_conversation_created ON messages(conversation_id, created_at);
""")
db.execute("PRAGMA foreign_keys = OFF")
def recreate_conversations(type_check, source_col, chat_col, extra_index=""):
    X(f"""
CREATE TABLE conversations_new (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL{type_check}, extra TEXT NOT NULL,
  model TEXT, status TEXT CHECK(status IN ('pending', 'running', 'finished')), source TEXT{source_col},{" channel_chat_id TEXT," if chat_col else ""}
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
INSERT INTO conversations_new SELECT * FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE INDEX IF NOT EXISTS idx_conversations_user_id ON conversations(user_id);
CREATE INDEX IF NOT EXISTS idx_conversations_updated_at ON conversations(updated_at);
CREATE INDEX IF NOT EXISTS idx_conversations_source ON conversations(source);
{extra_index}
""")
def recreate_plugins(type_check):
    X(f"""
CREATE TABLE assistant_plugins_new (id TEXT PRIMARY KEY, type TEXT NOT NULL{type_check}, name TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 0,
  config TEXT NOT NULL, status TEXT CHECK(status IN ('created', 'initializing', 'ready', 'starting', 'running', 'stopping', 'stopped', 'error')),
  last_connected INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
INSERT OR IGNORE INTO assistant_plugins_new SELECT * FROM assistant_plugins;
DROP TABLE IF EXISTS assistant_plugins;
ALTER TABLE assistant_plugins_new RENAME TO assistant_plugins;
CREATE INDEX IF NOT EXISTS idx_assistant_plugins_type ON assistant_plugins(type);
""")
# v2 indexes; v3 FTS skipped; v4 no-op; v5 drop FTS; v6 jwt_secret
X("CREATE INDEX IF NOT EXISTS idx_messages_conv_created_desc ON messages(conversation_id, created_at DESC);"
  "CREATE INDEX IF NOT EXISTS idx_conversations_user_type ON conversations(user_id, type);"
  "DROP TABLE IF EXISTS messages_fts; ALTER TABLE users ADD COLUMN jwt_secret TEXT;")
# v7 personal assistant tables
X("""
CREATE TABLE IF NOT EXISTS assistant_plugins (id TEXT PRIMARY KEY, type TEXT NOT NULL CHECK(type IN ('telegram', 'slack', 'discord')), name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL,
  status TEXT CHECK(status IN ('created', 'initializing', 'ready', 'starting', 'running', 'stopping', 'stopped', 'error')),
  last_connected INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS assistant_users (id TEXT PRIMARY KEY, platform_user_id TEXT NOT NULL, platform_type TEXT NOT NULL, display_name TEXT,
  authorized_at INTEGER NOT NULL, last_active INTEGER, session_id TEXT, UNIQUE(platform_user_id, platform_type));
CREATE TABLE IF NOT EXISTS assistant_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, agent_type TEXT NOT NULL CHECK(agent_type IN ('gemini', 'acp', 'codex')),
  conversation_id TEXT, workspace TEXT, created_at INTEGER NOT NULL, last_activity INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES assistant_users(id) ON DELETE CASCADE, FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE SET NULL);
CREATE TABLE IF NOT EXISTS assistant_pairing_codes (code TEXT PRIMARY KEY, platform_user_id TEXT NOT NULL, platform_type TEXT NOT NULL, display_name TEXT,
  requested_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK(status IN ('pending', 'approved', 'rejected', 'expired')));
""")
# v8 source
X("ALTER TABLE conversations ADD COLUMN source TEXT CHECK(source IN ('aionui', 'telegram'));")
# v9 cron_jobs
X("""
CREATE TABLE IF NOT EXISTS cron_jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, enabled INTEGER DEFAULT 1, schedule_kind TEXT NOT NULL,
  schedule_value TEXT NOT NULL, schedule_tz TEXT, schedule_description TEXT NOT NULL, payload_message TEXT NOT NULL, conversation_id TEXT NOT NULL,
  conversation_title TEXT, agent_type TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER DEFAULT (strftime('%s', 'now') * 1000),
  updated_at INTEGER DEFAULT (strftime('%s', 'now') * 1000), next_run_at INTEGER, last_run_at INTEGER, last_status TEXT, last_error TEXT,
  run_count INTEGER DEFAULT 0, retry_count INTEGER DEFAULT 0, max_retries INTEGER DEFAULT 3);
CREATE INDEX IF NOT EXISTS idx_cron_jobs_next_run ON cron_jobs(next_run_at) WHERE enabled = 1;
""")
recreate_plugins(" CHECK(type IN ('telegram', 'slack', 'discord', 'lark'))")                                 # v10
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway'))", " CHECK(source IS NULL OR source IN ('aionui', 'telegram'))", False)  # v11
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway'))", " CHECK(source IS NULL OR source IN ('aionui', 'telegram', 'lark'))", False)  # v12
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot'))", " CHECK(source IS NULL OR source IN ('aionui', 'telegram', 'lark'))", False)  # v13
# v14: dingtalk, channel_chat_id, assistant_sessions.chat_id
recreate_plugins(" CHECK(type IN ('telegram', 'slack', 'discord', 'lark', 'dingtalk'))")
X("""
CREATE TABLE conversations_new (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot')), extra TEXT NOT NULL, model TEXT,
  status TEXT CHECK(status IN ('pending', 'running', 'finished')), source TEXT CHECK(source IS NULL OR source IN ('aionui', 'telegram', 'lark', 'dingtalk')),
  channel_chat_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
INSERT INTO conversations_new (id, user_id, name, type, extra, model, status, source, channel_chat_id, created_at, updated_at)
  SELECT id, user_id, name, type, extra, model, status, source, NULL, created_at, updated_at FROM conversations;
DROP TABLE conversations; ALTER TABLE conversations_new RENAME TO conversations;
CREATE INDEX IF NOT EXISTS idx_conversations_user_id ON conversations(user_id);
ALTER TABLE assistant_sessions ADD COLUMN chat_id TEXT;
""")
# v15 api_config; v16 callback_enabled
X("""
CREATE TABLE IF NOT EXISTS api_config (id INTEGER PRIMARY KEY CHECK(id = 1), enabled INTEGER NOT NULL DEFAULT 0, auth_token TEXT, callback_url TEXT,
  callback_method TEXT DEFAULT 'POST' CHECK(callback_method IN ('POST', 'GET', 'PUT')), callback_headers TEXT, callback_body TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
ALTER TABLE api_config ADD COLUMN callback_enabled INTEGER NOT NULL DEFAULT 0;
""")
recreate_plugins("")                                                                                             # v17
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot'))", "", True)
X("ALTER TABLE api_config ADD COLUMN js_filter_enabled INTEGER NOT NULL DEFAULT 0; ALTER TABLE api_config ADD COLUMN js_filter_script TEXT;")  # v18
X("""
CREATE TABLE IF NOT EXISTS conversation_token_usage (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, backend TEXT NOT NULL, reply_index INTEGER NOT NULL,
  assistant_message_id TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cached_read_tokens INTEGER NOT NULL DEFAULT 0,
  cached_write_tokens INTEGER NOT NULL DEFAULT 0, thought_tokens INTEGER NOT NULL DEFAULT 0, total_tokens INTEGER NOT NULL DEFAULT 0, context_used INTEGER,
  context_size INTEGER, session_cost_amount REAL, session_cost_currency TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE, UNIQUE (conversation_id, reply_index));
CREATE INDEX IF NOT EXISTS idx_conversation_token_usage_conversation_id ON conversation_token_usage(conversation_id);
ALTER TABLE cron_jobs ADD COLUMN schedule_start_at INTEGER;
CREATE TABLE IF NOT EXISTS remote_agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, protocol TEXT NOT NULL DEFAULT 'openclaw', url TEXT NOT NULL,
  auth_type TEXT NOT NULL DEFAULT 'bearer', auth_token TEXT, avatar TEXT, description TEXT, status TEXT DEFAULT 'unknown', last_connected_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_remote_agents_protocol ON remote_agents(protocol);
""")  # v19, v20, v21 (table)
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot', 'remote'))", "", True)  # v21
X("ALTER TABLE remote_agents ADD COLUMN device_id TEXT; ALTER TABLE remote_agents ADD COLUMN device_public_key TEXT;"
  "ALTER TABLE remote_agents ADD COLUMN device_private_key TEXT; ALTER TABLE remote_agents ADD COLUMN device_token TEXT;"
  "ALTER TABLE remote_agents ADD COLUMN allow_insecure INTEGER DEFAULT 0;")  # v22, v23
X("""
CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, workspace TEXT NOT NULL,
  workspace_mode TEXT NOT NULL DEFAULT 'shared', agents TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE);
ALTER TABLE teams ADD COLUMN lead_agent_id TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS mailbox (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, to_agent_id TEXT NOT NULL, from_agent_id TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'message', content TEXT NOT NULL, summary TEXT, read INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
  FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS team_tasks (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, subject TEXT NOT NULL, description TEXT,
  status TEXT NOT NULL DEFAULT 'pending', owner TEXT, blocked_by TEXT NOT NULL DEFAULT '[]', blocks TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE);
""")  # v24, v25
recreate_conversations(" CHECK(type IN ('gemini', 'acp', 'codex', 'openclaw-gateway', 'nanobot', 'remote', 'aionrs'))", "", True)  # v26
recreate_conversations("", "", True, "CREATE INDEX IF NOT EXISTS idx_conversations_cron_job_id ON conversations(json_extract(extra, '$.cronJobId'));")  # v27
X("ALTER TABLE cron_jobs ADD COLUMN execution_mode TEXT DEFAULT 'existing'; ALTER TABLE cron_jobs ADD COLUMN agent_config TEXT;"
  "ALTER TABLE messages ADD COLUMN hidden INTEGER DEFAULT 0; ALTER TABLE teams ADD COLUMN session_mode TEXT;"
  "ALTER TABLE cron_jobs ADD COLUMN description TEXT; ALTER TABLE mailbox ADD COLUMN files TEXT;")  # v27..v30
version = 30
if build == "extended":
    X("""
ALTER TABLE users ADD COLUMN role TEXT DEFAULT 'admin';
ALTER TABLE cron_jobs ADD COLUMN team_id TEXT; ALTER TABLE cron_jobs ADD COLUMN target_kind TEXT;
CREATE TABLE IF NOT EXISTS acp_session (conversation_id TEXT PRIMARY KEY, backend TEXT NOT NULL, session_id TEXT, status TEXT,
  updated_at INTEGER NOT NULL, FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE);
CREATE TABLE plugin_marketplace_cache (id TEXT PRIMARY KEY, payload TEXT NOT NULL);
""")
    version = 32
db.execute(f"PRAGMA user_version = {version}")
db.execute("PRAGMA foreign_keys = ON")

# ---- content
creds = {}
def cred(name, value):
    creds[name] = value
    return value
b64 = lambda s: "b64:" + base64.b64encode(s.encode()).decode()
t0 = 1760000000000
db.execute("BEGIN")
db.execute("INSERT INTO users (id, username, email, password_hash, avatar_path, created_at, updated_at, last_login, jwt_secret) VALUES (?,?,?,?,?,?,?,?,?)",
           ("system_default_user", "admin", "ada@example.org", cred("hash", "$2b$12$AIONREALHASHabcdefghijklmnopqrstuvwxyz012345"), None, t0, t0, t0 + 9,
            cred("jwt", "AIONREAL-JWT-7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f1a")))
multi = cred("multi", "sk-proj-AIONREALMULTIone0123456789abcd") + ",\n" + cred("multi2", "sk-proj-AIONREALMULTItwo0123456789abcd")
models = {
    "openai": {"id": "p1", "platform": "openai", "name": "OpenAI", "baseUrl": "https://api.openai.com/v1", "apiKey": multi, "useModel": "gpt-4o"},
    "gemini": {"id": "p2", "platform": "gemini", "name": "Gemini", "baseUrl": "", "apiKey": cred("gemini", "AIzaAIONREALGEMINI0123456789abcdefghij"), "useModel": "gemini-2.5-pro"},
}
convs = [
    ("c-gem", "gemini", {"workspace": "/home/ada/é"}, models["gemini"], "finished", "aionui", None),
    ("c-gw", "openclaw-gateway", {"gateway": {"url": "ws://127.0.0.1:18789", "token": cred("gwtoken", "AIONREAL-GATEWAY-TOKEN-31415926"), "password": cred("gwpass", "AIONREAL-gateway-pässword")}}, None, "running", "telegram", "chat-42"),
    ("c-acp", "acp", {"backend": "claude", "cronJobId": "cron-1"}, models["openai"], "pending", None, None),
    ("c-rem", "remote", {"remoteAgentId": "ra-1"}, None, None, "dingtalk", "ding-7"),
]
for i, (cid, kind, extra, model, status, source, chat) in enumerate(convs):
    db.execute("INSERT INTO conversations (id, user_id, name, type, extra, model, status, source, channel_chat_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               (cid, "system_default_user", f"Gespräch {i} 🚂", kind, json.dumps(extra, ensure_ascii=False), json.dumps(model) if model else None, status, source, chat, t0 + i, t0 + 100 + i))
big = "# Report\n\n" + "".join(f"- item {n}: **bold** `code` ünïcødé 中文 🚀\n" for n in range(400))
big = (big * 2)[:20480]
types = [
    ("text", "right", {"content": "HERONMARK hello **markdown** ünïcode\n```py\nprint(1)\n```"}),
    ("text", "left", {"content": big}),
    ("tips", "center", {"content": "Model switched", "type": "warning"}),
    ("tool_call", "left", {"callId": "call-1", "name": "read_file", "args": {"path": "/tmp/a"}, "status": "success"}),
    ("tool_group", "left", [{"callId": "g1", "name": "Shell", "description": "ls", "status": "Success", "resultDisplay": "a\nb", "confirmationDetails": None}]),
    ("agent_status", "center", {"backend": "claude", "status": "connected"}),
    ("acp_permission", "left", {"sessionId": "s1", "options": [{"optionId": "allow", "name": "Allow"}]}),
    ("acp_tool_call", "left", {"sessionId": "s1", "update": {"toolCallId": "t1", "status": "completed"}}),
    ("codex_permission", "left", {"subtype": "exec_approval_request", "data": {"command": "ls"}}),
    ("plan", "left", {"sessionId": "s1", "entries": [{"content": "step", "status": "pending"}]}),
    ("available_commands", None, {"commands": ["/help"]}),
    ("text", "pop", {"content": "popup notice"}),
    ("thinking", "left", {"content": "pondering…", "status": "done"}),
]
statuses = ["finish", "pending", "error", "work", None]
messages = 0
for cid, *_ in convs:
    for n, (kind, pos, content) in enumerate(types):
        db.execute("INSERT INTO messages (id, conversation_id, msg_id, type, content, position, status, created_at, hidden) VALUES (?,?,?,?,?,?,?,?,?)",
                   (f"{cid}-m{n}", cid, f"{cid}-msg{n}", kind, json.dumps(content, ensure_ascii=False), pos, statuses[n % 5], t0 + 1000 + n, 1 if n == 5 else 0))
        messages += 1
usage = 0
for cid in ["c-gem", "c-acp"]:
    for r in range(2):
        db.execute("INSERT INTO conversation_token_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (f"u-{cid}-{r}", cid, "claude", r, f"{cid}-msg{1 if r == 0 else 12}", 100 + r, 50, 10, 0, 5, 165 + r, 2000, 200000, 0.0123, "USD", t0, t0))
        usage += 1
db.execute("INSERT INTO assistant_plugins VALUES (?,?,?,?,?,?,?,?,?)", ("plug-tg", "telegram", "Telegram", 1,
           json.dumps({"credentials": {"token": b64(cred("tg", "7312345678:AAHREALTELEGRAMbotTOKENxyz0123456789"))}, "mode": "polling"}), "running", t0, t0, t0))
db.execute("INSERT INTO assistant_plugins VALUES (?,?,?,?,?,?,?,?,?)", ("plug-lark", "lark", "Lark", 1,
           json.dumps({"credentials": {"appId": "cli_a1b2", "appSecret": cred("larksecret", "AIONREAL-LARK-APP-SECRET-0042"), "encryptKey": cred("larkenc", "AIONREAL-LARK-ENCRYPT-KEY-0042"),
                                       "verificationToken": cred("larkver", "AIONREAL-LARK-VERIFY-TOKEN-0042")}}), "stopped", None, t0, t0))
db.execute("INSERT INTO assistant_plugins VALUES (?,?,?,?,?,?,?,?,?)", ("plug-ding", "dingtalk", "DingTalk", 0,
           json.dumps({"credentials": {"clientId": "ding123", "clientSecret": cred("dingsecret", "AIONREAL-DINGTALK-CLIENT-SECRET-77")}}), "created", None, t0, t0))
db.execute("INSERT INTO remote_agents (id, name, protocol, url, auth_type, auth_token, avatar, description, status, last_connected_at, created_at, updated_at, device_id, device_public_key, device_private_key, device_token, allow_insecure) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
           ("ra-1", "Home claw", "openclaw", "wss://claw.example.org", "bearer", b64(cred("ratoken", "AIONREAL-REMOTE-AUTH-TOKEN-2718")), None, "my agent", "online", t0, t0, t0,
            "dev-1", "PUBKEY-not-secret", "enc:" + base64.b64encode(cred("rapriv", "AIONREAL-DEVICE-PRIVATE-KEY-ed25519-abc").encode()).decode(), "plain:" + cred("radev", "AIONREAL-DEVICE-TOKEN-1618"), 0))
db.execute("INSERT INTO api_config (id, enabled, auth_token, callback_url, callback_method, callback_headers, callback_body, created_at, updated_at, callback_enabled, js_filter_enabled, js_filter_script) VALUES (1, 1, ?, 'https://hooks.example.org/x', 'POST', ?, '{}', ?, ?, 1, 0, NULL)",
           (cred("apitoken", "AIONREAL-HTTP-API-TOKEN-5772156649"), json.dumps({"Authorization": "Bearer " + cred("hook", "AIONREAL-CALLBACK-BEARER-1414")}), t0, t0))
db.execute("INSERT INTO cron_jobs (id, name, schedule_kind, schedule_value, schedule_description, payload_message, conversation_id, agent_type, created_by) VALUES ('cron-1', 'daily', 'cron', '0 9 * * *', 'every day at 9', 'summarise', 'c-acp', 'acp', 'user')")
db.execute("INSERT INTO teams (id, user_id, name, workspace, created_at, updated_at) VALUES ('team-1', 'system_default_user', 'Crew', '/w', ?, ?)", (t0, t0))
db.execute("INSERT INTO mailbox (id, team_id, to_agent_id, from_agent_id, content, created_at) VALUES ('mb-1', 'team-1', 'a', 'b', 'hi', ?)", (t0,))
db.execute("INSERT INTO team_tasks (id, team_id, subject, created_at, updated_at) VALUES ('tt-1', 'team-1', 'do it', ?, ?)", (t0, t0))
db.execute("INSERT INTO assistant_users VALUES ('au-1', '12345', 'telegram', 'Ada', ?, NULL, NULL)", (t0,))
db.execute("INSERT INTO assistant_sessions (id, user_id, agent_type, conversation_id, workspace, created_at, last_activity) VALUES ('as-1', 'au-1', 'gemini', 'c-gem', NULL, ?, ?)", (t0, t0))
db.execute("INSERT INTO assistant_pairing_codes VALUES ('482913', '12345', 'telegram', 'Ada', ?, ?, 'approved')", (t0, t0 + 600000))
if build == "extended":
    db.execute("INSERT INTO acp_session VALUES ('c-acp', 'claude', 'sess-1', 'active', ?)", (t0,))
    db.execute("INSERT INTO plugin_marketplace_cache VALUES ('x', '{}')")
db.execute("COMMIT")
db.close()
tables = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
print(json.dumps({"counts": {"users": 1, "conversations": len(convs), "messages": messages, "conversation_token_usage": usage, "remote_agents": 1,
                             "assistant_plugins": 3, "api_config": 1, "tables": len(tables)},
                  "credentials": list(creds.values()), "named": creds, "marker": "HERONMARK"}, ensure_ascii=False))
"""#

    static let libreOllamaScript = #"""
# LibreOllama's database.db as its schema.rs builds it: migrations v1..v14 in
# the order run_migrations applies them (v4/v5 no-ops, v7 and v9 drop and
# recreate the chat tables, v13/v14 from schema_v13.rs/schema_v14.rs),
# recorded in schema_version; or, with "v4", an older build: v1..v3 and the
# bidirectional-linking tables schema_v4.rs created (FTS5, triggers).
# Plain SQLite: the development key in connection.rs is never applied.
# Gmail tokens AES-256-GCM under 32 zero bytes (lib.rs), base64 of
# nonce || ciphertext || tag; provider keys in llm_settings.json beside it.
import base64, json, os, sqlite3, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
path, build = sys.argv[1], sys.argv[2]
db = sqlite3.connect(path, isolation_level=None)
X = db.executescript
X("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)")
def done(v): db.execute("INSERT INTO schema_version (version) VALUES (?)", (v,))
X("""
CREATE TABLE IF NOT EXISTS chat_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, session_name TEXT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS chat_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  created_at DATETIME NOT NULL, FOREIGN KEY (session_id) REFERENCES chat_sessions(id));
CREATE INDEX IF NOT EXISTS idx_chat_messages_session_id ON chat_messages(session_id);
"""); done(1)
X("""
CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, description TEXT NOT NULL, system_prompt TEXT NOT NULL,
  capabilities TEXT NOT NULL, parameters TEXT NOT NULL, is_active BOOLEAN NOT NULL DEFAULT 1, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS folders (id INTEGER PRIMARY KEY AUTOINCREMENT, folder_name TEXT NOT NULL, parent_id INTEGER, user_id TEXT NOT NULL, color TEXT,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, FOREIGN KEY (parent_id) REFERENCES folders(id));
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, content TEXT NOT NULL, user_id TEXT NOT NULL, tags TEXT,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS mcp_servers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, url TEXT NOT NULL, api_key TEXT, configuration TEXT NOT NULL,
  is_active BOOLEAN NOT NULL DEFAULT 1, user_id TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS n8n_connections (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, webhook_url TEXT NOT NULL, api_key TEXT,
  workflow_id TEXT NOT NULL, is_active BOOLEAN NOT NULL DEFAULT 1, user_id TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
"""); done(2)
X("""
CREATE TABLE IF NOT EXISTS conversation_contexts (id INTEGER PRIMARY KEY AUTOINCREMENT, context_name TEXT NOT NULL UNIQUE, context_data TEXT NOT NULL,
  context_window_size INTEGER NOT NULL, context_summary TEXT);
CREATE TABLE IF NOT EXISTS chat_templates (id INTEGER PRIMARY KEY AUTOINCREMENT, template_name TEXT NOT NULL, template_content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_preferences (id INTEGER PRIMARY KEY AUTOINCREMENT, preference_key TEXT NOT NULL UNIQUE, preference_value TEXT NOT NULL,
  preference_type_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS application_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, log_level TEXT NOT NULL, message TEXT NOT NULL, created_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS performance_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, metric_type TEXT NOT NULL, value REAL NOT NULL, timestamp DATETIME NOT NULL, metadata TEXT);
CREATE TABLE IF NOT EXISTS request_cache (id INTEGER PRIMARY KEY AUTOINCREMENT, request_hash TEXT NOT NULL UNIQUE, response_body TEXT NOT NULL, created_at DATETIME NOT NULL);
"""); done(3)
creds = {}
def cred(name, value):
    creds[name] = value
    return value
if build == "v4":
    X("""
CREATE TABLE link_relationships (id TEXT PRIMARY KEY, source_id TEXT NOT NULL, source_type TEXT NOT NULL CHECK (source_type IN ('note', 'task', 'chat', 'chat_session')),
  target_id TEXT NOT NULL, target_type TEXT NOT NULL CHECK (target_type IN ('note', 'task', 'chat', 'chat_session')), link_text TEXT NOT NULL,
  context_snippet TEXT NOT NULL, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, user_id TEXT NOT NULL);
CREATE TABLE content_index (id TEXT PRIMARY KEY, content_id TEXT NOT NULL, content_type TEXT NOT NULL CHECK (content_type IN ('note', 'task', 'chat', 'chat_session')),
  title TEXT NOT NULL, content_text TEXT NOT NULL, tags TEXT, links TEXT, last_indexed DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, user_id TEXT NOT NULL);
CREATE TABLE link_suggestions (id TEXT PRIMARY KEY, partial_text TEXT NOT NULL, target_id TEXT NOT NULL,
  target_type TEXT NOT NULL CHECK (target_type IN ('note', 'task', 'chat', 'chat_session')), target_title TEXT NOT NULL,
  relevance_score REAL NOT NULL DEFAULT 0.0, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, user_id TEXT NOT NULL);
CREATE TABLE link_analytics (id TEXT PRIMARY KEY, link_id TEXT NOT NULL, action_type TEXT NOT NULL CHECK (action_type IN ('created', 'clicked', 'updated', 'deleted')),
  user_id TEXT NOT NULL, session_id TEXT, timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, metadata TEXT,
  FOREIGN KEY (link_id) REFERENCES link_relationships (id) ON DELETE CASCADE, FOREIGN KEY (session_id) REFERENCES chat_sessions (id) ON DELETE SET NULL);
ALTER TABLE notes ADD COLUMN outgoing_links_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notes ADD COLUMN incoming_links_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notes ADD COLUMN last_linked DATETIME;
ALTER TABLE chat_sessions ADD COLUMN outgoing_links_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_sessions ADD COLUMN incoming_links_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_sessions ADD COLUMN last_linked DATETIME;
CREATE INDEX idx_link_relationships_source ON link_relationships (source_id, source_type);
CREATE VIRTUAL TABLE content_fts USING fts5(content_id, title, content_text, tags, content='content_index', content_rowid='rowid');
CREATE TRIGGER content_index_fts_insert AFTER INSERT ON content_index BEGIN
  INSERT INTO content_fts(rowid, content_id, title, content_text, tags) VALUES (new.rowid, new.content_id, new.title, new.content_text, new.tags);
END;
CREATE TRIGGER log_link_creation AFTER INSERT ON link_relationships BEGIN
  INSERT INTO link_analytics (id, link_id, action_type, user_id, metadata)
  VALUES ('analytics_' || NEW.id || '_created', NEW.id, 'created', NEW.user_id,
          json_object('source_type', NEW.source_type, 'target_type', NEW.target_type, 'link_text', NEW.link_text));
END;
"""); done(4)
    db.execute("BEGIN")
    db.execute("INSERT INTO agents (name, description, system_prompt, capabilities, parameters, created_at, updated_at) VALUES ('Old helper', 'v2 agent', 'Be brief', '[\"chat\"]', '{\"temperature\": 0.5}', '2025-05-01 08:00:00', '2025-05-01 08:00:00')")
    db.execute("INSERT INTO chat_sessions (user_id, session_name, created_at, updated_at) VALUES ('default_user', 'Old chat ü', '2025-05-01 08:00:00.123456', '2025-05-01 08:05:00.123456')")
    for n in range(4):
        db.execute("INSERT INTO chat_messages (session_id, role, content, created_at) VALUES (1, ?, ?, ?)", (["user", "assistant"][n % 2], f"KESTRELMARK old {n}", f"2025-05-01 08:0{n}:00.5"))
    db.execute("INSERT INTO notes (title, content, user_id, created_at, updated_at) VALUES ('n', 'note body', 'default_user', '2025-05-01', '2025-05-01')")
    db.execute("INSERT INTO content_index (id, content_id, content_type, title, content_text, user_id) VALUES ('ci1', '1', 'note', 'n', 'note body', 'default_user')")
    db.execute("INSERT INTO link_relationships (id, source_id, source_type, target_id, target_type, link_text, context_snippet, user_id) VALUES ('l1', '1', 'note', '1', 'chat_session', '[[Old chat]]', '...', 'default_user')")
    db.execute("INSERT INTO mcp_servers (name, url, api_key, configuration, user_id, created_at, updated_at) VALUES ('old mcp', 'http://localhost:9000', ?, '{}', 'default_user', '2025-05-01', '2025-05-01')", (cred("oldmcp", "LIBREOLD-MCP-KEY-99887766"),))
    db.execute("COMMIT")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    print(json.dumps({"counts": {"agents": 1, "chat_sessions": 1, "chat_messages": 4, "tables": len(tables)}, "credentials": list(creds.values()), "named": creds, "marker": "KESTRELMARK"}))
    sys.exit(0)
done(4); done(5)
X("""
CREATE TABLE IF NOT EXISTS gmail_accounts_secure (id TEXT PRIMARY KEY, email_address TEXT NOT NULL, display_name TEXT, profile_picture_url TEXT,
  access_token_encrypted TEXT NOT NULL, refresh_token_encrypted TEXT, token_expires_at TEXT, scopes TEXT NOT NULL, is_active BOOLEAN NOT NULL DEFAULT 1,
  last_sync_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, user_id TEXT NOT NULL, requires_reauth BOOLEAN DEFAULT 0, UNIQUE(email_address, user_id));
CREATE INDEX IF NOT EXISTS idx_gmail_accounts_secure_user_id ON gmail_accounts_secure(user_id);
"""); done(6)
X("""
DROP TABLE IF EXISTS chat_messages; DROP TABLE IF EXISTS chat_sessions; DROP TABLE IF EXISTS agents;
CREATE TABLE IF NOT EXISTS chat_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, session_name TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, description TEXT NOT NULL, system_prompt TEXT NOT NULL,
  capabilities TEXT NOT NULL, parameters TEXT NOT NULL, is_active BOOLEAN NOT NULL DEFAULT 1, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE TABLE IF NOT EXISTS chat_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  created_at DATETIME NOT NULL, FOREIGN KEY (session_id) REFERENCES chat_sessions(id));
"""); done(7)
X("""
DROP TABLE IF EXISTS folders; DROP TABLE IF EXISTS notes;
CREATE TABLE folders (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, parent_id INTEGER, user_id TEXT NOT NULL, color TEXT,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, FOREIGN KEY (parent_id) REFERENCES folders(id));
CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, title TEXT NOT NULL, content TEXT NOT NULL, user_id TEXT NOT NULL, folder_id INTEGER,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, FOREIGN KEY (folder_id) REFERENCES folders(id));
"""); done(8)
X("""
DROP TABLE IF EXISTS agents; DROP TABLE IF EXISTS messages; DROP TABLE IF EXISTS chat_sessions; DROP TABLE IF EXISTS chat_messages;
CREATE TABLE agents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, description TEXT, model_name TEXT NOT NULL DEFAULT 'llama3.2:latest',
  system_prompt TEXT, temperature REAL DEFAULT 0.7, max_tokens INTEGER DEFAULT 2048, is_active BOOLEAN DEFAULT true, capabilities TEXT, parameters TEXT,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE agent_executions (id INTEGER PRIMARY KEY AUTOINCREMENT, agent_id INTEGER NOT NULL, session_id INTEGER, input TEXT NOT NULL, output TEXT,
  status TEXT DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')), error_message TEXT, executed_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (agent_id) REFERENCES agents (id), FOREIGN KEY (session_id) REFERENCES chat_sessions (id));
CREATE TABLE chat_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, session_name TEXT, user_id TEXT, agent_id INTEGER, context_length INTEGER DEFAULT 4096,
  is_active BOOLEAN DEFAULT true, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (agent_id) REFERENCES agents (id));
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL, role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL, token_count INTEGER DEFAULT 0, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (session_id) REFERENCES chat_sessions (id));
CREATE TABLE chat_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  token_count INTEGER DEFAULT 0, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (session_id) REFERENCES chat_sessions (id));
CREATE INDEX IF NOT EXISTS idx_messages_session_timestamp ON messages (session_id, created_at);
CREATE INDEX IF NOT EXISTS idx_chat_sessions_agent ON chat_sessions (agent_id);
CREATE INDEX IF NOT EXISTS idx_chat_messages_session_id ON chat_messages (session_id);
"""); done(9)
X("""
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, description TEXT, color TEXT NOT NULL DEFAULT '#3b82f6',
  status TEXT NOT NULL DEFAULT 'active', progress INTEGER NOT NULL DEFAULT 0, priority TEXT NOT NULL DEFAULT 'medium', user_id TEXT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS project_goals (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, title TEXT NOT NULL, completed BOOLEAN NOT NULL DEFAULT 0,
  priority TEXT NOT NULL DEFAULT 'medium', due_date DATETIME, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS project_assets (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, name TEXT NOT NULL, asset_type TEXT NOT NULL,
  url TEXT NOT NULL, size INTEGER, metadata TEXT, uploaded_by TEXT NOT NULL, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE);
"""); done(10)
X("""
CREATE TABLE IF NOT EXISTS task_metadata (id INTEGER PRIMARY KEY AUTOINCREMENT, google_task_id TEXT NOT NULL UNIQUE, task_list_id TEXT NOT NULL,
  priority TEXT NOT NULL DEFAULT 'normal', time_block TEXT, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS labels (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, color TEXT, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS task_labels (id INTEGER PRIMARY KEY AUTOINCREMENT, task_metadata_id INTEGER NOT NULL, label_id INTEGER NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (task_metadata_id) REFERENCES task_metadata(id) ON DELETE CASCADE,
  FOREIGN KEY (label_id) REFERENCES labels(id) ON DELETE CASCADE, UNIQUE(task_metadata_id, label_id));
CREATE TABLE IF NOT EXISTS subtasks (id INTEGER PRIMARY KEY AUTOINCREMENT, task_metadata_id INTEGER NOT NULL, title TEXT NOT NULL, completed BOOLEAN NOT NULL DEFAULT 0,
  position INTEGER NOT NULL DEFAULT 0, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (task_metadata_id) REFERENCES task_metadata(id) ON DELETE CASCADE);
"""); done(11); done(12)
X("""
CREATE TABLE IF NOT EXISTS task_id_map (id INTEGER PRIMARY KEY AUTOINCREMENT, local_id TEXT NOT NULL UNIQUE, google_task_id TEXT NOT NULL, task_list_id TEXT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
ALTER TABLE task_metadata ADD COLUMN local_id TEXT;
"""); done(13)
X("ALTER TABLE task_metadata ADD COLUMN labels_json TEXT;"); done(14)

def gmail(token):
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(bytes(32)).encrypt(nonce, token.encode(), None)).decode()
db.execute("BEGIN")
db.execute("INSERT INTO agents (name, description, model_name, system_prompt, temperature, max_tokens, capabilities, parameters, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
           ("Researcher", "Finds things", "llama3.2:latest", "You research.", 0.3, 4096, '["web"]', json.dumps({"top_p": 0.9}), "2025-07-19 10:00:00", "2025-07-19 10:00:00"))
db.execute("INSERT INTO chat_sessions (title, user_id, agent_id, created_at, updated_at) VALUES (?,?,?,?,?)", ("Trip to Zürich 🇨🇭", "default_user", 1, "2025-07-20 00:22:40.862055", "2025-07-20 00:30:00.000001"))
db.execute("INSERT INTO chat_sessions (title, session_name, user_id, created_at, updated_at) VALUES (NULL, 'Untitled', 'default_user', '2025-07-21 09:00:00', '2025-07-21 09:00:00')")
big = ("## Notes\n\n" + "| col | ünï |\n|---|---|\n" + "".join(f"| {n} | 中文 ✓ |\n" for n in range(2000)))[:20480]
msgs = 0
for sid, n in [(1, 6), (2, 3)]:
    for i in range(n):
        db.execute("INSERT INTO chat_messages (session_id, role, content, token_count, created_at) VALUES (?,?,?,?,?)",
                   (sid, ["user", "assistant"][i % 2], big if (sid, i) == (1, 3) else f"OSPREYREAL s{sid} m{i}: **md** ü", 12 + i, f"2025-07-20 00:2{i}:40.86205{i}"))
        msgs += 1
db.execute("INSERT INTO agent_executions (agent_id, session_id, input, output, status, executed_at) VALUES (1, 1, 'find trains', '{\"result\": \"IC 5\"}', 'completed', '2025-07-20 00:23:00')")
db.execute("INSERT INTO agent_executions (agent_id, session_id, input, status, executed_at) VALUES (1, NULL, 'later', 'pending', '2025-07-20 00:24:00')")
db.execute("INSERT INTO chat_templates (template_name, template_content) VALUES ('Summarise', 'Summarise: {{text}}')")
for k, v, t in [("theme", "dark", "string"), ("font_size", "14", "integer"), ("sidebar", "{\"open\": true}", "json")]:
    db.execute("INSERT INTO user_preferences (preference_key, preference_value, preference_type_name) VALUES (?,?,?)", (k, v, t))
db.execute("INSERT INTO mcp_servers (name, url, api_key, configuration, user_id, created_at, updated_at) VALUES ('files', 'http://localhost:3001', ?, '{\"tools\": [\"read\"]}', 'default_user', '2025-07-19', '2025-07-19')",
           (cred("mcp", "LIBREREAL-MCP-API-KEY-0011223344"),))
db.execute("INSERT INTO n8n_connections (name, webhook_url, api_key, workflow_id, user_id, created_at, updated_at) VALUES ('flow', 'https://n8n.example.org/webhook/1', ?, 'wf1', 'default_user', '2025-07-19', '2025-07-19')",
           (cred("n8n", "LIBREREAL-N8N-API-KEY-5566778899"),))
db.execute("INSERT INTO gmail_accounts_secure (id, email_address, display_name, access_token_encrypted, refresh_token_encrypted, token_expires_at, scopes, created_at, updated_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
           ("g1", "ada@gmail.example", "Ada", gmail(cred("gaccess", "ya29.LIBREREAL-GMAIL-ACCESS-TOKEN")), gmail(cred("grefresh", "1//LIBREREAL-GMAIL-REFRESH-TOKEN")),
            "2025-07-20T01:00:00Z", '["https://mail.google.com/"]', "2025-07-19T10:00:00Z", "2025-07-19T10:00:00Z", "default_user"))
db.execute("INSERT INTO notes (title, content, user_id, created_at, updated_at) VALUES ('Groceries', '- milk', 'default_user', '2025-07-19', '2025-07-19')")
db.execute("INSERT INTO projects (name, user_id) VALUES ('Move', 'default_user')")
db.execute("INSERT INTO task_metadata (google_task_id, task_list_id, local_id, labels_json) VALUES ('gt1', 'tl1', 'local-gt1', '[]')")
db.execute("INSERT INTO application_logs (log_level, message, created_at) VALUES ('info', 'started', '2025-07-19')")
db.execute("COMMIT")
db.close()
settings = os.path.join(os.path.dirname(path), "llm_settings.json")
with open(settings, "w") as f:
    json.dump({"providers": {"openai": {"key": cred("openai", "sk-LIBREREAL-OPENAI-KEY-0123456789abcdef"), "base_url": None},
                             "anthropic": {"key": cred("anthropic", "sk-ant-LIBREREAL-ANTHROPIC-KEY-0123456789"), "base_url": "https://api.anthropic.com"}},
               "enabled_models": {"openai": ["gpt-4o"]}}, f, indent=2)
tables = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
print(json.dumps({"counts": {"agents": 1, "chat_sessions": 2, "chat_messages": msgs, "agent_executions": 2, "tables": len(tables)},
                  "credentials": list(creds.values()), "named": creds, "marker": "OSPREYREAL", "settings": settings}))
"""#
}
