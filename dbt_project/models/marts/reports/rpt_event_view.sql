{#- clickstream_event_view_v3: every event with its session and user fields, the merged user id,
    new_user_indicator (the merged user id on `_first_open` events, NULL on the others, as the
    original: count(distinct new_user_indicator) counts new users) and whether the event is on the
    user's first day (a boolean, on the app's local dates; the original writes 'true'/'false' and
    compares the event's UTC date). Every column of the original's view is here: the event's, its
    session's traffic, the user's first touch and properties, device_ua_string (the raw user agent),
    and view_session_indicator / view_event_indicator (the session and event id on page and screen
    views, NULL on other events: distinct counts of them count sessions with views and views).
    Events whose user has no row are kept (the original's inner join to user_v2 drops them; here
    every user seen in the events has a dim_users row). A view: it stores nothing. -#}
{{ config(materialized='view', tags=['reports']) }}

select
    {%- for column in clickstream_source_columns('event_v2') %}
        events.{{ column }},
    {%- endfor %}
    events.event_date,
    events.session_key,
    events.user_key,
    events.session_source,
    events.session_medium,
    events.session_campaign,
    session_rows.session_content,
    session_rows.session_term,
    session_rows.session_campaign_id,
    session_rows.session_clid_platform,
    session_rows.session_clid,
    events.session_channel_group,
    events.session_source_category,
    events.session_is_engaged,
    events.session_views,
    events.session_engagement_time_msec,
    {{ clickstream_map_text('events.device_ua', 'string') }} as device_ua_string,
    case when events.event_name in ('_page_view', '_screen_view') then events.session_id end
        as view_session_indicator,
    case when events.event_name in ('_page_view', '_screen_view') then events.event_id end as view_event_indicator,
    user_rows.user_id as latest_user_id,
    coalesce(user_rows.user_id, events.user_pseudo_id) as merged_user_id,
    user_rows.first_touch_time_msec,
    user_rows.first_visit_date,
    user_rows.first_referrer,
    user_rows.first_traffic_category,
    user_rows.first_traffic_source,
    user_rows.first_traffic_medium,
    user_rows.first_traffic_campaign,
    user_rows.first_traffic_content,
    user_rows.first_traffic_term,
    user_rows.first_traffic_campaign_id,
    user_rows.first_traffic_clid_platform,
    user_rows.first_traffic_clid,
    user_rows.first_traffic_channel_group,
    user_rows.first_app_install_source,
    user_rows.user_properties_json_str,
    user_rows.user_properties,
    case
        when events.event_name = '_first_open' then coalesce(user_rows.user_id, events.user_pseudo_id)
    end as new_user_indicator,
    user_rows.first_visit_date = events.event_date as is_first_day_event
from {{ ref('fct_events') }} as events
left join {{ ref('fct_sessions') }} as session_rows
    on events.session_key = session_rows.session_key
left join {{ ref('dim_users') }} as user_rows
    on events.user_key = user_rows.user_key
