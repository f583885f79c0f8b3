-- name: huge_param :one
SELECT a.id FROM assets a WHERE a.id = $000200000000000000;
