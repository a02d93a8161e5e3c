{#- Every event of the sessions rebuilt in this run, including those that arrived in earlier runs,
    so sessions that span runs are always computed from all of their events. One row per event_id:
    the copy ingested first wins, ties broken by event time, bundle sequence, then app, user and
    session (SDK retries carry the same event_id). -#}
{{ config(materialized='table', tags=['clickstream_engine']) }}

with sessions as (

    select * from {{ ref('int_sessions_this_run') }}

),

bounds as (

    select min(start_msec) as min_start_msec
    from sessions

),

events as (

    select
        {%- for column in clickstream_source_columns('event_v2') + clickstream_custom_parameter_names() %}
            events.{{ column }},
        {%- endfor %}
        events.event_date,
        events.ingest_msec,
        events.session_key,
        events.user_key,
        row_number() over (
            partition by events.event_id
            order by
                events.ingest_msec asc,
                events.event_time_msec asc,
                events.event_bundle_sequence_id asc nulls last,
                events.app_id asc,
                events.user_pseudo_id asc,
                events.session_key asc
        ) as duplicate_rank
    from {{ ref('stg_clickstream__events') }} as events
    inner join sessions
        on events.session_key = sessions.session_key
    cross join bounds
    cross join {{ ref('int_run_limits') }} as limits
    where
        events.ingest_msec >= bounds.min_start_msec
        and events.ingest_msec <= limits.upper_limit_msec
        and events.ingest_msec >= sessions.start_msec
        and events.ingest_msec <= sessions.end_msec
        and {{ clickstream_event_in_time('events') }}

)

select
    {%- for column in clickstream_source_columns('event_v2') + clickstream_custom_parameter_names() %}
        {{ column }},
    {%- endfor %}
    event_date,
    ingest_msec,
    session_key,
    user_key
from events
where duplicate_rank = 1
