{#- The original's user_attribute_metadata: per app and user attribute (the user_v2 columns marked
    scan_values and every user property), the top clickstream__metadata_top_values values over all
    users (cut to 100 characters; empty strings and attributes named like `%timestamp%` dropped) with
    their counts, one row per value. The original stamps the rows with the day it ran; here they carry
    the app's latest UTC day with a user seen, so a rebuild of the same data gives the same rows. -#}
{{ config(materialized='table', tags=['metadata']) }}

{%- set scanned = clickstream_scanned_columns('user_v2') %}

with users as (

    select * from {{ ref('dim_users') }}

),

scan_days as (

    select
        app_id,
        max({{ clickstream_utc_date('last_seen_timestamp') }}) as utc_date
    from users
    group by app_id

),

attribute_values as (

    {%- for column, category, value_type in scanned %}
        select
            app_id,
            '{{ category }}' as category,
            '{{ column }}' as property_name,
            '{{ value_type }}' as value_type,
            {{ clickstream_metadata_value(column, value_type) }} as property_value
        from users
        where {{ column }} is not null
        union all
    {%- endfor %}
    select
        app_id,
        'user' as category,
        entry_name as property_name,
        entry_type as value_type,
        substring(entry_value, 1, 100) as property_value
    from ({{ clickstream_map_entries(
        'users', ['app_id'], 'user_properties', 'coalesce(length(user_properties_json_str), 0) < 50000'
    ) }}) as user_properties

),

counted as (

    select
        app_id,
        category,
        property_name,
        value_type,
        property_value,
        count(*) as count
    from attribute_values
    where property_name not like '%timestamp%' and property_value is not null and property_value <> ''
    group by app_id, category, property_name, value_type, property_value

),

ranked as (

    select
        *,
        row_number() over (
            partition by app_id, category, property_name, value_type
            order by count desc, property_value asc
        ) as value_rank
    from counted

)

select
    {{ dbt.concat([
        "'" ~ var('clickstream__project_id') ~ "#'", 'ranked.app_id', "'#'", 'category', "'#'", 'property_name', "'#'",
        'value_type'
    ]) }} as id,
    {{ clickstream_month_key('scan_days.utc_date') }} as month,
    {{ dbt.concat(["'USER_ATTRIBUTE#" ~ var('clickstream__project_id') ~ "#'", 'ranked.app_id']) }} as prefix,
    '{{ var('clickstream__project_id') }}' as project_id,
    ranked.app_id,
    extract(day from scan_days.utc_date) as day_number,
    ranked.category,
    ranked.property_name,
    ranked.value_type,
    ranked.property_value,
    ranked.count,
    scan_days.utc_date as event_date
from ranked
inner join scan_days on ranked.app_id = scan_days.app_id
where ranked.value_rank <= {{ var('clickstream__metadata_top_values') }}
