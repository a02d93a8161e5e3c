{#- clickstream_retention_event_overtime: events per day. -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    count(*) as event_count,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, event_date
