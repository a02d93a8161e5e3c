"""The file to hand ``spark-submit`` (EMR Serverless ``entryPoint``) to run the Spark ETL runner.

It lives outside the ``etl`` package so that the script's own folder, which Python puts first on
``sys.path``, holds no module that could shadow another. The project and its dependencies come from the
job's Python environment (docs/etl.md, "Running the ETL on Spark (EMR Serverless)"); the arguments are
those of ``python -m clickstream.etl.spark_runner --help``.
"""

from clickstream.etl.spark_runner import main

if __name__ == "__main__":
    raise SystemExit(main())
