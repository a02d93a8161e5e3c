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

with events as (

    select *
    from {{ ref('fct_events') }}
    where {{ clickstream_report_days() }}

),

parameter_values as (

    {%- for column, category, value_type in scanned %}
        select
            project_id,
            app_id,
            event_date,
            event_name,
            platform,
            '{{ category }}' as category,
            '{{ column }}' as property_name,
            '{{ value_type }}' as value_type,
            cast({{ column }} as {{ dbt.type_string() }}) as property_value
        from events
        where {{ column }} is not null
        union all
    {%- endfor %}
    select
        project_id,
        app_id,
        event_date,
        event_name,
        platform,
        'event' as category,
        entry_name as property_name,
        entry_type as value_type,
        entry_value as property_value
    from ({{ clickstream_map_entries(
        'events', ['project_id', 'app_id', 'event_date', 'event_name', 'platform'], 'custom_parameters'
    ) }}) as custom_parameters

),

counted as (

    select
        project_id,
        app_id,
        event_date,
        category,
        property_name,
        value_type,
        substring(property_value, 1, 100) as property_value,
        count(*) as count,
        {{ dbt.listagg('distinct event_name', "'#|!|#'", 'order by event_name') }} as event_name_set,
        {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform
    from parameter_values
    group by project_id, app_id, event_date, category, property_name, value_type, substring(property_value, 1, 100)

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
