{#- One row per user per ETL input (`user_v2`): the user's state over every input so far (latest
    user id, latest _profile_set properties, first-touch fields), at the input's latest event time. -#}
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
