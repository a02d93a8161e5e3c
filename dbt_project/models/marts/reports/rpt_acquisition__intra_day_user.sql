{#- clickstream_acquisition_intra_day_user_mv: active and new users (merged user ids with a
    `_first_open`) per hour of the app's local time, as the original (event_hour is a local
    wall-clock time, without zone). -#}
{{ config(**clickstream_report_config()) }}

with events as (

    select
        app_id,
        platform,
        {{ clickstream_local_hour('event_timestamp', 'app_id') }} as event_hour,
        merged_user_id,
        is_new_user_event,
        event_date
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

)

select
    app_id,
    platform,
    event_hour,
    count(distinct merged_user_id) as active_users,
    count(distinct case when is_new_user_event then merged_user_id end) as new_users,
    event_date
from events
group by app_id, platform, event_hour, event_date
