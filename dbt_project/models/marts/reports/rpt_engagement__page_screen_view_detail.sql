{#- clickstream_engagement_page_screen_view_detail: per day, page or screen dimension and user, as the
    original: event_count counts every event carrying the value (on web every event carries its page),
    view_count the views of the dimension's kind (`_page_view` for page dimensions, `_screen_view` for
    screen ones), session_count the sessions of those events (events without a session id are in no
    session); the events without a value count in a NULL row. Engagement time differs on purpose: each
    view is credited the `_user_engagement` time reported after it in its session
    (fct_page_screen_views), where the original sums the engagement time of the events carrying the
    value, which only web SDKs stamp on `_user_engagement` (mobile screens got no engagement at all).
    It is NULL on a row without views. -#}
{{ config(**clickstream_report_config()) }}

with events as (

    select
        app_id,
        platform,
        event_date,
        merged_user_id,
        event_id,
        event_name,
        case when session_id is not null then session_key end as session_key,
        {%- for _, _, column in clickstream_view_dimensions() %}
            {{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_bigint() }}) as engagement_time_msec
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

),

view_engagement as (

    select
        view_rows.app_id,
        view_rows.platform,
        view_rows.event_date,
        coalesce(user_rows.user_id, view_rows.user_pseudo_id) as merged_user_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        view_rows.event_name,
        cast(null as {{ dbt.type_string() }}) as session_key,
        {%- for _, _, column in clickstream_view_dimensions() %}
            view_rows.{{ column }},
        {%- endfor %}
        view_rows.engagement_time_msec
    from {{ ref('fct_page_screen_views') }} as view_rows
    left join {{ ref('dim_users') }} as user_rows
        on view_rows.user_key = user_rows.user_key
    where {{ clickstream_report_days('view_rows.event_date') }}

),

combined as (

    {#- The events (counted) and the views' credited engagement (summed), one stream: grouping them
        together keeps NULL values of a dimension in one row without a null-safe join. -#}
    select * from events
    union all
    select * from view_engagement

)

{%- for aggregation_type, view_event, column in clickstream_view_dimensions() %}
    select
        app_id,
        platform,
        '{{ aggregation_type }}' as aggregation_type,
        {{ column }} as aggregation_dim,
        merged_user_id as user_id,
        sum(case when event_name = '{{ view_event }}' then engagement_time_msec end) / 1000.0
            as user_engagement_time_seconds,
        count(event_id) as event_count,
        count(case when event_name = '{{ view_event }}' then event_id end) as view_count,
        count(distinct session_key) as session_count,
        event_date
    from combined
    group by app_id, platform, {{ column }}, merged_user_id, event_date
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
