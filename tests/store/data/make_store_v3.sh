#!/bin/sh
# Writes store_v3.db: an execution store file of schema version 4's predecessor (3: tools and
# conversations, no eval tables), used by tst_evalstore's migratesVersion3Database. Made with
# an agentstudio-run built from the last commit before eval records, on the offline example
# workspace (scripted provider): three executions (critic, order_support with tool steps,
# the research_brief workflow), then checkpointed into one file.
#   make_store_v3.sh PATH/TO/agentstudio-run PATH/TO/example.agents.json
set -eu
run="$1"
ws="$2"
out="$(dirname "$0")/store_v3.db"
rm -f "$out"
"$run" run --workspace "$ws" --agent critic --input "draft=The harbour tides were low this morning" --db "$out" --format json >/dev/null
"$run" run --workspace "$ws" --agent order_support --input "question=Where is my parcel?" --db "$out" --format json >/dev/null
"$run" run --workspace "$ws" --workflow research_brief --input "topic=tidal energy" --db "$out" --format json >/dev/null
sqlite3 "$out" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;" >/dev/null
rm -rf "$out.owners"
