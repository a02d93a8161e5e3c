{#- clickstream_acquisition_day_user_acquisition: per day, traffic dimension and user: new users (the
    user's sessions that day holding a `_first_open`), sessions, engaged sessions (judged per day
    from that day's events, as rpt_engagement__kpi), engagement rate, the engaged sessions'
    engagement time and its average per engaged session, events. Every user is counted under the
    first-touch dimensions here, as in the original. engagement_rate is engaged sessions / sessions:
    the original divides them by events, in integers, which is 0 for nearly every row. Events without
    a session id are left out of every row, as the original (it joins a day's sessions to their
    traffic on session_id, which a NULL never matches). -#}
{{ config(**clickstream_report_config()) }}

{#- Events are first summed per session and day (every traffic dimension is constant there), so each
    dimension below groups a table about ten times smaller than the events. -#}
with session_days as (

    select
        app_id,
        platform,
        event_date,
        merged_user_id,
        session_key,
        {{ clickstream_traffic_dimension_columns() | join(', ') }},
        max(case when is_new_user_event then 1 else 0 end) as is_new_user,
        case
            when {{ clickstream_is_engaged_session(
                'max(session_duration)', 'sum(case when is_view then 1 else 0 end)'
            ) }} then 1 else 0
        end as is_engaged,
        sum(coalesce(user_engagement_time_msec, 0)) as engagement_time_msec,
        count(*) as event_count
    from {{ ref('int_report_events') }}
    where session_id is not null and {{ clickstream_report_days() }}
    group by
        app_id, platform, event_date, merged_user_id, session_key,
        {{ clickstream_traffic_dimension_columns() | join(', ') }}

),

per_dimension as (

    {%- for aggregation_type, expression in clickstream_traffic_dimensions() %}
        select
            app_id,
            platform,
            event_date,
            '{{ aggregation_type }}' as aggregation_type,
            {{ expression }} as aggregation_dim,
            merged_user_id,
            sum(is_new_user) as new_user_count,
            count(distinct session_key) as session_count,
            count(distinct case when is_engaged = 1 then session_key end) as engagement_session_count,
            sum(case when is_engaged = 1 then engagement_time_msec else 0 end) / 1000.0
                as total_user_engagement_time_seconds,
            sum(event_count) as event_count
        from session_days
        group by app_id, platform, event_date, {{ expression }}, merged_user_id
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select
    app_id,
    aggregation_type,
    aggregation_dim,
    platform,
    merged_user_id as user_id,
    new_user_count,
    session_count,
    engagement_session_count,
    case
        when session_count > 0 then cast(engagement_session_count as {{ dbt.type_float() }}) / session_count
    end as engagement_rate,
    total_user_engagement_time_seconds,
    case
        when engagement_session_count > 0 then total_user_engagement_time_seconds / engagement_session_count
        else 0
    end as avg_user_engagement_time_seconds,
    event_count,
    event_date
from per_dimension
