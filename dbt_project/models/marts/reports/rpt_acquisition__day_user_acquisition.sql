{#- clickstream_acquisition_day_user_acquisition: per day, traffic dimension and user: new users,
    sessions, engaged sessions, engagement rate and time, events. -#}
{{ config(**clickstream_report_config()) }}

with per_dimension as (

    {%- for aggregation_type, expression in clickstream_traffic_dimensions() %}
        select
            app_id,
            platform,
            event_date,
            '{{ aggregation_type }}' as aggregation_type,
            {{ expression }} as aggregation_dim,
            merged_user_id,
            max(case when is_new_user_event then 1 else 0 end) as new_user_count,
            count(distinct session_key) as session_count,
            count(distinct case when session_is_engaged then session_key end) as engagement_session_count,
            sum(coalesce(user_engagement_time_msec, 0)) / 1000.0 as total_user_engagement_time_seconds,
            count(*) as event_count
        from {{ ref('int_report_events') }}
        where {{ clickstream_report_days() }}
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
        when session_count > 0 then total_user_engagement_time_seconds / session_count
    end as avg_user_engagement_time_seconds,
    event_count,
    event_date
from per_dimension
