{#- clickstream_engagement_day_event_view: events and page/screen views per day. -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    count(*) as event_count,
    cast(sum(case when is_view then 1 else 0 end) as {{ dbt.type_bigint() }}) as view_count,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, event_date
