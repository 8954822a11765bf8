"""Reads a SAM template for the tests, printing JSON on stdout.

    python3 test/support/cfn_template.py decode template.yaml     # the template, short-form tags in long form
    python3 test/support/cfn_template.py transform template.yaml  # the CloudFormation the SAM transform makes

`decode` uses cfn-lint's YAML reader, so the tests see exactly what cfn-lint checks. `transform` first does
what `sam package` does to local paths (CodeUri, DefinitionUri become S3 locations), then runs the
aws-sam-translator offline, as `sam deploy` would have CloudFormation do.
"""

import copy
import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

PACKAGE_BUCKET = "switchyard-package-bucket"


def load(path):
    template, matches = decode(path)
    if matches or template is None:
        sys.exit("cannot read %s: %s" % (path, "; ".join(str(m) for m in matches)))
    return template


def package(template):
    """Replaces local paths with S3 locations, as `sam package` does after uploading them."""
    packaged = copy.deepcopy(template)
    for logical_id, resource in packaged.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            properties["CodeUri"] = "s3://%s/%s.zip" % (PACKAGE_BUCKET, logical_id)
        if resource.get("Type") == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            properties["DefinitionUri"] = {"Bucket": PACKAGE_BUCKET, "Key": "%s.asl.json" % logical_id}
    return packaged


def translate(template):
    # The translator takes the region (and so the partition) from the default AWS settings.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translator = Translator(managed_policy_map={}, sam_parser=Parser())
    return translator.translate(sam_template=package(template), parameter_values={}, passthrough_metadata=True)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("decode", "transform"):
        sys.exit("usage: cfn_template.py decode|transform <template.yaml>")
    template = load(argv[2])
    result = template if argv[1] == "decode" else translate(template)
    json.dump(result, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
