{#- One row per app and user_pseudo_id: latest user id, latest properties, first touch, lifetime totals. -#}
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
        min(event_date) as first_seen_date,
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
        row_number() over (partition by user_key order by event_timestamp desc) as recency_rank
    from user_batches
    where user_properties_json_str is not null

),

first_touch as (

    select
        user_key,
        first_touch_time_msec,
        first_visit_date,
        first_referrer,
        first_traffic_source,
        first_traffic_medium,
        first_traffic_campaign,
        first_traffic_content,
        first_traffic_term,
        first_traffic_campaign_id,
        first_traffic_clid_platform,
        first_traffic_clid,
        first_traffic_channel_group,
        first_traffic_category,
        first_app_install_source,
        row_number() over (
            partition by user_key order by first_touch_time_msec asc nulls last, event_timestamp asc
        ) as first_rank
    from user_batches

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
        coalesce(first_touch.first_visit_date, activity.first_seen_date) as first_visit_date,
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
    left join latest_user_id
        on activity.user_key = latest_user_id.user_key and latest_user_id.recency_rank = 1
    left join latest_properties
        on activity.user_key = latest_properties.user_key and latest_properties.recency_rank = 1
    left join first_touch
        on activity.user_key = first_touch.user_key and first_touch.first_rank = 1

)

select * from final
