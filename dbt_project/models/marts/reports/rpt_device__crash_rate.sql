{#- clickstream_device_crash_rate: per day and app version, each active user and, when they hit an
    `_app_exception`, the same id as crashed_user_id. -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    app_version,
    merged_user_id,
    max(case when event_name = '_app_exception' then merged_user_id end) as crashed_user_id,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, app_version, merged_user_id, event_date
