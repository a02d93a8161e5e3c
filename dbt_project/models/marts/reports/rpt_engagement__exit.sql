{#- clickstream_engagement_exit: sessions per day that ended on each page or screen: the session's last
    view, counted once on its local day when it has a value for the dimension. The original took the
    last view with a value of each day instead, so a session across midnight had two exits and an
    untitled last page credited the page before it (see reports.yml). -#}
{{ config(**clickstream_report_config()) }}

{{ clickstream_session_boundary_report('is_exit', 'exit_count') }}
