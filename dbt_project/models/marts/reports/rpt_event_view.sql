{#- clickstream_event_view_v3: every event with its session and user fields, the merged user id,
    new_user_indicator (the merged user id on `_first_open` events, NULL on the others, as the
    original: count(distinct new_user_indicator) counts new users) and whether the event is on the
    user's first day (a boolean, on the app's local dates; the original writes 'true'/'false' and
    compares the event's UTC date). A view: it stores nothing. -#}
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
    events.session_channel_group,
    events.session_source_category,
    events.session_is_engaged,
    events.session_views,
    events.session_engagement_time_msec,
    user_rows.user_id as latest_user_id,
    coalesce(user_rows.user_id, events.user_pseudo_id) as merged_user_id,
    user_rows.first_visit_date,
    user_rows.first_traffic_source,
    user_rows.first_traffic_medium,
    user_rows.first_traffic_campaign,
    user_rows.first_traffic_channel_group,
    user_rows.first_app_install_source,
    case
        when events.event_name = '_first_open' then coalesce(user_rows.user_id, events.user_pseudo_id)
    end as new_user_indicator,
    user_rows.first_visit_date = events.event_date as is_first_day_event
from {{ ref('fct_events') }} as events
left join {{ ref('dim_users') }} as user_rows
    on events.user_key = user_rows.user_key
