-- name: x :one
SELECT a.id FROM assets a WHERE a.id = $65535;
