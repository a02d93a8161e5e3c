{#-
    Read access for the Analytics Studio on Redshift: after each run, the database role
    `clickstream__reader_role` (when set) may use the models' schema and select every table in it, so tables
    dbt created or rebuilt in this run are readable too. The Studio's IAM role carries the tag
    RedshiftDbRoles=<that role>, which Redshift Serverless maps to the role when it signs in
    (docs/deploy-aws.md). DuckDB has one reader-free file and Athena reads through IAM, so they do nothing.
-#}
{% macro clickstream_grant_readers() %}
    {{ return(adapter.dispatch('clickstream_grant_readers', 'clickstream')()) }}
{% endmacro %}

{% macro default__clickstream_grant_readers() %}{% endmacro %}

{% macro redshift__clickstream_grant_readers() %}
    {%- set role = clickstream_optional_var('clickstream__reader_role') -%}
    {%- if role and execute and flags.WHICH in ('run', 'build') -%}
        {%- set existing = run_query(clickstream_reader_role_exists_sql(role)) -%}
        {%- if existing.rows | length == 0 -%}
            {%- do run_query('create role ' ~ clickstream_reader_role_name(role)) -%}
        {%- endif -%}
        {{ clickstream_reader_grants_sql(role, target.schema) }}
    {%- endif -%}
{% endmacro %}

{#- The role name, checked: it is written into SQL, so only a plain lowercase identifier is accepted. -#}
{% macro clickstream_reader_role_name(role) %}
    {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]{0,62}', role) -%}
        {{ exceptions.raise_compiler_error(
            "clickstream__reader_role must be a lowercase identifier (letters, digits, _), got '" ~ role ~ "'"
        ) }}
    {%- endif -%}
    {{- return(role) -}}
{% endmacro %}

{% macro clickstream_reader_role_exists_sql(role) %}
    {{- return("select 1 from svv_roles where role_name = '" ~ clickstream_reader_role_name(role) ~ "'") -}}
{% endmacro %}

{% macro clickstream_reader_grants_sql(role, schema) %}
    {%- set name = clickstream_reader_role_name(role) -%}
    grant usage on schema {{ adapter.quote(schema) }} to role {{ name }};
    grant select on all tables in schema {{ adapter.quote(schema) }} to role {{ name }};
{% endmacro %}
