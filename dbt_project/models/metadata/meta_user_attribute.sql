{#- The original's user_attribute_metadata: per app, user attribute (the user_v2 columns marked
    scan_values and every user property) and value type, its most frequent values with counts,
    over the users last seen that day. -#}
{{ config(materialized='table', tags=['metadata']) }}

{%- set scanned = clickstream_scanned_columns('user_v2') %}

with users as (

    select
        *,
        cast(last_seen_timestamp as date) as event_date
    from {{ ref('dim_users') }}

),

attribute_values as (

    {%- for column, category, value_type in scanned %}
        select
            app_id,
            event_date,
            '{{ category }}' as category,
            '{{ column }}' as property_name,
            '{{ value_type }}' as value_type,
            cast({{ column }} as {{ dbt.type_string() }}) as property_value
        from users
        where {{ column }} is not null
        union all
    {%- endfor %}
    select
        app_id,
        event_date,
        'user' as category,
        entry_name as property_name,
        entry_type as value_type,
        entry_value as property_value
    from ({{ clickstream_map_entries('users', ['app_id', 'event_date'], 'user_properties') }}) as user_properties

),

counted as (

    select
        app_id,
        event_date,
        category,
        property_name,
        value_type,
        substring(property_value, 1, 100) as property_value,
        count(*) as count
    from attribute_values
    group by app_id, event_date, category, property_name, value_type, substring(property_value, 1, 100)

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
    {{ dbt.concat([
        "'" ~ var('clickstream__project_id') ~ "#'", 'app_id', "'#'", 'category', "'#'", 'property_name', "'#'",
        'value_type'
    ]) }} as id,
    {{ clickstream_month_key('event_date') }} as month,
    {{ dbt.concat(["'USER_ATTRIBUTE#" ~ var('clickstream__project_id') ~ "#'", 'app_id']) }} as prefix,
    '{{ var('clickstream__project_id') }}' as project_id,
    app_id,
    extract(day from event_date) as day_number,
    category,
    property_name,
    value_type,
    property_value,
    count,
    event_date
from ranked
where value_rank <= {{ var('clickstream__metadata_top_values') }}
