{#- clickstream_retention_view_v3: for each first-visit day (cohort) and each of the 42 days after
    it, the cohort's size and how many of its users were active that day. Every day a cohort has
    lived through (up to the app's latest event date) has a row, with 0 when nobody came back:
    a rate over several cohorts then divides by every cohort that could have returned, not only
    by those where someone did. Rebuilt whole: new activity changes old cohorts. -#}
{{ config(materialized='table', tags=['reports']) }}

with cohort_users as (

    select
        user_key,
        app_id,
        first_visit_date as first_date
    from {{ ref('dim_users') }}
    where first_visit_date is not null

),

active_days as (

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

),

cohorts as (

    select
        app_id,
        platform,
        first_date,
        count(distinct user_key) as total_users
    from active_days
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
    where day_diff between 0 and 42
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
