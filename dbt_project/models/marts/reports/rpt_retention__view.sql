{#- clickstream_retention_view_v3: for each first-visit day (cohort, the local date of the user's first
    touch) and each of the 42 days after it, the cohort's size and how many of its users were active
    that day, with the original's rules: only events at or after the user's first touch count, days
    past 42 are left out, and a user (per platform) with no activity on day 0 is left out of every
    cohort. Every day a cohort has lived through (up to the app's latest event date) has a row, with
    0 when nobody came back (the original writes only the days someone did): a rate over several
    cohorts then divides by every cohort that could have returned, not only by those where someone
    did. Rebuilt whole: new activity changes old cohorts. -#}
{{ config(materialized='table', tags=['reports']) }}

with cohort_users as (

    select
        user_key,
        app_id,
        first_touch_time_msec,
        first_visit_date as first_date
    from {{ ref('dim_users') }}
    where first_visit_date is not null and first_touch_time_msec is not null

),

days_after_first_touch as (

    select distinct
        events.app_id,
        events.platform,
        events.user_key,
        cohort_users.first_date,
        {{ dbt.datediff('cohort_users.first_date', 'events.event_date', 'day') }}
            as day_diff
    from {{ ref('fct_events') }} as events
    inner join cohort_users
        on events.user_key = cohort_users.user_key
    where events.event_time_msec >= cohort_users.first_touch_time_msec

),

day_zero_users as (

    {#- Users active on their first day (per platform): the others are not in any cohort. #}
    select distinct
        app_id,
        platform,
        user_key
    from days_after_first_touch
    where day_diff = 0

),

active_days as (

    select days_after_first_touch.*
    from days_after_first_touch
    inner join day_zero_users
        on
            days_after_first_touch.app_id = day_zero_users.app_id
            and days_after_first_touch.platform = day_zero_users.platform
            and days_after_first_touch.user_key = day_zero_users.user_key
    where days_after_first_touch.day_diff <= 42

),

cohorts as (

    select
        app_id,
        platform,
        first_date,
        count(distinct user_key) as total_users
    from active_days
    where day_diff = 0
    group by app_id, platform, first_date

),

latest as (

    select
        app_id,
        max(event_date) as latest_date
    from {{ ref('fct_events') }}
    group by app_id

),

day_numbers as (

    {% for day in range(43) %}
        select {{ day }} as day_diff
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

cohort_days as (

    select
        cohorts.app_id,
        cohorts.platform,
        cohorts.first_date,
        day_numbers.day_diff,
        cohorts.total_users
    from cohorts
    inner join latest
        on cohorts.app_id = latest.app_id
    cross join day_numbers
    where day_numbers.day_diff <= {{ dbt.datediff('cohorts.first_date', 'latest.latest_date', 'day') }}

),

returned as (

    select
        app_id,
        platform,
        first_date,
        day_diff,
        count(distinct user_key) as returned_user_count
    from active_days
    group by app_id, platform, first_date, day_diff

)

select
    cohort_days.app_id,
    cohort_days.platform,
    cohort_days.first_date,
    cohort_days.day_diff,
    cohort_days.total_users,
    coalesce(returned.returned_user_count, 0) as returned_user_count
from cohort_days
left join returned
    on
        cohort_days.app_id = returned.app_id
        and cohort_days.platform = returned.platform
        and cohort_days.first_date = returned.first_date
        and cohort_days.day_diff = returned.day_diff
