{#- clickstream_acquisition_day_user_view_cnt: per day, active users (distinct merged user ids), new
    users (devices with a `_first_open` that day, as the original) and page/screen views. The
    original writes one row per active user; these are its sums per day and platform. -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    count(distinct merged_user_id) as active_users,
    count(distinct case when is_new_user_event then user_pseudo_id end) as new_users,
    cast(sum(case when is_view then 1 else 0 end) as {{ dbt.type_bigint() }}) as view_count,
    event_date
from {{ ref('int_report_events') }}
where {{ clickstream_report_days() }}
group by app_id, platform, event_date
