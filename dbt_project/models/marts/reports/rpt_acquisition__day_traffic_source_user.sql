{#- clickstream_acquisition_day_traffic_source_user: the users seen per day under each session and
    first-touch traffic dimension (one row per user, dimension and day). -#}
{{ config(**clickstream_report_config()) }}

{#- Distinct users and traffic fields per day first (far fewer rows than events). -#}
with user_days as (

    select distinct
        app_id,
        platform,
        event_date,
        merged_user_id,
        {{ clickstream_traffic_dimension_columns() | join(', ') }}
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

)

{%- for aggregation_type, expression in clickstream_traffic_dimensions() %}
    select distinct
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ expression }} as aggregation_dim,
        merged_user_id as user_id,
        event_date
    from user_days
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
