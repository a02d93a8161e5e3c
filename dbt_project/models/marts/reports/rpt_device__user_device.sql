{#- clickstream_device_user_device: events per day, user and device (model, OS, browser, screen).
    The operating system is the SDK's, else the one parsed from the user agent (web SDKs send none),
    as the original. Unlike the original, an unknown OS stays NULL (not the text 'null') and an
    unknown screen dimension makes the resolution NULL (not ' x ' or '1920 x '). -#}
{{ config(**clickstream_report_config()) }}

with devices as (

    select
        app_id,
        merged_user_id as user_id,
        platform,
        coalesce(device_mobile_model_name, device_ua_device) as device,
        app_version,
        coalesce(device_operating_system, device_ua_os) as operating_system,
        coalesce(device_operating_system_version, device_ua_os_version) as operating_system_version,
        device_ua_browser,
        case
            when device_screen_width is not null and device_screen_height is not null
                then {{ dbt.concat([
                    'cast(device_screen_width as ' ~ dbt.type_string() ~ ')', "' x '",
                    'cast(device_screen_height as ' ~ dbt.type_string() ~ ')'
                ]) }}
        end as device_screen_resolution,
        device_ua_device,
        device_ua_device_category,
        event_date
    from {{ ref('int_report_events') }}
    where {{ clickstream_report_days() }}

)

select
    app_id,
    user_id,
    platform,
    device,
    app_version,
    operating_system,
    operating_system_version,
    device_ua_browser,
    device_screen_resolution,
    device_ua_device,
    device_ua_device_category,
    count(*) as event_count,
    event_date
from devices
group by
    app_id, user_id, platform, device, app_version, operating_system, operating_system_version,
    device_ua_browser, device_screen_resolution, device_ua_device, device_ua_device_category, event_date
