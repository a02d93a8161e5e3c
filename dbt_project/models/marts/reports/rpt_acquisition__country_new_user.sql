{#- clickstream_acquisition_country_new_user: new users per day by country and city: the devices
    (user_pseudo_id, as the original) with a `_first_open` event that day, where that event was. -#}
{{ config(**clickstream_report_config()) }}

select
    app_id,
    platform,
    geo_country,
    geo_city,
    count(distinct user_pseudo_id) as user_count,
    event_date
from {{ ref('int_report_events') }}
where is_new_user_event and {{ clickstream_report_days() }}
group by app_id, platform, geo_country, geo_city, event_date
