{#- One row per session (app, user_pseudo_id, session_id from the SDK), rebuilt from all of its
    events whenever a run touches it. Session traffic source, as the original: among the session's
    _session_start, _page_view, _user_engagement, _screen_view and _app_end events, the first whose
    source is set and not Direct, else the first of them; a session with none of those events takes
    its first event. The session's user_id, session number and start time are those of that same
    traffic event, as the original's session row takes them (a user who signs in after it keeps the
    session anonymous). -#}
{{ config(**clickstream_incremental_config(
    'session_key', date_column='session_date', sort=['session_date', 'user_pseudo_id'], dist='session_key'
)) }}

with events as {{ clickstream_inline_cte() }} (

    select * from {{ ref('int_events_this_run') }}
    where session_id is not null

),

{# The two orderings of a session's events, ranked on the few columns they need; the winning rows'
   other columns are joined back on event_id (unique here). Ranking whole event rows was most of
   this model's time. #}
ranked as (

    select
        session_key,
        event_id,
        row_number() over (
            partition by session_key order by event_timestamp asc, event_id asc
        ) as event_index,
        row_number() over (
            partition by session_key
            order by
                case
                    when event_name not in (
                        '_session_start', '_page_view', '_user_engagement', '_screen_view', '_app_end'
                    ) then 2
                    when traffic_source_source is not null and traffic_source_source <> 'Direct' then 0
                    else 1
                end,
                event_timestamp asc,
                event_id asc
        ) as traffic_rank
    from events

),

views as (

    select
        session_key,
        coalesce(page_view_page_url_path, screen_view_screen_name) as view_name,
        row_number() over (partition by session_key order by event_timestamp asc, event_id asc) as first_rank,
        row_number() over (partition by session_key order by event_timestamp desc, event_id desc) as last_rank
    from events
    where event_name in ('_page_view', '_screen_view')

),

aggregates as (

    select
        session_key,
        min(app_id) as app_id,
        min(user_pseudo_id) as user_pseudo_id,
        min(session_id) as session_id,
        max(session_number) as session_number,
        min(coalesce(session_start_time_msec, event_time_msec)) as session_start_time_msec,
        min(event_timestamp) as first_event_timestamp,
        max(event_timestamp) as last_event_timestamp,
        max(event_time_msec) as last_event_time_msec,
        count(*) as session_events,
        cast(
            sum(case when event_name in ('_page_view', '_screen_view') then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as session_views,
        cast(
            sum(case when event_name = '_page_view' then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as session_page_views,
        cast(
            sum(case when event_name = '_screen_view' then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as session_screen_views,
        sum(coalesce(user_engagement_time_msec, 0)) as session_engagement_time_msec
    from events
    group by session_key

),

traffic as (

    select
        events.session_key,
        events.event_timestamp,
        events.user_id,
        events.session_number,
        events.session_start_time_msec,
        events.platform,
        events.traffic_source_source as session_source,
        events.traffic_source_medium as session_medium,
        events.traffic_source_campaign as session_campaign,
        events.traffic_source_content as session_content,
        events.traffic_source_term as session_term,
        events.traffic_source_campaign_id as session_campaign_id,
        events.traffic_source_clid_platform as session_clid_platform,
        events.traffic_source_clid as session_clid,
        events.traffic_source_channel_group as session_channel_group,
        events.traffic_source_category as session_source_category
    from events
    inner join ranked
        on events.event_id = ranked.event_id and ranked.traffic_rank = 1

),

{# The original's session number and start come from the traffic event too; the session's own
   values (constant per SDK session) fill them when that event lacks them. #}
session_numbers as (

    select
        aggregates.session_key,
        coalesce(traffic.session_number, aggregates.session_number) as session_number,
        coalesce(traffic.session_start_time_msec, aggregates.session_start_time_msec) as session_start_time_msec
    from aggregates
    inner join traffic on aggregates.session_key = traffic.session_key

),

first_events as (

    select
        events.session_key,
        events.event_date as session_date
    from events
    inner join ranked
        on events.event_id = ranked.event_id and ranked.event_index = 1

),

final as (

    select
        aggregates.session_key,
        aggregates.app_id,
        aggregates.user_pseudo_id,
        aggregates.session_id,
        {{ clickstream_key(['aggregates.app_id', 'aggregates.user_pseudo_id']) }} as user_key,
        traffic.user_id,
        traffic.event_timestamp,
        session_numbers.session_number,
        session_numbers.session_start_time_msec,
        aggregates.first_event_timestamp as session_start_timestamp,
        aggregates.last_event_timestamp as session_end_timestamp,
        first_events.session_date,
        aggregates.last_event_time_msec - session_numbers.session_start_time_msec as session_duration_msec,
        aggregates.session_events,
        aggregates.session_views,
        aggregates.session_page_views,
        aggregates.session_screen_views,
        aggregates.session_engagement_time_msec,
        {{ clickstream_is_engaged_session(
            'aggregates.last_event_time_msec - session_numbers.session_start_time_msec', 'aggregates.session_views'
        ) }} as session_is_engaged,
        entry_view.view_name as session_entry_view,
        exit_view.view_name as session_exit_view,
        traffic.platform,
        traffic.session_source,
        traffic.session_medium,
        traffic.session_campaign,
        traffic.session_content,
        traffic.session_term,
        traffic.session_campaign_id,
        traffic.session_clid_platform,
        traffic.session_clid,
        traffic.session_channel_group,
        traffic.session_source_category
    from aggregates
    inner join traffic on aggregates.session_key = traffic.session_key
    inner join first_events on aggregates.session_key = first_events.session_key
    inner join session_numbers on aggregates.session_key = session_numbers.session_key
    left join views as entry_view
        on aggregates.session_key = entry_view.session_key and entry_view.first_rank = 1
    left join views as exit_view
        on aggregates.session_key = exit_view.session_key and exit_view.last_rank = 1

)

select * from final
