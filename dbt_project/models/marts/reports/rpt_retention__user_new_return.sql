{#- clickstream_retention_user_new_return: users per day who are new (first visit that day) or
    returning. -#}
{{ config(**clickstream_report_config()) }}

with users as (

    select distinct
        app_id,
        platform,
        event_date,
        merged_user_id,
        case when first_visit_date = event_date then 'NEW' else 'RETURNING' end as user_type
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

)

select
    app_id,
    platform,
    user_type,
    count(distinct merged_user_id) as user_count,
    event_date
from users
group by app_id, platform, user_type, event_date
