{#- clickstream_engagement_entrance: sessions per day that started on each page or screen. -#}
{{ config(**clickstream_report_config()) }}

with views as (

    select *
    from {{ ref('fct_page_screen_views') }}
    where is_entrance and {{ clickstream_report_days() }}

)

{%- for aggregation_type, expression in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ expression }} as aggregation_dim,
        count(*) as entrance_count,
        event_date
    from views
    where {{ expression }} is not null
    group by app_id, platform, {{ expression }}, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
