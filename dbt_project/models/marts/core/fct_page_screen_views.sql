{#- One row per page or screen view (`_page_view`, `_screen_view`) of a session: its position in the
    session, entrance and exit flags, and the engagement time credited to it (the `_user_engagement`
    time reported after the view and before the session's next view). -#}
{{ config(**clickstream_incremental_config(
    'view_id', date_column='event_date', sort=['event_date', 'session_key'], dist='session_key'
)) }}

with events as (

    select
        *,
        case when event_name in ('_page_view', '_screen_view') then 1 else 0 end as is_view
    from {{ ref('int_events_this_run') }}
    where session_id is not null

),

positioned as (

    select
        *,
        sum(is_view) over (
            partition by session_key
            order by event_timestamp asc, is_view desc, event_id asc
            rows between unbounded preceding and current row
        ) as view_index
    from events

),

engagement as (

    select
        session_key,
        view_index,
        sum(coalesce(user_engagement_time_msec, 0)) as engagement_time_msec
    from positioned
    where event_name = '_user_engagement' and view_index > 0
    group by session_key, view_index

),

views as (

    select
        *,
        count(*) over (partition by session_key) as views_in_session
    from positioned
    where is_view = 1

)

select
    views.event_id as view_id,
    views.session_key,
    views.user_key,
    views.app_id,
    views.platform,
    views.user_pseudo_id,
    views.user_id,
    views.session_id,
    views.event_name,
    views.event_timestamp,
    views.event_date,
    case when views.event_name = '_page_view' then 'page' else 'screen' end as view_type,
    coalesce(views.page_view_page_url_path, views.screen_view_screen_name) as view_name,
    views.page_view_page_title,
    views.page_view_page_url,
    views.page_view_page_url_path,
    views.page_view_hostname,
    views.page_view_page_referrer,
    views.screen_view_screen_name,
    views.screen_view_screen_id,
    views.view_index,
    views.views_in_session,
    views.view_index = 1 as is_entrance,
    views.view_index = views.views_in_session as is_exit,
    coalesce(engagement.engagement_time_msec, 0) as engagement_time_msec
from views
left join engagement
    on views.session_key = engagement.session_key and views.view_index = engagement.view_index
