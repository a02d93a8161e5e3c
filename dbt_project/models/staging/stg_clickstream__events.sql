{#- One row per loaded event row (not deduplicated), with keys, the local event date and the ingest
    time that bounds incremental runs. -#}
with source as (

    select * from {{ source('clickstream', 'event_v2') }}

),

renamed as (

    select
        {%- for column in clickstream_source_columns('event_v2') %}
            {{ column }},
        {%- endfor %}
        {{ clickstream_custom_parameter_columns() }}
        {{ clickstream_local_date('event_timestamp', 'app_id') }} as event_date,
        {{ clickstream_ingest_msec() }} as ingest_msec,
        {#- An event without an SDK session id is its own unit of work (and belongs to no session). -#}
        case
            when session_id is not null
                then {{ clickstream_key(['app_id', 'user_pseudo_id', 'session_id']) }}
            else {{ clickstream_key(["'no-session'", 'app_id', 'event_id']) }}
        end as session_key,
        {{ clickstream_key(['app_id', 'user_pseudo_id']) }} as user_key
    from source

)

select * from renamed
