{#- One row per loaded event row (not deduplicated), with keys and the local event date. -#}
with source as (

    select * from {{ source('clickstream', 'event_v2') }}

),

renamed as (

    select
        {%- for column in clickstream_source_columns('event_v2') %}
            {{ column }},
        {%- endfor %}
        {{ clickstream_local_date('event_timestamp', 'app_id') }} as event_date,
        {{ clickstream_key(['app_id', 'user_pseudo_id', 'session_id']) }} as session_key,
        {{ clickstream_key(['app_id', 'user_pseudo_id']) }} as user_key
    from source

)

select * from renamed
