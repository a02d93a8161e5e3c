{#- The original's event_metadata: per app, event name and UTC day, the events counted and the sets of
    platforms, SDK versions and SDK names seen (joined by `#|!|#`). Events named `_` are left out, as
    there. -#}
{{ config(**clickstream_metadata_config()) }}

with events as (

    select
        project_id,
        app_id,
        event_name,
        platform,
        sdk_version,
        sdk_name,
        {{ clickstream_utc_date('event_timestamp') }} as utc_date
    from {{ ref('fct_events') }}
    where {{ clickstream_metadata_days('event_date', 2) }} and event_name <> '_'

)

select
    {{ dbt.concat(['project_id', "'#'", 'app_id', "'#'", 'event_name']) }} as id,
    {{ clickstream_month_key('utc_date') }} as month,
    {{ dbt.concat(["'EVENT#'", 'project_id', "'#'", 'app_id']) }} as prefix,
    project_id,
    app_id,
    extract(day from utc_date) as day_number,
    count(*) as count,
    event_name,
    {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform,
    {{ dbt.listagg('distinct sdk_version', "'#|!|#'", 'order by sdk_version') }} as sdk_version,
    {{ dbt.listagg('distinct sdk_name', "'#|!|#'", 'order by sdk_name') }} as sdk_name,
    utc_date as event_date
from events
where {{ clickstream_metadata_days('utc_date', 1) }}
group by project_id, app_id, event_name, utc_date
