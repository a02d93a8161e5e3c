{#- The original's event_parameter_metadata: per app, UTC day and parameter, its most frequent values
    (cut to 100 characters; empty strings dropped) with their counts. Parameters are the event_v2
    columns marked scan_values, counted per event; the session traffic columns, counted per session
    on the UTC day of the session's traffic event; and every custom parameter, counted per event.
    Columns keep the top clickstream__metadata_top_values values of the day (50 for page titles and
    URLs and screen names and ids), with empty event and platform sets, as the original's preset
    parameters; a custom parameter keeps them per event name and platform, and a value's count is the
    sum over the pairs where it made the cut, with the sets of those events and platforms. -#}
{{ config(**clickstream_metadata_config()) }}

{%- set scanned = clickstream_scanned_columns('event_v2') %}
{#- The original's session table columns marked scanValue, all in category event_outer. -#}
{%- set session_columns = [
    'session_source', 'session_medium', 'session_campaign', 'session_channel_group', 'session_source_category',
] %}
{%- set columns = [
    'project_id', 'app_id', 'event_name', 'platform', 'custom_parameters', 'custom_parameters_json_str',
] %}
{%- for column, category, value_type in scanned if column not in columns %}
    {%- do columns.append(column) %}
{%- endfor %}
{%- set wide = ['page_view_page_title', 'page_view_page_url', 'screen_view_screen_name', 'screen_view_screen_id'] %}

with events as {{ clickstream_inline_cte() }} (

    select
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        {{ clickstream_utc_date('event_timestamp') }} as utc_date
    from {{ ref('fct_events') }}
    where {{ clickstream_metadata_days('event_date', 2) }}

),

scanned_events as {{ clickstream_inline_cte() }} (

    select * from events
    where {{ clickstream_metadata_days('utc_date', 1) }}

),

sessions as {{ clickstream_inline_cte() }} (

    select
        {%- for column in session_columns %}
            {{ column }},
        {%- endfor %}
        app_id,
        {{ clickstream_utc_date('event_timestamp') }} as utc_date
    from {{ ref('fct_sessions') }}

),

custom_parameters as (

    {{ clickstream_map_entries(
        'scanned_events', ['project_id', 'app_id', 'utc_date', 'event_name', 'platform'], 'custom_parameters',
        'coalesce(length(custom_parameters_json_str), 0) < 50000'
    ) }}

),

counted as (

    {#- Each column is counted in its own aggregate (one pass over few columns each), so no row per
        event and parameter is ever materialised. #}
    {%- for column, category, value_type in scanned %}
        select
            project_id,
            app_id,
            utc_date,
            '{{ category }}' as category,
            '{{ column }}' as property_name,
            '{{ value_type }}' as value_type,
            {{ clickstream_metadata_value(column, value_type) }} as property_value,
            '' as event_name,
            '' as platform,
            count(*) as count
        from scanned_events
        where {{ column }} is not null and {{ clickstream_metadata_value(column, value_type) }} <> ''
        group by project_id, app_id, utc_date, {{ clickstream_metadata_value(column, value_type) }}
        union all
    {%- endfor %}
    {%- for column in session_columns %}
        select
            '{{ var('clickstream__project_id') }}' as project_id,
            app_id,
            utc_date,
            'event_outer' as category,
            '{{ column }}' as property_name,
            'string' as value_type,
            {{ clickstream_metadata_value(column, 'string') }} as property_value,
            '' as event_name,
            '' as platform,
            count(*) as count
        from sessions
        where
            {{ column }} is not null and {{ clickstream_metadata_value(column, 'string') }} <> ''
            and {{ clickstream_metadata_days('utc_date', 1) }}
        group by app_id, utc_date, {{ clickstream_metadata_value(column, 'string') }}
        union all
    {%- endfor %}
    select
        project_id,
        app_id,
        utc_date,
        'event' as category,
        entry_name as property_name,
        entry_type as value_type,
        substring(entry_value, 1, 100) as property_value,
        event_name,
        platform,
        count(*) as count
    from custom_parameters
    where entry_value is not null and substring(entry_value, 1, 100) <> ''
    group by
        project_id, app_id, utc_date, entry_name, entry_type, substring(entry_value, 1, 100), event_name, platform

),

ranked as (

    select
        *,
        row_number() over (
            partition by project_id, app_id, utc_date, category, property_name, value_type, event_name, platform
            order by count desc, property_value asc
        ) as value_rank
    from counted

),

kept as (

    select
        project_id,
        app_id,
        utc_date,
        category,
        property_name,
        value_type,
        property_value,
        sum(count) as count,
        {{ dbt.listagg('distinct event_name', "'#|!|#'", 'order by event_name') }} as event_name_set,
        {{ dbt.listagg('distinct platform', "'#|!|#'", 'order by platform') }} as platform
    from ranked
    where
        value_rank <= {{ var('clickstream__metadata_top_values') }}
        or (
            value_rank <= 50
            and property_name in (
                {%- for name in wide %}
                    '{{ name }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
        )
    group by project_id, app_id, utc_date, category, property_name, value_type, property_value

)

select
    {{ dbt.concat(['project_id', "'#'", 'app_id', "'#'", 'category', "'#'", 'property_name', "'#'", 'value_type']) }}
        as id,
    {{ clickstream_month_key('utc_date') }} as month,
    {{ dbt.concat(["'EVENT_PARAMETER#'", 'project_id', "'#'", 'app_id']) }} as prefix,
    project_id,
    app_id,
    extract(day from utc_date) as day_number,
    category,
    event_name_set,
    property_name,
    value_type,
    property_value,
    count,
    platform,
    utc_date as event_date
from kept
