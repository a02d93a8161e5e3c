{#- One row per distinct event_id (event_v2 parity) plus its session's traffic and engagement
    fields. Rebuilt for every event of the sessions touched by the run; SDK retries removed, the
    earliest ingest wins (see int_events_this_run). -#}
{{ config(**clickstream_incremental_config(
    'event_id', date_column='event_date', sort=['event_date', 'event_timestamp'], dist='session_key'
)) }}

with events as (

    select * from {{ ref('int_events_this_run') }}

),

sessions as (

    select sessions.*
    from {{ ref('fct_sessions') }} as sessions
    inner join {{ ref('int_sessions_this_run') }} as this_run
        on sessions.session_key = this_run.session_key

)

select
    {%- for column in clickstream_source_columns('event_v2') + clickstream_custom_parameter_names() %}
        events.{{ column }},
    {%- endfor %}
    events.event_date,
    events.session_key,
    events.user_key,
    sessions.session_source,
    sessions.session_medium,
    sessions.session_campaign,
    sessions.session_channel_group,
    sessions.session_source_category,
    sessions.session_is_engaged,
    sessions.session_views,
    sessions.session_engagement_time_msec
from events
left join sessions
    on events.session_key = sessions.session_key
