{#- clickstream_lifecycle_weekly_view_v3: users per week (Monday, in the app's timezone) by lifecycle
    state, from the weeks in which each user started a session: 1-NEW (first active week),
    2-RETAINED-ACTIVE (active this week and the week before), 3-RETURN (active this week, not the
    week before, not new) and 0-CHURN (active the week before, not this week), whose count is
    negative so a stacked bar draws it below zero, as the original. Unlike the original, no churn
    row is written for the week after the app's latest week with data (it has not happened yet), and a
    device is followed on each platform separately (the original follows a user_pseudo_id across
    platforms, labelling each week with that week's platform), so states add up under a platform
    filter. Rebuilt whole: a new week changes the previous week's churn. -#}
{{ config(materialized='table', tags=['reports']) }}

with weeks as (

    select distinct
        app_id,
        platform,
        user_key,
        {{ dbt.date_trunc('week', 'event_date') }} as time_period
    from {{ ref('fct_events') }}
    where event_name = '_session_start'

),

flagged as (

    select
        this_week.app_id,
        this_week.platform,
        this_week.user_key,
        this_week.time_period,
        this_week.time_period = min(this_week.time_period) over (
            partition by this_week.app_id, this_week.platform, this_week.user_key
        ) as is_first_week,
        last_week.user_key is not null as was_active_last_week
    from weeks as this_week
    left join weeks as last_week
        on
            this_week.app_id = last_week.app_id
            and this_week.platform = last_week.platform
            and this_week.user_key = last_week.user_key
            and last_week.time_period = {{ dbt.dateadd('week', -1, 'this_week.time_period') }}

),

latest_weeks as (

    select
        app_id,
        max(time_period) as latest_week
    from weeks
    group by app_id

),

churned as (

    select
        last_week.app_id,
        last_week.platform,
        last_week.user_key,
        {{ dbt.dateadd('week', 1, 'last_week.time_period') }} as time_period
    from weeks as last_week
    left join weeks as this_week
        on
            last_week.app_id = this_week.app_id
            and last_week.platform = this_week.platform
            and last_week.user_key = this_week.user_key
            and this_week.time_period = {{ dbt.dateadd('week', 1, 'last_week.time_period') }}
    inner join latest_weeks
        on last_week.app_id = latest_weeks.app_id
    where
        this_week.user_key is null
        and last_week.time_period < latest_weeks.latest_week

),

states as (

    select
        app_id,
        platform,
        time_period,
        case
            when is_first_week then '1-NEW'
            when was_active_last_week then '2-RETAINED-ACTIVE'
            else '3-RETURN'
        end as this_week_value,
        1 as user_sign
    from flagged
    union all
    select
        app_id,
        platform,
        time_period,
        '0-CHURN' as this_week_value,
        -1 as user_sign
    from churned

)

select
    app_id,
    cast(time_period as date) as time_period,
    platform,
    this_week_value,
    sum(user_sign) as sum
from states
group by app_id, time_period, platform, this_week_value
