{#- clickstream_engagement_kpi: engaged sessions per user and engagement time per session and per
    user, per day. The counts the averages are made of are kept beside them, so a dashboard can
    compute a rate over several days or platforms as a ratio of sums (an average of the daily
    averages would weigh a quiet day like a busy one). -#}
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
    event_date,
    engaged_sessions as engaged_session_count,
    sessions as session_count,
    active_users as active_user_count,
    engagement_seconds as user_engagement_time_seconds
from daily
