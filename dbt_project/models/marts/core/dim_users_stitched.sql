{#- One row per app and person: every device-scoped user (`dim_users`) rolled up under its signed-in
    `user_id`, else kept on its own `user_pseudo_id`. A view, so stitching happens at read time and a
    user who signs in later is stitched everywhere at once, with no rewrite of stored rows. -#}
{{ config(materialized='view') }}

select
    app_id,
    coalesce(user_id, user_pseudo_id) as merged_user_id,
    max(user_id) as user_id,
    count(*) as devices,
    min(first_visit_date) as first_visit_date,
    min(first_seen_timestamp) as first_seen_timestamp,
    max(last_seen_timestamp) as last_seen_timestamp,
    sum(lifetime_events) as lifetime_events,
    sum(lifetime_sessions) as lifetime_sessions,
    sum(lifetime_engaged_sessions) as lifetime_engaged_sessions,
    sum(lifetime_views) as lifetime_views,
    sum(lifetime_engagement_time_msec) as lifetime_engagement_time_msec
from {{ ref('dim_users') }}
group by app_id, coalesce(user_id, user_pseudo_id)
