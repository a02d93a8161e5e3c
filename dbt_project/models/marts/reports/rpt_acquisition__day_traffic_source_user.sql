{#- clickstream_acquisition_day_traffic_source_user: per day, the users seen under each session traffic
    dimension (every active user), and the new users under each first-touch dimension ('User First *'
    and 'App First Install Source'): those rows come, as in the original, only from the user's
    `_first_open` event, so a user appears there on the local day of their first open only. One row
    per user, dimension and day. -#}
{{ config(**clickstream_report_config()) }}

{%- set dimensions = clickstream_traffic_dimensions() %}

{#- Distinct users and traffic fields per day first (far fewer rows than events). -#}
with user_days as (

    select distinct
        app_id,
        platform,
        event_date,
        merged_user_id,
        is_new_user_event,
        {{ clickstream_traffic_dimension_columns() | join(', ') }}
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

)

{%- for aggregation_type, expression in dimensions %}
    select distinct
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ expression }} as aggregation_dim,
        merged_user_id as user_id,
        event_date
    from user_days
    {%- if not aggregation_type.startswith('Session ') %}
        where is_new_user_event
    {%- endif %}
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
