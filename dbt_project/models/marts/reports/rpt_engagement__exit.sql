{#- clickstream_engagement_exit: sessions per day that ended on each page or screen. -#}
{{ config(**clickstream_report_config()) }}

{{ clickstream_session_boundary_report('is_exit', 'exit_count') }}
