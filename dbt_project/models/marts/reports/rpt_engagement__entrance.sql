{#- clickstream_engagement_entrance: sessions per day that started on each page or screen. -#}
{{ config(**clickstream_report_config()) }}

{{ clickstream_session_boundary_report('is_entrance', 'entrance_count') }}
