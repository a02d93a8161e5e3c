{#- One row per loaded item row (not deduplicated across batches). -#}
with source as (

    select * from {{ source('clickstream', 'item_v2') }}

),

renamed as (

    select
        {%- for column in clickstream_source_columns('item_v2') %}
            {{ column }},
        {%- endfor %}
        {{ clickstream_key(['app_id', 'event_id', 'item_id']) }} as event_item_key
    from source

)

select * from renamed
