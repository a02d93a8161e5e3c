{#- clickstream_acquisition_intra_day_user_mv: active and new users per hour (UTC hour of the event). -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    {{ dbt.date_trunc('hour', 'event_timestamp') }} as event_hour,
    count(distinct merged_user_id) as active_users,
    count(distinct case when is_new_user_event then merged_user_id end) as new_users,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, {{ dbt.date_trunc('hour', 'event_timestamp') }}, event_date
