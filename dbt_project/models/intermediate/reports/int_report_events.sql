{#- Events of the days the reports rebuild in this run (every local day from the earliest event of
    the run on), with the fields every report needs: session traffic, the merged user id (signed-in
    id, else device id, as the original's merged_user_id), first-touch traffic and the new-user
    flag (a `_first_open` event, the only event the original's reports count as a new user). A table, so the reports read one narrow, pre-joined slice instead of joining the marts
    again in each of their branches. -#}
{{ config(materialized='table', tags=['reports']) }}

select
    events.event_id,
    events.event_date,
    events.event_timestamp,
    events.app_id,
    events.platform,
    events.event_name,
    events.event_value,
    events.session_id,
    events.session_duration,
    events.user_pseudo_id,
    events.user_key,
    events.session_key,
    events.app_version,
    events.device_operating_system,
    events.device_operating_system_version,
    events.device_ua_os,
    events.device_ua_os_version,
    events.device_mobile_model_name,
    events.device_ua_browser,
    events.device_ua_device,
    events.device_ua_device_category,
    events.device_screen_width,
    events.device_screen_height,
    events.geo_country,
    events.geo_city,
    events.page_view_page_title,
    events.page_view_page_url_path,
    events.screen_view_screen_name,
    events.screen_view_screen_id,
    events.user_engagement_time_msec,
    events.session_source,
    events.session_medium,
    events.session_campaign,
    events.session_channel_group,
    session_rows.session_clid_platform,
    user_rows.first_traffic_source,
    user_rows.first_traffic_medium,
    user_rows.first_traffic_campaign,
    user_rows.first_traffic_channel_group,
    user_rows.first_traffic_clid_platform,
    user_rows.first_app_install_source,
    user_rows.first_visit_date,
    coalesce(user_rows.user_id, events.user_pseudo_id) as merged_user_id,
    events.event_name = '_first_open' as is_new_user_event,
    events.event_name in ('_page_view', '_screen_view') as is_view
from {{ ref('fct_events') }} as events
left join {{ ref('fct_sessions') }} as session_rows
    on events.session_key = session_rows.session_key
left join {{ ref('dim_users') }} as user_rows
    on events.user_key = user_rows.user_key
where events.event_date >= (select min(this_run.event_date) from {{ ref('int_events_this_run') }} as this_run)
