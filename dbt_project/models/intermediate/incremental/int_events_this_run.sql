{#- Every event of the sessions rebuilt in this run, including those that arrived in earlier runs,
    so sessions that span runs are always computed from all of their events. One row per event_id:
    the copy ingested first wins, ties broken by event time, bundle sequence, then app, user and
    session (SDK retries carry the same event_id).
    Only the few event ids seen more than once are ranked: a window over every wide event row was
    most of this model's time (decision 24). The events of the run are therefore read per branch
    (run_events below) rather than ranked or materialised whole. -#}
{{ config(materialized='table', tags=['clickstream_engine']) }}

{%- set columns = clickstream_source_columns('event_v2') + clickstream_custom_parameter_names()
    + ['event_date', 'ingest_msec', 'session_key', 'user_key'] %}

{#- The events of the sessions of this run (every column of the staging view), before deduplication. -#}
{%- set run_events -%}
        select events.*
        from {{ ref('stg_clickstream__events') }} as events
        inner join {{ ref('int_sessions_this_run') }} as sessions
            on events.session_key = sessions.session_key
        cross join (
            select min(start_msec) as min_start_msec
            from {{ ref('int_sessions_this_run') }}
        ) as bounds
        cross join {{ ref('int_run_limits') }} as limits
        where
            events.ingest_msec >= bounds.min_start_msec
            and events.ingest_msec <= limits.upper_limit_msec
            and events.ingest_msec >= sessions.start_msec
            and events.ingest_msec <= sessions.end_msec
            and {{ clickstream_event_in_time('events') }}
{%- endset %}

{#- Event ids seen more than once (SDK retries): only their copies are ranked. #}
with duplicated as (

    select events.event_id
    from (
        {{ run_events }}
    ) as events
    group by events.event_id
    having count(*) > 1

),

single_copies as (

    select events.*
    from (
        {{ run_events }}
    ) as events
    left join duplicated
        on events.event_id = duplicated.event_id
    where events.event_id is not null and duplicated.event_id is null

),

ranked_copies as (

    select
        events.*,
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
    from (
        {{ run_events }}
    ) as events
    left join duplicated
        on events.event_id = duplicated.event_id
    where events.event_id is null or duplicated.event_id is not null

)

select
    {%- for column in columns %}
        {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from single_copies
union all
select
    {%- for column in columns %}
        {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from ranked_copies
where duplicate_rank = 1
