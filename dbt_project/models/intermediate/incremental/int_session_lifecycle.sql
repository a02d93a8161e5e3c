{#- One row per session (or session-less event) ever processed: the first and last ingest time of
    its events. A run extends the sessions that got events in its window; a session whose events
    keep arriving for clickstream__max_session_days is capped there and never extended again
    (see int_quarantined_sessions). -#}
{{ config(**clickstream_incremental_config('session_key', sort=['session_key'], dist='session_key')) }}

{%- set max_session_msec = clickstream_days_msec('clickstream__max_session_days') %}
{%- set session_lookback_msec = clickstream_days_msec('clickstream__session_lookback_days') %}

with limits as (

    select * from {{ ref('int_run_limits') }}

),

new_events as (

    select
        events.session_key,
        events.app_id,
        events.user_pseudo_id,
        events.session_id,
        events.ingest_msec
    from {{ ref('stg_clickstream__events') }} as events
    inner join limits
        on
            events.ingest_msec >= limits.lower_limit_msec
            and events.ingest_msec <= limits.upper_limit_msec
            and limits.has_new_events
    where {{ clickstream_event_in_time('events') }}

),

new_sessions as (

    select
        session_key,
        min(app_id) as app_id,
        min(user_pseudo_id) as user_pseudo_id,
        min(session_id) as session_id,
        min(ingest_msec) as start_msec,
        max(ingest_msec) as end_msec
    from new_events
    group by session_key

),

{# What earlier runs recorded (nothing on a first run or a full refresh), searched back
   clickstream__session_lookback_days only. #}
recorded as (

    {%- if clickstream_is_incremental() %}
        select
            known.session_key,
            known.start_msec,
            known.end_msec,
            known.is_quarantined
        from {{ this }} as known
        cross join limits
        where known.start_msec >= limits.lower_limit_msec - {{ session_lookback_msec }}
    {%- else %}
        select
            session_key,
            start_msec,
            end_msec,
            false as is_quarantined
        from new_sessions
        where 1 = 0
    {%- endif %}

),

merged as (

    select
        new_sessions.session_key,
        new_sessions.app_id,
        new_sessions.user_pseudo_id,
        new_sessions.session_id,
        case
            when recorded.start_msec < new_sessions.start_msec then recorded.start_msec
            else new_sessions.start_msec
        end as start_msec,
        case
            when recorded.end_msec > new_sessions.end_msec then recorded.end_msec
            else new_sessions.end_msec
        end as end_msec
    from new_sessions
    left join recorded
        on new_sessions.session_key = recorded.session_key
    {# a quarantined session is never extended again #}
    where recorded.session_key is null or not recorded.is_quarantined

),

capped as (

    select
        session_key,
        app_id,
        user_pseudo_id,
        session_id,
        start_msec,
        case
            when end_msec >= start_msec + {{ max_session_msec }} then start_msec + {{ max_session_msec }}
            else end_msec
        end as end_msec,
        end_msec >= start_msec + {{ max_session_msec }} as is_quarantined
    from merged

)

select * from capped
