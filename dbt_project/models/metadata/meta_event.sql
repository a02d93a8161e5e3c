{#- The original's event_metadata: per app, event name and day, the events counted and the sets of
    platforms, SDK versions and SDK names seen (joined by `#|!|#`). -#}
{{ config(**clickstream_report_config()) }}

select
    {{ dbt.concat(['project_id', "'#'", 'app_id', "'#'", 'event_name']) }} as id,
    {{ clickstream_month_key('event_date') }} as month,
    {{ dbt.concat(["'EVENT#'", 'project_id', "'#'", 'app_id']) }} as prefix,
    project_id,
    app_id,
    extract(day from event_date) as day_number,
    count(*) as count,
    event_name,
    {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform,
    {{ dbt.listagg('distinct sdk_version', "'#|!|#'", 'order by sdk_version') }} as sdk_version,
    {{ dbt.listagg('distinct sdk_name', "'#|!|#'", 'order by sdk_name') }} as sdk_name,
    event_date
from {{ ref('fct_events') }}
where {{ clickstream_report_days() }}
group by project_id, app_id, event_name, event_date
