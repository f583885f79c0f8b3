-- Per-user reads (see docs/queries.md).

-- name: unread_notifications :many
-- A user's unread notifications, newest first.
SELECT n.id, n.notification_type, n.title, n.message, n.priority, n.created_at
FROM notifications n
WHERE n.user_id = @user_id AND n.read_at IS NULL
  AND (n.status IS NULL OR n.status = 'unread')
ORDER BY n.created_at DESC, n.id DESC;

-- name: triggered_signal_alerts :many
-- A user's active alerts that have triggered, with the asset's current price.
SELECT sa.id, a.symbol, sa.alert_type, sa.condition, sa.trigger_value, sa.triggered_at,
       sa.message, a.current_price
FROM signal_alerts sa
JOIN assets a ON a.id = sa.asset_id
WHERE sa.user_id = @user_id AND sa.is_triggered AND sa.is_active
ORDER BY sa.triggered_at DESC NULLS LAST, sa.id DESC;

-- name: activity_feed_page :many
-- One page of a user's activity feed, newest first, keyset-paginated: pass the
-- (created_at, id) of the last row of the previous page as (@before_time, @before_id), or
-- (infinity, 0) for the first page.
SELECT ua.id, ua.activity_type, ua.action, ua.entity_type, ua.entity_id, ua.details,
       ua.ip_address, ua.created_at
FROM user_activities ua
WHERE ua.user_id = @user_id AND (ua.created_at, ua.id) < (@before_time, @before_id)
ORDER BY ua.created_at DESC, ua.id DESC
LIMIT @page_size;

-- name: user_activity_count :one
-- How many activities a user has of one type.
SELECT count(*) AS activities
FROM user_activities ua
WHERE ua.user_id = @user_id AND ua.activity_type = @activity_type;
