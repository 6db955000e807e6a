#!/usr/bin/env python3
"""Writes store_v2.db: an execution store file of schema version 2 (before tools and
conversations), used by tst_executionstore's migratesVersion2Database.

The schema is read from the version-2 StoreSchema.cpp given as the first argument (for example
`git show b8dbd1e:core/store/StoreSchema.cpp > /tmp/v2.cpp`), so the file is what that code
created: tables, indices, the full-text index and its triggers, the history-order watermark.
One finished agent execution with one llm step is added.
"""
import os
import re
import sqlite3
import sys

src = open(sys.argv[1]).read()
path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "store_v2.db")


def cols(fn):
    body = src[src.index("const QList<Column> &%s()" % fn):]
    body = body[:body.index("return columns;")]
    return re.findall(r'\{ "(\w+)", "([^"]*)", ', body)


def create(table, columns):
    return "CREATE TABLE %s (\n  %s\n)" % (table, ",\n  ".join(n + " " + d for n, d in columns))


def fts(col):
    return ("IFNULL(CASE WHEN json_valid(%s) THEN (SELECT group_concat(value, ' ') FROM "
            "json_tree(%s) WHERE type IN ('text', 'integer', 'real')) ELSE %s END, '')") % (col, col, col)


if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path)
db.execute(create("executions", cols("executionColumns")))
db.execute(create("execution_steps", cols("stepColumns")))
for sql in re.findall(r'"(CREATE INDEX [^"]*)"', src):
    db.execute(sql)
db.execute("CREATE VIRTUAL TABLE executions_fts USING fts5(input_text, output_text, error_text, "
           "content='', tokenize='unicode61 remove_diacritics 2')")
new = "new.rowid, %s, %s, IFNULL(new.error_message, '')" % (fts("new.input_data"), fts("new.output_data"))
old = "old.rowid, %s, %s, IFNULL(old.error_message, '')" % (fts("old.input_data"), fts("old.output_data"))
ins = "INSERT INTO executions_fts (rowid, input_text, output_text, error_text) VALUES (%s);" % new
dele = ("INSERT INTO executions_fts (executions_fts, rowid, input_text, output_text, error_text) "
        "VALUES ('delete', %s);" % old)
db.execute("CREATE TRIGGER executions_fts_insert AFTER INSERT ON executions BEGIN %s END" % ins)
db.execute("CREATE TRIGGER executions_fts_delete AFTER DELETE ON executions BEGIN %s END" % dele)
db.execute("CREATE TRIGGER executions_fts_update AFTER UPDATE OF input_data, output_data, error_message "
           "ON executions WHEN old.input_data IS NOT new.input_data OR old.output_data IS NOT "
           "new.output_data OR old.error_message IS NOT new.error_message BEGIN %s %s END" % (dele, ins))
m2 = src[src.index("Result<void> migration2"):]
m2 = m2[m2.index("const char *statements[] = {"):m2.index("};")]
for literal in re.findall(r'((?:\s*"(?:[^"\\]|\\.)*"\s*)+),', m2):
    db.execute("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', literal)))
db.execute("PRAGMA user_version = 2")
db.execute("INSERT INTO executions (id, organization_id, workspace_id, execution_type, agent_id, input_data, "
           "output_data, status, queued_at, started_at, completed_at, execution_time_ms, input_tokens, "
           "output_tokens, cost_usd, trace_id, test_mode, provider, model) VALUES "
           "('11111111-1111-4111-8111-111111111111','local','demo','agent','summarizer',"
           "'{\"text\":\"old harbour report\"}','{\"summary\":\"tides were low\"}','completed',"
           "'2026-01-02T03:04:05.000Z','2026-01-02T03:04:05.010Z','2026-01-02T03:04:05.500Z',490,12,5,"
           "0.0001,'0123456789abcdef0123456789abcdef','single_agent','scripted','echo')")
db.execute("INSERT INTO execution_steps (id, execution_id, agent_id, step_number, input_data, output_data, "
           "status, started_at, completed_at, execution_time_ms, tokens_used, cost_usd, span_id, kind, name, "
           "provider, model, input_tokens, output_tokens) VALUES "
           "('22222222-2222-4222-8222-222222222222','11111111-1111-4111-8111-111111111111','summarizer',1,"
           "'{\"messages\":[{\"role\":\"user\",\"content\":\"old harbour report\"}]}',"
           "'{\"text\":\"tides were low\"}','completed','2026-01-02T03:04:05.010Z',"
           "'2026-01-02T03:04:05.400Z',390,17,0.0001,'0123456789abcdef','llm','echo','scripted','echo',12,5)")
db.commit()
db.execute("VACUUM")
db.close()
