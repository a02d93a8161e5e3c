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
        session_source,
        session_medium,
        session_campaign,
        session_channel_group,
        session_clid_platform,
        first_traffic_source,
        first_traffic_medium,
        first_traffic_campaign,
        first_traffic_channel_group,
        first_traffic_clid_platform,
        first_app_install_source
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
