"""Makes this folder the package ``clickstream.dbt_project`` once installed (setup.py maps it there).

``importlib.resources`` then finds the bundled dbt project in a wheel and in an editable install alike
(clickstream/bundled.py). dbt itself ignores this file.
"""
