-- name: huge_precision :one
SELECT a.id::numeric(782111466) AS n FROM assets a LIMIT 1;
