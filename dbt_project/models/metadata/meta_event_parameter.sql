{#- The original's event_parameter_metadata: per app, day and parameter (every event_v2 column marked
    scan_values, the session traffic columns and every custom parameter), its most frequent values
    (cut to 100 characters) with their counts, the events and platforms it was seen with. Top
    clickstream__metadata_top_values values, 50 for page titles and URLs and screen names and ids. -#}
{{ config(**clickstream_report_config()) }}

{%- set scanned = clickstream_scanned_columns('event_v2') + [
    ('session_source', 'category_session', 'string'),
    ('session_medium', 'category_session', 'string'),
    ('session_campaign', 'category_session', 'string'),
    ('session_channel_group', 'category_session', 'string'),
    ('session_source_category', 'category_session', 'string'),
] %}
{%- set wide = ['page_view_page_title', 'page_view_page_url', 'screen_view_screen_name', 'screen_view_screen_id'] %}

with {#- Each column is counted in its own aggregate (one pass over few columns each), so no row per
    event and parameter is ever materialised. #}
counted as (

    {%- for column, category, value_type in scanned %}
        select
            project_id,
            app_id,
            event_date,
            '{{ category }}' as category,
            '{{ column }}' as property_name,
            '{{ value_type }}' as value_type,
            substring(cast({{ column }} as {{ dbt.type_string() }}), 1, 100) as property_value,
            count(*) as count,
            {{ dbt.listagg('distinct event_name', "'#|!|#'", 'order by event_name') }} as event_name_set,
            {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform
        from {{ ref('fct_events') }}
        where {{ column }} is not null and {{ clickstream_report_days() }}
        group by project_id, app_id, event_date, substring(cast({{ column }} as {{ dbt.type_string() }}), 1, 100)
        union all
    {%- endfor %}
    select
        project_id,
        app_id,
        event_date,
        'event' as category,
        entry_name as property_name,
        entry_type as value_type,
        substring(entry_value, 1, 100) as property_value,
        count(*) as count,
        {{ dbt.listagg('distinct event_name', "'#|!|#'", 'order by event_name') }} as event_name_set,
        {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform
    from ({{ clickstream_map_entries(
        ref('fct_events'), ['project_id', 'app_id', 'event_date', 'event_name', 'platform'], 'custom_parameters',
        clickstream_report_days()
    ) }}) as custom_parameters
    group by project_id, app_id, event_date, entry_name, entry_type, substring(entry_value, 1, 100)

),

ranked as (

    select
        *,
        row_number() over (
            partition by app_id, event_date, category, property_name, value_type
            order by count desc, property_value asc
        ) as value_rank
    from counted

)

select
    {{ dbt.concat(['project_id', "'#'", 'app_id', "'#'", 'category', "'#'", 'property_name', "'#'", 'value_type']) }}
        as id,
    {{ clickstream_month_key('event_date') }} as month,
    {{ dbt.concat(["'EVENT_PARAMETER#'", 'project_id', "'#'", 'app_id']) }} as prefix,
    project_id,
    app_id,
    extract(day from event_date) as day_number,
    category,
    event_name_set,
    property_name,
    value_type,
    property_value,
    count,
    platform,
    event_date
from ranked
where value_rank <= case
    when property_name in ('{{ wide | join("', '") }}') then 50
    else {{ var('clickstream__metadata_top_values') }}
end
