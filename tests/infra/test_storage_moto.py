"""The storage stack created by moto's CloudFormation (which models S3 buckets, not their policies or
lifecycle rules; those are checked by cfn-lint and tests/infra/test_templates.py)."""

from __future__ import annotations

import warnings

import boto3
from moto import mock_aws

from clickstream.infra.templates_io import template_texts

REGION = "eu-west-1"


def test_the_storage_stack_makes_two_encrypted_buckets_that_outlive_it():
    parameters = {"ProjectId": "cs", "DataPrefix": "clickstream/", "RawRetentionDays": "30"}
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about the resource types it skips
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="storage",
            TemplateBody=template_texts()["storage.yaml"],
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        )
        stack = cfn.describe_stacks(StackName="storage")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        buckets = {item["OutputKey"]: item["OutputValue"] for item in stack["Outputs"]}
        assert set(buckets) == {"DataBucket", "PipelineBucket"}
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in buckets.values():
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
            assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
            tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
            assert {"Key": "clickstream:project", "Value": "cs"} in tags

        cfn.delete_stack(StackName="storage")
        remaining = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
        assert set(buckets.values()) <= remaining
