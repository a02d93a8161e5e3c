{#- clickstream_retention_view_v3: for each first-visit day (cohort) and each of the 42 days after
    it, the cohort's size and how many of its users were active that day. Rebuilt whole: new
    activity changes old cohorts. -#}
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

)

select
    active_days.app_id,
    active_days.platform,
    active_days.first_date,
    active_days.day_diff,
    cohorts.total_users,
    count(distinct active_days.user_key) as returned_user_count
from active_days
inner join cohorts
    on
        active_days.app_id = cohorts.app_id
        and active_days.platform = cohorts.platform
        and active_days.first_date = cohorts.first_date
where active_days.day_diff between 0 and 42
group by active_days.app_id, active_days.platform, active_days.first_date, active_days.day_diff, cohorts.total_users
