{#- clickstream_engagement_kpi, per day and platform, with the original's definitions: a session is
    engaged on a day when that day's events of it hold more than one view or a session duration over
    the threshold (macros/engaged_session.sql), so a session across midnight is judged, and counted,
    on each of its days; only engaged sessions' engagement time counts. A user's events without a
    session id on a day are judged together as one session, as the original (which groups by
    session_id, NULL included); session_count counts them as one too, so engaged sessions never
    exceed sessions.
    avg_engaged_session_per_user = engaged sessions / active users,
    avg_engagement_time_per_session_seconds = engaged sessions' engagement time / engaged sessions,
    avg_engagement_time_per_user_seconds = engaged sessions' engagement time / active users.
    The counts the averages are made of are kept beside them, so a dashboard can compute a rate over
    several days or platforms as a ratio of sums (an average of the daily averages would weigh a
    quiet day like a busy one). -#}
{{ config(**clickstream_report_config()) }}

with session_days as (

    select
        app_id,
        platform,
        event_date,
        case when session_id is not null then session_key end as session_key,
        merged_user_id,
        sum(coalesce(user_engagement_time_msec, 0)) as engagement_time_msec,
        {{ clickstream_is_engaged_session(
            'max(session_duration)', 'sum(case when is_view then 1 else 0 end)'
        ) }} as is_engaged
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}
    group by
        app_id, platform, event_date, case when session_id is not null then session_key end, merged_user_id

),

daily as (

    select
        app_id,
        platform,
        event_date,
        count(case when is_engaged then 1 end) as engaged_sessions,
        count(*) as sessions,
        count(distinct merged_user_id) as active_users,
        sum(case when is_engaged then engagement_time_msec else 0 end) / 1000.0 as engagement_seconds
    from session_days
    group by app_id, platform, event_date

)

select
    app_id,
    platform,
    cast(engaged_sessions as {{ dbt.type_float() }}) / active_users as avg_engaged_session_per_user,
    case
        when engaged_sessions > 0 then engagement_seconds / engaged_sessions else 0
    end as avg_engagement_time_per_session_seconds,
    engagement_seconds / active_users as avg_engagement_time_per_user_seconds,
    event_date,
    engaged_sessions as engaged_session_count,
    sessions as session_count,
    active_users as active_user_count,
    engagement_seconds as user_engagement_time_seconds
from daily
