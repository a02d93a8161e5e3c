{#- Sessions whose events kept arriving for clickstream__max_session_days or longer: bots and
    never-ending sessions. Their events up to the cap are modelled; later ones are ignored and the
    session is never extended again. -#}
{{ config(materialized='view', tags=['clickstream_engine']) }}

select
    session_key,
    app_id,
    user_pseudo_id,
    session_id,
    start_msec,
    end_msec
from {{ ref('int_session_lifecycle') }}
where is_quarantined
