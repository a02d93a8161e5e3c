{#- One row per user per ETL batch (`user_v2`): the batch's latest user id and properties and
    its first-touch fields. -#}
with source as (

    select * from {{ source('clickstream', 'user_v2') }}

),

renamed as (

    select
        {%- for column in clickstream_source_columns('user_v2') %}
            {{ column }},
        {%- endfor %}
        {{ clickstream_key(['app_id', 'user_pseudo_id']) }} as user_key
    from source

)

select * from renamed
