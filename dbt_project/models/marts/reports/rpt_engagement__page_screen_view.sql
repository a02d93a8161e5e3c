{#- clickstream_engagement_page_screen_view: views per day by page title, URL path, screen name and
    screen class. -#}
{{ config(**clickstream_report_config()) }}

{%- for aggregation_type, expression in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ expression }} as aggregation_dim,
        count(*) as view_count,
        event_date
    from {{ ref('int_report_events') }}
    where is_view and {{ expression }} is not null and {{ clickstream_report_days() }}
    group by app_id, platform, {{ expression }}, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
