{#- clickstream_engagement_page_screen_view_detail: per day, page or screen dimension and user:
    engagement time, events, views and sessions. Built from the views (fct_page_screen_views): each
    view is credited the `_user_engagement` time reported after it in its session, and event_count
    counts the views. The original groups every event by the page or screen fields it carries, which
    only web SDKs stamp on every event; that credits mobile screens with no engagement at all. Views
    with a NULL value count in a NULL row, as in the original. -#}
{{ config(**clickstream_report_config()) }}

with views as (

    select
        view_rows.*,
        coalesce(user_rows.user_id, view_rows.user_pseudo_id) as merged_user_id
    from {{ ref('fct_page_screen_views') }} as view_rows
    left join {{ ref('dim_users') }} as user_rows
        on view_rows.user_key = user_rows.user_key
    where {{ clickstream_report_days('view_rows.event_date') }}

)

{%- for aggregation_type, view_event, column in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ column }} as aggregation_dim,
        merged_user_id as user_id,
        sum(engagement_time_msec) / 1000.0 as user_engagement_time_seconds,
        count(*) as event_count,
        count(*) as view_count,
        count(distinct session_key) as session_count,
        event_date
    from views
    where event_name = '{{ view_event }}'
    group by app_id, platform, {{ column }}, merged_user_id, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
