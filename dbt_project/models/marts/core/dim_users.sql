{#- One row per app and user_pseudo_id (user_v2 parity): latest user id, latest properties, first
    touch, lifetime totals. Recomputed, for the users the run touched, from all their rows in
    fct_events and fct_sessions, so lifetime totals stay exact. First-touch fields come from the
    user's earliest _first_open, _first_visit, _session_start or _screen_view event (else the
    earliest event), as the original defines them; the referrer is that event's page referrer only
    (never the latest referrer), as the original's. Properties are the latest user_v2 row that has
    them: the ETL takes them from _profile_set events only and carries them across batches. -#}
{{ config(**clickstream_incremental_config('user_key', sort=['user_key'], dist='user_key')) }}

with touched as (

    select distinct user_key
    from {{ ref('int_events_this_run') }}

),

events as {{ clickstream_inline_cte() }} (

    select events.*
    from {{ ref('fct_events') }} as events
    inner join touched on events.user_key = touched.user_key

),

sessions as (

    select sessions.*
    from {{ ref('fct_sessions') }} as sessions
    inner join touched on sessions.user_key = touched.user_key

),

user_batches as (

    select batches.*
    from {{ ref('stg_clickstream__users') }} as batches
    inner join touched on batches.user_key = touched.user_key

),

activity as (

    select
        user_key,
        min(app_id) as app_id,
        min(user_pseudo_id) as user_pseudo_id,
        min(event_timestamp) as first_seen_timestamp,
        max(event_timestamp) as last_seen_timestamp,
        count(*) as lifetime_events
    from events
    group by user_key

),

session_totals as (

    select
        user_key,
        count(*) as lifetime_sessions,
        count(case when session_is_engaged then 1 end) as lifetime_engaged_sessions,
        cast(sum(session_views) as {{ dbt.type_bigint() }}) as lifetime_views,
        cast(sum(session_engagement_time_msec) as {{ dbt.type_bigint() }}) as lifetime_engagement_time_msec,
        count(distinct session_date) as lifetime_active_days,
        min(session_date) as first_session_date,
        max(session_date) as last_session_date
    from sessions
    group by user_key

),

latest_user_id as (

    select
        user_key,
        user_id,
        row_number() over (partition by user_key order by event_timestamp desc, event_id desc) as recency_rank
    from events
    where user_id is not null

),

latest_properties as (

    select
        user_key,
        user_properties,
        user_properties_json_str,
        row_number() over (
            partition by user_key order by event_timestamp desc, user_properties_json_str desc
        ) as recency_rank
    from user_batches
    where user_properties_json_str is not null

),

first_touch as (

    select
        user_key,
        {#- The SDK's first-touch time when it sent one, else this (first qualifying) event's time. -#}
        coalesce(
            min(user_first_touch_time_msec) over (partition by user_key), event_time_msec
        ) as first_touch_time_msec,
        page_view_page_referrer as first_referrer,
        traffic_source_source as first_traffic_source,
        traffic_source_medium as first_traffic_medium,
        traffic_source_campaign as first_traffic_campaign,
        traffic_source_content as first_traffic_content,
        traffic_source_term as first_traffic_term,
        traffic_source_campaign_id as first_traffic_campaign_id,
        traffic_source_clid_platform as first_traffic_clid_platform,
        traffic_source_clid as first_traffic_clid,
        traffic_source_channel_group as first_traffic_channel_group,
        traffic_source_category as first_traffic_category,
        app_install_source as first_app_install_source,
        row_number() over (
            partition by user_key
            order by
                case
                    when event_name in ('_first_open', '_first_visit', '_session_start', '_screen_view') then 0
                    else 1
                end,
                event_timestamp asc,
                {#- In one millisecond, the order the SDK sends them in (the original kept it). #}
                case event_name
                    when '_first_open' then 0
                    when '_first_visit' then 1
                    when '_session_start' then 2
                    when '_screen_view' then 3
                    else 4
                end,
                event_id asc
        ) as first_rank
    from events

),

final as (

    select
        activity.user_key,
        activity.app_id,
        activity.user_pseudo_id,
        latest_user_id.user_id,
        activity.last_seen_timestamp as event_timestamp,
        latest_properties.user_properties,
        latest_properties.user_properties_json_str,
        first_touch.first_touch_time_msec,
        {{ clickstream_local_date(
            clickstream_msec_to_timestamp('first_touch.first_touch_time_msec'),
            'activity.app_id'
        ) }} as first_visit_date,
        first_touch.first_referrer,
        first_touch.first_traffic_source,
        first_touch.first_traffic_medium,
        first_touch.first_traffic_campaign,
        first_touch.first_traffic_content,
        first_touch.first_traffic_term,
        first_touch.first_traffic_campaign_id,
        first_touch.first_traffic_clid_platform,
        first_touch.first_traffic_clid,
        first_touch.first_traffic_channel_group,
        first_touch.first_traffic_category,
        first_touch.first_app_install_source,
        activity.first_seen_timestamp,
        activity.last_seen_timestamp,
        activity.lifetime_events,
        coalesce(session_totals.lifetime_sessions, 0) as lifetime_sessions,
        coalesce(session_totals.lifetime_engaged_sessions, 0) as lifetime_engaged_sessions,
        coalesce(session_totals.lifetime_views, 0) as lifetime_views,
        coalesce(session_totals.lifetime_engagement_time_msec, 0) as lifetime_engagement_time_msec,
        coalesce(session_totals.lifetime_active_days, 0) as lifetime_active_days,
        session_totals.first_session_date,
        session_totals.last_session_date
    from activity
    inner join first_touch
        on activity.user_key = first_touch.user_key and first_touch.first_rank = 1
    left join session_totals
        on activity.user_key = session_totals.user_key
    left join latest_user_id
        on activity.user_key = latest_user_id.user_key and latest_user_id.recency_rank = 1
    left join latest_properties
        on activity.user_key = latest_properties.user_key and latest_properties.recency_rank = 1

)

select * from final
