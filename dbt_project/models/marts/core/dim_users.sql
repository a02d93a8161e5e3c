{#- One row per app and user_pseudo_id: latest user id, latest properties, first touch, lifetime totals.
    First-touch fields come from the user's earliest _first_open, _first_visit, _session_start or
    _screen_view event across all batches (else the earliest event), as the original defines them. -#}
with events as (

    select * from {{ ref('fct_events') }}

),

user_batches as (

    select * from {{ ref('stg_clickstream__users') }}

),

activity as (

    select
        user_key,
        min(app_id) as app_id,
        min(user_pseudo_id) as user_pseudo_id,
        min(event_timestamp) as first_seen_timestamp,
        max(event_timestamp) as last_seen_timestamp,
        count(*) as lifetime_events,
        count(distinct session_id) as lifetime_sessions
    from events
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
        coalesce(page_view_page_referrer, page_view_latest_referrer) as first_referrer,
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
        activity.lifetime_sessions
    from activity
    inner join first_touch
        on activity.user_key = first_touch.user_key and first_touch.first_rank = 1
    left join latest_user_id
        on activity.user_key = latest_user_id.user_key and latest_user_id.recency_rank = 1
    left join latest_properties
        on activity.user_key = latest_properties.user_key and latest_properties.recency_rank = 1

)

select * from final
