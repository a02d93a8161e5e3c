{#- clickstream_engagement_kpi: engaged sessions per user and engagement time per session and per
    user, per day. -#}
{{ config(**clickstream_report_config()) }}

with daily as (

    select
        app_id,
        platform,
        event_date,
        count(distinct case when session_is_engaged then session_key end) as engaged_sessions,
        count(distinct session_key) as sessions,
        count(distinct merged_user_id) as active_users,
        sum(coalesce(user_engagement_time_msec, 0)) / 1000.0 as engagement_seconds
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}
    group by app_id, platform, event_date

)

select
    app_id,
    platform,
    cast(engaged_sessions as {{ dbt.type_float() }}) / active_users as avg_engaged_session_per_user,
    case when sessions > 0 then engagement_seconds / sessions end as avg_engagement_time_per_session_seconds,
    engagement_seconds / active_users as avg_engagement_time_per_user_seconds,
    event_date
from daily
