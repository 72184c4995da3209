#!/usr/bin/env python3
# Makes a Sim database for simvault's `import sim-postgres` tests and its
# benchmark: SQL following Sim's published schema (packages/db/schema.ts and
# packages/db/migrations, read at Sim commit
# 0b232eb876e2e0a474dbabd1e53b370cd643076a), and, for each workflow, what
# Sim's "Export as JSON" would contain, stated here from Sim's loader
# (packages/workflow-persistence/src/load.ts) and exporter
# (apps/sim/lib/workflows/sanitization/json-sanitizer.ts,
# apps/sim/stores/workflows/workflow/utils.ts,
# apps/sim/lib/workflows/operations/import-export.ts).
#
#   scripts/sim-postgres-fixture.py KIND SQL_OUT EXPECTED_OUT [COUNT [SEED]]
#
# KIND: current, legacy, bench (COUNT workflows), not-sim, unsupported; see
# Tests/Support/SimPostgresFixtures.swift. Load SQL_OUT with psql -1 -f.
import datetime, json, random, sys, uuid
kind, sql_path, expected_path = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 0
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 7
rng = random.Random(seed)
out = []
expected = {}

def q(text):
    return "NULL" if text is None else "'" + str(text).replace("'", "''") + "'"
def j(value):
    return "NULL" if value is None else q(json.dumps(value, ensure_ascii=False))
def b(flag):
    return "true" if flag else "false"
EPOCH = datetime.datetime(1970, 1, 1)
def ts(ms):
    # Sim's columns are `timestamp` (no zone) holding UTC.
    return "NULL" if ms is None else q((EPOCH + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])
def uid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
def truthy(v):
    return not (v is None or v is False or v == 0 or v == "")
WORDS = ("summarize the incoming ticket and classify its urgency then draft a reply for the customer "
         "précis naïve café 東京 données über straße \"quotes\" back\\slash tab\there </script> émoji 🚆").split(" ")
def text(n):
    parts, size = [], 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        parts.append(line)
        size += len(line) + 1
    return "\n".join(parts)

# ---------------------------------------------------------------- schemas
CURRENT = """
CREATE TYPE folder_resource_type AS ENUM ('workflow', 'file', 'knowledge_base', 'table');
CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
  email_verified boolean NOT NULL DEFAULT false, created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workspace (id text PRIMARY KEY, name text NOT NULL, owner_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE folder (id text PRIMARY KEY, resource_type folder_resource_type NOT NULL, name text NOT NULL,
  user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, workspace_id text NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  parent_id text REFERENCES folder(id) ON DELETE SET NULL, locked boolean NOT NULL DEFAULT false, sort_order integer NOT NULL DEFAULT 0,
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now(), deleted_at timestamp);
CREATE TABLE workflow (id text PRIMARY KEY, user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  workspace_id text REFERENCES workspace(id) ON DELETE CASCADE, folder_id text REFERENCES folder(id) ON DELETE SET NULL,
  sort_order integer NOT NULL DEFAULT 0, name text NOT NULL, description text, last_synced timestamp NOT NULL,
  created_at timestamp NOT NULL, updated_at timestamp NOT NULL, is_deployed boolean NOT NULL DEFAULT false, deployed_at timestamp,
  is_public_api boolean NOT NULL DEFAULT false, locked boolean NOT NULL DEFAULT false, fork_sync_excluded boolean NOT NULL DEFAULT false,
  run_count integer NOT NULL DEFAULT 0, last_run_at timestamp, variables json DEFAULT '{}', archived_at timestamp);
CREATE UNIQUE INDEX workflow_workspace_folder_name_active_unique ON workflow (workspace_id, coalesce(folder_id, ''), name) WHERE archived_at IS NULL;
CREATE TABLE workflow_blocks (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  type text NOT NULL, name text NOT NULL, position_x numeric NOT NULL, position_y numeric NOT NULL,
  enabled boolean NOT NULL DEFAULT true, horizontal_handles boolean NOT NULL DEFAULT true, is_wide boolean NOT NULL DEFAULT false,
  advanced_mode boolean NOT NULL DEFAULT false, trigger_mode boolean NOT NULL DEFAULT false, error_enabled boolean NOT NULL DEFAULT false,
  retry jsonb, locked boolean NOT NULL DEFAULT false, height numeric NOT NULL DEFAULT '0',
  sub_blocks jsonb NOT NULL DEFAULT '{}', outputs jsonb NOT NULL DEFAULT '{}', data jsonb DEFAULT '{}',
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE INDEX workflow_blocks_workflow_id_idx ON workflow_blocks (workflow_id);
CREATE TABLE workflow_edges (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  source_block_id text NOT NULL REFERENCES workflow_blocks(id) ON DELETE CASCADE, target_block_id text NOT NULL REFERENCES workflow_blocks(id) ON DELETE CASCADE,
  source_handle text, target_handle text, created_at timestamp NOT NULL DEFAULT now());
CREATE INDEX workflow_edges_workflow_id_idx ON workflow_edges (workflow_id);
CREATE TABLE workflow_subflows (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  type text NOT NULL, config jsonb NOT NULL DEFAULT '{}', created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workflow_execution_snapshots (id text PRIMARY KEY, workflow_id text REFERENCES workflow(id) ON DELETE SET NULL,
  state_hash text NOT NULL, state_data jsonb NOT NULL, created_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workflow_execution_logs (id text PRIMARY KEY, workflow_id text REFERENCES workflow(id) ON DELETE SET NULL,
  workspace_id text NOT NULL REFERENCES workspace(id) ON DELETE CASCADE, execution_id text NOT NULL,
  state_snapshot_id text NOT NULL REFERENCES workflow_execution_snapshots(id), deployment_version_id text,
  level text NOT NULL, status text NOT NULL DEFAULT 'running', trigger text NOT NULL, started_at timestamp NOT NULL,
  execution_deadline_at timestamp, ended_at timestamp, total_duration_ms integer, execution_data jsonb NOT NULL DEFAULT '{}',
  cost jsonb, cost_total numeric, models_used text[], files jsonb, created_at timestamp NOT NULL DEFAULT now());
CREATE UNIQUE INDEX workflow_execution_logs_execution_id_unique ON workflow_execution_logs (execution_id);
CREATE INDEX workflow_execution_logs_workflow_started_at_idx ON workflow_execution_logs (workflow_id, started_at);
CREATE SCHEMA drizzle;
CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);
INSERT INTO drizzle.__drizzle_migrations (hash, created_at) SELECT md5(i::text), 1700000000000 + i FROM generate_series(1, 298) i;
"""
LEGACY = """
CREATE TABLE "user" (id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
  email_verified boolean NOT NULL DEFAULT false, created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workspace (id text PRIMARY KEY, name text NOT NULL, owner_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workflow_folder (id text PRIMARY KEY, name text NOT NULL, user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  workspace_id text NOT NULL REFERENCES workspace(id) ON DELETE CASCADE, parent_id text REFERENCES workflow_folder(id) ON DELETE CASCADE,
  color text DEFAULT '#6B7280', is_expanded boolean NOT NULL DEFAULT true, sort_order integer NOT NULL DEFAULT 0,
  created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE TABLE workflow (id text PRIMARY KEY, user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  workspace_id text REFERENCES workspace(id) ON DELETE CASCADE, folder_id text REFERENCES workflow_folder(id) ON DELETE SET NULL,
  name text NOT NULL, description text, state json NOT NULL, color text NOT NULL DEFAULT '#3972F6',
  last_synced timestamp NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL,
  is_deployed boolean NOT NULL DEFAULT false, deployed_state json, deployed_at timestamp, collaborators json DEFAULT '[]' NOT NULL,
  run_count integer NOT NULL DEFAULT 0, last_run_at timestamp, variables json DEFAULT '{}', is_published boolean NOT NULL DEFAULT false,
  marketplace_data json);
CREATE TABLE workflow_blocks (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  type text NOT NULL, name text NOT NULL, position_x numeric NOT NULL, position_y numeric NOT NULL,
  enabled boolean DEFAULT true NOT NULL, horizontal_handles boolean DEFAULT true NOT NULL, is_wide boolean DEFAULT false NOT NULL,
  advanced_mode boolean DEFAULT false NOT NULL, height numeric DEFAULT '0' NOT NULL, sub_blocks jsonb DEFAULT '{}' NOT NULL,
  outputs jsonb DEFAULT '{}' NOT NULL, data jsonb DEFAULT '{}', parent_id text REFERENCES workflow_blocks(id) ON DELETE CASCADE,
  extent text, created_at timestamp DEFAULT now() NOT NULL, updated_at timestamp DEFAULT now() NOT NULL);
CREATE TABLE workflow_edges (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  source_block_id text NOT NULL REFERENCES workflow_blocks(id) ON DELETE CASCADE, target_block_id text NOT NULL REFERENCES workflow_blocks(id) ON DELETE CASCADE,
  source_handle text, target_handle text, created_at timestamp DEFAULT now() NOT NULL);
CREATE TABLE workflow_subflows (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  type text NOT NULL, config jsonb DEFAULT '{}' NOT NULL, created_at timestamp DEFAULT now() NOT NULL, updated_at timestamp DEFAULT now() NOT NULL);
CREATE TABLE workflow_execution_snapshots (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  state_hash text NOT NULL, state_data jsonb NOT NULL, created_at timestamp DEFAULT now() NOT NULL);
CREATE TABLE workflow_execution_logs (id text PRIMARY KEY, workflow_id text NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
  execution_id text NOT NULL, state_snapshot_id text NOT NULL REFERENCES workflow_execution_snapshots(id), level text NOT NULL,
  message text NOT NULL, trigger text NOT NULL, started_at timestamp NOT NULL, ended_at timestamp, total_duration_ms integer,
  block_count integer DEFAULT 0 NOT NULL, success_count integer DEFAULT 0 NOT NULL, error_count integer DEFAULT 0 NOT NULL,
  skipped_count integer DEFAULT 0 NOT NULL, total_cost numeric(10, 6), total_input_cost numeric(10, 6), total_output_cost numeric(10, 6),
  total_tokens integer, metadata jsonb DEFAULT '{}' NOT NULL, files jsonb, created_at timestamp DEFAULT now() NOT NULL);
CREATE UNIQUE INDEX workflow_execution_logs_execution_id_unique ON workflow_execution_logs (execution_id);
"""

# ------------------------------------------------------------- the blocks
BASE_MS = 1731000000000
clock = [BASE_MS]
def tick(step=1000):
    clock[0] += step
    return clock[0]

def make_block(kind, name, size=0, parent=None):
    bid = uid()
    sub, outputs, data = {}, {}, {}
    if kind == "starter":
        sub = {"startWorkflow": {"id": "startWorkflow", "type": "dropdown", "value": "manual"},
               "inputFormat": {"id": "inputFormat", "type": "input-format", "value": [{"id": uid(), "name": "items", "type": "array", "value": ""}]}}
        outputs = {"input": "any"}
    elif kind == "agent":
        sub = {"systemPrompt": {"id": "systemPrompt", "type": "long-input", "value": text(size)},
               "userPrompt": {"id": "userPrompt", "type": "long-input", "value": "<start.input>"},
               "model": {"id": "model", "type": "combobox", "value": rng.choice(["gpt-4o", "claude-sonnet-4-5"])},
               "temperature": {"id": "temperature", "type": "slider", "value": 0.7},
               "apiKey": {"id": "apiKey", "type": "short-input", "value": "{{OPENAI_API_KEY}}"}}
        outputs = {"content": "string", "model": "string", "tokens": "any"}
    elif kind == "api":
        sub = {"url": {"id": "url", "type": "short-input", "value": "https://api.example.com/v1/items?q=%20x"},
               "method": {"id": "method", "type": "dropdown", "value": "POST"}}
        outputs = {"data": "any", "status": "number"}
    elif kind == "function":
        sub = {"code": {"id": "code", "type": "code", "value": "return input.items.map(i => i * 2) // " + text(size)}}
        outputs = {"result": "any"}
    elif kind == "condition":
        sub = {"conditions": {"id": "conditions", "type": "condition-input",
                              "value": json.dumps([{"id": uid(), "title": "if", "value": "<agent.content>.length > 10"}])}}
    if parent:
        data = {"parentId": parent, "extent": "parent"}
    return {"id": bid, "type": kind, "name": name, "x": rng.randint(0, 3000) / 2, "y": rng.randint(-400, 1800) / 2,
            "enabled": rng.random() > 0.1, "horizontal": True, "wide": rng.random() > 0.8, "advanced": rng.random() > 0.7,
            "trigger": False, "error": rng.random() > 0.7, "retry": None, "locked": False,
            "height": rng.choice([95, 120, 180.5]), "sub": sub, "outputs": outputs, "data": data, "created": tick(10)}

def loader_block(blk, columns):
    # packages/workflow-persistence/src/load.ts, member order kept; columns an older schema lacks left out.
    o = {"id": blk["id"], "type": blk["type"], "name": blk["name"], "position": {"x": blk["x"], "y": blk["y"]},
         "enabled": blk["enabled"], "horizontalHandles": blk["horizontal"]}
    if "is_wide" in columns: o["isWide"] = blk["wide"]
    if "advanced_mode" in columns: o["advancedMode"] = blk["advanced"]
    if "error_enabled" in columns: o["errorEnabled"] = blk["error"]
    if "retry" in columns and blk["retry"] is not None: o["retry"] = blk["retry"]
    if "trigger_mode" in columns: o["triggerMode"] = blk["trigger"]
    o["height"] = blk["height"]
    o["subBlocks"] = blk["sub"]
    o["outputs"] = blk["outputs"]
    o["data"] = dict(blk["data"])
    if "locked" in columns: o["locked"] = blk["locked"]
    return o

def patch_subflow(block, sub):
    cfg = sub["config"]
    d = dict(block["data"])
    if sub["type"] == "loop":
        d["collection"] = cfg.get("forEachItems") if cfg.get("forEachItems") is not None else ""
        d["whileCondition"] = cfg.get("whileCondition") if cfg.get("whileCondition") is not None else ""
        d["doWhileCondition"] = cfg.get("doWhileCondition") if cfg.get("doWhileCondition") is not None else ""
    else:
        d["count"] = cfg["count"] if isinstance(cfg.get("count"), (int, float)) and not isinstance(cfg.get("count"), bool) else 5
        d["collection"] = cfg.get("distribution") if cfg.get("distribution") is not None else ""
        d["parallelType"] = cfg.get("parallelType") if cfg.get("parallelType") in ("count", "collection") else "count"
        d["batchSize"] = clamp(cfg.get("batchSize"))
    block["data"] = d

def clamp(v):
    try:
        n = v if isinstance(v, (int, float)) and not isinstance(v, bool) else int(str(v).strip())
    except Exception:
        return 20
    return int(max(1, min(20, n)))

def generated(blocks):
    # stores/workflows/workflow/utils.ts: generateLoopBlocks, generateParallelBlocks
    loops, parallels = {}, {}
    for bid, blk in blocks.items():
        d = blk.get("data") or {}
        kids = [c["id"] for c in blocks.values() if (c.get("data") or {}).get("parentId") == bid]
        if blk["type"] == "loop":
            loop = {"id": bid, "nodes": kids, "iterations": d.get("count") if truthy(d.get("count")) else 5,
                    "loopType": d.get("loopType") if truthy(d.get("loopType")) else "for"}
            if "enabled" in blk: loop["enabled"] = blk["enabled"]
            loop["forEachItems"] = d.get("collection") if truthy(d.get("collection")) else ""
            loop["whileCondition"] = d.get("whileCondition") if truthy(d.get("whileCondition")) else ""
            loop["doWhileCondition"] = d.get("doWhileCondition") if truthy(d.get("doWhileCondition")) else ""
            loops[bid] = loop
        elif blk["type"] == "parallel":
            t = d.get("parallelType") if truthy(d.get("parallelType")) else "count"
            t = t if t in ("collection", "count") else "collection"
            par = {"id": bid, "nodes": kids}
            if t == "collection": par["distribution"] = d.get("collection") if truthy(d.get("collection")) else ""
            par["count"] = d.get("count") if truthy(d.get("count")) else 5
            par["parallelType"] = t
            par["batchSize"] = clamp(d.get("batchSize"))
            if "enabled" in blk: par["enabled"] = blk["enabled"]
            parallels[bid] = par
    return loops, parallels

def variables_export(stored):
    # generateWorkflowJson: {id, name, type, value} under the variable's id
    return {v["id"]: {k: v[k] for k in ("id", "name", "type", "value") if k in v} for v in stored.values()}

def graph(wid, shape, size):
    """Blocks, edges and subflows of one workflow; shape picks the containers."""
    blocks = []
    start = make_block("starter", "Start")
    blocks.append(start)
    subflows, chain, extra = [], [start], []
    if "loop" in shape:
        loop = make_block("loop", "Loop 1")
        kind = shape["loop"]
        loop["data"] = {"width": 500, "height": 300, "type": "subflowNode", "loopType": kind, "count": 4 if kind == "for" else 0}
        blocks.append(loop)
        inner = make_block("agent", "Per item ✓", size // 2, parent=loop["id"])
        blocks.append(inner)
        cfg = {"nodes": [inner["id"]], "iterations": 4, "loopType": kind}
        if kind == "forEach": cfg["forEachItems"] = "<start.items>"
        if kind == "while": cfg["whileCondition"] = "<agent.content> != 'done'"
        subflows.append({"id": loop["id"], "type": "loop", "config": cfg})
        chain.append(loop)
        extra.append((loop, inner, "loop-start-source"))
    if "parallel" in shape:
        par = make_block("parallel", "Parallel 1")
        ptype = shape["parallel"]
        par["data"] = {"width": 500, "height": 300, "type": "subflowNode", "parallelType": ptype}
        blocks.append(par)
        pinner = make_block("api", "Fetch «each»", parent=par["id"])
        blocks.append(pinner)
        cfg = {"nodes": [pinner["id"]], "count": 3, "parallelType": ptype, "batchSize": "8"}
        if ptype == "collection": cfg["distribution"] = "<start.items>"
        subflows.append({"id": par["id"], "type": "parallel", "config": cfg})
        chain.append(par)
        extra.append((par, pinner, "parallel-start-source"))
    for i in range(shape.get("extra", 2)):
        k = ["agent", "function", "condition"][i % 3]
        blk = make_block(k, f"{k.title()} {i + 1}", size // 3)
        blocks.append(blk)
        chain.append(blk)
    if shape.get("retry"):
        blocks[-1]["retry"] = {"enabled": True, "maxTries": 3, "waitBetweenTriesMs": 1500}
        blocks[-1]["locked"] = True
    edges = []
    for a, c in zip(chain, chain[1:]):
        sh = "loop-end-source" if a["type"] == "loop" else ("parallel-end-source" if a["type"] == "parallel" else "source")
        edges.append({"id": uid(), "source": a["id"], "target": c["id"], "sourceHandle": sh, "targetHandle": "target", "created": tick(10)})
    for a, c, sh in extra:
        edges.append({"id": uid(), "source": a["id"], "target": c["id"], "sourceHandle": sh, "targetHandle": None, "created": tick(10)})
    return blocks, edges, subflows

def expected_state(blocks, edges, subflows, columns, name, description, variables):
    out = {}
    for blk in blocks:
        out[blk["id"]] = loader_block(blk, columns)
    for sub in subflows:
        if sub["id"] in out: patch_subflow(out[sub["id"]], sub)
    e = []
    for edge in edges:
        x = {"id": edge["id"], "source": edge["source"], "target": edge["target"]}
        if edge["sourceHandle"] is not None: x["sourceHandle"] = edge["sourceHandle"]
        if edge["targetHandle"] is not None: x["targetHandle"] = edge["targetHandle"]
        x["type"] = "default"
        x["data"] = {}
        e.append(x)
    loops, parallels = generated(out)
    meta = {"name": name}
    if description is not None: meta["description"] = description
    return {"blocks": out, "edges": e, "loops": loops, "parallels": parallels, "metadata": meta, "variables": variables_export(variables)}

CURRENT_BLOCK_COLUMNS = {"is_wide", "advanced_mode", "error_enabled", "retry", "trigger_mode", "locked"}

def insert_blocks(wid, blocks, legacy=False):
    for blk in blocks:
        if legacy:
            parent = blk["data"].get("parentId")
            data = {k: v for k, v in blk["data"].items() if k not in ("parentId", "extent")}
            out.append(f"INSERT INTO workflow_blocks (id, workflow_id, type, name, position_x, position_y, enabled, horizontal_handles, is_wide, advanced_mode, height, sub_blocks, outputs, data, parent_id, extent, created_at, updated_at) VALUES "
                       f"({q(blk['id'])}, {q(wid)}, {q(blk['type'])}, {q(blk['name'])}, {blk['x']}, {blk['y']}, {b(blk['enabled'])}, {b(blk['horizontal'])}, {b(blk['wide'])}, {b(blk['advanced'])}, {blk['height']}, {j(blk['sub'])}, {j(blk['outputs'])}, {j(data)}, {q(parent)}, {q('parent' if parent else None)}, {ts(blk['created'])}, {ts(blk['created'])});")
        else:
            sub = blk.get("raw_sub", j(blk["sub"]))
            out.append(f"INSERT INTO workflow_blocks (id, workflow_id, type, name, position_x, position_y, enabled, horizontal_handles, is_wide, advanced_mode, trigger_mode, error_enabled, retry, locked, height, sub_blocks, outputs, data, created_at, updated_at) VALUES "
                       f"({q(blk['id'])}, {q(wid)}, {q(blk['type'])}, {q(blk['name'])}, {blk['x']}, {blk['y']}, {b(blk['enabled'])}, {b(blk['horizontal'])}, {b(blk['wide'])}, {b(blk['advanced'])}, {b(blk['trigger'])}, {b(blk['error'])}, {j(blk['retry'])}, {b(blk['locked'])}, {blk['height']}, {sub}, {j(blk['outputs'])}, {j(blk['data'])}, {ts(blk['created'])}, {ts(blk['created'])});")

def insert_edges(wid, edges):
    for e in edges:
        out.append(f"INSERT INTO workflow_edges (id, workflow_id, source_block_id, target_block_id, source_handle, target_handle, created_at) VALUES "
                   f"({q(e['id'])}, {q(wid)}, {q(e['source'])}, {q(e['target'])}, {q(e['sourceHandle'])}, {q(e['targetHandle'])}, {ts(e['created'])});")

def insert_subflows(wid, subflows):
    for s in subflows:
        out.append(f"INSERT INTO workflow_subflows (id, workflow_id, type, config) VALUES ({q(s['id'])}, {q(wid)}, {q(s['type'])}, {j(s['config'])});")

def make_variables(wid, n):
    stored = {}
    samples = [("threshold", "number", 0.75), ("greeting", "string", "Grüß Gott, 東京 👋"), ("flags", "object", {"dry": True, "retries": 2}),
               ("enabled", "boolean", True), ("items", "array", [1, "two", {"three": 3}])]
    for name, typ, value in samples[:n]:
        vid = uid()
        stored[vid] = {"id": vid, "workflowId": wid, "name": name, "type": typ, "value": value}
    return stored

RUN_SHAPES = [
    ("completed", "manual", "info"), ("failed", "api", "error"), ("cancelled", "schedule", "info"), ("running", "webhook", "info"),
    ("pending", "manual", "info"), ("completed", "mcp", "info"), ("completed", "copilot", "info"), ("paused", "chat", "info"),
    ("completed", "chat", "info"), ("failed", "workflow", "error"), ("completed", "webhook", "info"), ("redacting", "api", "info"),
    ("completed", "custom_block", "info"), ("completed", "a2a", "info"),
]
TRIGGERS = {"manual": "manual", "api": "api", "schedule": "schedule", "webhook": "webhook", "chat": "chat", "mcp": "api", "a2a": "api",
            "workflow": "api", "custom_block": "api", "copilot": "chat", "mothership": "chat"}
STATUSES = {"completed": "success", "failed": "error", "cancelled": "cancelled"}

def insert_logs(wid, workspace, shapes, legacy=False):
    runs, in_progress = [], 0
    snap = uid()
    if legacy:
        out.append(f"INSERT INTO workflow_execution_snapshots (id, workflow_id, state_hash, state_data) VALUES ({q(snap)}, {q(wid)}, {q(uid())}, '{{}}');")
    else:
        out.append(f"INSERT INTO workflow_execution_snapshots (id, workflow_id, state_hash, state_data) VALUES ({q(snap)}, {q(wid)}, {q(uid())}, '{{}}');")
    for status, trigger, level in shapes:
        ex = uid()
        started = tick(60000) + rng.randint(0, 999)
        done = status in STATUSES
        duration = rng.randint(200, 90000)
        ended = started + duration if done else None
        tokens = rng.randint(0, 5000)
        blocks_run = rng.randint(1, 9)
        data = {"environment": {"variables": {}}, "trigger": {"type": trigger, "source": trigger},
                "tokens": {"input": tokens // 2, "output": tokens - tokens // 2, "total": tokens},
                "executionStateSummary": {"executedBlockCount": blocks_run, "blockLogCount": blocks_run, "completedLoopCount": 0,
                                          "activeExecutionPathLength": 1, "pendingQueueLength": 0},
                "workflowInput": {"items": ["a", "b", "ümlaut"], "n": 3}}
        if status == "completed": data["finalOutput"] = {"content": "done ✓ " + text(40), "model": "gpt-4o"}
        if status == "failed": data["error"] = "Agent 1: rate limited (429) «retry later»"
        if legacy:
            level = "error" if status == "failed" else "info"
            message = data.get("error", "Workflow executed successfully")
            out.append(f"INSERT INTO workflow_execution_logs (id, workflow_id, execution_id, state_snapshot_id, level, message, trigger, started_at, ended_at, total_duration_ms, block_count, total_tokens, metadata) VALUES "
                       f"({q(uid())}, {q(wid)}, {q(ex)}, {q(snap)}, {q(level)}, {q(message)}, {q(trigger)}, {ts(started)}, {ts(ended)}, {duration if done else 'NULL'}, {blocks_run}, {tokens}, {j({'trigger': data['trigger']})});")
            if not done: in_progress += 1; continue
            # Before Sim's migration 0132 there is no status: error by level, else done once ended.
            runs.append({"id": "sim:" + ex, "status": "error" if level == "error" else "success", "trigger": TRIGGERS.get(trigger, "api"), "started_at": started,
                         "completed_at": ended, "error": message if status == "failed" else None, "tokens": tokens, "blocks": blocks_run,
                         "input": None, "output": None})
            continue
        out.append(f"INSERT INTO workflow_execution_logs (id, workflow_id, workspace_id, execution_id, state_snapshot_id, level, status, trigger, started_at, ended_at, total_duration_ms, execution_data, cost_total, models_used) VALUES "
                   f"({q(uid())}, {q(wid)}, {q(workspace)}, {q(ex)}, {q(snap)}, {q(level)}, {q(status)}, {q(trigger)}, {ts(started)}, {ts(ended)}, {duration if done else 'NULL'}, {j(data)}, 0.0123, ARRAY['gpt-4o']);")
        if not done:
            in_progress += 1
            continue
        runs.append({"id": "sim:" + ex, "status": STATUSES[status], "trigger": TRIGGERS.get(trigger, "api"), "started_at": started,
                     "completed_at": ended, "error": data.get("error"), "tokens": tokens, "blocks": blocks_run,
                     "input": data["workflowInput"], "output": data.get("finalOutput")})
    return runs, in_progress

def insert_workflow(wid, user, workspace, folder, name, description, variables, created, archived=None, sort=0, state=None, legacy=False):
    if legacy:
        out.append(f"INSERT INTO workflow (id, user_id, workspace_id, folder_id, name, description, state, last_synced, created_at, updated_at, variables) VALUES "
                   f"({q(wid)}, {q(user)}, {q(workspace)}, {q(folder)}, {q(name)}, {q(description)}, {state}, {ts(created)}, {ts(created)}, {ts(created + 5000)}, {j(variables)});")
    else:
        out.append(f"INSERT INTO workflow (id, user_id, workspace_id, folder_id, sort_order, name, description, last_synced, created_at, updated_at, variables, archived_at) VALUES "
                   f"({q(wid)}, {q(user)}, {q(workspace)}, {q(folder)}, {sort}, {q(name)}, {q(description)}, {ts(created)}, {ts(created)}, {ts(created + 5000)}, {j(variables)}, {ts(archived)});")

def people(folder_table):
    out.append("INSERT INTO \"user\" (id, name, email) VALUES ('u-ana', 'Ana', 'ana@example.com'), ('u-ben', 'Ben', 'ben@example.com');")
    out.append("INSERT INTO workspace (id, name, owner_id) VALUES ('ws-main', 'Support', 'u-ana'), ('ws-other', 'Research', 'u-ben');")

def folder_rows(table, specs):
    ids = {}
    for path in specs:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key in ids: continue
            ids[key] = "fold-" + uid()[:8]
            parent = ids.get("/".join(parts[:depth - 1]))
            if table == "folder":
                out.append(f"INSERT INTO folder (id, resource_type, name, user_id, workspace_id, parent_id, sort_order) VALUES ({q(ids[key])}, 'workflow', {q(parts[depth - 1])}, 'u-ana', 'ws-main', {q(parent)}, {depth});")
            else:
                out.append(f"INSERT INTO workflow_folder (id, name, user_id, workspace_id, parent_id, sort_order) VALUES ({q(ids[key])}, {q(parts[depth - 1])}, 'u-ana', 'ws-main', {q(parent)}, {depth});")
    return ids

def current(n_bench=0):
    out.append(CURRENT)
    people("folder")
    # A knowledge-base folder of the same name: not a workflow folder.
    out.append("INSERT INTO folder (id, resource_type, name, user_id, workspace_id) VALUES ('kb-fold', 'knowledge_base', 'Docs', 'u-ana', 'ws-main');")
    if n_bench:
        folders = folder_rows("folder", ["Bench", "Bench/Deep"])
        for i in range(n_bench):
            wid = uid()
            created = tick()
            blocks, edges, subflows = graph(wid, {"loop": "forEach", "parallel": "count", "extra": 2}, 3000)
            insert_workflow(wid, "u-ana", "ws-main", [None, folders["Bench"], folders["Bench/Deep"]][i % 3], f"Bench workflow {i:04d} ✓", "bench", make_variables(wid, 2), created, sort=i)
            insert_blocks(wid, blocks); insert_edges(wid, edges); insert_subflows(wid, subflows)
            insert_logs(wid, "ws-main", RUN_SHAPES[i % 4: i % 4 + 3])
        return
    folders = folder_rows("folder", ["Customer Support", "Customer Support/Tier 2 — urgent", "Données", "Archive"])
    specs = [
        ("Support triage ✓ «urgent»", "Triage incoming tickets; classify; reply.", "Customer Support/Tier 2 — urgent", {"loop": "forEach", "parallel": "collection", "extra": 3}, 40000, 3, RUN_SHAPES[:8], None, "u-ana", "ws-main"),
        ("Nightly digest 東京", None, None, {"loop": "for", "parallel": "count", "extra": 2}, 9000, 2, RUN_SHAPES[8:11], None, "u-ana", "ws-main"),
        ("Données — extraction", "Extraction des données", "Données", {"loop": "while", "extra": 3, "retry": True}, 14000, 5, [], None, "u-ana", "ws-main"),
        ("Old escalation flow", "archived", "Archive", {"extra": 2}, 4000, 1, RUN_SHAPES[11:13], tick(), "u-ana", "ws-main"),
        ("Research crawler", "Ben's", None, {"parallel": "count", "extra": 2}, 5000, 0, RUN_SHAPES[13:14], None, "u-ben", "ws-other"),
        ("Broken flow", "a block whose JSON is malformed", "Customer Support", {"extra": 2}, 3000, 0, RUN_SHAPES[:1], None, "u-ana", "ws-main"),
        ("Empty canvas", None, None, None, 0, 0, [], None, "u-ana", "ws-main"),
    ]
    for sort, (name, desc, folder, shape, size, nvars, shapes, archived, user, workspace) in enumerate(specs):
        wid = uid()
        created = tick(3600 * 1000)
        variables = make_variables(wid, nvars)
        insert_workflow(wid, user, workspace, folders.get(folder) if folder else None, name, desc, variables, created, archived=archived, sort=sort)
        blocks, edges, subflows = graph(wid, shape, size) if shape else ([], [], [])
        if name == "Broken flow":
            blocks[1]["raw_sub"] = q(json.dumps("{\"code\": not an object}"))
        insert_blocks(wid, blocks); insert_edges(wid, edges); insert_subflows(wid, subflows)
        runs, in_progress = insert_logs(wid, workspace, shapes)
        state = expected_state(blocks, edges, subflows, CURRENT_BLOCK_COLUMNS, name, desc, variables)
        expected[wid] = {"name": name, "category": folder or "general", "archived": archived is not None, "user": user, "workspace": workspace,
                         "created_at": created, "updated_at": created + 5000, "state": state, "runs": runs, "in_progress": in_progress,
                         "malformed": "Broken flow" == name, "bad_block": blocks[1]["id"] if name == "Broken flow" else None}

def legacy():
    out.append(LEGACY)
    people("workflow_folder")
    folders = folder_rows("workflow_folder", ["Old folder", "Old folder/Sub"])
    LEGACY_COLUMNS = {"is_wide", "advanced_mode"}
    specs = [("Legacy support flow", "from 2025", "Old folder/Sub", "state"), ("Legacy with rows", None, "Old folder", "both"),
             ("Legacy duplicate key", None, None, "dup"), ("Legacy without position", None, None, "noposition")]
    for name, desc, folder, how in specs:
        wid = uid()
        created = tick(3600 * 1000)
        variables = make_variables(wid, 2)
        blocks, edges, subflows = graph(wid, {"loop": "forEach", "parallel": "collection", "extra": 2}, 6000)
        # What Sim kept in workflow.state: the UI state with runtime members.
        ui_blocks = {}
        for blk in blocks:
            o = loader_block(blk, LEGACY_COLUMNS)
            ui_blocks[blk["id"]] = o
        for sub in subflows: patch_subflow(ui_blocks[sub["id"]], sub)
        ui_edges = [{"id": e["id"], "source": e["source"], "target": e["target"], "sourceHandle": e["sourceHandle"], "targetHandle": e["targetHandle"], "type": "workflowEdge"} for e in edges]
        old_loops = {"stale-loop": {"id": "stale-loop", "nodes": []}}
        state = {"blocks": ui_blocks, "edges": ui_edges, "loops": old_loops, "parallels": {}, "lastSaved": created, "isDeployed": False, "deploymentStatuses": {}}
        text_state = json.dumps(state, ensure_ascii=False)
        if how == "dup":
            text_state = text_state.replace('"isDeployed": false', '"isDeployed": false, "isDeployed": true')
        if how == "noposition":
            first = next(iter(ui_blocks))
            del state["blocks"][first]["position"]
            text_state = json.dumps(state, ensure_ascii=False)
        insert_workflow(wid, "u-ana", "ws-main", folders.get(folder) if folder else None, name, desc, variables, created,
                        state=q(text_state), legacy=True)
        if how == "both":
            insert_blocks(wid, blocks, legacy=True); insert_edges(wid, edges); insert_subflows(wid, subflows)
        runs, in_progress = insert_logs(wid, "ws-main", RUN_SHAPES[:4], legacy=True)
        meta = {"name": name}
        if desc is not None: meta["description"] = desc
        if how == "both":
            legacy_blocks = []
            for blk in blocks:
                legacy_blocks.append(dict(blk))
            expected_graph = expected_state(legacy_blocks, edges, subflows, LEGACY_COLUMNS, name, desc, variables)
        else:
            loops, parallels = generated(ui_blocks)
            expected_graph = {"blocks": ui_blocks, "edges": ui_edges, "loops": loops, "parallels": parallels, "metadata": meta,
                              "variables": variables_export(variables)}
        expected[wid] = {"name": name, "category": folder or "general", "archived": False, "user": "u-ana", "workspace": "ws-main",
                         "created_at": created, "updated_at": created + 5000, "state": expected_graph, "runs": runs, "in_progress": in_progress,
                         "malformed": how in ("dup", "noposition"), "bad_block": None}

if kind == "current": current()
elif kind == "bench": current(count)
elif kind == "legacy": legacy()
elif kind == "not-sim":
    out.append("CREATE TABLE customers (id serial PRIMARY KEY, name text); INSERT INTO customers (name) VALUES ('Ada');")
elif kind == "unsupported":
    out.append("CREATE TABLE workflow (id text PRIMARY KEY, user_id text NOT NULL, name text NOT NULL, description text);")
    out.append("CREATE TABLE workflow_blocks (id text PRIMARY KEY, workflow_id text NOT NULL, type text NOT NULL, name text NOT NULL, pos_x numeric, pos_y numeric, sub_blocks jsonb);")
    out.append("CREATE TABLE workflow_edges (id text PRIMARY KEY, workflow_id text NOT NULL, source_block_id text NOT NULL, target_block_id text NOT NULL);")
open(sql_path, "w", encoding="utf-8").write("\n".join(out) + "\n")
json.dump(expected, open(expected_path, "w", encoding="utf-8"), ensure_ascii=False)
