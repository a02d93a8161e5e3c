{#- clickstream_retention_dau_wau: the users active each day (stickiness is computed from it). -#}
{{ config(**clickstream_report_config()) }}

select distinct
    app_id,
    platform,
    merged_user_id,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
