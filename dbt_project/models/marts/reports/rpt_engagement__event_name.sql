{#- clickstream_engagement_event_name: events and their summed value per day, event name and user
    (event_value is NULL when none of the events had a value, as the original). -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    merged_user_id as user_id,
    event_name,
    sum(event_value) as event_value,
    count(*) as event_count,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, merged_user_id, event_name, event_date
