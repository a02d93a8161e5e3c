{#- The sessions this run rebuilds: every session whose span of ingest times overlaps the window. -#}
{{ config(materialized='table', tags=['clickstream_engine']) }}

{%- set max_session_msec = clickstream_days_msec('clickstream__max_session_days') %}

select
    lifecycle.session_key,
    lifecycle.app_id,
    lifecycle.user_pseudo_id,
    lifecycle.session_id,
    lifecycle.start_msec,
    lifecycle.end_msec,
    lifecycle.is_quarantined
from {{ ref('int_session_lifecycle') }} as lifecycle
inner join {{ ref('int_run_limits') }} as limits
    on
        limits.has_new_events
        and lifecycle.start_msec >= limits.lower_limit_msec - {{ max_session_msec }}
        and lifecycle.start_msec <= limits.upper_limit_msec
        and lifecycle.end_msec >= limits.lower_limit_msec
