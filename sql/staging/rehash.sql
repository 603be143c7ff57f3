-- `trawl rehash`: every staging hash recomputed with this code's canonical form (src/staging/rehash.ts).

-- name: hash_version_for_update
SELECT hash_version FROM staging.hash_state FOR UPDATE;

-- name: create_rehashed
CREATE TEMP TABLE rehashed (id bigint, hash bytea) ON COMMIT DROP;

-- name: versions
SELECT id, delisted, data, volatile FROM staging.versions ORDER BY id;

-- name: copy_rehashed
COPY rehashed (id, hash) FROM STDIN;

-- name: update_versions
UPDATE staging.versions v SET hash = r.hash, hash_version = $1 FROM rehashed r WHERE v.id = r.id;

-- name: update_key_state
UPDATE staging.key_state s SET hash = v.hash, hash_version = $1
FROM staging.versions v
WHERE v.source = s.source AND v.entity = s.entity AND v.key = s.key AND v.version = s.version;

-- name: update_hash_state
UPDATE staging.hash_state SET hash_version = $1;
