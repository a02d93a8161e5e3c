{#- clickstream_engagement_page_screen_view: views per day by page title, URL path, screen name and
    screen class. Page views count under the page dimensions, screen views under the screen ones; a
    view whose value is NULL (a page without a title) counts in a NULL row, as in the original. -#}
{{ config(**clickstream_report_config()) }}

{%- for aggregation_type, view_event, column in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ column }} as aggregation_dim,
        count(*) as view_count,
        event_date
    from {{ ref('int_report_events') }}
    where event_name = '{{ view_event }}' and {{ clickstream_report_days() }}
    group by app_id, platform, {{ column }}, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
